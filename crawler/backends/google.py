"""Google Programmable Search (Custom Search JSON API), for keys that already exist.

Protocol notes (BACKENDS.md 1c; RELIABILITY.md finding 6): the API is closed to new
customers and ends for existing ones on 1 January 2027, so it is never a default.

* ``GET /customsearch/v1?key=…&cx=…&q=…``.  Both ``key`` and ``cx`` come from the
  environment only; ``key`` sits in the URL, which is why every log line and stored
  URL goes through :func:`crawler.backends.secrets.redact`.
* ``num`` is 1–10 and ``start`` is 1-based; ``start + num`` above 100 is an error
  ("The JSON API will never return more than 100 results"), so the tenth page asks
  for 9 results from start 91.
* With zero results the ``items`` key is absent; ``nextPage`` is absent on the last
  page.  ``totalResults`` is a string.
* The daily quota, spent: 429 ``RESOURCE_EXHAUSTED`` (reason rateLimitExceeded), or
  the older 403 ``dailyLimitExceeded``.  The quota resets at midnight Pacific time,
  so the backend is held until then while the other backends go on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from crawler.backends._common import json_body, try_json
from crawler.backends.base import BackendBlocked, BackendPage, GridQuery, RequestSpec, SearchHit
from crawler.backends.secrets import register_secret
from pipeline.config import GoogleSettings
from pipeline.errors import BackendError, BackendMisconfigured

MAX_RESULTS = 100  # start + num must not exceed this
DATE_RESTRICT = {"day": "d1", "week": "w1", "month": "m1", "year": "y1"}
PACIFIC = ZoneInfo("America/Los_Angeles")
QUOTA_REASONS = {"rateLimitExceeded", "dailyLimitExceeded", "quotaExceeded",
                 "userRateLimitExceeded"}
CONFIG_REASONS = {"keyInvalid", "accessNotConfigured", "forbidden", "keyExpired",
                  "ipRefererBlocked", "invalid"}


class GoogleBackend:
    name = "google"
    operators = frozenset({"quotes", "exclude", "site", "filetype"})

    def __init__(self, settings: GoogleSettings, environ: Mapping[str, str] | None = None
                 ) -> None:
        environ = os.environ if environ is None else environ
        key = (environ.get(settings.key_env) or "").strip()
        cx = (environ.get(settings.cx_env) or "").strip()
        missing = [name for name, value in ((settings.key_env, key), (settings.cx_env, cx))
                   if not value]
        if missing:
            raise BackendMisconfigured(
                "Google Programmable Search needs an API key and an engine id: set "
                + " and ".join(missing) + " in the environment")
        register_secret(key)
        register_secret(cx)
        self._key, self._cx = key, cx
        self.url: str = settings.url
        self.num: int = min(settings.num, 10)
        self.max_pages: int = -(-(MAX_RESULTS - 1) // self.num)  # pages with start+num ≤ 100
        self.max_requests: int = settings.max_requests
        self.timeout: float = settings.timeout
        self.delay: float = settings.delay
        self.key_env: str = settings.key_env

    def secrets(self) -> tuple[str, ...]:
        return (self._key, self._cx)

    def request(self, query: GridQuery, page: int,
                state: dict[str, str] | None = None) -> RequestSpec:
        start = (page - 1) * self.num + 1
        num = min(self.num, MAX_RESULTS - start)
        if page < 1 or num < 1:
            raise ValueError(f"Google pages run from 1 to {self.max_pages}, not {page}")
        params = {"key": self._key, "cx": self._cx, "q": query.text,
                  "num": str(num), "start": str(start),
                  "lr": f"lang_{query.language}", "hl": query.language}
        if query.time_range:
            params["dateRestrict"] = DATE_RESTRICT[query.time_range]
        return RequestSpec(f"{self.url}?{urlencode(params)}",
                           headers={"Accept": "application/json"})

    def parse(self, status: int, headers: dict[str, str], body: bytes) -> BackendPage:
        if status != 200:
            raise self._error(status, body)
        data = json_body(body, "Google Programmable Search")
        if not isinstance(data, dict):
            raise BackendError("Google Programmable Search answered JSON that is not an object")
        items = data.get("items")  # absent when there are no results
        hits = [hit for rank, item in enumerate(items if isinstance(items, list) else [], 1)
                if (hit := _hit(rank, item))]
        queries = data.get("queries") if isinstance(data.get("queries"), dict) else {}
        return BackendPage(hits=hits, has_more=bool(hits) and bool(queries.get("nextPage")))

    def _error(self, status: int, body: bytes) -> BackendError:
        error = _envelope(body)
        reasons = {item.get("reason") for item in error.get("errors") or []
                   if isinstance(item, dict)}
        message = error.get("message") if isinstance(error.get("message"), str) else ""
        detail = f" {error['status']}" if isinstance(error.get("status"), str) else ""
        if status == 429 or reasons & QUOTA_REASONS or detail == " RESOURCE_EXHAUSTED":
            until = next_pacific_midnight(datetime.now(UTC))
            return BackendBlocked(
                f"Google Programmable Search daily quota is used up (HTTP {status}{detail}); "
                f"it is skipped until {until:%Y-%m-%d %H:%M} UTC",
                cooldown=float("inf"), hold_until=until)
        if status in (401, 403) or reasons & CONFIG_REASONS or "API key" in message:
            return BackendMisconfigured(
                f"Google Programmable Search refused the request (HTTP {status}{detail}: "
                f"{message or 'no message'}): check {self.key_env} and the engine id")
        return BackendError(f"Google Programmable Search answered HTTP {status}{detail}"
                            + (f": {message}" if message else ""))


def next_pacific_midnight(now: datetime) -> datetime:
    """The next midnight in California (when Google's daily quota resets), in UTC."""
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return midnight.astimezone(UTC)


def _hit(rank: int, item: object) -> SearchHit | None:
    if not isinstance(item, dict) or not isinstance(item.get("link"), str):
        return None
    title, snippet = item.get("title"), item.get("snippet")
    return SearchHit(rank=rank, url=item["link"],
                     title=title.strip() if isinstance(title, str) else None,
                     snippet=" ".join(snippet.split()) if isinstance(snippet, str) else None)


def _envelope(body: bytes) -> dict[str, object]:
    data = try_json(body)
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}
