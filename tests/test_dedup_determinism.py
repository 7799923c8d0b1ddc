"""The same pages in any order give the same candidates (RELIABILITY.md, scenario 20)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from crawler.items import FetchedPage
from db.models import Candidate, Source
from db.session import Database
from pipeline.processing import process_page
from pipeline.store import Store
from tests.test_store import TAXONOMY, course_page, fetched

SITES = Path(__file__).resolve().parent.parent / "pipeline" / "demo" / "sites"


def demo_pages() -> list[FetchedPage]:
    """Every HTML page of the demo web, each at an address of its own site."""
    pages = []
    for path in sorted(SITES.rglob("*.html")):
        site, relative = path.relative_to(SITES).parts[0], path.relative_to(SITES / path
                                                                             .relative_to(SITES)
                                                                             .parts[0])
        pages.append(FetchedPage(
            url=f"https://www.{site}.example/{relative.as_posix()}", origin=site,
            fetched_at=datetime(2026, 12, 1, tzinfo=UTC), status=200,
            headers={"content-type": "text/html; charset=utf-8"}, body=path.read_bytes()))
    return pages


# A chain: the middle title matches both ends, the ends do not match each other.
CHAIN = [
    fetched("https://uni.example.org/a", course_page("Urban Data for Participation")),
    fetched("https://uni.example.org/b", course_page("Urban Data for Participatio")),
    fetched("https://uni.example.org/c", course_page("Urban Data fr Participatio")),
]


Partition = frozenset[tuple[frozenset[str], str, str]]


def partition(pages: list[FetchedPage], db: Path) -> Partition:
    """Each candidate as (its source keys, its title, its primary source's key)."""
    database = Database(str(db))
    store = Store(database)
    store.start_run()
    for page in pages:
        store.record_page(process_page(page, TAXONOMY))
    store.finish_run()
    groups: dict[int, set[str]] = {}
    with database.session() as session:
        for source in session.scalars(select(Source)):
            groups.setdefault(source.candidate_id, set()).add(source.key)
        described = set()
        for candidate_id, keys in groups.items():
            candidate = session.get(Candidate, candidate_id)
            primary = session.get(Source, candidate.primary_source_id)
            described.add((frozenset(keys), candidate.title, primary.key))
    database.dispose()
    return frozenset(described)


def test_any_order_gives_the_same_candidates(tmp_path: Path) -> None:
    pages = demo_pages() + CHAIN
    expected = partition(pages, tmp_path / "base.sqlite")
    assert any(len(keys) > 1 for keys, _, _ in expected)  # something was merged at all
    rng = random.Random(20)
    for attempt in range(10):
        shuffled = pages[:]
        rng.shuffle(shuffled)
        assert partition(shuffled, tmp_path / f"run{attempt}.sqlite") == expected, attempt
