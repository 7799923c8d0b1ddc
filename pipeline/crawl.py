"""Run the spiders in this process and report progress.

Both spiders run at once in one Scrapy process and share one :class:`Store`, so a
training found by the search grid and on a provider site becomes one candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.items import FetchedPage, SearchResponse
from crawler.safety import allow_networks_from
from crawler.spiders.providers import ProvidersSpider
from crawler.spiders.search import SearchSpider
from db.session import Database
from pipeline.config import Config
from pipeline.runlock import run_lock
from pipeline.store import RunSummary, Store

SPIDERS = {"search": SearchSpider, "providers": ProvidersSpider}

ProgressCallback = Callable[[str, dict[str, int]], None]


def crawler_settings(config: Config, overrides: dict[str, Any] | None = None) -> Settings:
    """crawler/settings.py, plus what this run needs."""
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"),
                                "pipeline.crawl.ProgressExtension": 500}, priority="cmdline")
    # The search backend is an API with its own pace (SearXNG's limiter counts
    # requests per IP): one connection and the backend's own delay.
    searxng = config.keywords.backends.searxng
    host = searxng.url.split("://", 1)[1].split("/", 1)[0].split(":")[0]
    slots: dict[str, dict[str, Any]] = {host: {"concurrency": 1, "delay": searxng.delay}}
    for site in config.providers.providers:
        if site.delay is not None:
            for domain in site.allowed_domains:
                slots.setdefault(domain, {"delay": site.delay})
    settings.set("DOWNLOAD_SLOTS", slots, priority="cmdline")
    # The CLI owns the terminal: Scrapy logs to stderr without taking over logging.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(config: Config, database: Database, *, spiders: Iterable[str] = SPIDERS,
              overrides: dict[str, Any] | None = None,
              progress: ProgressCallback | None = None, kind: str = "crawl",
              wait: bool = False) -> RunSummary:
    """Crawl, store, and return the run's summary.  Blocks until the crawl ends.

    One run at a time per database: while another holds the run lock this raises
    :class:`~pipeline.runlock.AlreadyRunning`, or with ``wait`` waits for it.
    Can run once per process: Twisted's reactor cannot be restarted.
    """
    settings = crawler_settings(config, overrides)
    # A bad OFFERMAP_ALLOW_NETWORKS is a ConfigError (one line, exit 2) raised here,
    # before a run is recorded; inside Scrapy it would only be logged.
    allow_networks_from(settings)
    with run_lock(database, wait=wait):
        return _crawl(config, database, settings, spiders, progress, kind)


def _crawl(config: Config, database: Database, settings: Settings, spiders: Iterable[str],
           progress: ProgressCallback | None, kind: str) -> RunSummary:
    store = Store(database, kind=kind, dedup=config.dedup)
    store.start_run()
    process = CrawlerProcess(settings)
    crawlers: list[Crawler] = []
    for name in spiders:
        crawler = process.create_crawler(SPIDERS[name])
        crawlers.append(crawler)
        # Spider arguments, not settings: Scrapy deep-copies settings, and the
        # store (a database connection) and the progress callback cannot be copied.
        process.crawl(crawler, config=config, store=store, progress=progress)

    status, error = "finished", None
    try:
        process.start()
    except KeyboardInterrupt:
        status, error = "interrupted", "stopped by the user"
    if status == "finished":
        status, error = _outcome(crawlers)
    return store.finish_run(status, error)


def _outcome(crawlers: list[Crawler]) -> tuple[str, str | None]:
    """``failed`` when a backend is misconfigured or a spider did not end normally."""
    for crawler in crawlers:
        for reason in getattr(crawler.spider, "misconfigured", {}).values():
            return "failed", reason
        finish = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if finish not in (None, "finished"):
            name = crawler.spider.name if crawler.spider else "crawler"
            return "failed", f"{name} stopped: {finish}"
    return "finished", None


class ProgressExtension:
    """Counts what the crawl does and hands the counts to a callback (the CLI's bar)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.counts: dict[str, int] = {"queries": 0, "pages": 0, "scheduled": 0}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.request_scheduled, signal=signals.request_scheduled)
        return extension

    def request_scheduled(self, request: Any, spider: Any) -> None:
        self.counts["scheduled"] += 1
        self._report()

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        if isinstance(item, SearchResponse):
            self.counts["queries"] += 1
        elif isinstance(item, FetchedPage):
            self.counts["pages"] += 1
        self._report()

    def _report(self) -> None:
        spider = self.crawler.spider
        callback = getattr(spider, "progress", None)
        if callback is not None:
            callback(spider.name, dict(self.counts))


__all__ = ["ProgressExtension", "crawler_settings", "run_crawl"]
