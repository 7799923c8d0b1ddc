"""Google Programmable Search: start+num bounds, missing items, the daily quota
(scenario 6), and the real API response in ../shared/realworld."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.backends.base import BackendBlocked, GridQuery
from crawler.backends.google import GoogleBackend, next_pacific_midnight
from db.models import BackendHold, Hit, Query
from db.session import Database
from pipeline.config import GoogleSettings
from pipeline.errors import BackendMisconfigured
from tests.backends.conftest import DEAD_SITE, GOOGLE_CX, GOOGLE_KEY, search
from tests.backends.fakes import FakeGoogle, FakeSearxng

QUERY = GridQuery("smart cities", "seminar", "de", "Smart Cities Seminar")
ENV = {"GOOGLE_CSE_KEY": GOOGLE_KEY, "GOOGLE_CSE_CX": GOOGLE_CX}


def backend() -> GoogleBackend:
    return GoogleBackend(GoogleSettings(), ENV)


def test_google_pages_never_pass_start_plus_num_100() -> None:
    google = backend()
    starts = []
    for page in range(1, google.max_pages + 1):
        url = google.request(QUERY, page).url
        params = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
        starts.append((int(params["start"]), int(params["num"])))
    assert starts[0] == (1, 10) and starts[-1] == (91, 9)
    assert all(start + num <= 100 and num <= 10 for start, num in starts)
    with pytest.raises(ValueError):
        google.request(QUERY, google.max_pages + 1)


def test_google_zero_results_have_no_items_key() -> None:
    body = {"kind": "customsearch#search", "queries": {"request": [{"totalResults": "0"}]},
            "searchInformation": {"totalResults": "0"}}
    page = backend().parse(200, {}, json.dumps(body).encode())
    assert page.hits == [] and not page.has_more


def test_google_resource_exhausted_holds_until_pacific_midnight() -> None:
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded",
                      "errors": [{"reason": "rateLimitExceeded"}]}}
    with pytest.raises(BackendBlocked, match="daily quota") as blocked:
        backend().parse(429, {}, json.dumps(body).encode())
    assert blocked.value.hold_until is not None and blocked.value.hold_until > datetime.now(UTC)


def test_next_pacific_midnight() -> None:
    # 2026-12-03 07:59 UTC is 23:59 the day before in California (PST, UTC-8).
    assert next_pacific_midnight(datetime(2026, 12, 3, 7, 59, tzinfo=UTC)) == \
        datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_google_needs_key_and_cx_from_the_environment() -> None:
    with pytest.raises(BackendMisconfigured, match="GOOGLE_CSE_KEY and GOOGLE_CSE_CX"):
        GoogleBackend(GoogleSettings(), {})


def test_google_realworld_api_response_parses(realworld: Path) -> None:
    answers = [json.loads(line) for line in (realworld / "answers.jsonl").open()]
    answer = next(a for a in answers if a.get("backend") == "google_cse")
    body = (realworld / answer["file"]).read_bytes()
    page = backend().parse(200, {}, body)
    assert [hit.url for hit in page.hits] == answer["urls"]
    assert all(hit.title and hit.snippet for hit in page.hits)
    assert page.hits[0].title == "Tesla: Electric Cars, Solar & Clean Energy"
    assert page.has_more


def grid(searxng: str | None, google: str, *, pages: int = 1, keywords: str = "[a, b]") -> str:
    backends = "[searxng, google]" if searxng else "[google]"
    return f"""
        keywords: {keywords}
        formats: [course]
        pages_per_query: {pages}
        use_backends: {backends}
        backends:
          searxng: {{url: "{searxng or 'http://127.0.0.1:9'}", delay: 0}}
          google: {{url: "{google}/customsearch/v1", delay: 0}}
        """


def test_google_deep_paging_sends_no_invalid_start(tmp_path: Path) -> None:
    with FakeGoogle(key=GOOGLE_KEY, cx=GOOGLE_CX, results=500, site=DEAD_SITE) as google:
        result = search(tmp_path, grid(None, google.url, pages=20, keywords="[a]"))
    assert result.returncode == 0, result.stderr
    sent = [(int(e.params["start"]), int(e.params["num"])) for e in google.log]
    assert len(sent) == 10 and sent[-1] == (91, 9)
    assert {e.status for e in google.log} == {200}


def test_google_without_items_is_zero_results(tmp_path: Path) -> None:
    with FakeGoogle(key=GOOGLE_KEY, cx=GOOGLE_CX, site=DEAD_SITE) as google:
        result = search(tmp_path, grid(None, google.url, pages=3, keywords="[nothing]"))
    assert result.returncode == 0, result.stderr
    assert len(google.log) == 1
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        query = session.scalars(select(Query)).one()
    assert (query.status, query.result_count) == ("done", 0)


def test_google_quota_exhausted_disables_it_and_others_go_on(tmp_path: Path) -> None:
    with FakeGoogle(key=GOOGLE_KEY, cx=GOOGLE_CX, daily_quota=1, site=DEAD_SITE) as google, \
            FakeSearxng(site=DEAD_SITE, results=3) as searxng:
        result = search(tmp_path, grid(searxng.url, google.url, keywords="[a, b, c]"))
        assert result.returncode == 0, result.stderr
        assert [e.status for e in google.log] == [200, 429]
        assert len(searxng.log) == 3
        # A second run the same day does not ask Google at all.
        again = search(tmp_path, grid(searxng.url, google.url, keywords="[a, b, c]"))
        assert again.returncode == 0, again.stderr
        assert len(google.log) == 2 and len(searxng.log) == 6
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        rows = session.scalars(select(Query).where(Query.run_id == 1)).all()
        by_backend = {(q.backend, q.status) for q in rows}
        hold = session.scalars(select(BackendHold)).one()
        searxng_hits = session.scalars(select(Hit).join(Query).where(
            Query.backend == "searxng", Query.run_id == 1)).all()
    assert ("google", "blocked") in by_backend and ("google", "unsent") in by_backend
    assert {status for backend, status in by_backend if backend == "searxng"} == {"done"}
    assert len(searxng_hits) == 9
    assert hold.backend == "google" and hold.until > datetime.now(UTC)
    assert "held until" in again.stdout
