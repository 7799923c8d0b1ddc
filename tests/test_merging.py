"""Merges are decisions: recorded, undoable, and never contradicted by a later run."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from db.models import Candidate, DuplicatePair, Merge, Source
from db.session import Database
from tests.conftest import run_offermap
from tests.test_store import course_page, crawl_once, fetched

PAGES = [
    fetched("https://uni.example.org/pb", course_page("Participatory Budgeting")),
    fetched("https://net.example.net/events/pb", course_page("Participatory budgeting")),
    fetched("https://uni.example.org/ud", course_page("Introduction to Urban Data")),
    fetched("https://uni.example.org/uda", course_page("Introduction to Urban Data Analysis")),
]


def test_undo_a_machine_merge_and_the_next_run_keeps_it_undone(tmp_path: Path) -> None:
    db = str(tmp_path / "m.sqlite")
    database = Database(db)
    crawl_once(database, PAGES)
    with database.session() as session:
        merge = session.scalars(select(Merge)).one()
        assert merge.actor == "machine" and merge.into_candidate_id == 1

    result = run_offermap("merges", "undo", str(merge.id), "--db", db, "--by", "ana")
    assert result.returncode == 0, result.stderr

    crawl_once(database, PAGES)  # the same pages again
    with database.session() as session:
        sources = {s.url: s.candidate_id for s in session.scalars(select(Source))}
        undone = session.get(Merge, merge.id)
        pair = session.scalars(select(DuplicatePair).where(
            DuplicatePair.status == "not_same")).one()
    assert sources["https://uni.example.org/pb"] != sources["https://net.example.net/events/pb"]
    assert undone is not None and undone.undone_by == "ana"
    assert {pair.candidate_a_id, pair.candidate_b_id} == {
        sources["https://uni.example.org/pb"], sources["https://net.example.net/events/pb"]}


def test_reviewer_merges_a_possible_duplicate_and_can_undo_it(tmp_path: Path) -> None:
    db = str(tmp_path / "d.sqlite")
    database = Database(db)
    crawl_once(database, PAGES)
    listed = run_offermap("duplicates", "--db", db)
    assert "Introduction to Urban Data Analysis" in listed.stdout

    with database.session() as session:
        pair = session.scalars(select(DuplicatePair)).one()
    keep, absorb = pair.candidate_a_id, pair.candidate_b_id
    assert run_offermap("duplicates", "same", str(keep), str(absorb), "--db", db,
                        "--by", "ben").returncode == 0
    with database.session() as session:
        absorbed = session.get(Candidate, absorb)
        assert absorbed is not None and absorbed.merged_into_id == keep
        assert {s.candidate_id for s in session.scalars(select(Source))
                if "urban" in s.title.lower()} == {keep}
        merge = session.scalars(select(Merge).where(Merge.actor == "ben")).one()
        assert session.get(DuplicatePair, pair.id).status == "same"

    assert run_offermap("merges", "undo", str(merge.id), "--db", db).returncode == 0
    with database.session() as session:
        freed = session.get(Candidate, absorb)
        assert freed is not None and freed.merged_into_id is None
        assert len(freed.sources) == 1
        assert session.get(DuplicatePair, pair.id).status == "not_same"


def test_not_same_is_remembered(tmp_path: Path) -> None:
    db = str(tmp_path / "n.sqlite")
    database = Database(db)
    crawl_once(database, PAGES)
    with database.session() as session:
        pair = session.scalars(select(DuplicatePair)).one()
    first, second = str(pair.candidate_a_id), str(pair.candidate_b_id)
    assert run_offermap("duplicates", "not-same", first, second, "--db", db).returncode == 0
    crawl_once(database, PAGES)
    with database.session() as session:
        pairs = session.scalars(select(DuplicatePair)).all()
    assert [(p.candidate_a_id, p.candidate_b_id, p.status) for p in pairs] == [
        (pair.candidate_a_id, pair.candidate_b_id, "not_same")]
    missing = run_offermap("duplicates", "not-same", first, "99", "--db", db)
    assert missing.returncode == 1 and "No candidate 99" in missing.stderr
    assert "No open possible duplicates" in run_offermap("duplicates", "--db", db).stdout
