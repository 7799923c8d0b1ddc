"""Walk the provider sites listed in config/providers.yaml, within their limits.

A site with ``common_crawl: true`` is also walked from the pages that the Common
Crawl index lists for its allowed domains (URL lookups, not keywords): pages a walk
from its start URLs may never reach.  The index is asked through its own slot, one
request at a time and ``backends.commoncrawl.delay`` apart (it bans clients above
about ten lookups a minute), within ``max_requests``; a throttle or an error skips
the lookup, never the site.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from twisted.python.failure import Failure

from crawler.backends import commoncrawl
from crawler.backends.base import BackendBlocked, RequestSpec
from crawler.safety import ALLOWED_SCHEMES
from crawler.spiders._common import (
    DateWindow,
    QueryVariants,
    failed_page,
    fetched_page,
    strip_session_ids,
    trap_reason,
)
from pipeline.config import Config, ProviderSite, load_config
from pipeline.errors import BackendError

logger = logging.getLogger(__name__)

#: The downloader slot of the Common Crawl index: its own pace, not the sites'.
INDEX_SLOT = "offermap-commoncrawl"


class ProvidersSpider(scrapy.Spider):
    name = "providers"

    def __init__(self, *args: Any, site: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only_site = site  # `scrapy crawl providers -a site=NAME` walks one site
        self.sites: dict[str, ProviderSite] = {}
        self.link_extractors: dict[str, LinkExtractor] = {}
        self.pages_scheduled: dict[str, int] = {}
        self.window: DateWindow | None = None
        self.query_variants: QueryVariants | None = None
        self.index_requests = 0  # requests sent to the Common Crawl index

    def _config(self) -> Config:
        """The configuration `offermap crawl` passed in, or the one on disk."""
        if getattr(self, "config", None) is None:
            self.config = load_config(self.settings.get("OFFERMAP_CONFIG_DIR"))
        return self.config

    async def start(self) -> AsyncIterator[Request]:
        today = self.settings.get("OFFERMAP_TODAY")  # tests pin the crawl date
        self.window = DateWindow.around(date.fromisoformat(today) if today else date.today())
        self.query_variants = QueryVariants(self.settings.getint("OFFERMAP_MAX_QUERY_VARIANTS",
                                                                 20))
        for site in self._config().providers.providers:
            if self.only_site and site.name != self.only_site:
                continue
            self.sites[site.name] = site
            self.pages_scheduled[site.name] = 0
            # Domains are checked by host name below: Scrapy's allow_domains compares
            # the whole netloc, so a site on a non-default port would never match.
            self.link_extractors[site.name] = LinkExtractor(
                allow=site.follow, deny=site.deny, deny_extensions=_SKIPPED_EXTENSIONS,
            )
            for url in site.start_urls:
                request = self._request(site, url, depth=0)
                if request is not None:
                    yield request
        seeded = [site for site in self.sites.values() if site.common_crawl]
        if seeded:
            for request in self._index_start(seeded):
                yield request

    def _request(self, site: ProviderSite, url: str, depth: int) -> Request | None:
        if self.pages_scheduled[site.name] >= site.max_pages:
            return None
        self.pages_scheduled[site.name] += 1
        return Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            meta={"offermap_site": site.name, "offermap_depth": depth,
                  "offermap_theme_filter": site.theme_filter},
        )

    def parse_page(self, response: Response) -> Iterator[Any]:
        site = self.sites[response.meta["offermap_site"]]
        depth: int = response.meta["offermap_depth"]
        yield fetched_page(response, origin=site.name, depth=depth,
                           theme_filter=site.theme_filter)

        if depth >= site.max_depth or response.status != 200:
            return
        if not isinstance(response, TextResponse) or b"html" not in (
            response.headers.get("Content-Type") or b"html"
        ):
            return
        for link in self.link_extractors[site.name].extract_links(response):
            # LinkExtractor also returns file:// and ftp:// links: only http(s) is followed.
            if urlsplit(link.url).scheme not in ALLOWED_SCHEMES:
                continue
            if not is_allowed_host(link.url, site.allowed_domains):
                continue
            url = self._untrapped(link.url)
            if url is None:
                continue
            request = self._request(site, url, depth + 1)
            if request is None:
                break
            yield request

    def _untrapped(self, url: str) -> str | None:
        """The link without session ids, or None when it leads into a crawl trap."""
        url = strip_session_ids(url)
        assert self.window is not None and self.query_variants is not None
        reason = trap_reason(url, self.window)
        if reason is None and not self.query_variants.admit(url):
            reason = "too_many_query_variants"
        if reason is not None:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(f"offermap/trap/{reason}")
            return None
        return url

    # --- the Common Crawl index ---------------------------------------------------

    def _index_start(self, sites: list[ProviderSite]) -> Iterator[Request]:
        settings = self._config().keywords.backends.commoncrawl
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is not None:
            downloader.per_slot_settings[INDEX_SLOT] = {"concurrency": 1,
                                                        "delay": settings.delay}
        names = [site.name for site in sites]
        api = commoncrawl.cdx_api_url(settings.url, settings.collection)
        if api is None:  # "latest": the collection list says which one that is
            request = self._index_request(commoncrawl.collinfo_request(settings.url),
                                          self.parse_collinfo, sites=names)
            if request is not None:
                yield request
            return
        yield from self._lookups(api, names)

    def _lookups(self, api: str, names: list[str]) -> Iterator[Request]:
        settings = self._config().keywords.backends.commoncrawl
        for name in names:
            site = self.sites[name]
            limit = min(settings.limit, site.max_pages)
            for spec in commoncrawl.seed_lookups(api, site.allowed_domains, limit):
                request = self._index_request(spec, self.parse_captures, site=name)
                if request is not None:
                    yield request

    def _index_request(self, spec: RequestSpec, callback: Any, **meta: Any) -> Request | None:
        settings = self._config().keywords.backends.commoncrawl
        if self.index_requests >= settings.max_requests:
            logger.warning("Common Crawl index: request budget of %d reached",
                           settings.max_requests)
            return None
        self.index_requests += 1
        return Request(spec.url, headers=spec.headers, callback=callback,
                       errback=self.index_failed, dont_filter=True, priority=5,
                       meta={"offermap_index": meta, "offermap_trusted": True,
                             "dont_obey_robotstxt": True, "dont_retry": True,
                             "handle_httpstatus_all": True, "download_slot": INDEX_SLOT,
                             "download_timeout": settings.timeout})

    def parse_collinfo(self, response: Response) -> Iterator[Any]:
        try:
            apis = commoncrawl.parse_collinfo(response.status, response.body)
        except BackendError as error:
            self._index_skipped(error, response.meta["offermap_index"])
            return
        if not apis:
            self._index_skipped(BackendError("collinfo.json lists no collection"),
                                response.meta["offermap_index"])
            return
        yield from self._lookups(apis[0], response.meta["offermap_index"]["sites"])

    def parse_captures(self, response: Response) -> Iterator[Any]:
        context = response.meta["offermap_index"]
        site = self.sites[context["site"]]
        try:
            captures = commoncrawl.parse_captures(response.status, response.body)
        except BackendError as error:
            self._index_skipped(error, context)
            return
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("offermap/commoncrawl/captures", len(captures))
        for capture in captures:
            if urlsplit(capture.url).scheme not in ALLOWED_SCHEMES or \
                    not is_allowed_host(capture.url, site.allowed_domains):
                continue
            url = self._untrapped(capture.url)
            if url is None:
                continue
            request = self._request(site, url, depth=0)
            if request is None:
                break
            yield request

    def index_failed(self, failure: Failure) -> None:
        meta = failure.request.meta  # type: ignore[attr-defined]
        self._index_skipped(BackendError(f"no answer: {failure.getErrorMessage()}"),
                            meta["offermap_index"])

    def _index_skipped(self, error: BackendError, context: dict[str, Any]) -> None:
        """A lookup that gave nothing: the site is still walked from its start URLs."""
        kind = "throttled" if isinstance(error, BackendBlocked) else "failed"
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"offermap/commoncrawl/{kind}")
        logger.warning("Common Crawl index lookup skipped (%s): %s",
                       context.get("site") or ", ".join(context.get("sites", [])), error)

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        yield failed_page(failure, origin=meta.get("offermap_site", "providers"))


def is_allowed_host(url: str, domains: list[str]) -> bool:
    """Whether the URL's host is one of ``domains`` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    return any(host == domain.lower() or host.endswith("." + domain.lower())
               for domain in domains)


# Scrapy's own list (images, media, archives, office files) minus "pdf": course
# brochures are PDFs and are recorded as pages even before they are read.
_SKIPPED_EXTENSIONS = [ext for ext in IGNORED_EXTENSIONS if ext != "pdf"]
