"""`offermap demo` end to end: the built-in web crawled into a fresh database."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from db.models import Candidate, Page, Run, Source
from db.session import Database
from pipeline.demo.server import DemoWeb
from tests.conftest import run_offermap


def _where(url: str) -> tuple[str, str]:
    """(host, path) of a URL: the demo's ports change from one run to the next."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.path


def test_demo_stores_each_training_once_and_nothing_else(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    result = run_offermap("demo", "--db", str(db), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Run 1: finished" in result.stdout
    assert "candidates new" in result.stdout

    with DemoWeb() as web:  # only to learn which site lives at which address
        expected = web.expected()

    with Database(str(db)).session() as session:
        assert session.scalars(select(Run)).one().status == "finished"
        candidates = session.scalars(select(Candidate).where(
            Candidate.merged_into_id.is_(None))).all()
        sources = session.scalars(select(Source)).all()
        pages = session.scalars(select(Page)).all()

    by_page: dict[tuple[str, str], set[int]] = {}
    for source in sources:
        by_page.setdefault(_where(source.page_url), set()).add(source.candidate_id)

    # Editions of one training (a "series" in the answer key) are one candidate.
    trainings: dict[str, list[dict]] = {}
    for edition in expected["trainings"]:
        trainings.setdefault(edition.get("series", edition["title"]), []).append(edition)

    found: list[int] = []
    for name, editions in trainings.items():
        where = [page for edition in editions for page in edition["pages"]]
        ids = set().union(*(by_page.get(_where(page), set()) for page in where))
        assert len(ids) == 1, (name, ids)
        found.append(ids.pop())
    # Each training is one candidate, and cross-published ones carry every page.
    assert len(set(found)) == len(trainings)
    assert len(candidates) == len(trainings), sorted(c.title for c in candidates)
    with Database(str(db)).session() as session:
        by_id = {candidate.id: candidate for candidate in session.scalars(select(Candidate))}
        for (name, editions), candidate_id in zip(trainings.items(), found, strict=True):
            dates = sorted(edition.key for edition in by_id[candidate_id].editions)
            assert dates == sorted(e["start_date"] for e in editions), name

    not_trainings = [*expected["not_trainings"], *expected["off_theme"]]
    assert not [page for page in not_trainings if _where(page) in by_page]

    fetched = {_where(page.url) for page in pages if page.status is not None}
    assert not [page for page in expected["disallowed"] if _where(page) in fetched]
