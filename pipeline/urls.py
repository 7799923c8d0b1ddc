"""URL keys: one canonical form per page, for the crawler and for entry deduplication.

Two keys exist because they answer different questions (case B22):

* :func:`crawl_key` answers "have we already fetched this?".  It folds only what can
  never change the response: scheme/host letter case, the fragment, a default port,
  tracking and session parameters, the order of parameters.  It keeps the scheme,
  ``www.`` and a trailing slash, because a server may answer those differently
  (searxng#4602: a link worked only with its trailing slash).
* :func:`canonical_url` answers "is this the same training page?".  On top of the
  crawl key it folds ``http``→``https``, a leading ``www.`` and one trailing slash, so
  the same course returned by several engines in slightly different forms becomes
  one entry.  It is a *key*: a folded URL that nobody returned is never fetched.
  :func:`preferred_url` picks, among the forms actually found, the one to store.

Neither key lowercases the path: ``/Courses/GIS-101`` and ``/courses/gis-101`` may be
different pages (B22 case c).

All functions are pure: no network, no logging, no files.  The public suffix list
comes from the snapshot bundled with tldextract (never fetched, never cached on disk).
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit, unquote

import tldextract
from w3lib.url import safe_url_string

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonical_url",
    "crawl_key",
    "is_http_url",
    "preferred_url",
    "registered_domain",
]

#: Query parameters that never select content: ad/newsletter click ids and session
#: ids (B22).  Compared case-insensitively, after percent-decoding the name.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # click and campaign ids
        "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "yclid",
        "igshid", "twclid", "ttclid", "li_fat_id", "mc_cid", "mc_eid", "_ga", "_gl",
        "_hsenc", "_hsmi", "mkt_tok",
        # Matomo campaign parameters (common on European public-sector sites)
        "pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content",
        "pk_cid",
        # session ids
        "jsessionid", "phpsessid", "sid", "sessionid", "session_id", "cfid", "cftoken",
    }
)

#: Parameter-name prefixes that are tracking parameters (``utm_source``, ...).
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "mtm_", "aspsessionid")

# Session ids carried as path parameters: "/course/12;jsessionid=0A1B?x=1" (B22).
_PATH_SESSION_RE = re.compile(
    r";(?:jsessionid|phpsessid|sid|sessionid|session_id)=[^/;?#]*", re.IGNORECASE
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def is_http_url(url: object) -> bool:
    """Return True when ``url`` is an absolute ``http``/``https`` URL with a host.

    Never raises: anything that is not a string, has another scheme (``mailto:``,
    ``javascript:``, ``ftp:``), has no host or has an invalid port gives False.
    """
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
            return False
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return True


def crawl_key(url: str) -> str:
    """The key of the crawler's duplicate filter (B22: forms a, b, d equal; c, e, f not).

    Lowercases scheme and host (IDNA-encoded), drops the fragment, a default port,
    tracking and session parameters (query and ``;jsessionid=`` path parameters) and
    empty ``&&`` pieces, normalises percent-escapes (upper-case hex, unreserved
    characters decoded) and ``.``/``..`` segments, and sorts the parameters by name
    with a stable sort, so repeated names keep their order.  Keeps the scheme, a
    ``www.`` and a trailing slash, and the case of path and query.

    The result is itself a valid URL, and its own key (idempotent).  Raises
    :class:`ValueError` when ``url`` is not an http(s) URL (see :func:`is_http_url`).
    """
    return _key(url, fold=False)


def canonical_url(url: str) -> str:
    """The entry-deduplication key (B22: forms a, b, d, e, f equal; c differs).

    Everything :func:`crawl_key` does, plus: ``http`` becomes ``https``, a leading
    ``www.`` is dropped and a single trailing slash is removed (the root path stays
    ``/``; a path ending in ``//`` is left alone).  Idempotent, like :func:`crawl_key`.
    The path keeps its case.  The result is a key, not a URL to fetch: use
    :func:`preferred_url` to choose what to store.  Raises :class:`ValueError` when
    ``url`` is not an http(s) URL.
    """
    return _key(url, fold=True)


def preferred_url(urls: Iterable[str]) -> str:
    """Choose the URL to store for one entry among the forms that were found.

    Returns the :func:`crawl_key` form (tracking parameters and fragment removed) of
    one of ``urls``: preferably a form that already equals its :func:`canonical_url`
    (so B22 a, b, d, e store ``https://example.org/Courses/GIS-101?id=7``), then
    https over http, then without ``www.``, then the shortest, then the smallest
    string.  The choice does not depend on the order of ``urls``.  A folded URL that
    nobody returned is never produced (B22 f, searxng#4602).  Non-http(s) items are
    ignored; raises :class:`ValueError` when none is left.
    """
    ranked: list[tuple[int, int, int, int, str]] = []
    for url in urls:
        if not is_http_url(url):
            continue
        key = crawl_key(url)
        parts = urlsplit(key)
        host = parts.hostname or ""
        ranked.append(
            (
                0 if key == canonical_url(url) else 1,
                0 if parts.scheme == "https" else 1,
                1 if host.startswith("www.") else 0,
                len(key),
                key,
            )
        )
    if not ranked:
        raise ValueError("no http(s) URL to choose from")
    return min(ranked)[-1]


def registered_domain(url_or_host: str) -> str:
    """The registrable domain of a URL or host: ``www.cs.uni-example.de`` → ``uni-example.de``.

    Accepts a full URL, ``host``, ``host:port`` or ``host/path``.  The result is
    lower-case ASCII (IDNA), without port.  Private public-suffix entries count as
    suffixes (``alice.github.io`` and ``bob.github.io`` are different owners).  IP
    addresses are returned as they are (``127.0.0.2``; IPv6 in compressed form,
    without brackets).  A host under a suffix the list does not know (``.test``,
    ``.example``, ``.localhost``, intranet names) gives its last two labels, or the
    host itself when it has one label.  Raises :class:`ValueError` when there is no
    host.  Uses the bundled suffix-list snapshot only: no network, no disk cache.
    """
    text = url_or_host.strip()
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError as exc:
        raise ValueError(f"no host in {url_or_host!r}") from exc
    if not host:
        raise ValueError(f"no host in {url_or_host!r}")
    return _registered_domain_of_host(host.rstrip("."))


# --------------------------------------------------------------------------- internals


def _key(url: str, *, fold: bool) -> str:
    if not is_http_url(url):
        raise ValueError(f"not an http(s) URL: {url!r}")
    # safe_url_string percent-encodes non-ASCII and unsafe characters (as UTF-8) and
    # IDNA-encodes the host, so equal pages written in different encodings agree.
    parts = urlsplit(safe_url_string(url.strip()))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    port = parts.port
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    if fold:
        scheme = "https"
        if host.startswith("www.") and "." in host[4:]:
            host = host[4:]
        if port == _DEFAULT_PORTS["https"]:
            port = None

    if ":" in host:  # IPv6: one spelling per address ("[::0:1]" is "[::1]")
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            pass
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"

    path = _PATH_SESSION_RE.sub("", parts.path)
    path = _remove_dot_segments(_normalise_escapes(path)) or "/"
    if fold and path.endswith("/") and not path.endswith("//"):
        # One trailing slash (B22 f).  "/a//" ends in an empty segment, not a trailing
        # slash: it stays, which also keeps the key idempotent.
        path = path[:-1] or "/"
    query = _clean_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _normalise_escapes(text: str) -> str:
    """Upper-case percent-escape hex and decode escaped unreserved characters (RFC 3986
    6.2.2.1-2): equivalences that never change what a server sees."""

    def repl(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE_RE.sub(repl, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for absolute paths."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")
        elif seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


def _is_tracking(name: str) -> bool:
    lowered = unquote(name.replace("+", " ")).strip().lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    """Drop tracking/session parameters and empty pieces; stable-sort by decoded name.

    Pieces are kept as written (escapes normalised only): re-encoding values would
    change what the server receives, e.g. a ``;`` inside a value.
    """
    kept: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        piece = _normalise_escapes(piece)
        name = piece.split("=", 1)[0]
        if _is_tracking(name):
            continue
        kept.append((unquote(name.replace("+", " ")), piece))
    kept.sort(key=lambda item: item[0])  # list.sort is stable: repeated names keep order
    return "&".join(piece for _, piece in kept)


_EXTRACTOR: tldextract.TLDExtract | None = None
_EXTRACTOR_LOCK = threading.Lock()


def _make_extractor() -> tldextract.TLDExtract:
    """A TLDExtract that uses only the bundled snapshot.

    ``suffix_list_urls=()`` disables the HTTP fetch of the public suffix list (it
    would otherwise happen on first use, and again whenever the cache is missing);
    ``cache_dir=None`` disables the disk cache, so nothing is written anywhere.
    """
    return tldextract.TLDExtract(
        cache_dir=None,
        suffix_list_urls=(),
        fallback_to_snapshot=True,
        include_psl_private_domains=True,
    )


def _extractor() -> tldextract.TLDExtract:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        with _EXTRACTOR_LOCK:
            if _EXTRACTOR is None:
                _EXTRACTOR = _make_extractor()
    return _EXTRACTOR


@lru_cache(maxsize=65536)
def _registered_domain_of_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_host = host.lower()
    result = _extractor().extract_str(ascii_host)
    top = getattr(result, "top_domain_under_public_suffix", None) or ""
    if result.suffix and top:
        return top
    # Unknown suffix (".test", ".example", intranet names): the last two labels are
    # the best guess of an owner, and stay stable for the demo and test hosts.
    labels = [label for label in ascii_host.split(".") if label]
    return ".".join(labels[-2:]) if labels else ascii_host
