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
        candidates = session.scalars(select(Candidate)).all()
        sources = session.scalars(select(Source)).all()
        pages = session.scalars(select(Page)).all()

    by_page: dict[tuple[str, str], set[int]] = {}
    for source in sources:
        by_page.setdefault(_where(source.page_url), set()).add(source.candidate_id)

    found: list[int] = []
    for training in expected["trainings"]:
        ids = set().union(*(by_page.get(_where(page), set()) for page in training["pages"]))
        assert len(ids) == 1, (training["title"], ids)
        found.append(ids.pop())
    # Each training is one candidate, and cross-published ones carry every page.
    assert len(set(found)) == len(expected["trainings"])
    assert len(candidates) == len(expected["trainings"]), sorted(c.title for c in candidates)

    not_trainings = [*expected["not_trainings"], *expected["off_theme"]]
    assert not [page for page in not_trainings if _where(page) in by_page]

    fetched = {_where(page.url) for page in pages if page.status is not None}
    assert not [page for page in expected["disallowed"] if _where(page) in fetched]
