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
from pipeline.errors import ConfigError
from pipeline.runlock import run_lock
from pipeline.store import RunSummary, Store
from pipeline.workers import Workers, worker_lock

SPIDERS = {"search": SearchSpider, "providers": ProvidersSpider}

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
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
              wait: bool = False, workers: Workers | None = None) -> RunSummary:
    """Crawl, store, and return the run's summary.  Blocks until the crawl ends.

    One run at a time per database: while another holds the run lock this raises
    :class:`~pipeline.runlock.AlreadyRunning`, or with ``wait`` waits for it.
    Can run once per process: Twisted's reactor cannot be restarted.

    With ``workers``, this process is one worker of a crawl spread over several
    (:mod:`pipeline.workers`): the scheduler queue and the duplicate filter live in
    Redis under the run key, any number of workers run at once (they share the run
    lock), and the search grid runs on the first worker of the run only.
    """
    if workers is not None:
        overrides = {**(overrides or {}), **workers.settings()}
    settings = crawler_settings(config, overrides)
    # A bad OFFERMAP_ALLOW_NETWORKS is a ConfigError (one line, exit 2) raised here,
    # before a run is recorded; inside Scrapy it would only be logged.
    allow_networks_from(settings)
    level = settings.get("LOG_LEVEL")
    if str(level) not in LOG_LEVELS:
        raise ConfigError(f"OFFERMAP_LOG_LEVEL={level!r}: expected one of "
                          f"{', '.join(LOG_LEVELS)}")
    if workers is None:
        with run_lock(database, wait=wait):
            return _crawl(config, database, settings, spiders, progress, kind)

    workers.check()
    spiders = [name for name in spiders if name != "search" or workers.claim_search()]
    if not spiders:
        raise ConfigError(f"run {workers.run_key}: another worker runs its search grid, "
                          "and this worker was asked for nothing else")
    with worker_lock(database):
        summary = _crawl(config, database, settings, spiders, progress, kind)
        _note_worker(database, summary, workers)
        if summary.status == "finished":
            workers.finish()
        return summary


def _note_worker(database: Database, summary: RunSummary, workers: Workers) -> None:
    """Record on the worker's run which distributed run it was part of."""
    from db.models import Run

    with database.transaction() as session:
        run = session.get(Run, summary.run_id)
        if run is not None:
            run.stats = {**(run.stats or {}), "run_key": workers.run_key}


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
    if status == "finished" and "search" in spiders:
        status, error = _searched(store)
    return store.finish_run(status, error)


def _searched(store: Store) -> tuple[str, str | None]:
    """``failed`` when no backend answered a single query because they failed (down,
    unreachable, erroring): the provider sites' pages are kept, but the run did not
    do what it was for.  A backend that is blocked, throttled or out of quota is held
    for later runs as planned; that alone is not a failed run."""
    assert store.summary is not None
    counts = store.summary.counts
    answered = counts["queries_done"] + counts["queries_partial"]
    if answered > 0 or counts["queries_failed"] == 0 or counts["queries_blocked"] > 0:
        return "finished", None
    tally = ", ".join(f"{counts[f'queries_{kind}']} {kind}"
                      for kind in ("failed", "blocked", "unsent") if counts[f"queries_{kind}"])
    first = store.summary.errors[0].split(": en:")[0][:160] if store.summary.errors else ""
    return "failed", (f"no search backend answered a query ({tally})"
                      + (f"; first: {first}" if first else "")
                      + "; check the backends with `offermap doctor`")


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
