"""Storage: migrations, types and time zones, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from db.models import Candidate, Run
from db.schema import head_revision
from db.session import Database
from pipeline.errors import StorageError
from tests.conftest import run_offermap


def test_migrations_build_the_whole_schema(database_url: str) -> None:
    database = Database(database_url)
    assert database.schema_revision() == head_revision()
    tables = set(inspect(database.engine).get_table_names())
    assert {"runs", "queries", "hits", "pages", "candidates", "sources", "decisions",
            "alembic_version"} <= tables
    database.dispose()


def test_values_round_trip_identically(database_url: str) -> None:
    database = Database(database_url)
    started = datetime(2027, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    with database.transaction() as session:
        session.add(Run(started_at=started))
        session.add(Candidate(title="Ciudades inteligentes – curso", url="https://e.org/c",
                              start_date=date(2027, 3, 1), topics=["smart_cities"],
                              signals={"city_staff": True}, fee_amount=39.9,
                              is_free=False))
    with database.session() as session:
        run = session.scalars(select(Run)).one()
        course = session.scalars(select(Candidate)).one()
    # Stored in UTC and read back aware, whichever database holds it.
    assert run.started_at == started and run.started_at.tzinfo == UTC
    assert run.started_at.hour == 8
    assert course.start_date == date(2027, 3, 1) and course.topics == ["smart_cities"]
    assert course.signals == {"city_staff": True} and course.fee_amount == pytest.approx(39.9)
    assert course.title == "Ciudades inteligentes – curso"
    database.dispose()


def test_a_database_without_schema_version_is_refused_with_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE candidates (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StorageError, match=r"run `offermap db upgrade`"):
        Database(url)
    result = run_offermap("candidates", "--db", url)
    assert result.returncode == 4 and "offermap db upgrade" in result.stderr


def test_db_upgrade_command_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    result = run_offermap("db", "upgrade", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"empty -> {head_revision()}" in result.stdout
    assert Database(str(db), create=False).schema_revision() == head_revision()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(str(tmp_path / "wal.sqlite"))
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30000
    database.dispose()
