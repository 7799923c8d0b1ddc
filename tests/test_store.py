"""The store on a real database: idempotent runs, merges, decisions kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import func, select

from crawler.items import FetchedPage
from db.models import Candidate, DuplicatePair, FieldChange, Merge, Page, Source
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


def test_yearly_runs_are_editions_and_parts_are_trainings(database_url: str) -> None:
    database = Database(database_url)
    results = crawl_once(database, [
        fetched("https://uni.example.org/a",
                course_page("Co-creation Summer School 2026", start="2026-07-06")),
        fetched("https://uni.example.org/b",
                course_page("Co-creation Summer School 2027", start="2027-07-05")),
        fetched("https://uni.example.org/c", course_page("Participation Methods - Part 1")),
        fetched("https://uni.example.org/d", course_page("Participation Methods - Part 2")),
    ])
    assert results == [["new"], ["edition"], ["new"], ["new"]]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 3
        school = session.scalars(select(Candidate).order_by(Candidate.id)).first()
        assert school is not None
        assert [e.key for e in school.editions] == ["2026-07-06", "2027-07-05"]
        merges = session.scalars(select(Merge)).all()
        assert [(m.into_candidate_id, m.actor) for m in merges] == [(school.id, "machine")]
        assert merges[0].rule.startswith("edition:")
    database.dispose()


def test_a_borderline_title_is_offered_as_a_possible_duplicate(database_url: str) -> None:
    database = Database(database_url)
    crawl_once(database, [
        fetched("https://uni.example.org/a", course_page("Introduction to Urban Data")),
        fetched("https://uni.example.org/b", course_page("Introduction to Urban Data Analysis")),
    ])
    with database.session() as session:
        pair = session.scalars(select(DuplicatePair)).one()
        assert (pair.candidate_a_id, pair.candidate_b_id, pair.status) == (1, 2, "open")
        assert pair.rule.startswith("review:")
    database.dispose()


def test_a_changed_page_is_history_and_a_proposal_once_decided(database_url: str) -> None:
    database = Database(database_url)
    url = "https://uni.example.org/courses/pb"
    crawl_once(database, [fetched(url, course_page("Participatory Budgeting"))])
    crawl_once(database, [fetched(url, course_page("Participatory Budgeting",
                                                   start="2027-06-01"))])
    with database.transaction() as session:
        candidate = session.scalars(select(Candidate)).one()
        assert candidate.start_date.isoformat() == "2027-06-01"  # pending: applied
        candidate.status = "accepted"
    crawl_once(database, [fetched(url, course_page("Participatory Budgeting",
                                                   start="2027-09-01"))])
    with database.session() as session:
        candidate = session.scalars(select(Candidate)).one()
        changes = session.scalars(select(FieldChange).where(FieldChange.field == "start_date")
                                  .order_by(FieldChange.id)).all()
    assert candidate.start_date.isoformat() == "2027-06-01"  # accepted: left alone
    assert [(c.old, c.new, c.status) for c in changes] == [
        ("2027-05-10", "2027-06-01", "applied"), ("2027-06-01", "2027-09-01", "proposed")]
    database.dispose()


def test_a_record_url_that_is_not_a_web_address_falls_back_to_the_page(
        database_url: str) -> None:
    database = Database(database_url)
    page = "https://uni.example.org/courses/x"
    crawl_once(database, [fetched(page, course_page("Co-design Lab", url="javascript:alert(1)"))])
    with database.session() as session:
        assert session.scalars(select(Candidate)).one().url == page
    database.dispose()


def _with_ids(body: bytes, **extra: object) -> bytes:
    """``course_page`` with more properties on its Course node."""
    head, script, tail = body.partition(b"</script>")[0].rpartition(b">")
    node = json.loads(tail)
    node.update(extra)
    return head + script + json.dumps(node).encode() + b"</script>" + body.partition(
        b"</script>")[2]


@pytest.mark.parametrize("reverse", [False, True], ids=["own-first", "own-last"])
def test_schema_org_same_as_and_id_are_exact_keys(database_url: str, reverse: bool) -> None:
    """Titles in three languages would never match; the network's sameAs and the
    portal's @id name the provider's page, so all are one training, in any order."""
    own = fetched("https://uni.example.org/courses/pb",
                  course_page("Participatory Budgeting for City Staff"))
    translated = fetched("https://red.example.es/cursos/presupuestos", _with_ids(
        course_page("Presupuestos participativos para personal municipal"),
        sameAs=["https://www.uni.example.org/courses/pb/?utm_source=red",
                "https://twitter.example.com/unicivic"]))
    by_id = fetched("https://portal.example.eu/catalogue/7", _with_ids(
        course_page("Bilancio partecipativo per il personale comunale"),
        **{"@id": "http://uni.example.org/courses/pb"}))
    pages = [own, translated, by_id]

    database = Database(database_url)
    crawl_once(database, pages[::-1] if reverse else pages)
    with database.session() as session:
        owners = {source.candidate_id for source in session.scalars(select(Source))}
        assert len(owners) == 1
        source = session.scalars(select(Source).where(Source.url == translated.url)).one()
        assert source.identifiers == ["https://twitter.example.com/unicivic",
                                      "https://uni.example.org/courses/pb"]
    database.dispose()


def test_fragment_ids_of_a_listing_do_not_join_its_items(database_url: str) -> None:
    items = [{"@type": "Course", "@id": f"https://hub.example.org/courses#c{n}", "name": name,
              "description": f"{name}: a course on citizen participation for city staff.",
              "hasCourseInstance": {"@type": "CourseInstance", "courseMode": "online",
                                    "startDate": "2027-05-10"}}
             for n, name in enumerate(["Co-creation Methods", "Participatory Budgeting"])]
    body = (f"<html lang='en'><head><title>Courses</title><script type='application/ld+json'>"
            f"{json.dumps({'@context': 'https://schema.org', '@graph': items})}</script>"
            f"</head><body><h1>Courses</h1></body></html>").encode()
    database = Database(database_url)
    crawl_once(database, [fetched("https://hub.example.org/courses", body)])
    with database.session() as session:
        titles = set(session.scalars(select(Candidate.title)))
        assert titles >= {"Co-creation Methods", "Participatory Budgeting"}
        assert all(not source.identifiers for source in session.scalars(select(Source)))
    database.dispose()
