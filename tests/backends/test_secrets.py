"""Scenario 23: API keys appear nowhere — logs at DEBUG, the database, exports, the
HTTP cache and the job directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crawler.backends.secrets import redact, register_secret
from tests.backends.conftest import (
    BRAVE_TOKEN,
    DEAD_SITE,
    GOOGLE_KEY,
    KEYS,
    search,
    write_config,
)
from tests.backends.fakes import BraveLimits, FakeBrave, FakeGoogle
from tests.conftest import REPO, run_offermap

SECRETS = (BRAVE_TOKEN.encode(), GOOGLE_KEY.encode())


def grid(brave: str, google: str) -> str:
    return f"""
        keywords: [a, b]
        formats: [course]
        pages_per_query: 2
        use_backends: [brave, google]
        backends:
          brave: {{url: "{brave}/res/v1/web/search", delay: 0}}
          google: {{url: "{google}/customsearch/v1", delay: 0, timeout: 2}}
        """


def leaks(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and any(secret in path.read_bytes() for secret in SECRETS):
            found.append(str(path))
    return found


def test_redact_masks_registered_values_and_key_parameters() -> None:
    register_secret("s3cr3t-value")
    assert redact("GET https://x/cs?key=abc&q=1 s3cr3t-value") == \
        "GET https://x/cs?key=[redacted]&q=1 [redacted]"


def test_no_secret_in_logs_db_exports_cache_or_jobdir(tmp_path: Path) -> None:
    limits = BraveLimits(per_second=50, script={2: "rate"})
    with FakeBrave(token=BRAVE_TOKEN, site=DEAD_SITE, limits=limits) as brave, \
            FakeGoogle(key=GOOGLE_KEY, cx="cx-1", site=DEAD_SITE, daily_quota=2) as google:
        # 1. The real command, logging at DEBUG.
        crawl = search(tmp_path, grid(brave.url, google.url), db="crawl.sqlite",
                       env={"OFFERMAP_LOG_LEVEL": "DEBUG"})
        assert crawl.returncode == 0, crawl.stderr
        # 2. Plain `scrapy crawl`, DEBUG into a log file, HTTP cache and JOBDIR on.
        config = write_config(tmp_path / "config2", grid(brave.url, google.url))
        env = {**os.environ, **KEYS, "OFFERMAP_CONFIG_DIR": str(config),
               "OFFERMAP_DATABASE_URL": f"sqlite:///{tmp_path / 'scrapy.sqlite'}"}
        scrapy = str(Path(sys.executable).with_name("scrapy"))
        result = subprocess.run(
            [scrapy, "crawl", "search", "-s", "LOG_LEVEL=DEBUG",
             "-s", f"LOG_FILE={tmp_path / 'scrapy.log'}", "-s", "HTTPCACHE_ENABLED=True",
             "-s", f"HTTPCACHE_DIR={tmp_path / 'httpcache'}",
             "-s", f"JOBDIR={tmp_path / 'jobdir'}"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        (tmp_path / "scrapy.stderr").write_text(result.stderr)
    export = run_offermap("export", "--out", str(tmp_path / "all.csv"), "--status", "pending",
                          "--db", str(tmp_path / "crawl.sqlite"))
    assert export.returncode == 0, export.stderr
    (tmp_path / "crawl.out").write_text(crawl.stdout + crawl.stderr)

    assert leaks(tmp_path) == []
    log = (tmp_path / "scrapy.log").read_text()
    assert "customsearch/v1?key=[redacted]" in log  # the URLs were logged, masked
    assert any(e.params.get("key") == GOOGLE_KEY for e in google.log)  # and really sent
