"""`offermap duplicates --rescan`: what two workers stored apart is matched after all."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from db.models import Candidate, DuplicatePair, Merge
from db.session import Database
from pipeline.config import DedupConfig
from pipeline.merging import mark_not_same
from pipeline.processing import process_page
from pipeline.rescan import rescan
from pipeline.store import Store
from tests.conftest import run_offermap
from tests.test_store import TAXONOMY, course_page, fetched


def two_workers(database: Database) -> None:
    """Two stores that started before either stored anything, as two workers do."""
    first, second = Store(database), Store(database)
    first.start_run()
    second.start_run()
    first.record_page(process_page(fetched(
        "https://uni.example.org/courses/pb",
        course_page("Participatory Budgeting for City Staff")), TAXONOMY))
    second.record_page(process_page(fetched(
        "https://network.example.net/events/pb",
        course_page("Participatory budgeting for city staff")), TAXONOMY))
    second.record_page(process_page(fetched(
        "https://network.example.net/events/assemblies",
        course_page("Citizens' Assemblies for City Staff")), TAXONOMY))
    first.finish_run()
    second.finish_run()


def trainings(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Candidate).where(
            Candidate.merged_into_id.is_(None)))


def test_rescan_merges_what_workers_stored_apart(database_url: str) -> None:
    database = Database(database_url)
    two_workers(database)
    assert trainings(database) == 3  # each worker made its own candidate of one training

    found = rescan(database, DedupConfig())
    assert (found.trainings, found.merged) == (3, 1)
    assert trainings(database) == 2
    with database.session() as session:
        merge = session.scalars(select(Merge)).one()
        assert merge.rule.startswith("rescan: ") and merge.actor == "machine"

    again = rescan(database, DedupConfig())  # nothing left to do, nothing done twice
    assert (again.merged, again.offered) == (0, 0)
    database.dispose()


def test_rescan_respects_a_reviewers_not_the_same(database_url: str) -> None:
    database = Database(database_url)
    two_workers(database)
    with database.transaction() as session:
        ids = sorted(session.scalars(select(Candidate.id)))
        mark_not_same(session, ids[0], ids[1], actor="ana")
    found = rescan(database, DedupConfig())
    assert found.merged == 0 and trainings(database) == 3
    with database.session() as session:
        pair = session.scalars(select(DuplicatePair)).one()
        assert pair.status == "not_same"
    database.dispose()


def test_rescan_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "workers.sqlite")
    two_workers(Database(db))
    result = run_offermap("duplicates", "--rescan", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "Matched 3 trainings again: 1 merged" in result.stdout
