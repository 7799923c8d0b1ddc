"""Brave Search API: paging bounds, rate-limit headers, quota and token (scenarios 4, 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.backends.base import BackendBlocked, GridQuery
from crawler.backends.brave import BraveBackend
from db.models import BackendHold, Hit, Query
from db.session import Database
from pipeline.config import BraveSettings
from pipeline.errors import BackendMisconfigured
from tests.backends.conftest import BRAVE_TOKEN, DEAD_SITE, search
from tests.backends.fakes import BraveLimits, FakeBrave

QUERY = GridQuery("participatory budgeting", "course", "pt", '"orçamento participativo" curso')


def grid(url: str, *, pages: int = 15, keywords: str = "[participatory budgeting]") -> str:
    return f"""
        keywords: {keywords}
        formats: [course]
        pages_per_query: {pages}
        use_backends: [brave]
        backends:
          brave: {{url: "{url}/res/v1/web/search", delay: 0}}
        """


def backend() -> BraveBackend:
    return BraveBackend(BraveSettings(), {"BRAVE_SEARCH_API_KEY": BRAVE_TOKEN})


def test_brave_request_uses_page_index_and_token_header() -> None:
    spec = backend().request(QUERY, 10)
    assert "offset=9" in spec.url and "count=20" in spec.url and "search_lang=pt-pt" in spec.url
    assert spec.headers["X-Subscription-Token"] == BRAVE_TOKEN
    assert BRAVE_TOKEN not in spec.url
    with pytest.raises(ValueError, match="1 to 10"):
        backend().request(QUERY, 11)


def test_brave_parse_strips_highlight_markup() -> None:
    body = {"type": "search", "query": {"more_results_available": True},
            "web": {"results": [{"url": "https://a.example/x",
                                 "title": "<strong>PB</strong> course",
                                 "description": "Learn &amp; <strong>do</strong>"}]}}
    page = backend().parse(200, {}, json.dumps(body).encode())
    assert [(h.url, h.title, h.snippet) for h in page.hits] == [
        ("https://a.example/x", "PB course", "Learn & do")]
    assert page.has_more


def test_brave_parse_without_web_block_is_zero_results() -> None:
    page = backend().parse(200, {}, b'{"type": "search", "query": {"original": "x"}}')
    assert page.hits == [] and not page.has_more


def test_brave_token_comes_from_the_environment_only() -> None:
    with pytest.raises(BackendMisconfigured, match="set BRAVE_SEARCH_API_KEY"):
        BraveBackend(BraveSettings(), {})


def test_brave_429_with_month_spent_holds_the_backend() -> None:
    headers = {"x-ratelimit-remaining": "0, 0", "x-ratelimit-reset": "1, 3600"}
    with pytest.raises(BackendBlocked, match="monthly quota") as blocked:
        backend().parse(429, headers,
                        b'{"type": "ErrorResponse", "error": {"code": "RATE_LIMITED"}}')
    assert blocked.value.hold_until is not None


def test_brave_paging_stays_in_bounds_and_stops_when_no_more(tmp_path: Path) -> None:
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, results=45,
                   limits=BraveLimits(per_second=50)) as brave:
        result = search(tmp_path, grid(brave.url))
    assert result.returncode == 0, result.stderr
    offsets = [int(entry.params["offset"]) for entry in brave.log]
    assert offsets == [0, 1, 2]  # more_results_available turned false on page 3
    assert all(int(e.params["count"]) <= 20 for e in brave.log)
    assert [e.status for e in brave.log] == [200, 200, 200]  # never a 422


def test_brave_never_asks_past_page_ten(tmp_path: Path) -> None:
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, results=500,
                   limits=BraveLimits(per_second=50)) as brave:
        result = search(tmp_path, grid(brave.url))
    assert result.returncode == 0, result.stderr
    assert [int(e.params["offset"]) for e in brave.log] == list(range(10))
    assert {e.status for e in brave.log} == {200}


def test_brave_429_delays_the_next_request_by_the_reset(tmp_path: Path) -> None:
    limits = BraveLimits(per_second=50, script={2: "rate"})
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, results=45, limits=limits) as brave:
        result = search(tmp_path, grid(brave.url, pages=2))
    assert result.returncode == 0, result.stderr
    statuses = [e.status for e in brave.log]
    assert statuses == [200, 429, 200]
    assert brave.log[2].at - brave.log[1].at >= 1.0  # X-RateLimit-Reset: 1, 3600
    # The throttled page was asked again, not lost.
    assert brave.log[2].params["offset"] == brave.log[1].params["offset"] == "1"


def test_brave_spent_month_disables_it_after_one_request(tmp_path: Path) -> None:
    limits = BraveLimits(per_second=50, monthly=1, used_month=1)
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, limits=limits) as brave:
        result = search(tmp_path, grid(brave.url, keywords="[a, b, c]"))
    assert result.returncode == 0, result.stderr
    assert [e.status for e in brave.log] == [429]  # exactly one request sees the signal
    assert "not searched" in result.stdout
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        statuses = sorted(q.status for q in session.scalars(select(Query)))
        hold = session.scalars(select(BackendHold)).one()
    assert statuses == ["blocked", "unsent", "unsent"]
    assert hold.backend == "brave"


def test_brave_headers_saying_month_spent_stop_after_that_answer(tmp_path: Path) -> None:
    limits = BraveLimits(per_second=50, script={1: "headers-month"})
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, limits=limits) as brave:
        result = search(tmp_path, grid(brave.url, keywords="[a, b]"))
    assert result.returncode == 0, result.stderr
    assert len(brave.log) == 1
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        assert session.scalars(select(Hit)).first() is not None  # the answer was kept


def test_brave_bad_token_is_a_clear_error(tmp_path: Path) -> None:
    with FakeBrave(token="another-token", site=DEAD_SITE) as brave:
        result = search(tmp_path, grid(brave.url, keywords="[a, b]"))
    assert result.returncode != 0
    assert "BRAVE_SEARCH_API_KEY" in result.stderr and "SUBSCRIPTION_TOKEN_INVALID" in result.stderr
    assert len(brave.log) == 1
    assert BRAVE_TOKEN not in result.stderr + result.stdout
