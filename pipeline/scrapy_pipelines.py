"""The Scrapy item pipeline: extract, score and store what the spiders fetched."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.items import FetchedPage, SearchResponse
from db.session import Database
from extractors import Taxonomy
from pipeline.config import load_config
from pipeline.processing import process_page
from pipeline.store import Store


class StorePipeline:
    """Hands every item to the run's :class:`Store`.

    ``offermap crawl`` gives both spiders the same store (as the spider argument
    ``store``), so that a training found by the search grid and on a provider
    site becomes one candidate.  Under plain ``scrapy crawl`` the pipeline opens
    its own run on ``$OFFERMAP_DATABASE_URL``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.taxonomy: Taxonomy | None = None
        self.owns_run = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        config = getattr(spider, "config", None)
        if config is None:
            config = load_config(self.crawler.settings.get("OFFERMAP_CONFIG_DIR"))
        self.taxonomy = config.taxonomy
        self.store = getattr(spider, "store", None)
        if self.store is None:
            self.store = Store(Database(self.crawler.settings.get("OFFERMAP_DATABASE_URL")),
                               dedup=config.dedup)
            self.owns_run = True
            self.store.start_run()

    def close_spider(self) -> None:
        if self.owns_run and self.store is not None:
            self.store.finish_run()

    def process_item(self, item: Any) -> Any:
        assert self.store is not None and self.taxonomy is not None
        if isinstance(item, SearchResponse):
            self.store.record_search(item)
        elif isinstance(item, FetchedPage):
            self.store.record_page(process_page(item, self.taxonomy))
        return item
