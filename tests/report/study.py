"""A database shaped like the study's: 45 accepted trainings, 34 online, 11 in
presence, 9 covering diversity or inclusiveness, found by two search backends and
one provider site over two runs, with rejected and pending candidates besides."""

from __future__ import annotations

from datetime import date
from typing import Any

from db.models import Candidate, Hit, Page, Query, Run, Source
from db.session import Database

ACCEPTED = 45
ONLINE = 34
INCLUSIVE = 9
HOSTILE_TITLE = "<script>window.__pwned = 1</script> Co-creation lab [x](javascript:1) *bold*"
CATEGORIES = ["university", "university", "network_ngo", "multilateral", "company",
              "public_body"]
FORMATS = ["course", "webinar", "summer_school", "workshop", "mooc"]
TLDS = ["de", "it", "org", "es", "eu"]


def training(number: int) -> dict[str, Any]:
    """The record of accepted training ``number`` (0–44)."""
    return {
        "title": HOSTILE_TITLE if number == 7 else f"Citizen engagement training {number}",
        "status": "accepted",
        "provider": f"Provider {number % 9}",
        "provider_category": CATEGORIES[number % len(CATEGORIES)],
        "format": FORMATS[number % len(FORMATS)],
        "modality": "online" if number < ONLINE else "in_presence",
        # 0, 5, 10, ... 40: nine trainings cover diversity or inclusiveness
        "inclusivity": number % 5 == 0,
        "verticals": [["mobility"], ["energy", "mobility"], []][number % 3],
        "language": ["en", "it", "es"][number % 3],
        "url": f"https://provider{number}.example.{TLDS[number % len(TLDS)]}/course",
        "is_free": number % 4 == 0,
        "fee_amount": None if number % 4 == 0 else 100.0,
        "edition_status": "upcoming" if number % 2 else "past",
        "start_date": date(2027, 1 + number % 12, 1),
        "signals": {"targets_city_staff": number % 3 == 0, "smart_city_focus": number < 10,
                    "participatory_methods": True, "theory_and_practice": number % 2 == 0,
                    "part_of_series": number == 1},
    }


def fill_study(url: str) -> None:
    """Write the study database into ``url`` (a fresh database)."""
    database = Database(url)
    with database.transaction() as session:
        runs = [Run(kind="crawl", status="finished"), Run(kind="crawl", status="finished")]
        session.add_all(runs)
        session.flush()
        queries = [Query(run_id=runs[0].id, backend=backend, text="citizen engagement course",
                         keyword="citizen engagement", format="course", language="en",
                         status="done") for backend in ("searxng", "brave")]
        session.add_all(queries)
        session.flush()

        numbered = [(number, training(number)) for number in range(ACCEPTED)]
        numbered += [(100 + number, {"title": f"Conference {number}", "status": "rejected",
                                     "reason": "not a training: conference",
                                     "url": f"https://conf{number}.example.org/"})
                     for number in range(3)]
        numbered += [(200, {"title": "Old page", "status": "rejected", "reason": "past, 2019",
                            "url": "https://old.example.org/"}),
                     (300, {"title": "Unreviewed", "status": "pending",
                            "url": "https://new.example.org/"})]
        for number, fields in numbered:
            run = runs[1] if number >= 40 else runs[0]
            candidate = Candidate(first_seen_run_id=run.id, last_seen_run_id=run.id, **fields)
            session.add(candidate)
            session.flush()
            _add_sources(session, candidate, number, run, queries)
    database.dispose()


def _add_sources(session: Any, candidate: Candidate, number: int, run: Run,
                 queries: list[Query]) -> None:
    """One source found by search (searxng or brave) or on the provider site; the
    first three trainings were also found a second time (duplicates merged)."""
    places = 2 if number in (0, 2, 3) else 1
    for place in range(places):
        via_search = (number + place) % 3 != 2
        hit_id = None
        url = candidate.url + ("" if place == 0 else f"?edition={place}")
        if via_search:
            query = queries[(number + place) % 2]
            hit = Hit(query_id=query.id, rank=number * 10 + place, url=url, canonical_url=url)
            session.add(hit)
            session.flush()
            hit_id = hit.id
        page = Page(run_id=run.id, url=url, canonical_url=url, hit_id=hit_id,
                    origin="search" if via_search else "Eurocities academy",
                    outcome="candidate", status=200)
        session.add(page)
        session.flush()
        source = Source(candidate_id=candidate.id, key=url, url=url, page_url=url,
                        page_id=page.id, origin=page.origin, title=candidate.title,
                        match_rule="new" if place == 0 else "same title")
        session.add(source)
        session.flush()
        if place == 0:
            candidate.primary_source_id = source.id
