"""One-off fetches outside the crawler (``offermap extract URL``, health checks).

Known shortcoming: no SSRF guard or robots.txt check yet; the crawler-safety work
hardens this module for every request the project makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from pipeline.errors import OfferMapError

USER_AGENT = "offermap/0.1 (+https://github.com/offermap/offermap)"
MAX_BYTES = 10 * 1024 * 1024


class FetchError(OfferMapError):
    """A URL could not be fetched; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def fetch_url(url: str, *, timeout: float = 30.0, max_bytes: int = MAX_BYTES) -> FetchResult:
    """GET ``url`` (following redirects), reading at most ``max_bytes`` of body."""
    if not url.startswith(("http://", "https://")):
        raise FetchError(f"Only http and https URLs can be fetched, not {url!r}")
    try:
        with httpx.Client(follow_redirects=True, timeout=timeout,
                          headers={"User-Agent": USER_AGENT}) as client:
            with client.stream("GET", url) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"{url}: the page is larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return FetchResult(
                    url=url, final_url=str(response.url), status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=b"".join(chunks),
                )
    except httpx.HTTPError as error:
        raise FetchError(f"{url}: {type(error).__name__}: {error}") from None
