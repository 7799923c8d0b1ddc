"""Scrapy settings for offermap's spiders.

`offermap crawl` builds on these (see :func:`pipeline.crawl.crawler_settings`);
`scrapy crawl search` / `scrapy crawl providers` from the repository root use them
as they are, with the database from ``$OFFERMAP_DATABASE_URL``.
"""

import os


BOT_NAME = "offermap"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are.  SearXNG's bot detection refuses User-Agents that contain "Scrapy",
# so the default one would be blocked by any instance with its limiter on.
OFFERMAP_CONTACT = os.environ.get("OFFERMAP_CONTACT", "https://github.com/offermap/offermap")
USER_AGENT = f"offermap/0.1 (+{OFFERMAP_CONTACT})"

# Politeness: robots.txt, a few connections per host and a delay between requests.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0  # seconds between requests to one host (randomised 0.5–1.5×)
RANDOMIZE_DOWNLOAD_DELAY = True

# Limits.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 2
DEPTH_LIMIT = 5
REDIRECT_MAX_TIMES = 5

# Every fetch is recorded, errors included, so 4xx/5xx reach the callbacks.
HTTPERROR_ALLOW_ALL = True

# Only http and https: Scrapy enables file://, data: and ftp:// by default, and a
# link on a stranger's page must never read local files.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

ITEM_PIPELINES = {"pipeline.scrapy_pipelines.StorePipeline": 300}
EXTENSIONS = {"scrapy.extensions.telnet.TelnetConsole": None}

# The crawl's progress lives in the database, not in a JOBDIR (which does not
# survive kill -9), and HTTP caching would write API keys to disk in clear text.
HTTPCACHE_ENABLED = False

LOG_LEVEL = os.environ.get("OFFERMAP_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
