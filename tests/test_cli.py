"""The `offermap` command through its installed entry point."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Candidate, Decision, Source
from db.session import Database
from pipeline.export import COLUMNS
from tests.conftest import REPO, run_offermap

COMMANDS = ["crawl", "candidates", "accept", "reject", "export", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run_offermap(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Example" in result.stdout
    assert f"offermap {command}" in result.stdout


def test_top_level_help_lists_every_command() -> None:
    result = run_offermap("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("keywords.yaml", "  - course\n", "  - 42\n",
         "keywords.yaml:{line}: formats[0]: expected text, got 42"),
        ("keywords.yaml", "pages_per_query: 1", "pages_per_querry: 1",
         "keywords.yaml:{line}: pages_per_querry: unknown key (check its spelling)"),
        ("providers.yaml", "max_depth: 2", "max_depth: deep",
         "providers.yaml:{line}: providers[0].max_depth: expected a whole number, got 'deep'"),
        ("taxonomy.yaml", "modality:", "modalty:", "taxonomy.yaml:"),
        ("keywords.yaml", "languages: [en]", "languages: [en",
         "keywords.yaml:{line}: invalid YAML"),
    ],
    ids=["wrong-type", "misspelt-key", "not-a-number", "missing-section", "broken-yaml"],
)
def test_a_config_mistake_is_one_line_and_touches_no_database(
        tmp_path: Path, file: str, old: str, new: str, expected: str) -> None:
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    text = (config / file).read_text()
    assert old in text
    expected = expected.format(line=text[: text.index(old)].count("\n") + 1)
    (config / file).write_text(text.replace(old, new, 1))
    db = tmp_path / "never.sqlite"

    result = run_offermap("crawl", "--db", str(db), "--config-dir", str(config))

    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert str(config / file) in lines[0]
    assert not db.exists()


@pytest.fixture
def filled_db(tmp_path: Path) -> str:
    url = str(tmp_path / "cli.sqlite")
    database = Database(url)
    with database.transaction() as session:
        for number, title in enumerate(["=HYPERLINK(\"http://evil.example\",\"x\")",
                                        "Co-creation Summer School", "Smart Cities MOOC"], 1):
            candidate = Candidate(title=title, url=f"https://example.org/{number}",
                                  format="course", modality="online",
                                  start_date=date(2027, 5, number), fee_amount=120.0,
                                  fee_currency="EUR", is_free=False, topics=["co_creation"],
                                  provider="+44 20 7946 0000", language="en")
            session.add(candidate)
            session.flush()
            session.add(Source(candidate_id=candidate.id, key=f"example.org/{number}",
                               url=candidate.url, page_url=candidate.url, origin="search",
                               title=title, match_rule="new",
                               evidence={"title": {"value": title, "extractor": "jsonld",
                                                   "source": "$[0].name", "confidence": 0.9}}))
    return url


def test_candidates_list_show_accept_reject(filled_db: str) -> None:
    listed = run_offermap("candidates", "--db", filled_db)
    assert listed.returncode == 0, listed.stderr
    assert "Co-creation Summer School" in listed.stdout

    shown = run_offermap("candidates", "2", "--db", filled_db)
    assert shown.returncode == 0
    assert "jsonld: $[0].name" in shown.stdout and "https://example.org/2" in shown.stdout

    assert run_offermap("accept", "2", "--db", filled_db, "--by", "ana").returncode == 0
    rejected = run_offermap("reject", "3", "--db", filled_db, "--reason", "off theme")
    assert rejected.returncode == 0
    assert run_offermap("reject", "1", "--db", filled_db).returncode == 2  # --reason required

    pending = run_offermap("candidates", "--status", "pending", "--db", filled_db)
    assert "Smart Cities MOOC" not in pending.stdout and "HYPERLINK" in pending.stdout
    with Database(filled_db).session() as session:
        statuses = {c.id: c.status for c in session.scalars(select(Candidate))}
        decisions = [(d.candidate_id, d.action, d.actor, d.reason)
                     for d in session.scalars(select(Decision).order_by(Decision.id))]
    assert statuses == {1: "pending", 2: "accepted", 3: "rejected"}
    assert decisions[0] == (2, "accept", "ana", None)
    assert decisions[1][:2] == (3, "reject") and decisions[1][3] == "off theme"


def test_unknown_candidate_and_missing_database_are_one_line_errors(tmp_path: Path,
                                                                   filled_db: str) -> None:
    missing = run_offermap("accept", "99", "--db", filled_db)
    assert missing.returncode == 1 and "No candidate 99" in missing.stderr
    # A mistyped path is an error, and no empty database file is left behind.
    typo = run_offermap("candidates", "--db", str(tmp_path / "nothing.sqlite"))
    assert typo.returncode == 1 and "No offermap database at" in typo.stderr
    assert len(typo.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "nothing.sqlite").exists()
    # A SQLite file without offermap's tables, and a file that is not a database.
    import sqlite3

    sqlite3.connect(tmp_path / "other.sqlite").execute("CREATE TABLE t (x)").connection.close()
    other = run_offermap("candidates", "--db", str(tmp_path / "other.sqlite"))
    assert other.returncode == 1 and "has no offermap tables" in other.stderr
    (tmp_path / "notes.txt").write_text("not a database")
    garbage = run_offermap("export", "--db", str(tmp_path / "notes.txt"), "--out",
                           str(tmp_path / "x.csv"))
    assert garbage.returncode == 4 and "file is not a database" in garbage.stderr
    assert len(garbage.stderr.strip().splitlines()) == 1
    unreachable = run_offermap("candidates", "--db", "postgresql://nobody@127.0.0.1:1/x")
    assert unreachable.returncode == 4 and "Cannot open database" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
    huge = run_offermap("candidates", "99999999999999999999999", "--db", filled_db)
    assert huge.returncode == 2 and "too large" in huge.stderr


def test_export_never_writes_over_a_database(filled_db: str, tmp_path: Path) -> None:
    import sqlite3

    same = run_offermap("export", "--db", filled_db, "--out", filled_db)
    assert same.returncode == 2 and "is the database being exported" in same.stderr
    copy = tmp_path / "copy.sqlite"  # another offermap database: a backup, say
    with sqlite3.connect(filled_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    before = copy.read_bytes()
    other = run_offermap("export", "--db", filled_db, "--out", str(copy), "--format", "csv")
    assert other.returncode == 2 and "is an offermap database" in other.stderr
    assert copy.read_bytes() == before
    assert run_offermap("candidates", "--db", filled_db).returncode == 0


def test_export_csv_has_the_record_columns_and_neutralises_formulas(filled_db: str,
                                                                   tmp_path: Path) -> None:
    run_offermap("accept", "1", "--db", filled_db)
    run_offermap("accept", "2", "--db", filled_db)
    out = tmp_path / "out.csv"

    result = run_offermap("export", "--format", "csv", "--out", str(out), "--db", filled_db)

    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 3  # header + the two accepted
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["title"].startswith("'=HYPERLINK")
    assert record["provider"] == "'+44 20 7946 0000"
    assert record["fee_amount"] == "120.0" and record["start_date"] == "2027-05-01"
    assert record["topics"] == "co_creation"
    assert not list(tmp_path.glob(".out.csv.*"))  # no temporary file left behind
