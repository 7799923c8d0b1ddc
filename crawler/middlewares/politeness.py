"""Per-host delay floors: Crawl-delay, 429/503 backoff and Retry-After.

Scrapy ignores Crawl-delay and retries a 429 or 503 as soon as the host's slot allows,
so a host that asked us to slow down would not see us slow down.  Each host here has
a *floor*: the largest delay it ever asked for (robots.txt Crawl-delay, Retry-After,
or our own doubling backoff).  The floor only grows during a run, and it is applied
to the host's download slot before every request, because Scrapy drops idle slots
and would otherwise forget it (RELIABILITY.md, scenario 18).
"""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from crawler.middlewares.safety import is_trusted

logger = logging.getLogger(__name__)

#: One table of floors per crawler, shared with the robots.txt middleware.
_FLOORS: weakref.WeakKeyDictionary[Any, dict[str, float]] = weakref.WeakKeyDictionary()

PUSHBACK_STATUSES = frozenset({429, 503})


class GaveUp(IgnoreRequest):
    """A URL given up for this run: the host asked us to wait longer than we will.

    An IgnoreRequest, so it is never retried; it carries the response, so the page
    is stored with its status and this reason.
    """

    def __init__(self, reason: str, response: Response) -> None:
        super().__init__(reason)
        self.response = response


def floors_for(crawler: Any) -> dict[str, float]:
    return _FLOORS.setdefault(crawler, {})


def raise_floor(crawler: Any, slot_key: str, seconds: float) -> float:
    """Raise the host's delay floor to ``seconds`` (never lowers it); the new floor."""
    floors = floors_for(crawler)
    floors[slot_key] = max(floors.get(slot_key, 0.0), seconds)
    return floors[slot_key]


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PolitenessMiddleware:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.min_backoff = settings.getfloat("OFFERMAP_MIN_BACKOFF", 1.0)
        self.max_backoff = settings.getfloat("OFFERMAP_MAX_BACKOFF", 120.0)
        # The server's log sees our request a little after we send it: a small margin
        # keeps the gap it measures at or above what it asked for.
        self.margin = settings.getfloat("OFFERMAP_BACKOFF_MARGIN", 0.25)

    @classmethod
    def from_crawler(cls, crawler: Any) -> PolitenessMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        downloader = self._downloader()
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        floor = floors_for(self.crawler).get(key)
        if floor:
            _key, slot = downloader._get_slot(request)
            slot.delay = max(slot.delay, floor)
            if slot.delay * (1 - slot.jitter) < floor:
                slot.jitter = 0.0  # randomisation must not dip below what the host asked

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in PUSHBACK_STATUSES or is_trusted(request):
            # Search backends pace themselves (their adapters read the rate headers).
            return response
        downloader = self._downloader()
        if downloader is None:
            return response
        key, slot = downloader._get_slot(request)
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        wanted = max(self.min_backoff, 2 * slot.delay, (asked or 0.0) + self.margin)
        floor = raise_floor(self.crawler, key, min(wanted, self.max_backoff))
        slot.delay = max(slot.delay, floor)
        slot.jitter = 0.0
        self._count(f"offermap/backoff/{response.status}")
        logger.info("%s answered %s: delay for %s is now %.2fs", request.url[:200],
                    response.status, key, slot.delay)
        if asked is not None and asked > self.max_backoff:
            # Waiting that long inside one run is not polite either: give up on the
            # URL now (no retry) and let a later run fetch it.  Raised, so the
            # request's errback stores the page with this reason, not "HTTP 429".
            self._count("offermap/backoff/gave_up")
            raise GaveUp(f"backoff: HTTP {response.status} with Retry-After {asked:.0f} s, "
                         f"more than OFFERMAP_MAX_BACKOFF ({self.max_backoff:.0f} s): "
                         "given up for this run", response)
        return response

    def _downloader(self) -> Any:
        engine = getattr(self.crawler, "engine", None)
        return getattr(engine, "downloader", None)

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
