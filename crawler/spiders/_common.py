"""What both spiders share: turning a response or a failure into a FetchedPage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FetchedPage


def fetched_page(response: Response, *, origin: str, depth: int = 0,
                 hit: tuple[str, str, int, int] | None = None,
                 theme_filter: bool = True) -> FetchedPage:
    request_url = response.request.meta.get("redirect_urls", [response.url])[0] \
        if response.request else response.url
    return FetchedPage(
        url=request_url,
        final_url=response.url,
        origin=origin,
        fetched_at=datetime.now(UTC),
        status=response.status,
        headers=flat_headers(response),
        body=response.body,
        depth=depth,
        hit=hit,
        theme_filter=theme_filter,
    )


def failed_page(failure: Failure, *, origin: str) -> FetchedPage:
    request = failure.request  # type: ignore[attr-defined]
    meta = request.meta
    response = getattr(failure.value, "response", None)
    # A refused redirect hop is recorded on the URL that was asked for, with the hop
    # it was refused at as final_url, like a fetched page.
    first_url = (meta.get("redirect_urls") or [request.url])[0]
    return FetchedPage(
        url=first_url,
        final_url=request.url,
        origin=origin,
        fetched_at=datetime.now(UTC),
        status=response.status if response is not None else None,
        depth=meta.get("offermap_depth", 0),
        hit=meta.get("offermap_hit"),
        error=describe_failure(failure),
        theme_filter=meta.get("offermap_theme_filter", True),
    )


def flat_headers(response: Response) -> dict[str, str]:
    """Header name (lower-case) to its first value."""
    headers: dict[str, str] = {}
    for name, values in response.headers.items():
        if values:
            headers[name.decode("latin-1").lower()] = values[0].decode("latin-1")
    return headers


def describe_failure(failure: Failure) -> str:
    """One readable line for a failed download."""
    error = failure.value
    name = type(error).__name__
    text = str(error).strip()
    if "during decompression" in text:
        # HttpCompressionMiddleware counts inflated bytes (B18): a small gzip bomb.
        return f"decompressed_size_exceeded: {text.removeprefix('Ignored response ')}"
    if name == "DownloadCancelledError":
        # Scrapy cancels a body that outgrows DOWNLOAD_MAXSIZE (the same error, without
        # text, when the crawl itself is being stopped).
        return f"size_exceeded: {text or 'body larger than DOWNLOAD_MAXSIZE, or crawl stopped'}"
    if text.startswith(("blocked: ", "dns_error: ", "budget: ")):
        # "blocked: blocked_private_address: <host> resolves to <address>" (SSRF guard)
        return text
    if "robots.txt" in text.lower():
        # "forbidden by robots.txt", or "robots.txt unavailable for <host> (...)"
        return text if text.startswith("robots.txt") else "forbidden by robots.txt"
    return f"{name}: {text}" if text else name


# --- crawl traps ---------------------------------------------------------------------
# Endless spaces stopped by rules, not by luck (issue 10, case B19): calendars that
# page forever, session ids that make every URL new, and query-string variants.

#: Query parameters that only identify a visitor's session.
SESSION_PARAMS = frozenset({"sessionid", "session_id", "sid", "phpsessid", "jsessionid",
                            "aspsessionid", "cfid", "cftoken"})

_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sessionid)=[^/?#]*", re.IGNORECASE)
# Whole path segments only ("/2024/05", "/2024-05-10/"): a dated slug such as
# "/workshop-dmp-2023-07.html" names one page, it does not page through a calendar.
_DATE_IN_PATH = re.compile(r"(?<=/)((?:1|2)[0-9]{3})[/-]([0-9]{1,2})(?:[/-]([0-9]{1,2}))?"
                           r"(?=/|$)")
_DATE_VALUE = re.compile(r"((?:1|2)[0-9]{3})-([0-9]{1,2})(?:-([0-9]{1,2}))?")
_YEAR_PARAM = re.compile(r"year|yr|jahr|anno|annee|año", re.IGNORECASE)
_MONTH_PARAM = re.compile(r"month|monat|mese|mois|mes", re.IGNORECASE)
MAX_URL_LENGTH = 2000
MAX_SEGMENT_REPEATS = 3


@dataclass(frozen=True)
class DateWindow:
    """Dated pages from a month before the crawl to twelve months after it (B19)."""

    first: tuple[int, int]
    last: tuple[int, int]

    @classmethod
    def around(cls, today: date, before_months: int = 1, after_months: int = 12) -> DateWindow:
        def shift(months: int) -> tuple[int, int]:
            index = today.year * 12 + today.month - 1 + months
            return index // 12, index % 12 + 1
        return cls(shift(-before_months), shift(after_months))

    def contains(self, year: int, month: int | None = None) -> bool:
        if month is None:
            return self.first[0] <= year <= self.last[0]
        return self.first <= (year, month) <= self.last


def strip_session_ids(url: str) -> str:
    """The URL without session-id parameters (``;jsessionid=…`` and ``?sid=…``)."""
    parts = urlsplit(_PATH_SESSION.sub("", url))
    if not parts.query:
        return parts.geturl()
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in SESSION_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def trap_reason(url: str, window: DateWindow) -> str | None:
    """Why following ``url`` would walk into an endless space, or None."""
    if len(url) > MAX_URL_LENGTH:
        return "url_too_long"
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and max(segments.count(segment) for segment in segments) > MAX_SEGMENT_REPEATS:
        return "repeated_path_segments"
    for match in _DATE_IN_PATH.finditer(parts.path):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and not window.contains(year, month):
            return "date_outside_window"
    return _query_date_trap(parse_qsl(parts.query), window)


def _query_date_trap(params: list[tuple[str, str]], window: DateWindow) -> str | None:
    year = month = None
    for name, value in params:
        dated = _DATE_VALUE.fullmatch(value.strip())
        if dated and 1 <= int(dated.group(2)) <= 12 and not window.contains(
                int(dated.group(1)), int(dated.group(2))):
            return "date_outside_window"
        if _YEAR_PARAM.search(name) and value.strip().isdigit():
            year = int(value)
        elif _MONTH_PARAM.search(name) and value.strip().isdigit():
            month = int(value)
    if year is None:
        return None
    if month is not None and 1 <= month <= 12:
        return None if window.contains(year, month) else "date_outside_window"
    return None if window.contains(year) else "date_outside_window"


class QueryVariants:
    """At most ``limit`` distinct query strings per host and path in one run."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: dict[tuple[str, str], set[str]] = {}

    def admit(self, url: str) -> bool:
        parts = urlsplit(url)
        if not parts.query:
            return True
        variants = self.seen.setdefault((parts.netloc.lower(), parts.path), set())
        if parts.query in variants:
            return True
        if len(variants) >= self.limit:
            return False
        variants.add(parts.query)
        return True
