"""Run the query grid against the search backends and fetch every result once.

Each backend is a *lane*: its queries go out one at a time, the next one only after
the previous answer was read.  That is what lets a backend's own signals steer the
run exactly: a 403 from SearXNG (JSON disabled) stops the lane after one request,
a 429 or Brave's rate-limit headers delay the next request, an exhausted quota
stops the lane and holds the backend for later runs, and a request budget ends the
lane cleanly, recording which cells were not searched.  Lanes of different
backends run side by side, and result pages are fetched concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.http import Request, Response
from sqlalchemy import select
from twisted.python.failure import Failure

from crawler.backends import Backend, GridQuery, make_backend
from crawler.backends.base import BackendBlocked, BackendPage, RawExchange, request_count
from crawler.backends.searxng import API_MAX, API_WINDOW
from crawler.backends.secrets import install_log_filter, redact, redact_bytes
from crawler.grid import build_grid, resolve_time_range
from crawler.items import SearchResponse
from crawler.spiders._common import failed_page, fetched_page, flat_headers
from db.models import Query, SearchExchange
from pipeline.config import Config, load_config
from pipeline.errors import BackendError, BackendMisconfigured
from pipeline.urls import is_http_url

logger = logging.getLogger(__name__)

#: After this many failures in a row (unreachable, timeout, 5xx) a backend is left
#: alone for the rest of the run; its remaining cells are recorded as not searched.
MAX_CONSECUTIVE_FAILURES = 2
#: A cooldown longer than a run waits holds the backend for later runs too, up to this.
MAX_HOLD = 7 * 24 * 3600.0


class _MemoryOnly:
    """A marker that cannot be pickled: a request carrying it stays in Scrapy's memory
    queue even when a JOBDIR is set (the disk queue falls back on unpicklable
    requests), so credentials never reach the job directory."""

    def __reduce__(self) -> str:
        raise TypeError("search requests carry credentials and stay in memory")


MEMORY_ONLY = _MemoryOnly()


@dataclass(slots=True)
class SearchResult(SearchResponse):
    """A :class:`SearchResponse` with the backend's raw answer, kept with the run."""

    raw: RawExchange | None = None
    #: Answers to earlier requests for the same page (throttled, then asked again).
    earlier: list[RawExchange] = field(default_factory=list)


@dataclass(slots=True)
class _Lane:
    """One backend's progress through the grid."""

    backend: Backend
    pending: deque[GridQuery]
    sent: int = 0
    failures: int = 0  # in a row
    stopped: str | None = None
    #: Why the budget is smaller than ``max_requests`` (SearXNG's hourly limiter).
    budget_note: str | None = None
    not_before: float = 0.0  # time.monotonic() before which nothing is sent
    retried: set[tuple[str, int]] = field(default_factory=set)  # throttled once already
    #: (query key, page) -> the throttled answers of a page that was asked again.
    earlier: dict[tuple[str, int], list[RawExchange]] = field(default_factory=dict)


class SearchSpider(scrapy.Spider):
    name = "search"
    custom_settings = {
        # Scrapy logs request URLs, and Google's key is a URL parameter.
        "LOG_FORMATTER": "crawler.backends.secrets.RedactingLogFormatter",
        # A lane's next request is yielded from the previous answer's callback, so
        # Scrapy counts each one a level deeper; this spider never follows links
        # (result pages are fetched at depth 1 and not crawled further), so a depth
        # limit would only cut the grid short after DEPTH_LIMIT requests.
        "DEPTH_LIMIT": 0,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lanes: dict[str, _Lane] = {}
        self.disabled: dict[str, str] = {}  # backend name -> why it stopped
        self.misconfigured: dict[str, str] = {}  # backend name -> what to fix

    @property
    def backends(self) -> dict[str, Backend]:
        return {name: lane.backend for name, lane in self.lanes.items()}

    def _config(self) -> Config:
        """The configuration `offermap crawl` passed in, or the one on disk."""
        if getattr(self, "config", None) is None:
            self.config = load_config(self.settings.get("OFFERMAP_CONFIG_DIR"))
        return self.config

    # --- the lanes ---------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        install_log_filter()
        keywords = self._config().keywords
        store = getattr(self, "store", None)
        last = store.last_search_started() if store is not None else None
        time_range = resolve_time_range(keywords.time_range, last, datetime.now(UTC))
        for name in keywords.use_backends:
            try:
                backend = make_backend(name, keywords)
            except BackendMisconfigured as error:
                self._misconfigured(name, str(error))
                continue
            queries = build_grid(keywords, backend.operators, time_range=time_range)
            retry = store.cells_to_retry(name) if store is not None else set()
            queries.sort(key=lambda query: query.key not in retry)  # stable: retries first
            self.lanes[name] = lane = _Lane(backend, deque(queries))
            if store is not None and getattr(backend, "limiter", False):
                _share_the_hour(lane, store)
            self._own_slot(name)
            hold = store.backend_hold(name) if store is not None else None
            if hold is not None:
                for item in self._stop(name, f"held until {hold.until:%Y-%m-%d %H:%M} UTC: "
                                             f"{hold.reason}"):
                    yield item
                continue
            async for item in self._next(name, None):
                yield item

    def _own_slot(self, name: str) -> None:
        """One connection per backend, paced by the lane itself (not by host delays)."""
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is not None:
            downloader.per_slot_settings[_slot(name)] = {"concurrency": 1, "delay": 0}

    async def _next(self, name: str, after: tuple[GridQuery, int, BackendPage] | None,
                    again: tuple[SearchResult, dict[str, str] | None] | None = None
                    ) -> AsyncIterator[Any]:
        """The lane's next request: the next page of the same query, or the next cell.

        ``again`` is a throttled answer (and the paging state of its request) whose
        page is to be asked once more: within the same budget, after the same waits
        as any request; when the budget or the wait forbids it, the throttled answer
        is what is recorded (``blocked``).
        """
        lane = self.lanes[name]
        throttled = again[0] if again is not None else None
        if lane.stopped:
            if throttled is not None:
                yield self._emit(lane, throttled)
            return
        if again is not None:
            step: tuple[GridQuery, int, dict[str, str] | None] | None = (
                again[0].query, again[0].page, again[1])
        else:
            step = self._follow(lane, after)
        if step is None:
            return
        query, page, state = step
        reason = None
        if lane.sent >= lane.backend.max_requests:
            reason = lane.budget_note or \
                f"request budget of {lane.backend.max_requests} reached"
        elif (wait := lane.not_before - time.monotonic()) > self._max_wait():
            reason = (f"asked to wait {wait:.0f} s, more than this run waits "
                      f"({self._max_wait():.0f} s)")
        if reason is not None:
            if throttled is not None:
                throttled.status = "blocked"
                throttled.error = f"{throttled.error}; not asked again: {reason}"
                yield self._emit(lane, throttled)
            elif page == 1:
                lane.pending.appendleft(query)
            for item in self._stop(name, reason):
                yield item
            return
        wait = lane.not_before - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if throttled is not None and throttled.raw is not None:
            lane.earlier.setdefault((query.key, page), []).append(throttled.raw)
        yield self._request(name, query, page, state)

    def _follow(self, lane: _Lane, after: tuple[GridQuery, int, BackendPage] | None
                ) -> tuple[GridQuery, int, dict[str, str] | None] | None:
        if after is not None:
            query, page, parsed = after
            depth = min(self._config().keywords.pages_per_query, lane.backend.max_pages)
            if parsed.has_more and page < depth:
                return query, page + 1, parsed.next_state
        if not lane.pending:
            return None
        return lane.pending.popleft(), 1, None

    def _request(self, name: str, query: GridQuery, page: int,
                 state: dict[str, str] | None) -> Request:
        lane = self.lanes[name]
        backend = lane.backend
        lane.sent += 1
        lane.not_before = time.monotonic() + backend.delay
        spec = backend.request(query, page, state)
        return Request(
            spec.url,
            method=spec.method,
            headers=spec.headers,
            body=spec.body,
            callback=self.parse_results,
            errback=self.search_failed,
            dont_filter=True,
            priority=10,  # read the grid first: result pages are scheduled from it
            meta={
                "offermap_backend": name,
                "offermap_query": query,
                "offermap_page": page,
                "offermap_state": state,
                "offermap_sent_at": datetime.now(UTC),
                # A search API is not a site to crawl; a refused or throttled query is
                # asked again by this lane or by the next run, never by Scrapy's retry.
                "dont_obey_robotstxt": True,
                "offermap_trusted": True,  # operator's endpoint: not held to the SSRF policy
                "dont_retry": True,
                "handle_httpstatus_all": True,
                "download_timeout": backend.timeout,
                "download_slot": _slot(name),
                # Never written to disk: Scrapy's HTTP cache and JOBDIR queues store
                # request URLs and headers, where keys and tokens travel.
                "dont_cache": True,
                "offermap_memory_only": MEMORY_ONLY,
            },
        )

    def _stop(self, name: str, reason: str, *, status: str = "unsent") -> Iterator[Any]:
        """End a lane and record every cell it did not reach (asked first next run)."""
        lane = self.lanes[name]
        lane.stopped = self.disabled[name] = reason
        logger.warning("Search backend %s stopped: %s", name, reason)
        while lane.pending:
            query = lane.pending.popleft()
            yield self._emit(lane, SearchResult(name, query, 1, status, error=reason))

    @staticmethod
    def _emit(lane: _Lane, result: SearchResult) -> SearchResult:
        """The result with the throttled answers its page got before (kept with it)."""
        result.earlier = lane.earlier.pop((result.query.key, result.page), [])
        return result

    def _misconfigured(self, name: str, reason: str) -> None:
        self.disabled[name] = self.misconfigured[name] = reason
        logger.error("Search backend %s is misconfigured: %s", name, reason)

    def _max_wait(self) -> float:
        return self.settings.getfloat("OFFERMAP_SEARCH_MAX_WAIT", 60.0)

    # --- answers -----------------------------------------------------------------

    async def parse_results(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        name: str = meta["offermap_backend"]
        query: GridQuery = meta["offermap_query"]
        page: int = meta["offermap_page"]
        lane = self.lanes[name]
        result = SearchResult(name, query, page, "done", sent_at=meta["offermap_sent_at"],
                              raw=_raw(response))
        try:
            parsed = lane.backend.parse(response.status, flat_headers(response), response.body)
        except BackendMisconfigured as error:
            # Every later request would get the same answer: stop the lane, and record
            # the cells it did not reach so that the summary names them.
            result.status, result.error = "failed", redact(str(error))
            yield self._emit(lane, result)
            self._misconfigured(name, result.error)
            for item in self._stop(name, f"{name} is misconfigured"):
                yield item
            return
        except BackendBlocked as error:
            async for item in self._blocked(name, result, error, meta["offermap_state"]):
                yield item
            return
        except BackendError as error:
            result.status, result.error = "failed", redact(str(error))
            yield self._emit(lane, result)
            async for item in self._failed(name):
                yield item
            return

        lane.failures = 0
        result.hits = [hit for hit in parsed.hits if is_http_url(hit.url)]
        if parsed.unresponsive:
            result.status = "partial"
            result.error = "engines did not answer: " + ", ".join(parsed.unresponsive)
        yield self._emit(lane, result)
        for hit in result.hits:
            yield Request(
                hit.url,
                callback=self.parse_page,
                errback=self.page_failed,
                meta={"offermap_hit": (name, query.key, page, hit.rank),
                      "offermap_depth": 1},
            )
        if parsed.hold_until is not None:
            self._hold(name, parsed.hold_until, "quota used up")
            for item in self._stop(name, f"quota used up until "
                                         f"{parsed.hold_until:%Y-%m-%d %H:%M} UTC"):
                yield item
            return
        if parsed.wait:
            lane.not_before = max(lane.not_before, time.monotonic() + parsed.wait)
        async for item in self._next(name, (query, page, parsed)):
            yield item

    async def _blocked(self, name: str, result: SearchResult, error: BackendBlocked,
                       state: dict[str, str] | None) -> AsyncIterator[Any]:
        """A throttle or anti-bot answer: wait, ask once more, or stop the lane."""
        lane = self.lanes[name]
        query, page = result.query, result.page
        if error.hold_until is not None:
            result.status, result.error = "blocked", redact(str(error))
            yield self._emit(lane, result)
            self._hold(name, error.hold_until, result.error)
            for item in self._stop(name, result.error):
                yield item
            return
        lane.not_before = max(lane.not_before, time.monotonic() + error.cooldown)
        result.status, result.error = "blocked", redact(str(error))
        if (query.key, page) not in lane.retried and error.cooldown <= self._max_wait():
            # Asked to slow down: the same page once more, after the cooldown.
            lane.retried.add((query.key, page))
            self.crawler.stats.inc_value(f"search/{name}/throttled")
            logger.info("Search backend %s throttled: %s", name, error)
            async for item in self._next(name, None, again=(result, state)):
                yield item
            return
        yield self._emit(lane, result)
        if self._max_wait() < error.cooldown < MAX_HOLD:
            # A cooldown longer than a run waits (SearXNG's limiter: an hour) holds
            # for later runs too: none asks this backend before it ends.
            until = datetime.now(UTC) + timedelta(seconds=error.cooldown)
            self._hold(name, until, result.error)
        async for item in self._next(name, None):
            yield item

    async def _failed(self, name: str) -> AsyncIterator[Any]:
        lane = self.lanes[name]
        lane.failures += 1
        if lane.failures >= MAX_CONSECUTIVE_FAILURES and lane.pending:
            for item in self._stop(name, f"{name} failed {lane.failures} times in a row; "
                                         "not asked again this run"):
                yield item
            return
        async for item in self._next(name, None):
            yield item

    async def search_failed(self, failure: Failure) -> AsyncIterator[Any]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        name = meta["offermap_backend"]
        reason = redact(failed_page(failure, origin="search").error or "no answer")
        yield self._emit(self.lanes[name], SearchResult(
            name, meta["offermap_query"], meta["offermap_page"], "failed",
            error=f"{name} unreachable: {reason}", sent_at=meta["offermap_sent_at"]))
        async for item in self._failed(name):
            yield item

    def _hold(self, name: str, until: datetime, reason: str) -> None:
        store = getattr(self, "store", None)
        if store is not None:
            store.hold_backend(name, until, reason)

    # --- result pages --------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        yield fetched_page(response, origin="search", depth=1, hit=response.meta["offermap_hit"])

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        yield failed_page(failure, origin="search")


def _share_the_hour(lane: _Lane, store: Any) -> None:
    """SearXNG's limiter counts API requests per address over a sliding hour, whatever
    run sent them: this run gets what the runs of the last hour left of API_MAX."""
    since = datetime.now(UTC) - timedelta(seconds=API_WINDOW)
    with store.database.session() as session:
        rows = session.execute(
            select(Query.sent_at, SearchExchange.headers)
            .join(SearchExchange, SearchExchange.query_id == Query.id, isouter=True)
            .where(Query.backend == lane.backend.name, Query.status != "unsent",
                   Query.sent_at >= since)).all()
    if not rows:
        return
    used = sum(request_count("sent", headers) for _, headers in rows)
    left = max(0, API_MAX - used)
    if left < lane.backend.max_requests:
        lane.backend.max_requests = left
        frees = min(sent for sent, _ in rows) + timedelta(seconds=API_WINDOW)
        lane.budget_note = (f"SearXNG's limiter allows {API_MAX} requests an hour; "
                            f"{used} sent in the last hour, the next one frees at "
                            f"{frees:%H:%M} UTC")


def _slot(name: str) -> str:
    return f"offermap-search-{name}"


def _raw(response: Response) -> RawExchange:
    """The answer as it is kept with the run: URL and bodies without secrets, and no
    request headers (where tokens travel)."""
    request = response.request
    body = request.body.decode("utf-8", "replace") if request and request.body else None
    return RawExchange(
        method=request.method if request else "GET",
        url=redact(response.url),
        request_body=redact(body) if body else None,
        status=response.status,
        headers={name: redact(value) for name, value in flat_headers(response).items()},
        body=redact_bytes(response.body),
    )
