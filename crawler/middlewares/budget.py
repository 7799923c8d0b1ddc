"""Page budgets per host and per run, for every spider.

Provider sites have their own ``max_pages``; search results come from anywhere, so
a host that many results point at, or a run that finds far more than expected, is
capped here.  Requests past a budget are refused (recorded, never retried); the
operator's endpoints and robots.txt fetches do not count.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached

from crawler.middlewares.safety import is_trusted

#: Shared by the crawlers of one process, so "per run" means both spiders together.
_RUN_COUNTS: Counter[str] = Counter()


class BudgetMiddleware:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.per_host = settings.getint("OFFERMAP_MAX_PAGES_PER_HOST", 0)
        self.per_run = settings.getint("OFFERMAP_MAX_PAGES_PER_RUN", 0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> BudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if is_trusted(request) or request.meta.get("offermap_robots"):
            return
        if request.meta.get("redirect_times") or request.meta.get("retry_times"):
            return  # the same page, already counted
        host = (urlparse_cached(request).hostname or "").lower()
        if self.per_run and _RUN_COUNTS["*"] >= self.per_run:
            self._refuse("run", f"page budget of {self.per_run} for the run reached")
        if self.per_host and _RUN_COUNTS[host] >= self.per_host:
            self._refuse("host", f"page budget of {self.per_host} for {host} reached")
        _RUN_COUNTS["*"] += 1
        _RUN_COUNTS[host] += 1

    def _refuse(self, scope: str, why: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"offermap/budget/{scope}")
        raise IgnoreRequest(f"budget: {why}")
