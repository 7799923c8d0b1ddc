"""Done when: every format exports the demo's accepted trainings, and the report
covers them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from db.models import Candidate
from db.session import Database
from pipeline import export
from tests.conftest import run_offermap
from tests.export.helpers import READERS, expected, offermap, xlsx_clean


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("demo")
    result = run_offermap("demo", "--db", str(folder / "demo.sqlite"), "--quiet", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    database = Database(url)
    with database.transaction() as session:  # a reviewer accepting every candidate
        session.execute(update(Candidate).values(status="accepted"))
    database.dispose()
    return url


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_every_format_exports_the_demo(demo_db: str, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"demo.{fmt}"
    options = ("--with-evidence", "--with-editions") if fmt != "jsonld" else ()
    result = offermap("export", "--db", demo_db, "--out", str(path), *options)
    assert result.exit_code == 0, result.output

    columns = export.choose_columns(with_evidence=bool(options), with_editions=bool(options))
    want = expected(demo_db, columns=columns, with_evidence=bool(options),
                    with_editions=bool(options))
    got = READERS[fmt](path)
    assert len(got) == len(want) > 5
    if fmt == "jsonld":
        assert [row["title"] for row in got] == [row["title"] for row in want]
        assert [row["url"] for row in got] == [row["url"] for row in want]
        return
    if fmt == "xlsx":
        want = [{name: xlsx_clean(value) for name, value in row.items()} for row in want]
    assert got == want


def test_report_covers_the_demo(demo_db: str, tmp_path: Path) -> None:
    result = offermap("report", "--db", demo_db, "--out", str(tmp_path), "--no-charts")
    assert result.exit_code == 0, result.output
    with Database(demo_db).session() as session:
        total = len(list(export.rows(session, ("accepted",))))
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert f"# Training offer on citizen engagement: {total} accepted trainings" in markdown
