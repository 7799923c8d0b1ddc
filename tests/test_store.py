"""The store on a real database: idempotent runs, merges, decisions kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import yaml
from sqlalchemy import func, select

from crawler.items import FetchedPage
from db.models import Candidate, Page, Source
from db.session import Database
from extractors.taxonomy import load_taxonomy_dict
from pipeline.processing import process_page
from pipeline.store import Store
from tests.conftest import REPO

TAXONOMY = load_taxonomy_dict(yaml.safe_load((REPO / "config" / "taxonomy.yaml").read_text()))


def course_page(title: str, url: str | None = None, start: str = "2027-05-10") -> bytes:
    node = {"@context": "https://schema.org", "@type": "Course", "name": title,
            "description": f"{title}: a course on citizen participation for city staff.",
            "provider": {"@type": "Organization", "name": "Civic Lab"},
            "hasCourseInstance": {"@type": "CourseInstance", "courseMode": "online",
                                  "startDate": start}}
    if url is not None:
        node["url"] = url
    return (f"<html lang='en'><head><title>{title}</title><script type='application/ld+json'>"
            f"{json.dumps(node)}</script></head><body><h1>{title}</h1><p>Register now. "
            f"Online course on citizen participation, starts {start}.</p></body></html>"
            ).encode()


def fetched(url: str, body: bytes) -> FetchedPage:
    return FetchedPage(url=url, final_url=url, origin="test", status=200,
                       fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
                       headers={"content-type": "text/html; charset=utf-8"}, body=body)


def crawl_once(database: Database, pages: list[FetchedPage]) -> list[list[str]]:
    store = Store(database)
    store.start_run()
    results = [store.record_page(process_page(page, TAXONOMY)) for page in pages]
    store.finish_run()
    return results


def test_the_same_pages_twice_give_the_same_candidates(database_url: str) -> None:
    database = Database(database_url)
    pages = [fetched("https://uni.example.org/courses/pb", course_page("Participatory Budgeting")),
             fetched("http://www.network.example.net/events/pb/?utm_source=x",
                     course_page("Participatory budgeting", start="2027-05-10"))]

    first = crawl_once(database, pages)
    second = crawl_once(database, list(reversed(pages)))

    assert first == [["new"], ["merged"]]
    assert second == [["known"], ["known"]]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 1
        assert session.scalar(select(func.count()).select_from(Source)) == 2
        assert session.scalar(select(func.count()).select_from(Page)) == 4
    database.dispose()


def test_a_crawl_never_changes_a_decided_candidate(database_url: str) -> None:
    database = Database(database_url)
    url = "https://uni.example.org/courses/pb"
    crawl_once(database, [fetched(url, course_page("Participatory Budgeting"))])
    with database.transaction() as session:
        candidate = session.scalars(select(Candidate)).one()
        candidate.status, candidate.title = "accepted", "Participatory Budgeting (edited)"

    crawl_once(database, [fetched(url, course_page("Participatory Budgeting 101"))])

    with database.session() as session:
        candidate = session.scalars(select(Candidate)).one()
        assert candidate.status == "accepted"
        assert candidate.title == "Participatory Budgeting (edited)"
        # The new reading is kept on the source, for a reviewer to see.
        assert session.scalars(select(Source)).one().title == "Participatory Budgeting 101"
    database.dispose()


def test_different_years_or_parts_stay_apart(database_url: str) -> None:
    database = Database(database_url)
    crawl_once(database, [
        fetched("https://uni.example.org/a", course_page("Co-creation Summer School 2026")),
        fetched("https://uni.example.org/b", course_page("Co-creation Summer School 2027")),
        fetched("https://uni.example.org/c", course_page("Participation Methods - Part 1")),
        fetched("https://uni.example.org/d", course_page("Participation Methods - Part 2")),
    ])
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 4
    database.dispose()


def test_a_record_url_that_is_not_a_web_address_falls_back_to_the_page(
        database_url: str) -> None:
    database = Database(database_url)
    page = "https://uni.example.org/courses/x"
    crawl_once(database, [fetched(page, course_page("Co-design Lab", url="javascript:alert(1)"))])
    with database.session() as session:
        assert session.scalars(select(Candidate)).one().url == page
    database.dispose()
