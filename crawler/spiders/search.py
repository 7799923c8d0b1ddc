"""Run the query grid against the search backends and fetch every result once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.backends import Backend, GridQuery, make_backend
from crawler.backends.base import BackendBlocked
from crawler.grid import build_grid
from crawler.items import SearchResponse
from crawler.spiders._common import failed_page, fetched_page, flat_headers
from pipeline.config import Config, load_config
from pipeline.errors import BackendError, BackendMisconfigured
from pipeline.urls import is_http_url


class SearchSpider(scrapy.Spider):
    name = "search"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backends: dict[str, Backend] = {}
        self.requests_sent: dict[str, int] = {}
        self.disabled: dict[str, str] = {}  # backend name -> why it stopped
        self.misconfigured: dict[str, str] = {}  # backend name -> what to fix

    def _config(self) -> Config:
        """The configuration `offermap crawl` passed in, or the one on disk."""
        if getattr(self, "config", None) is None:
            self.config = load_config(self.settings.get("OFFERMAP_CONFIG_DIR"))
        return self.config

    async def start(self) -> AsyncIterator[Request]:
        config = self._config()
        keywords = config.keywords
        for name in keywords.use_backends:
            self.backends[name] = make_backend(name, keywords)
            self.requests_sent[name] = 0
        for query in build_grid(keywords):
            for name in keywords.use_backends:
                request = self._search_request(name, query, 1)
                if request is not None:
                    yield request

    def _search_request(self, backend_name: str, query: GridQuery, page: int) -> Request | None:
        backend = self.backends[backend_name]
        if backend_name in self.disabled:
            return None
        if self.requests_sent[backend_name] >= backend.max_requests:
            self.disabled[backend_name] = f"request budget of {backend.max_requests} reached"
            return None
        self.requests_sent[backend_name] += 1
        spec = backend.request(query, page)
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
                "offermap_backend": backend_name,
                "offermap_query": query,
                "offermap_page": page,
                "offermap_sent_at": datetime.now(UTC),
                # Our own search instance is an API, not a site to crawl; and a
                # refused or throttled query is retried by the next run, not now.
                "dont_obey_robotstxt": True,
                "dont_retry": True,
                "handle_httpstatus_all": True,
                "download_timeout": backend.timeout,
            },
        )

    def parse_results(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        backend_name: str = meta["offermap_backend"]
        query: GridQuery = meta["offermap_query"]
        page: int = meta["offermap_page"]
        backend = self.backends[backend_name]
        result = SearchResponse(backend_name, query, page, "done", sent_at=meta["offermap_sent_at"])

        try:
            parsed = backend.parse(response.status, flat_headers(response), response.body)
        except BackendMisconfigured as error:
            self.disabled[backend_name] = self.misconfigured[backend_name] = str(error)
            result.status, result.error = "failed", str(error)
            yield result
            return
        except BackendBlocked as error:
            result.status, result.error = "blocked", str(error)
            yield result
            return
        except BackendError as error:
            result.status, result.error = "failed", str(error)
            yield result
            return

        result.hits = [hit for hit in parsed.hits if is_http_url(hit.url)]
        if parsed.unresponsive:
            result.status = "partial"
            result.error = "engines did not answer: " + ", ".join(parsed.unresponsive)
        yield result

        for hit in result.hits:
            yield Request(
                hit.url,
                callback=self.parse_page,
                errback=self.page_failed,
                meta={"offermap_hit": (backend_name, query.key, page, hit.rank),
                      "offermap_depth": 1},
            )
        if parsed.has_more and page < self._config().keywords.pages_per_query:
            follow = self._search_request(backend_name, query, page + 1)
            if follow is not None:
                yield follow

    def search_failed(self, failure: Failure) -> Iterator[SearchResponse]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        yield SearchResponse(
            meta["offermap_backend"], meta["offermap_query"], meta["offermap_page"], "failed",
            error=f"{meta['offermap_backend']} unreachable: {failed_page(failure, origin='search').error}",
            sent_at=meta["offermap_sent_at"],
        )

    def parse_page(self, response: Response) -> Iterator[Any]:
        yield fetched_page(response, origin="search", depth=1, hit=response.meta["offermap_hit"])

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        yield failed_page(failure, origin="search")

