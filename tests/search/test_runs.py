"""Whole runs: outage isolation (scenario 9), budgets, provenance and replay,
`offermap queries` and its saturation statistics."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from crawler.backends.brave import BraveBackend
from db.models import Hit, Query, SearchExchange
from db.session import Database
from pipeline.config import BraveSettings
from tests.backends.conftest import BRAVE_TOKEN, DEAD_SITE, GOOGLE_CX, GOOGLE_KEY, KEYS, search, \
    write_config
from tests.backends.fakes import BraveLimits, FakeBrave, FakeGoogle, FakeSearxng, ProtocolServer
from tests.conftest import run_offermap


class Failing(ProtocolServer):
    def answer(self, request):  # type: ignore[no-untyped-def]
        return 503, {"Content-Type": "text/plain"}, b"Service Unavailable"


def test_outages_are_isolated_and_recorded_as_retryable(tmp_path: Path) -> None:
    with FakeSearxng(site=DEAD_SITE, results=3) as healthy, Failing() as failing, \
            FakeGoogle(key=GOOGLE_KEY, cx=GOOGLE_CX, hang=8, site=DEAD_SITE) as hanging:
        grid = f"""
            keywords: [a, b, c]
            formats: [course]
            use_backends: [searxng, brave, google, duckduckgo]
            backends:
              searxng: {{url: "{healthy.url}", delay: 0}}
              brave: {{url: "{failing.url}/res/v1/web/search", delay: 0}}
              google: {{url: "{hanging.url}/customsearch/v1", delay: 0, timeout: 1.5}}
              duckduckgo: {{url: "http://127.0.0.1:9/html/", delay: 0}}
            """
        started = time.monotonic()
        result = search(tmp_path, grid)
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    # Two timeouts of 1.5 s, then Google is left alone; plus the process start-up.
    assert elapsed < 20
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        rows = session.scalars(select(Query)).all()
        status = {(q.backend, q.text): q.status for q in rows}
        searxng_hits = session.scalars(select(Hit).join(Query).where(
            Query.backend == "searxng")).all()
    assert {s for (b, _), s in status.items() if b == "searxng"} == {"done"}
    assert len(searxng_hits) == 9
    for backend in ("brave", "google", "duckduckgo"):
        assert {s for (b, _), s in status.items() if b == backend} == {"failed", "unsent"}, \
            backend
    assert len(failing.log) == 2 and len(hanging.log) == 2


def test_budget_ends_the_run_cleanly_and_names_the_cells(tmp_path: Path) -> None:
    with FakeSearxng(site=DEAD_SITE, results=3) as searxng:
        grid = f"""
            keywords: [a, b, c, d]
            formats: [course, webinar]
            use_backends: [searxng]
            backends:
              searxng: {{url: "{searxng.url}", delay: 0, max_requests: 5}}
            """
        result = search(tmp_path, grid)
        assert len(searxng.log) == 5
        assert result.returncode == 0, result.stderr
        assert "Run 1: finished" in result.stdout
        assert "3 cell(s) not searched (request budget of 5 reached)" in result.stdout
        assert "en:c webinar, en:d course, en:d webinar" in result.stdout
        # The next run asks the cells the budget cut off first.
        search(tmp_path, grid)
        assert [e.params["q"] for e in searxng.log[5:8]] == ["c webinar", "d course",
                                                             "d webinar"]


def test_hits_keep_provenance_and_raw_answers_replay(tmp_path: Path) -> None:
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, limits=BraveLimits(per_second=50)) as brave:
        grid = f"""
            keywords: [a]
            formats: [course]
            languages: [de]
            pages_per_query: 2
            use_backends: [brave]
            backends:
              brave: {{url: "{brave.url}/res/v1/web/search", delay: 0}}
            """
        assert search(tmp_path, grid).returncode == 0
    replayer = BraveBackend(BraveSettings(), {"BRAVE_SEARCH_API_KEY": "replay-token"})
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        for query in session.scalars(select(Query).order_by(Query.page)):
            assert (query.backend, query.text, query.language) == ("brave", "a course", "de")
            assert query.sent_at is not None and [h.rank for h in query.hits][:2] == [1, 2]
            raw = session.scalars(select(SearchExchange).where(
                SearchExchange.query_id == query.id)).one()
            assert f"offset={query.page - 1}" in raw.url and BRAVE_TOKEN not in raw.url
            assert "x-ratelimit-remaining" in raw.headers
            replayed = replayer.parse(raw.status or 0, raw.headers, raw.body)
            assert [h.url for h in replayed.hits] == [h.url for h in query.hits]


def test_queries_prints_the_grid_and_sends_nothing(tmp_path: Path) -> None:
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE) as brave:
        config = write_config(tmp_path / "config", f"""
            languages: [en, es, it, de, fr, nl, pt]
            keywords: [{{en: participatory budgeting, es: presupuestos participativos,
                         it: bilancio partecipativo, de: Bürgerhaushalt,
                         fr: budget participatif, nl: burgerbegroting,
                         pt: orçamento participativo}}]
            formats: [course, MOOC]
            quote_keywords: true
            pages_per_query: 3
            use_backends: [searxng, brave, google]
            backends:
              brave: {{url: "{brave.url}/res/v1/web/search", monthly_quota: 2000}}
              google: {{daily_quota: 100}}
            """)
        result = run_offermap("queries", "--config-dir", str(config), env=KEYS)
        assert brave.log == []
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 keywords × 2 formats × 7 languages" in out and "= 14 cells" in out
    for text in ('"presupuestos participativos" course', "Bürgerhaushalt MOOC",
                 '"orçamento participativo" course'):
        assert text in out
    assert "brave: 14 queries (BRAVE_SEARCH_API_KEY is set)" in out
    assert "2.1% of the monthly 2000" in out  # 14 queries × 3 pages = 42 requests
    assert "42 of 100 free/day" in out
    assert BRAVE_TOKEN not in out and GOOGLE_KEY not in out


def test_queries_stats_show_saturation_per_cell(tmp_path: Path) -> None:
    with FakeSearxng(site=DEAD_SITE, results=3) as searxng:
        grid = f"""
            keywords: [a, b]
            formats: [course]
            languages: [en, fr]
            use_backends: [searxng]
            backends:
              searxng: {{url: "{searxng.url}", delay: 0, max_requests: 3}}
            """
        assert search(tmp_path, grid).returncode == 0
    result = run_offermap("queries", "--stats", "--db", str(tmp_path / "s.sqlite"))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "course" in line]
    assert len(rows) == 4
    unsent = [row for row in rows if "unsent" in row]
    assert len(unsent) == 1 and "fr" in unsent[0]
    # "a course" in en and fr return the same URLs: full overlap between those cells.
    assert any("100%" in row for row in rows)
    assert "saturated" in result.stdout
