"""One-off fetches outside the crawler (``offermap extract URL``, health checks).

Held to the same rules as the crawler (issue 10): only http and https; every host
resolved, checked and pinned by the SSRF guard (crawler/safety.py) before connecting,
and again on every redirect hop; a size limit on the *decoded* body (httpx inflates
gzip, deflate and br as it reads, so a small bomb is stopped after ``max_bytes``);
and one deadline for the whole fetch, because httpx's timeouts are per read and a
server that drips one byte a second would never trip them.  No proxy from the
environment: a proxy would resolve names out of the guard's sight.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import httpx

from crawler.safety import AddressPolicy, Blocked, Guard, allow_networks_from
from pipeline.errors import OfferMapError

USER_AGENT = "offermap/0.1 (+https://github.com/offermap/offermap)"
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


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


def default_guard() -> Guard:
    """A guard with the allowlist from ``$OFFERMAP_ALLOW_NETWORKS`` (empty by default)."""
    return Guard(policy=AddressPolicy(allow_networks_from(None)))


def fetch_url(url: str, *, timeout: float = 30.0, max_bytes: int = MAX_BYTES,
              guard: Guard | None = None, user_agent: str = USER_AGENT) -> FetchResult:
    """GET ``url``, following at most five redirects, reading at most ``max_bytes``."""
    guard = guard or default_guard()
    deadline = time.monotonic() + timeout
    current = url
    with httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False,
                      headers={"User-Agent": user_agent}) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            result = _fetch_once(client, guard, url, current, deadline, max_bytes)
            location = result.headers.get("location")
            if result.status not in REDIRECT_STATUSES or not location:
                return result
            current = urljoin(current, location)
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _fetch_once(client: httpx.Client, guard: Guard, original: str, url: str,
                deadline: float, max_bytes: int) -> FetchResult:
    try:
        addresses = guard.check_url(url)
    except Blocked as refused:
        raise FetchError(f"{url}: blocked: {refused}") from None
    parts = urlsplit(url)
    pinned = _pinned_url(parts, guard.dial(addresses[0]))
    # The checked address is dialled; the name still goes in Host and in TLS (SNI and
    # certificate checks), so virtual hosts and HTTPS work as usual.
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": parts.hostname or ""} if parts.scheme == "https" else {}
    try:
        with client.stream("GET", pinned, headers=headers, extensions=extensions) as response:
            body = _read_limited(response, url, deadline, max_bytes)
            return FetchResult(
                url=original, final_url=url, status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()}, body=body)
    except httpx.HTTPError as error:
        raise FetchError(f"{url}: {type(error).__name__}: {error}") from None


def _read_limited(response: httpx.Response, url: str, deadline: float, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():  # decoded: counts inflated bytes
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: size_exceeded: the page is larger than {max_bytes} "
                             "bytes (after decompression)")
        if time.monotonic() > deadline:
            raise FetchError(f"{url}: timeout: the page took longer than the time allowed")
        chunks.append(chunk)
    return b"".join(chunks)


def _pinned_url(parts: SplitResult, address: str) -> str:
    """``parts`` with its host replaced by the checked address (no fragment)."""
    host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, host + port, parts.path or "/", parts.query, ""))
