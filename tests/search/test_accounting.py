"""What a run says it searched: requests counted once each (a throttled page asked
again counts twice and keeps both answers), the budget never exceeded, a backend
that rejects its key mid-run named with the cells it left, saturation only for
cells that were answered, and `offermap queries` reading without writing."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from crawler.backends.base import ATTEMPTS_KEY, EARLIER_KEY
from crawler.backends.brave import BraveBackend
from db.models import Query, SearchExchange
from db.session import Database
from pipeline.config import BraveSettings
from tests.backends.conftest import BRAVE_TOKEN, DEAD_SITE, KEYS, search, write_config
from tests.backends.fakes import BraveLimits, FakeBrave, FakeDuckDuckGo, FakeSearxng
from tests.conftest import run_offermap


def brave_grid(url: str, *, max_requests: int, keywords: str = "[a]", pages: int = 3) -> str:
    return f"""
        keywords: {keywords}
        formats: [course]
        pages_per_query: {pages}
        use_backends: [brave]
        backends:
          brave: {{url: "{url}/res/v1/web/search", delay: 0, max_requests: {max_requests}}}
        """


def rows(db: Path) -> list[tuple[Query, dict | None]]:  # type: ignore[type-arg]
    with Database(str(db)).session() as session:
        return [(q, h) for q, h in session.execute(
            select(Query, SearchExchange.headers)
            .join(SearchExchange, SearchExchange.query_id == Query.id, isouter=True)
            .order_by(Query.id))]


def stats_rows(db: Path) -> list[list[str]]:
    """The rows of `offermap queries --stats`, each as its cells' texts."""
    result = run_offermap("queries", "--stats", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return [re.split(r"\s{2,}", line.strip())
            for line in result.stdout.splitlines() if " course " in line]


def test_a_throttled_page_counts_both_requests_and_keeps_both_answers(tmp_path: Path) -> None:
    limits = BraveLimits(per_second=50, script={2: "rate"})  # page 2's first ask: 429
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, limits=limits) as brave:
        result = search(tmp_path, brave_grid(brave.url, max_requests=10))
    assert result.returncode == 0, result.stderr
    assert [(e.params["offset"], e.status) for e in brave.log] == [
        ("0", 200), ("1", 429), ("1", 200), ("2", 200)]
    stored = rows(tmp_path / "s.sqlite")
    assert [(q.page, q.status) for q, _ in stored] == [(1, "done"), (2, "done"), (3, "done")]
    page_two = stored[1][1] or {}
    assert page_two[ATTEMPTS_KEY] == 2
    (throttled,) = page_two[EARLIER_KEY]
    assert throttled["status"] == 429 and "RATE_LIMITED" in throttled["body"]
    assert BRAVE_TOKEN not in json.dumps(page_two)
    # The final answer still replays.
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        raw = session.scalars(select(SearchExchange).where(
            SearchExchange.query_id == stored[1][0].id)).one()
    replayer = BraveBackend(BraveSettings(), {"BRAVE_SEARCH_API_KEY": "replay"})
    assert len(replayer.parse(raw.status or 0, raw.headers, raw.body).hits) == 20
    # The requests column counts what was sent: 4, not 3.
    (row,) = stats_rows(tmp_path / "s.sqlite")
    assert row[3] == "4", row


def test_a_throttled_page_is_not_asked_again_past_the_budget(tmp_path: Path) -> None:
    limits = BraveLimits(per_second=50, script={2: "rate"})
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, limits=limits) as brave:
        result = search(tmp_path, brave_grid(brave.url, max_requests=2, keywords="[a, b]"))
    assert result.returncode == 0, result.stderr
    assert [(e.params["offset"], e.status) for e in brave.log] == [("0", 200), ("1", 429)]
    stored = rows(tmp_path / "s.sqlite")
    assert [(q.text, q.page, q.status) for q, _ in stored] == [
        ("a course", 1, "done"), ("a course", 2, "blocked"), ("b course", 1, "unsent")]
    blocked, headers = stored[1]
    assert "not asked again: request budget of 2 reached" in (blocked.error or "")
    assert headers is not None and ATTEMPTS_KEY not in headers  # one request, its answer kept
    assert "1 cell(s) not searched (request budget of 2 reached): en:b course" in result.stdout


def test_a_key_rejected_mid_run_names_the_cells_it_left(tmp_path: Path) -> None:
    with FakeBrave(token="another-token", site=DEAD_SITE) as brave:
        result = search(tmp_path, brave_grid(brave.url, max_requests=10,
                                             keywords="[a, b, c]", pages=1))
    assert result.returncode != 0
    assert len(brave.log) == 1
    stored = {q.text: q.status for q, _ in rows(tmp_path / "s.sqlite")}
    assert stored == {"a course": "failed", "b course": "unsent", "c course": "unsent"}
    assert ("brave: 2 cell(s) not searched (brave is misconfigured): en:b course, en:c course"
            in result.stdout)
    assert "SUBSCRIPTION_TOKEN_INVALID" in result.stderr
    assert BRAVE_TOKEN not in result.stdout + result.stderr


def test_blocked_cells_are_not_searched_rather_than_saturated(tmp_path: Path) -> None:
    with FakeDuckDuckGo(mode="202", site=DEAD_SITE) as ddg, \
            FakeSearxng(site=DEAD_SITE, results=3) as searxng:
        result = search(tmp_path, f"""
            keywords: [a, b]
            formats: [course]
            languages: [en, fr]
            use_backends: [searxng, duckduckgo]
            backends:
              searxng: {{url: "{searxng.url}", delay: 0, max_requests: 2}}
              duckduckgo: {{url: "{ddg.url}/html/", delay: 0, cooldown: 0.2}}
            """)
    assert result.returncode == 0, result.stderr
    # DuckDuckGo: each of the four cells asked, throttled, asked once more, blocked.
    assert len(ddg.log) == 8
    by_cell = {(row[0], row[2]): row for row in stats_rows(tmp_path / "s.sqlite")}
    assert len(by_cell) == 4
    for (_, language), row in by_cell.items():
        if language == "fr":  # only DuckDuckGo asked these, and it was blocked
            assert row[-1] == "1 blocked, 1 unsent · not searched", row
            assert row[3] == "2", row  # two requests, each counted
        else:  # SearXNG answered with pages that led to no candidate
            assert row[-1] == "1 blocked, 1 done · saturated", row
            assert row[3] == "3", row


def test_queries_only_reads_the_database(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    result = run_offermap("queries", "--stats", "--db", str(missing))
    assert result.returncode != 0
    assert "No offermap database at" in result.stderr and str(missing) in result.stderr
    assert not missing.exists()
    config = write_config(tmp_path / "config", """
        keywords: [a]
        formats: [course]
        time_range: since_last_run
        """)
    result = run_offermap("queries", "--config-dir", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "since the last run (first run: no restriction)" in result.stdout
    assert list(tmp_path.glob("*.sqlite*")) == []


def test_since_last_run_preview_agrees_with_the_run(tmp_path: Path) -> None:
    grid = """
        keywords: [a]
        formats: [course]
        time_range: since_last_run
        use_backends: [searxng]
        backends:
          searxng: {{url: "{url}", delay: 0}}
        """
    config = tmp_path / "config"
    db = str(tmp_path / "s.sqlite")

    def preview() -> str:
        out = run_offermap("queries", "--config-dir", str(config), "--db", db, env=KEYS)
        assert out.returncode == 0, out.stderr
        return out.stdout

    # A first run that got no answer (JSON disabled) is not a "last run".
    with FakeSearxng(json_enabled=False) as refusing:
        search(tmp_path, grid.format(url=refusing.url))
    assert "(first run: no restriction)" in preview()
    with FakeSearxng(site=DEAD_SITE, results=3) as healthy:
        assert search(tmp_path, grid.format(url=healthy.url)).returncode == 0
        assert "time_range" not in healthy.log[-1].params
        assert "since the last run (day)" in preview()
        assert search(tmp_path, grid.format(url=healthy.url)).returncode == 0
        assert healthy.log[-1].params["time_range"] == "day"


def test_queries_tables_cut_nothing_at_80_columns(tmp_path: Path) -> None:
    with FakeDuckDuckGo(mode="202", site=DEAD_SITE) as ddg:
        search(tmp_path, f"""
            keywords: [capacity building]
            formats: [summer school]
            use_backends: [duckduckgo]
            backends:
              duckduckgo: {{url: "{ddg.url}/html/", delay: 0, cooldown: 0.1}}
            """)
    narrow = {"COLUMNS": "80", **KEYS}
    stats = run_offermap("queries", "--stats", "--db", str(tmp_path / "s.sqlite"), env=narrow)
    grid = run_offermap("queries", "--config-dir", str(tmp_path / "config"), "--backend",
                        "brave", "--backend", "searxng", env=narrow)
    for result in (stats, grid):
        assert result.returncode == 0, result.stderr
        assert "…" not in result.stdout
        assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "brave: " in grid.stdout and "BRAVE_SEARCH_API_KEY is set" in grid.stdout
    assert "self-hosted: no quota" in grid.stdout
