"""Run one real crawl in this process: ``python -m tests.reliability.runner SPEC.json``.

A subprocess per crawl, because Twisted's reactor cannot be restarted.  The spec
names the configuration folder, the database, the spiders and Scrapy overrides; the
run's summary and the crawlers' stats are written next to the spec as JSON.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import MemoryStatsCollector

from db.session import Database
from pipeline.config import load_config
from pipeline.crawl import run_crawl

_STATS: list[dict[str, Any]] = []


class KeepingStats(MemoryStatsCollector):
    """Keeps every crawler's final stats for the test to read."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)

    def _persist_stats(self, stats: dict[str, Any]) -> None:
        _STATS.append({key: str(value) for key, value in stats.items()})


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    config = load_config(spec["config_dir"])
    overrides = {"STATS_CLASS": "tests.reliability.runner.KeepingStats", **spec["overrides"]}
    summary = run_crawl(config, Database(spec["db"]), spiders=spec["spiders"],
                        overrides=overrides)
    # Run as __main__, this file is a different module from the one Scrapy loads.
    from tests.reliability.runner import _STATS as kept

    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"status": summary.status, "error": summary.error, "stats": kept,
           "peak_rss_growth": (rss_after - rss_before) * 1024}
    Path(spec_path).with_suffix(".out.json").write_text(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
