"""Runs where backends misbehave together: one down, one throttling, one blocked in
the same run (issue 3, "Done when"); the failed cells asked first by the next run
(RELIABILITY.md scenario 9); SearXNG's limiter counted per hour across runs
(scenario 3)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from db.models import BackendHold, Hit, Query
from db.session import Database
from tests.backends.conftest import BRAVE_TOKEN, DEAD_SITE, search
from tests.backends.fakes import BraveLimits, FakeBrave, FakeDuckDuckGo, FakeSearxng, Logged, \
    Reply


def statuses(db: Path, run_id: int) -> dict[str, dict[str, str]]:
    """backend -> query text -> status, for one run."""
    found: dict[str, dict[str, str]] = {}
    with Database(str(db)).session() as session:
        for q in session.scalars(select(Query).where(Query.run_id == run_id, Query.page == 1)):
            found.setdefault(q.backend, {})[q.text] = q.status
    return found


def test_one_down_one_throttling_one_blocked_the_healthy_hits_are_stored(
        tmp_path: Path) -> None:
    throttling = BraveLimits(per_second=50, script={1: "rate"})
    with FakeSearxng(site=DEAD_SITE, results=3) as searxng, \
            FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, results=4, limits=throttling) as brave, \
            FakeDuckDuckGo(mode="202", site=DEAD_SITE) as ddg:
        grid = f"""
            keywords: [a, b, c]
            formats: [course]
            use_backends: [searxng, brave, google, duckduckgo]
            backends:
              searxng: {{url: "{searxng.url}", delay: 0}}
              brave: {{url: "{brave.url}/res/v1/web/search", delay: 0}}
              google: {{url: "http://127.0.0.1:9/customsearch/v1", delay: 0, timeout: 2}}
              duckduckgo: {{url: "{ddg.url}/html/", delay: 0, cooldown: 600}}
            """
        started = time.monotonic()
        first = search(tmp_path, grid)
        elapsed = time.monotonic() - started
        assert first.returncode == 0, first.stderr
        assert elapsed < 30  # no wait on the blocked backend's ten-minute cooldown
        assert [e.status for e in brave.log] == [429, 200, 200, 200]
        assert [e.status for e in ddg.log] == [202]
        second = search(tmp_path, grid)
        assert second.returncode == 0, second.stderr
        assert len(ddg.log) == 1  # the cooldown holds across runs: not asked again

    db = tmp_path / "s.sqlite"
    run = statuses(db, 1)
    texts = ["a course", "b course", "c course"]
    assert run["searxng"] == dict.fromkeys(texts, "done")
    assert run["brave"] == dict.fromkeys(texts, "done")  # throttled, waited, answered
    assert run["google"] == {"a course": "failed", "b course": "failed", "c course": "unsent"}
    assert run["duckduckgo"] == {"a course": "blocked", "b course": "unsent",
                                 "c course": "unsent"}
    with Database(str(db)).session() as session:
        hits = session.scalars(select(Query.backend).join(Hit, Hit.query_id == Query.id)
                               .where(Query.run_id == 1)).all()
        held = session.scalars(select(BackendHold.backend)).all()
    assert Counter(hits) == {"searxng": 9, "brave": 12}
    assert held == ["duckduckgo"]
    out = first.stdout
    assert "google: 1 cell(s) not searched (google failed 2 times in a row" in out
    assert "duckduckgo: 2 cell(s) not searched (asked to wait 600 s" in out
    assert "en:b course, en:c course" in out
    assert "duckduckgo [a course] page 1:" in out
    assert "duckduckgo: 3 cell(s) not searched (held until" in second.stdout


class FailingOnce(FakeSearxng):
    """SearXNG whose engines fail on one query (HTTP 500) and answer the others."""

    failing = "c course"

    def answer(self, request: Logged) -> Reply:
        if request.params.get("q") == self.failing:
            return 500, {"Content-Type": "application/json"}, b'{"error": "search error"}'
        return super().answer(request)


def test_the_next_run_asks_the_failed_cells_first(tmp_path: Path) -> None:
    grid = """
        keywords: [a, b, c, d]
        formats: [course]
        use_backends: [searxng]
        backends:
          searxng: {{url: "{url}", delay: 0}}
        """
    with FailingOnce(site=DEAD_SITE, results=3) as failing:
        assert search(tmp_path, grid.format(url=failing.url)).returncode == 0
    assert [e.params["q"] for e in failing.log] == ["a course", "b course", "c course",
                                                    "d course"]
    assert statuses(tmp_path / "s.sqlite", 1)["searxng"]["c course"] == "failed"
    with FakeSearxng(site=DEAD_SITE, results=3) as healthy:
        assert search(tmp_path, grid.format(url=healthy.url)).returncode == 0
    assert [e.params["q"] for e in healthy.log] == ["c course", "a course", "b course",
                                                    "d course"]
    assert set(statuses(tmp_path / "s.sqlite", 2)["searxng"].values()) == {"done"}


def test_searxng_limiter_allows_four_requests_an_hour_across_runs(tmp_path: Path) -> None:
    with FakeSearxng(limiter=True, site=DEAD_SITE, results=3) as searxng:
        grid = f"""
            keywords: [a, b, c, d, e, f]
            formats: [course]
            use_backends: [searxng]
            backends:
              searxng: {{url: "{searxng.url}", delay: 0, limiter: true}}
            """
        first = search(tmp_path, grid)
        assert first.returncode == 0, first.stderr
        assert len(searxng.log) == 4
        # Within the same hour a second run sends nothing, and says why.
        second = search(tmp_path, grid)
        assert second.returncode == 0, second.stderr
        assert len(searxng.log) == 4
        assert "searxng: 6 cell(s) not searched (SearXNG's limiter allows 4 requests an " \
               "hour; 4 sent in the last hour" in second.stdout
        # An hour later (the stored requests made an hour older, the fake's window
        # passed): four more, the cells left over asked first.
        database = Database(str(tmp_path / "s.sqlite"))
        with database.transaction() as session:
            for query in session.scalars(select(Query)):
                query.sent_at -= timedelta(hours=1)
        database.dispose()
        searxng.api_calls = 0
        third = search(tmp_path, grid)
        assert third.returncode == 0, third.stderr
    assert [e.params["q"] for e in searxng.log[4:]] == ["e course", "f course", "a course",
                                                        "b course"]
    assert {e.status for e in searxng.log} == {200}


def test_searxng_limiter_429_holds_it_for_the_hour_across_runs(tmp_path: Path) -> None:
    with FakeSearxng(limiter=True, site=DEAD_SITE) as searxng:
        searxng.api_calls = 4  # the hour's budget already spent by another client
        grid = f"""
            keywords: [a, b]
            formats: [course]
            use_backends: [searxng]
            backends:
              searxng: {{url: "{searxng.url}", delay: 0}}
            """
        assert search(tmp_path, grid).returncode == 0
        second = search(tmp_path, grid)
    assert second.returncode == 0, second.stderr
    assert [e.status for e in searxng.log] == [429]
    assert "searxng: 2 cell(s) not searched (held until" in second.stdout
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        (hold,) = session.scalars(select(BackendHold)).all()
        started = session.scalars(select(Query.sent_at)).first()
    assert started is not None
    assert timedelta(minutes=59) < hold.until - started <= timedelta(minutes=61)
