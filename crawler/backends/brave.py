"""Brave Search API, web results (keyed; its own index).

Protocol notes (BACKENDS.md 1b; RELIABILITY.md finding 5):

* ``GET /res/v1/web/search`` with the token in ``X-Subscription-Token``.  The token
  is read from the environment only, so it never sits in a file or the database.
* ``count`` is 1–20 and ``offset`` is a zero-based *page index* 0–9, not a result
  offset: ``offset=20`` is answered 422 (SearXNG's own braveapi engine had this bug,
  searxng#6545).  So a query has at most 10 pages.
* Paging stops at the first ``query.more_results_available: false``.
* Every answer carries ``X-RateLimit-Limit/-Policy/-Remaining/-Reset`` as
  comma-separated pairs: a per-second window, then a per-month one.  The throttle is
  driven by these headers, not by plan constants (plans change).
* A 429 ``ErrorResponse`` (code RATE_LIMITED) means slow down; with the monthly
  remaining count at 0 it means the quota is spent until the monthly reset.
* An invalid or missing token is ``SUBSCRIPTION_TOKEN_INVALID`` (401 or 422).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from crawler.backends._common import header_pair, json_body, plain_text, try_json
from crawler.backends.base import BackendBlocked, BackendPage, GridQuery, RequestSpec, SearchHit
from crawler.backends.secrets import register_secret
from pipeline.config import BraveSettings
from pipeline.errors import BackendError, BackendMisconfigured

MAX_PAGES = 10  # offset 0–9
FRESHNESS = {"day": "pd", "week": "pw", "month": "pm", "year": "py"}
# Brave's search_lang codes are ISO 639-1 except Portuguese, which names a variant.
SEARCH_LANG = {"pt": "pt-pt"}
MIN_COOLDOWN = 1.0  # the per-second window: never ask again sooner than this


class BraveBackend:
    name = "brave"
    operators = frozenset({"quotes", "exclude", "site", "filetype"})
    max_pages = MAX_PAGES

    def __init__(self, settings: BraveSettings, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        token = (environ.get(settings.token_env) or "").strip()
        if not token:
            raise BackendMisconfigured(
                f"Brave Search API needs a subscription token: set {settings.token_env} "
                "in the environment")
        register_secret(token)
        self._token = token
        self.url: str = settings.url
        self.count: int = min(settings.count, 20)
        self.country: str | None = settings.country
        self.safesearch: str = settings.safesearch
        self.max_requests: int = settings.max_requests
        self.timeout: float = settings.timeout
        self.delay: float = settings.delay
        self.token_env: str = settings.token_env

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)

    def request(self, query: GridQuery, page: int,
                state: dict[str, str] | None = None) -> RequestSpec:
        if not 1 <= page <= MAX_PAGES:
            raise ValueError(f"Brave pages run from 1 to {MAX_PAGES}, not {page}")
        params = {
            "q": query.text,
            "count": str(self.count),
            "offset": str(page - 1),  # a page index, not a result offset
            "search_lang": SEARCH_LANG.get(query.language, query.language),
            "safesearch": self.safesearch,
            "result_filter": "web",
        }
        if self.country:
            params["country"] = self.country
        if query.time_range:
            params["freshness"] = FRESHNESS[query.time_range]
        headers = {
            "X-Subscription-Token": self._token,
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
        }
        return RequestSpec(f"{self.url}?{urlencode(params)}", headers=headers)

    def parse(self, status: int, headers: dict[str, str], body: bytes) -> BackendPage:
        if status == 429:
            raise self._throttled(headers, body)
        if status in (401, 403) or (status == 422 and _code(body) == "SUBSCRIPTION_TOKEN_INVALID"):
            raise BackendMisconfigured(
                f"Brave Search API refused the subscription token (HTTP {status}"
                f"{_code_suffix(body)}): set {self.token_env} to a valid token")
        if status != 200:
            raise BackendError(f"Brave Search API answered HTTP {status}{_code_suffix(body)}"
                               f"{_detail(body)}")
        data = json_body(body, "Brave Search API")
        if not isinstance(data, dict):
            raise BackendError("Brave Search API answered JSON that is not an object")
        web = data.get("web") if isinstance(data.get("web"), dict) else {}
        items = web.get("results") if isinstance(web.get("results"), list) else []
        hits = [hit for rank, item in enumerate(items, 1) if (hit := _hit(rank, item))]
        query = data.get("query") if isinstance(data.get("query"), dict) else {}
        more = bool(query.get("more_results_available")) and bool(hits)
        return self._paced(BackendPage(hits=hits, has_more=more), headers)

    def _paced(self, page: BackendPage, headers: dict[str, str]) -> BackendPage:
        """Pause when the per-second window is used up; stop when the month is."""
        remaining = header_pair(headers, "x-ratelimit-remaining")
        reset = header_pair(headers, "x-ratelimit-reset")
        if len(remaining) >= 2 and remaining[1] <= 0:
            # The month is spent: this answer stands, nothing more may be asked.
            return BackendPage(hits=page.hits, has_more=False, wait=float("inf"),
                               hold_until=_hold(reset))
        if remaining and remaining[0] <= 0:
            return BackendPage(hits=page.hits, has_more=page.has_more,
                               wait=max(reset[0] if reset else MIN_COOLDOWN, MIN_COOLDOWN))
        return page

    def _throttled(self, headers: dict[str, str], body: bytes) -> BackendBlocked:
        remaining = header_pair(headers, "x-ratelimit-remaining")
        reset = header_pair(headers, "x-ratelimit-reset")
        meta = _meta(body)
        month_spent = (len(remaining) >= 2 and remaining[1] <= 0) or (
            isinstance(meta.get("quota_limit"), (int, float))
            and isinstance(meta.get("quota_current"), (int, float))
            and meta["quota_current"] >= meta["quota_limit"])
        if month_spent:
            until = _hold(reset)
            return BackendBlocked(
                f"Brave Search API monthly quota is used up (HTTP 429{_code_suffix(body)}); "
                f"it resets at {until:%Y-%m-%d %H:%M} UTC", cooldown=float("inf"),
                hold_until=until)
        wait = max(reset[0] if reset else MIN_COOLDOWN, MIN_COOLDOWN)
        return BackendBlocked(f"Brave Search API is rate-limiting (HTTP 429{_code_suffix(body)}); "
                              f"waiting {wait:g} s", cooldown=wait)


def _hit(rank: int, item: object) -> SearchHit | None:
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        return None
    return SearchHit(rank=rank, url=item["url"], title=plain_text(item.get("title")),
                     snippet=plain_text(item.get("description")),
                     published=item.get("page_age") if isinstance(item.get("page_age"), str)
                     else None)


def _hold(reset: tuple[float, ...]) -> datetime:
    """When the monthly window resets (its reset value is in seconds from now)."""
    seconds = reset[1] if len(reset) >= 2 else 24 * 3600.0
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _error(body: bytes) -> dict[str, object]:
    data = try_json(body)
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _code(body: bytes) -> str | None:
    code = _error(body).get("code")
    return code if isinstance(code, str) else None


def _code_suffix(body: bytes) -> str:
    code = _code(body)
    return f" {code}" if code else ""


def _detail(body: bytes) -> str:
    detail = _error(body).get("detail")
    return f": {detail}" if isinstance(detail, str) else ""


def _meta(body: bytes) -> dict[str, object]:
    meta = _error(body).get("meta")
    return meta if isinstance(meta, dict) else {}
