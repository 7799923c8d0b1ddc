"""SearXNG: schema tolerance, JSON disabled, limiter rules and partial answers
(scenarios 1, 2, 3 and 10), and the parameters the grid sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.backends.base import BackendBlocked, GridQuery
from crawler.backends.searxng import SearxngBackend
from crawler.settings import USER_AGENT
from db.models import Hit, Query
from db.session import Database
from pipeline.config import SearxngSettings
from tests.backends.conftest import DEAD_SITE, search
from tests.backends.fakes import SEARXNG_BOT_UA, FakeSearxng

QUERY = GridQuery("co-creation", "workshop", "it", "co-creazione workshop", "week")


def grid(url: str, *, keywords: str = "[a, b]", pages: int = 1, extra: str = "") -> str:
    return f"""
        keywords: {keywords}
        formats: [course]
        pages_per_query: {pages}
        use_backends: [searxng]
        backends:
          searxng: {{url: "{url}", delay: 0{extra}}}
        """


def test_searxng_request_carries_grid_parameters() -> None:
    settings = SearxngSettings(engines=["brave", "mojeek"], categories=["general"])
    spec = SearxngBackend(settings).request(QUERY, 3)
    for part in ("format=json", "pageno=3", "language=it", "time_range=week",
                 "categories=general", "engines=brave%2Cmojeek"):
        assert part in spec.url
    assert "text/html" in spec.headers["Accept"] and spec.headers["Accept-Language"]
    assert "gzip" in spec.headers["Accept-Encoding"]


@pytest.mark.parametrize("with_count", [True, False], ids=["with-count", "without-count"])
def test_searxng_schema_tolerance(with_count: bool) -> None:
    fake = FakeSearxng(with_count=with_count, site="https://c.example.org", results=12)
    status, _, body = fake._page("q", 1)
    page = SearxngBackend(SearxngSettings()).parse(status, {}, body)
    assert [hit.url for hit in page.hits] == [f"https://c.example.org/q/{n}" for n in range(1, 11)]
    assert [hit.published for hit in page.hits[:2]] == [None, "2026-11-02T00:00:00"]
    assert page.has_more
    _, _, past_end = fake._page("q", 3)
    assert SearxngBackend(SearxngSettings()).parse(200, {}, past_end).hits == []


def test_searxng_429_is_a_long_cooldown() -> None:
    with pytest.raises(BackendBlocked, match="limiter") as blocked:
        SearxngBackend(SearxngSettings()).parse(429, {}, b"Too Many Requests")
    assert blocked.value.cooldown >= 3600


def test_searxng_json_disabled_sends_exactly_one_request(tmp_path: Path) -> None:
    with FakeSearxng(json_enabled=False) as searxng:
        result = search(tmp_path, grid(searxng.url, keywords="[a, b, c, d]"))
    assert result.returncode != 0
    assert "settings.yml" in result.stderr and "403" in result.stderr
    assert len(searxng.log) == 1  # no retry, and no second query queued behind it


def test_searxng_client_passes_the_limiter_checks() -> None:
    assert not SEARXNG_BOT_UA.search(USER_AGENT)


def test_searxng_limiter_mode_stays_under_api_max(tmp_path: Path) -> None:
    with FakeSearxng(limiter=True, site=DEAD_SITE) as searxng:
        result = search(tmp_path, grid(searxng.url, keywords="[a, b, c, d, e, f]",
                                       extra=", limiter: true"))
    assert result.returncode == 0, result.stderr
    assert len(searxng.log) == 4 and {e.status for e in searxng.log} == {200}
    assert "request budget of 4 reached" in result.stdout


def test_searxng_after_429_sends_nothing_more(tmp_path: Path) -> None:
    with FakeSearxng(limiter=True, site=DEAD_SITE) as searxng:
        searxng.api_calls = 4  # the hour's budget is already spent
        result = search(tmp_path, grid(searxng.url, keywords="[a, b, c]"))
    assert result.returncode == 0, result.stderr
    assert [e.status for e in searxng.log] == [429]
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        statuses = sorted(q.status for q in session.scalars(select(Query)))
    assert statuses == ["blocked", "unsent", "unsent"]


def test_searxng_partial_answers_are_asked_first_next_run(tmp_path: Path) -> None:
    keywords = "[a, b, c]"
    with FakeSearxng(site=DEAD_SITE, results=3) as healthy:
        assert search(tmp_path, grid(healthy.url, keywords=keywords)).returncode == 0
    with FakeSearxng(site=DEAD_SITE, results=3,
                     unresponsive=[["google", "Suspended: too many requests"]]) as partial:
        # Only the third cell is answered partially.
        original = partial._page

        def page(query: str, number: int):  # type: ignore[no-untyped-def]
            status, headers, body = original(query, number)
            if not query.startswith("c "):
                data = json.loads(body)
                data["unresponsive_engines"] = []
                body = json.dumps(data).encode()
            return status, headers, body

        partial._page = page  # type: ignore[method-assign]
        assert search(tmp_path, grid(partial.url, keywords=keywords)).returncode == 0
    with FakeSearxng(site=DEAD_SITE, results=3) as third:
        assert search(tmp_path, grid(third.url, keywords=keywords)).returncode == 0
    assert [e.params["q"] for e in third.log] == ["c course", "a course", "b course"]
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        run2 = {q.text: q.status for q in session.scalars(select(Query).where(Query.run_id == 2))}
        hits = session.scalars(select(Hit).join(Query).where(Query.run_id == 2)).all()
    assert run2 == {"a course": "done", "b course": "done", "c course": "partial"}
    assert len(hits) == 9  # a partial answer's hits are stored
