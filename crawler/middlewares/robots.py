"""robots.txt per RFC 9309, failing closed where Scrapy fails open.

Scrapy's RobotsTxtMiddleware crawls a host whose robots.txt answers 5xx or times out
(RELIABILITY.md, finding 2).  RFC 9309 §2.3.1.4 says a crawler must then assume
complete disallow; §2.3.1.3 says a 4xx means no rules at all.  Matching (longest
match, ``*`` and ``$``, Allow wins a tie, §2.2.2) is Protego's, which is tested in
tests/reliability/test_robots.py.  Crawl-delay (not in the RFC, but widely used) is
handed to the politeness middleware as a delay floor for the host.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from protego import Protego
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.middlewares.politeness import raise_floor
from crawler.middlewares.safety import is_trusted

logger = logging.getLogger(__name__)

#: RFC 9309 §2.5: parse at least 500 kibibytes; more is not needed.
ROBOTS_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class RobotsVerdict:
    parser: Protego | None  # None: no rules (4xx), everything allowed
    unavailable: str | None = None  # why the host is not crawled this run


def verdict_from_response(response: Response) -> RobotsVerdict:
    """What a robots.txt answer means for the host (RFC 9309 §2.3.1)."""
    return verdict_from(response.status, response.body, response.url)


def verdict_from(status: int, body: bytes, url: str) -> RobotsVerdict:
    """The same, from the status and body (shared with pipeline/fetch.py)."""
    if 200 <= status < 300:
        text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        try:
            return RobotsVerdict(Protego.parse(text))
        except Exception as error:  # noqa: BLE001 - a broken file is no rules at all
            logger.info("unparseable robots.txt at %s: %s", url, error)
            return RobotsVerdict(None)
    if status == 429 or status >= 500:
        # 429 is "slow down", not "no rules": treated like a server error.
        return RobotsVerdict(None, f"robots.txt answered HTTP {status}")
    if 400 <= status < 500:
        return RobotsVerdict(None)
    # A 3xx here means the redirect chain was not followed to its end.
    return RobotsVerdict(None, f"robots.txt answered HTTP {status}")


class RobotsPolicyMiddleware:
    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.obey = settings.getbool("ROBOTSTXT_OBEY")
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or "offermap"
        self.max_crawl_delay = settings.getfloat("OFFERMAP_MAX_CRAWL_DELAY", 60.0)
        self.verdicts: dict[str, asyncio.Future[RobotsVerdict]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> RobotsPolicyMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if not self.obey or request.meta.get("dont_obey_robotstxt") or is_trusted(request):
            return
        verdict = await self._verdict(request)
        parts = urlparse_cached(request)
        if verdict.unavailable is not None:
            self._count("offermap/robots/host_skipped")
            raise IgnoreRequest(f"robots.txt unavailable for {parts.netloc} "
                                f"({verdict.unavailable}): host not crawled this run")
        if verdict.parser is None:
            return
        self._apply_crawl_delay(request, verdict.parser)
        if not verdict.parser.can_fetch(request.url, self.user_agent):
            self._count("offermap/robots/forbidden")
            raise IgnoreRequest("forbidden by robots.txt")

    async def _verdict(self, request: Request) -> RobotsVerdict:
        parts = urlparse_cached(request)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self.verdicts:
            self.verdicts[key] = asyncio.ensure_future(self._fetch(key))
        return await asyncio.shield(self.verdicts[key])

    async def _fetch(self, key: str) -> RobotsVerdict:
        robots = Request(f"{key}/robots.txt", priority=self.DOWNLOAD_PRIORITY, dont_filter=True,
                         # No handle_httpstatus_all: it would stop RedirectMiddleware,
                         # and RFC 9309 §2.3.1.2 asks us to follow up to five redirects.
                         meta={"dont_obey_robotstxt": True, "offermap_robots": True})
        self._count("offermap/robots/requests")
        try:
            response = await self.crawler.engine.download_async(robots)
        except Exception as error:  # noqa: BLE001 - unreachable is a verdict, not a crash
            # Timeouts, refused connections, blocked addresses: fail closed (§2.3.1.4).
            reason = f"{type(error).__name__}: {error}".strip(": ")
            logger.warning("robots.txt for %s unreachable (%s): host skipped", key, reason)
            return RobotsVerdict(None, f"unreachable, {reason[:200]}")
        return verdict_from_response(response)

    def _apply_crawl_delay(self, request: Request, parser: Protego) -> None:
        delay = parser.crawl_delay(self.user_agent)
        if not delay:
            return
        downloader = getattr(self.crawler.engine, "downloader", None)
        if downloader is None:
            return
        raise_floor(self.crawler, downloader.get_slot_key(request),
                    min(float(delay), self.max_crawl_delay))

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
