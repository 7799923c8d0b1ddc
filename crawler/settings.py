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
# Scrapy's own robots middleware fails open on 5xx and timeouts (RELIABILITY.md,
# finding 2); ours fails closed (RFC 9309 §2.3.1.4) and honours Crawl-delay.
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "offermap"
OFFERMAP_MAX_CRAWL_DELAY = 60.0  # a larger Crawl-delay is capped to this many seconds
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
# Budgets for every spider (providers also have their own max_pages per site).
# Counted per process: with `offermap crawl --redis`, per worker.
OFFERMAP_MAX_PAGES_PER_HOST = int(os.environ.get("OFFERMAP_MAX_PAGES_PER_HOST", "1000"))
OFFERMAP_MAX_PAGES_PER_RUN = int(os.environ.get("OFFERMAP_MAX_PAGES_PER_RUN", "20000"))
# Crawl traps (crawler/spiders/_common.py): dated links are followed only from one month
# before the crawl date to twelve months after it, and one path gets at most this many
# distinct query strings.  OFFERMAP_TODAY (ISO date) pins the crawl date for tests.
OFFERMAP_MAX_QUERY_VARIANTS = 20
REDIRECT_MAX_TIMES = 5

# Per-host pushback: after a 429 or 503 the host's delay becomes at least Retry-After
# (plus a margin) or twice the current delay, and never shrinks during the run.
OFFERMAP_MIN_BACKOFF = 1.0
OFFERMAP_MAX_BACKOFF = 120.0  # a longer Retry-After means: give up on the URL this run

# Every fetch is recorded, errors included, so 4xx/5xx reach the callbacks.
HTTPERROR_ALLOW_ALL = True

# Only http and https: Scrapy enables file://, data: and ftp:// by default, and a
# link on a stranger's page must never read local files.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

# SSRF: every host is resolved, checked and pinned before any connection
# (crawler/safety.py).  The resolver must be set here, at project level: in a
# spider's custom_settings Scrapy silently ignores it (RELIABILITY.md, finding 3).
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"
# Networks opened on purpose (the offline demo, tests): "127.0.0.0/8, ::1/128".
OFFERMAP_ALLOW_NETWORKS = os.environ.get("OFFERMAP_ALLOW_NETWORKS", "")
# A proxy would do the name resolution itself, out of the guard's sight.
HTTPPROXY_ENABLED = False
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.safety.SsrfGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RobotsPolicyMiddleware": 100,
    "crawler.middlewares.budget.BudgetMiddleware": 120,
    # After RetryMiddleware (550) in process_request, before it in process_response,
    # so a 429's backoff is set before the retry is queued.
    "crawler.middlewares.politeness.PolitenessMiddleware": 560,
}

ITEM_PIPELINES = {"pipeline.scrapy_pipelines.StorePipeline": 300}
EXTENSIONS = {"scrapy.extensions.telnet.TelnetConsole": None}

# The crawl's progress lives in the database, not in a JOBDIR (which does not
# survive kill -9), and HTTP caching would write API keys to disk in clear text.
HTTPCACHE_ENABLED = False

LOG_LEVEL = os.environ.get("OFFERMAP_LOG_LEVEL", "INFO").strip().upper()
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
