"""What both spiders share: turning a response or a failure into a FetchedPage."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FetchedPage


def fetched_page(response: Response, *, origin: str, depth: int = 0,
                 hit: tuple[str, str, int, int] | None = None, theme_filter: bool = True) -> FetchedPage:
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
    return FetchedPage(
        url=request.url,
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
    if name == "IgnoreRequest" and "robots" in text.lower():
        return "forbidden by robots.txt"
    return f"{name}: {text}" if text else name
