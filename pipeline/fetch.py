"""One-off fetches outside the crawler (``offermap extract URL``, health checks).

Held to the same rules as the crawler (issue 10): only http and https; every host
resolved, checked and pinned by the SSRF guard (crawler/safety.py) before connecting,
and again on every redirect hop; robots.txt read and obeyed for every host the fetch
goes to (RFC 9309, failing closed like crawler/middlewares/robots.py); the crawler's
User-Agent (``OFFERMAP_CONTACT``); a size limit on the *decoded* body; and one
deadline for the whole fetch, because httpx's timeouts are per read and a server that
drips one byte a second would never trip them.  No proxy from the environment: a
proxy would resolve names out of the guard's sight.

The body is read raw and inflated here, at most 64 KiB of output per step, so a
small gzip, deflate, br or zstd bomb costs about ``max_bytes`` of memory before it
is stopped (httpx's own decoders inflate a whole network read at once, and its
brotli decoder has no output limit at all).
"""

from __future__ import annotations

import ipaddress
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import httpx

from crawler.safety import AddressPolicy, Blocked, Guard, allow_networks_from
from pipeline.errors import OfferMapError

MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Decompressed bytes produced per step: the memory a bomb can take beyond max_bytes.
CHUNK = 64 * 1024


class FetchError(OfferMapError):
    """A URL could not be fetched; the message says why in one line."""


class InvalidURL(FetchError):
    """The URL given on the command line does not parse (a usage error: exit 2)."""

    exit_code = 2


class RobotsForbidden(FetchError):
    """robots.txt disallows the URL for offermap, or could not be read (fail closed)."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def default_guard() -> Guard:
    """A guard with the allowlist from ``$OFFERMAP_ALLOW_NETWORKS`` (empty by default).

    An invalid or unsafe allowlist raises :class:`crawler.safety.InvalidAllowlist`
    (a ConfigError: one line, exit 2) before anything is fetched.
    """
    return Guard(policy=AddressPolicy(allow_networks_from(None)))


def crawler_user_agent() -> str:
    """The crawler's User-Agent, ``offermap/0.1 (+$OFFERMAP_CONTACT)`` (crawler/settings.py)."""
    from crawler import settings

    return str(settings.USER_AGENT)


def robots_agent() -> str:
    """The product token matched against robots.txt groups (``offermap``)."""
    from crawler import settings

    return str(settings.ROBOTSTXT_USER_AGENT)


def fetch_url(url: str, *, timeout: float = 30.0, max_bytes: int = MAX_BYTES,
              guard: Guard | None = None, user_agent: str | None = None,
              obey_robots: bool = True) -> FetchResult:
    """GET ``url``, following at most five redirects, reading at most ``max_bytes``.

    ``obey_robots`` reads robots.txt of every host on the way and refuses with
    :class:`RobotsForbidden`; it is off only for the operator's own endpoints
    (``offermap doctor`` probing SearXNG).
    """
    _check_given_url(url)
    guard = guard or default_guard()
    agent = user_agent or crawler_user_agent()
    deadline = time.monotonic() + timeout
    robots = _Robots(robots_agent()) if obey_robots else None
    current = url
    with httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False,
                      headers={"User-Agent": agent, "Accept-Encoding": ACCEPT_ENCODING}
                      ) as client:
        def get(target: str, limit: int, truncate: bool) -> FetchResult:
            return _fetch_once(client, guard, target, target, deadline, limit, truncate)

        for _hop in range(MAX_REDIRECTS + 1):
            _checked(guard, current)  # a refused host is "blocked", not a robots problem
            if robots is not None:
                robots.check(current, get)
            result = _fetch_once(client, guard, url, current, deadline, max_bytes)
            location = result.headers.get("location")
            if result.status not in REDIRECT_STATUSES or not location:
                return result
            current = _follow(current, location)
    raise FetchError(f"{url[:300]}: more than {MAX_REDIRECTS} redirects")


def _follow(current: str, location: str) -> str:
    try:
        return urljoin(current, location)
    except ValueError as error:
        raise FetchError(f"{current[:300]}: redirect to an invalid URL "
                         f"{location[:200]!r} ({error})") from None


def _check_given_url(url: str) -> None:
    """A URL that does not parse is the caller's mistake: one line, exit 2."""
    try:
        Guard.check_syntax(url)
    except Blocked as refused:  # always blocked_invalid_url
        raise InvalidURL(f"not a valid URL: {refused.detail}") from None


def _checked(guard: Guard, url: str) -> tuple[str, ...]:
    """The pinned addresses for ``url``; FetchError (``blocked: …``) when refused."""
    try:
        return guard.check_url(url)
    except Blocked as refused:
        raise FetchError(f"{url[:300]}: blocked: {refused}") from None
    except OSError as error:  # TransientLookupError: the resolver did not answer
        raise FetchError(f"{url[:300]}: dns_error: {error}") from None


def _fetch_once(client: httpx.Client, guard: Guard, original: str, url: str,
                deadline: float, max_bytes: int, truncate: bool = False) -> FetchResult:
    addresses = _checked(guard, url)
    parts = urlsplit(url)
    pinned = _pinned_url(parts, guard.dial(addresses[0]))
    # The checked address is dialled; the name still goes in Host and in TLS (SNI and
    # certificate checks), so virtual hosts and HTTPS work as usual.
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": parts.hostname or ""} if parts.scheme == "https" else {}
    try:
        with client.stream("GET", pinned, headers=headers, extensions=extensions) as response:
            body = _read_limited(response, url, deadline, max_bytes, truncate)
            return FetchResult(
                url=original, final_url=url, status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()}, body=body)
    except httpx.HTTPError as error:
        raise FetchError(f"{url[:300]}: {type(error).__name__}: {error}") from None


# --- reading and inflating with bounded memory ---------------------------------------


class _Inflater:
    """Decodes one content coding, yielding at most about CHUNK bytes per piece."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        raise NotImplementedError

    def flush(self) -> Iterator[bytes]:
        return iter(())


class _Identity(_Inflater):
    def feed(self, data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), CHUNK):
            yield data[start:start + CHUNK]


class _Zlib(_Inflater):
    """gzip (several members too) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, coding: str) -> None:
        self.wbits = 31 if coding in ("gzip", "x-gzip") else 15
        self.started = False
        self.decompressor = zlib.decompressobj(self.wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if not self.started and self.wbits == 15:
                try:
                    first = self.decompressor.decompress(data, CHUNK)
                except zlib.error:
                    self.wbits = -15  # raw deflate, without the zlib header
                    self.decompressor = zlib.decompressobj(self.wbits)
                    first = self.decompressor.decompress(data, CHUNK)
            else:
                first = self.decompressor.decompress(data, CHUNK)
            self.started = True
            yield first
            while self.decompressor.unconsumed_tail and not self.decompressor.eof:
                yield self.decompressor.decompress(self.decompressor.unconsumed_tail, CHUNK)
            data = b""
            if self.decompressor.eof and self.wbits == 31:
                # Concatenated gzip members (RFC 1952 §2.2): start the next one.
                data = self.decompressor.unused_data
                if data:
                    self.decompressor = zlib.decompressobj(self.wbits)

    def flush(self) -> Iterator[bytes]:
        yield self.decompressor.flush(CHUNK)


class _Brotli(_Inflater):
    def __init__(self) -> None:
        import brotli

        self.decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield self.decompressor.process(data, output_buffer_limit=CHUNK)
        # Until it can take input again, it only hands out what it already holds.
        while not self.decompressor.can_accept_more_data():
            yield self.decompressor.process(b"", output_buffer_limit=CHUNK)

    def flush(self) -> Iterator[bytes]:
        while not self.decompressor.is_finished():
            piece = self.decompressor.process(b"", output_buffer_limit=CHUNK)
            if not piece:
                return
            yield piece


class _Zstd(_Inflater):
    def __init__(self) -> None:
        self.decompressor = _zstd_module().ZstdDecompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            yield self.decompressor.decompress(data, CHUNK)
            while not self.decompressor.needs_input and not self.decompressor.eof:
                yield self.decompressor.decompress(b"", CHUNK)
            data = b""
            if self.decompressor.eof and self.decompressor.unused_data:
                data = self.decompressor.unused_data  # the next frame
                self.decompressor = _zstd_module().ZstdDecompressor()


def _zstd_module() -> Any:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return zstd


def _zstd_available() -> bool:
    try:
        _zstd_module()
    except ImportError:
        return False
    return True


def _brotli_available() -> bool:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


INFLATERS: dict[str, Callable[[], _Inflater]] = {
    "identity": _Identity, "gzip": lambda: _Zlib("gzip"), "x-gzip": lambda: _Zlib("gzip"),
    "deflate": lambda: _Zlib("deflate")}
if _brotli_available():
    INFLATERS["br"] = _Brotli
if _zstd_available():
    INFLATERS["zstd"] = _Zstd

def _decode_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [zlib.error, EOFError]
    if "br" in INFLATERS:
        import brotli

        errors.append(brotli.error)
    if "zstd" in INFLATERS:
        errors.append(_zstd_module().ZstdError)
    return tuple(errors)


DECODE_ERRORS = _decode_errors()
#: Only what can be inflated here with an output limit is asked for.
ACCEPT_ENCODING = ", ".join(name for name in ("gzip", "deflate", "br", "zstd")
                            if name in INFLATERS)


class _Chain(_Inflater):
    """Content-Encoding "gzip, br": decoded in reverse order, piece by piece."""

    def __init__(self, stages: list[_Inflater]) -> None:
        self.stages = stages

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, iter((data,)))

    def flush(self) -> Iterator[bytes]:
        for index, stage in enumerate(self.stages):
            yield from self._through(index + 1, stage.flush())

    def _through(self, index: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        if index == len(self.stages):
            yield from pieces
            return
        for piece in pieces:
            if piece:
                yield from self._through(index + 1, self.stages[index].feed(piece))


def _inflater_for(content_encoding: str | None) -> tuple[_Inflater, bool]:
    """The decoder for a Content-Encoding header, and whether it inflates anything.

    An unknown coding is passed through as it is (as httpx does).
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    stages = [INFLATERS[c]() for c in reversed(codings) if c in INFLATERS and c != "identity"]
    if not stages:
        return _Identity(), False
    return (stages[0] if len(stages) == 1 else _Chain(stages)), True


def _read_limited(response: httpx.Response, url: str, deadline: float, max_bytes: int,
                  truncate: bool = False) -> bytes:
    """The decoded body, at most ``max_bytes`` of it.

    Over the limit: :class:`FetchError` (``size_exceeded``, or
    ``decompressed_size_exceeded`` for an inflated body), or with ``truncate`` the
    first ``max_bytes`` (robots.txt: RFC 9309 §2.5 asks for at least 500 KiB).
    """
    inflater, inflating = _inflater_for(response.headers.get("content-encoding"))
    chunks: list[bytes] = []
    size = raw_size = 0

    def take(pieces: Iterator[bytes]) -> bool:
        nonlocal size
        for piece in pieces:
            if time.monotonic() > deadline:
                raise FetchError(f"{url[:300]}: timeout: the page took longer than the time "
                                 "allowed")
            if size + len(piece) > max_bytes:
                if truncate:
                    chunks.append(piece[:max_bytes - size])
                    size = max_bytes
                    return False
                kind = "decompressed_size_exceeded" if inflating else "size_exceeded"
                raise FetchError(f"{url[:300]}: {kind}: the page is larger than {max_bytes} "
                                 "bytes (after decompression)")
            size += len(piece)
            chunks.append(piece)
        return True

    try:
        for raw in response.iter_raw():
            if not take(inflater.feed(raw)):
                return b"".join(chunks)
            raw_size += len(raw)
            if raw_size > max_bytes and not truncate:
                # Compressed data that inflates to (almost) nothing still costs time.
                raise FetchError(f"{url[:300]}: size_exceeded: more than {max_bytes} bytes "
                                 "on the wire")
        if time.monotonic() > deadline:
            raise FetchError(f"{url[:300]}: timeout: the page took longer than the time "
                             "allowed")
        take(inflater.flush())
    except DECODE_ERRORS as error:
        raise FetchError(f"{url[:300]}: decoding_error: the body is not valid "
                         f"{response.headers.get('content-encoding')} ({error})") from None
    return b"".join(chunks)


# --- robots.txt ----------------------------------------------------------------------


class _Robots:
    """robots.txt for each origin a fetch goes to: read once, obeyed, failing closed."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.verdicts: dict[str, object] = {}

    def check(self, url: str, get: Callable[[str, int, bool], FetchResult]) -> None:
        from crawler.middlewares.robots import RobotsVerdict

        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.verdicts:
            self.verdicts[origin] = self._read(origin, get)
        verdict = self.verdicts[origin]
        assert isinstance(verdict, RobotsVerdict)
        if verdict.unavailable is not None:
            raise RobotsForbidden(
                f"{url[:300]}: robots.txt unavailable for {parts.netloc} "
                f"({verdict.unavailable}): not fetched (RFC 9309: an unreachable "
                "robots.txt means complete disallow)")
        if verdict.parser is not None and not verdict.parser.can_fetch(url, self.agent):
            raise RobotsForbidden(
                f"{url[:300]}: forbidden by robots.txt: {origin}/robots.txt disallows it "
                f"for {self.agent}; save the page from a browser and run "
                "`offermap extract FILE` instead")

    def _read(self, origin: str, get: Callable[[str, int, bool], FetchResult]) -> object:
        from crawler.middlewares.robots import ROBOTS_MAX_BYTES, RobotsVerdict, verdict_from

        target = f"{origin}/robots.txt"
        try:
            # RFC 9309 §2.3.1.2: follow at least five consecutive redirects.
            for _hop in range(MAX_REDIRECTS + 1):
                result = get(target, ROBOTS_MAX_BYTES, True)
                location = result.headers.get("location")
                if result.status not in REDIRECT_STATUSES or not location:
                    break
                target = urljoin(target, location)
        except FetchError as error:
            detail = str(error).split(": ", 1)[-1]
            return RobotsVerdict(None, f"unreachable, {detail[:200]}")
        return verdict_from(result.status, result.body, target)


def _pinned_url(parts: SplitResult, address: str) -> str:
    """``parts`` with its host replaced by the checked address (no fragment)."""
    host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, host + port, parts.path or "/", parts.query, ""))
