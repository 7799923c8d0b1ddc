"""Refuse requests to internal addresses, to schemes other than http(s), and
redirects that take a provider walk off its site.

Every request passes here before it is downloaded: start URLs, links, every
redirect hop and meta refresh (Scrapy re-schedules those as new requests), and
robots.txt fetches.  A refusal is an :class:`BlockedRequest` (an IgnoreRequest, so
RetryMiddleware never retries it) whose text starts with ``blocked:`` and the reason.

Off-site redirects are refused here, in the first downloader middleware, so that
not even the other site's robots.txt is asked for (scenario 19: 0 requests leave
the allowed domains).  The provider spider filters the links it follows, but a
redirect or a meta refresh is followed by Scrapy, not by the spider.
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

#: A redirect or meta refresh that leaves a provider site's allowed domains.
BLOCKED_OFFSITE = "blocked_offsite_redirect"


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
        self._refuse_offsite_redirect(request)
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

    def _refuse_offsite_redirect(self, request: Request) -> None:
        """A provider page that redirects outside its ``allowed_domains`` is refused."""
        previous = request.meta.get("redirect_urls")
        site_name = request.meta.get("offermap_site")
        if not previous or site_name is None:
            return
        site = getattr(getattr(self.crawler, "spider", None), "sites", {}).get(site_name)
        domains = getattr(site, "allowed_domains", None)
        if not domains:
            return
        from crawler.spiders.providers import is_allowed_host

        if is_allowed_host(request.url, domains):
            return
        refused = Blocked(BLOCKED_OFFSITE, f"{previous[-1][:200]} redirects to "
                          f"{urlsplit(request.url).netloc[:200]}, outside the allowed domains "
                          f"of provider {site_name} ({', '.join(domains)[:200]})")
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"offermap/blocked/{BLOCKED_OFFSITE}")
        logger.info("not following %s: %s", request.url[:300], refused)
        raise BlockedRequest(refused)


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
