"""Refuse requests to internal addresses and to schemes other than http(s).

Every request passes here before it is downloaded: start URLs, links, every
redirect hop and meta refresh (Scrapy re-schedules those as new requests), and
robots.txt fetches.  A refusal is an :class:`BlockedRequest` (an IgnoreRequest, so
RetryMiddleware never retries it) whose text starts with ``blocked:`` and the reason.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError
from twisted.internet.threads import deferToThread

from crawler.safety import BLOCKED_UNRESOLVED, Blocked, Guard, TransientLookupError, guard_for

logger = logging.getLogger(__name__)

#: Request meta key that marks the operator's own endpoints (the search backend).
TRUSTED = "offermap_trusted"


class BlockedRequest(IgnoreRequest):
    """A request the SSRF guard refused; never retried."""

    def __init__(self, refused: Blocked) -> None:
        super().__init__(f"blocked: {refused}")
        self.reason = refused.reason


class SsrfGuardMiddleware:
    def __init__(self, crawler: Any, guard: Guard) -> None:
        self.crawler = crawler
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Any) -> SsrfGuardMiddleware:
        return cls(crawler, guard_for(crawler.settings))

    async def process_request(self, request: Request) -> None:
        trusted = is_trusted(request)
        try:
            # Resolution blocks: it runs in Twisted's thread pool, not the reactor.
            await maybe_deferred_to_future(
                deferToThread(self.guard.check_url, request.url, trusted=trusted))
        except TransientLookupError as error:
            # Retried by RetryMiddleware like any DNS hiccup.
            raise DNSLookupError(str(error)) from None
        except Blocked as refused:
            if refused.reason == BLOCKED_UNRESOLVED:
                # No such host: nothing to retry, and nothing was blocked either.
                raise IgnoreRequest(f"dns_error: {refused.detail}") from None
            stats = self.crawler.stats
            if stats is not None:
                stats.inc_value(f"offermap/blocked/{refused.reason}")
            logger.warning("blocked %s: %s", request.url[:300], refused)
            raise BlockedRequest(refused) from None


def is_trusted(request: Request) -> bool:
    """Whether the request goes to an operator-configured endpoint.

    Trust is the backend spider's mark (meta ``offermap_trusted``), and it does not
    follow a redirect to another host: a backend that bounces us elsewhere is
    handing us a stranger's URL.
    """
    if not request.meta.get(TRUSTED):
        return False
    previous = request.meta.get("redirect_urls") or []
    if not previous:
        return True
    return urlsplit(previous[0]).netloc.lower() == urlsplit(request.url).netloc.lower()
