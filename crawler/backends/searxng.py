"""SearXNG's JSON API (the default backend; self-hosted).

Protocol notes, from SearXNG's own code (see BACKENDS.md in the project notes):

* ``format=json`` is refused with 403 unless ``search.formats`` in the instance's
  settings.yml lists ``json``.  Retrying cannot help, so that is a configuration
  error, not a transient one.
* With its limiter on, SearXNG answers 429 (plain text, no Retry-After) to a
  User-Agent that looks like a bot (it matches "Scrapy"), to an ``Accept`` header
  that does not admit text/html, and to a missing ``Accept-Language``; the
  headers below pass those checks.
* ``number_of_results`` was dropped in 2026 and many keys are optional; only
  ``results[].url`` is required of a result.
* ``unresponsive_engines`` lists ``[engine, message]`` pairs: the answer is
  partial and the query should be asked again later.
* ``pageno`` is 1-based; ``time_range`` is day, week, month or year (anything else
  is a 400); a page past the end is an empty ``results`` list.
* The limiter allows an API client 4 requests per hour (``API_MAX``); with
  ``limiter: true`` in keywords.yaml the budget is capped to that, counting the
  requests earlier runs sent in the last hour (the spider reads them from the
  database), and its 429 holds the backend for an hour, across runs.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from crawler.backends.base import BackendBlocked, BackendPage, GridQuery, RequestSpec, SearchHit
from pipeline.errors import BackendError, BackendMisconfigured

RESULTS_PER_PAGE = 10  # SearXNG's page size is fixed by its engines; ten is typical
API_MAX = 4  # searx/botdetection/ip_limit.py: API requests per hour per IP, limiter on
API_WINDOW = 3600.0  # seconds: the window API_MAX counts in (sliding, across runs)
#: A 429 carries no Retry-After; the limiter's API window is an hour.
LIMITER_COOLDOWN = 3600.0


class SearxngBackend:
    name = "searxng"
    # Engines behind SearXNG honour quotes and -word; site: only some; filetype: few.
    operators = frozenset({"quotes", "exclude", "site"})

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        self.base_url: str = settings.url.rstrip("/")
        self.language: str = settings.language
        self.categories: list[str] = list(settings.categories)
        self.engines: list[str] = list(getattr(settings, "engines", []))
        self.max_pages: int = getattr(settings, "max_pages", 5)
        self.max_requests: int = settings.max_requests
        #: The instance runs its limiter: at most API_MAX requests per API_WINDOW.
        self.limiter: bool = bool(getattr(settings, "limiter", False))
        if self.limiter:
            self.max_requests = min(self.max_requests, API_MAX)
        self.timeout: float = settings.timeout
        self.delay: float = settings.delay

    def secrets(self) -> tuple[str, ...]:
        return ()

    def request(self, query: GridQuery, page: int,
                state: dict[str, str] | None = None) -> RequestSpec:
        params = {
            "q": query.text,
            "format": "json",
            "pageno": str(page),
            "language": query.language if self.language == "auto" else self.language,
            "categories": ",".join(self.categories),
        }
        if self.engines:
            params["engines"] = ",".join(self.engines)
        if query.time_range:
            params["time_range"] = query.time_range
        headers = {
            "Accept": "application/json, text/html;q=0.9, */*;q=0.8",
            "Accept-Language": f"{query.language},en;q=0.8",
            "Accept-Encoding": "gzip, deflate",
        }
        return RequestSpec(f"{self.base_url}/search?{urlencode(params)}", headers=headers)

    def parse(self, status: int, headers: dict[str, str], body: bytes) -> BackendPage:
        if status == 403:
            raise BackendMisconfigured(
                f"SearXNG at {self.base_url} refused the JSON format (HTTP 403): add 'json' "
                "to search.formats in its settings.yml and restart it"
            )
        if status == 429:
            raise BackendBlocked(
                f"SearXNG at {self.base_url} is rate-limiting (HTTP 429): turn its limiter off "
                "(server.limiter: false) or put this host in pass_ip",
                cooldown=LIMITER_COOLDOWN,
            )
        if status != 200:
            raise BackendError(f"SearXNG at {self.base_url} answered HTTP {status}"
                               f"{_error_detail(body)}")
        try:
            data = json.loads(body)
        except ValueError:
            raise BackendError(f"SearXNG at {self.base_url} did not answer JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
            raise BackendError(f"SearXNG at {self.base_url} answered JSON without a result list")

        hits = [hit for rank, item in enumerate(data.get("results") or [], 1)
                if (hit := _hit(rank, item)) is not None]
        unresponsive = tuple(
            str(pair[0]) for pair in data.get("unresponsive_engines") or []
            if isinstance(pair, (list, tuple)) and pair
        )
        return BackendPage(hits=hits, has_more=len(hits) >= RESULTS_PER_PAGE,
                           unresponsive=unresponsive)


def _hit(rank: int, item: object) -> SearchHit | None:
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        return None
    published = item.get("publishedDate")
    return SearchHit(
        rank=rank,
        url=item["url"],
        title=item.get("title") if isinstance(item.get("title"), str) else None,
        snippet=item.get("content") if isinstance(item.get("content"), str) else None,
        published=published if isinstance(published, str) else None,
    )


def _error_detail(body: bytes) -> str:
    try:
        message = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return ""
    return f": {message}" if isinstance(message, str) else ""
