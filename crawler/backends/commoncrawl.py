"""The Common Crawl CDX index: which pages of a known provider site were captured.

Not a keyword search: the index lists URLs by exact URL, prefix, host or domain, so
it serves provider-site discovery (the pages of a site in ``providers.yaml`` that a
walk from its start URLs may miss).  Pure, like the other backends: requests to
send and answers to read; sending is a spider's job.

Protocol notes (BACKENDS.md 1f, pywb's CDX server API and cdx_toolkit):

* The collection list ``/collinfo.json`` changes monthly, and Common Crawl asked
  clients not to fetch it repeatedly: it is cached for 24 h, written atomically
  (a ``.new`` file, then a rename), as cdx_toolkit does.
* ``GET <cdx-api>?url=<pattern>&matchType=prefix|host|domain|exact&output=json``
  answers NDJSON, one capture per line.  ``showNumPages=true`` gives the page count;
  ``page`` runs from 0 to pages−1, and a page too high is a 400.
* "No captures" is a 404 with a JSON ``error``; 400 and 404 both mean "no more data".
* The server bans clients above about 10 CDX requests per 60 s (fail2ban): 403,
  429, 503 (slow down), 509 or a refused connection.  These are throttles, never
  "no captures"; the default delay keeps a client under the limit.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from crawler.backends.base import BackendBlocked, RequestSpec
from pipeline.errors import BackendError

COLLINFO_MAX_AGE = 24 * 3600.0  # seconds; the list changes monthly
MATCH_TYPES = ("exact", "prefix", "host", "domain")
THROTTLE_STATUSES = {403, 429, 503, 509}
SLOW_DOWN = 60.0  # seconds: the fail2ban window


@dataclass(frozen=True, slots=True)
class Capture:
    url: str
    timestamp: str
    status: str | None
    mime: str | None
    languages: str | None


def collinfo_request(base_url: str) -> RequestSpec:
    return RequestSpec(f"{base_url.rstrip('/')}/collinfo.json",
                       headers={"Accept": "application/json"})


def parse_collinfo(status: int, body: bytes) -> list[str]:
    """The CDX API URLs of every collection, newest first."""
    if status in THROTTLE_STATUSES:
        raise BackendBlocked(f"Common Crawl index refused collinfo.json (HTTP {status})",
                             cooldown=SLOW_DOWN)
    if status != 200:
        raise BackendError(f"Common Crawl index answered HTTP {status} for collinfo.json")
    try:
        collections = json.loads(body)
    except ValueError:
        raise BackendError("Common Crawl collinfo.json is not JSON") from None
    apis = [c["cdx-api"] for c in collections if isinstance(c, dict)
            and isinstance(c.get("cdx-api"), str)]
    return sorted(apis, reverse=True)  # ids are CC-MAIN-YYYY-WW: newest sorts last


def lookup_request(cdx_api: str, pattern: str, *, match_type: str = "prefix",
                   page: int | None = None, limit: int | None = None,
                   filters: tuple[str, ...] = ("=status:200", "~mime:.*html"),
                   num_pages: bool = False) -> RequestSpec:
    """A CDX query for the captures of ``pattern`` (a URL, prefix, host or domain)."""
    if match_type not in MATCH_TYPES:
        raise ValueError(f"matchType is one of {', '.join(MATCH_TYPES)}, not {match_type!r}")
    params: list[tuple[str, str]] = [("url", pattern), ("matchType", match_type),
                                     ("output", "json")]
    params += [("filter", expression) for expression in filters]
    if limit is not None:
        params.append(("limit", str(limit)))
    if num_pages:
        params.append(("showNumPages", "true"))
    elif page is not None:
        params.append(("page", str(page)))
    return RequestSpec(f"{cdx_api}?{urlencode(params)}")


def parse_num_pages(status: int, body: bytes) -> int:
    """How many pages a lookup has (0 when there are no captures)."""
    if status in (400, 404):
        return 0
    _raise_for(status)
    try:
        return int(json.loads(body).get("pages", 0))
    except (ValueError, AttributeError, TypeError):
        raise BackendError("Common Crawl index answered an unreadable page count") from None


def parse_captures(status: int, body: bytes) -> list[Capture]:
    """The captures on one answer; [] for "no captures" (404) and past the end (400)."""
    if status in (400, 404):
        return []
    _raise_for(status)
    captures: list[Capture] = []
    for line in body.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue  # a truncated last line: the rest of the page still counts
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            captures.append(Capture(item["url"], str(item.get("timestamp", "")),
                                    item.get("status"), item.get("mime"),
                                    item.get("languages")))
    return captures


def _raise_for(status: int) -> None:
    if status in THROTTLE_STATUSES:
        raise BackendBlocked(f"Common Crawl index is throttling (HTTP {status}); "
                             f"waiting {SLOW_DOWN:g} s", cooldown=SLOW_DOWN)
    if status != 200:
        raise BackendError(f"Common Crawl index answered HTTP {status}")


def cdx_api_url(base_url: str, collection: str) -> str | None:
    """The CDX API of a pinned collection (``CC-MAIN-2025-43``); None for ``latest``,
    which has to be read from collinfo.json first."""
    if collection == "latest":
        return None
    return f"{base_url.rstrip('/')}/{collection}-index"


def seed_lookups(cdx_api: str, domains: list[str], limit: int) -> list[RequestSpec]:
    """One lookup per allowed domain of a provider site: its captured HTML pages."""
    return [lookup_request(cdx_api, domain, match_type="domain", limit=limit)
            for domain in domains]


class CollinfoCache:
    """collinfo.json on disk for 24 h, replaced atomically."""

    def __init__(self, path: Path, max_age: float = COLLINFO_MAX_AGE) -> None:
        self.path = path
        self.max_age = max_age

    def get(self, now: float | None = None) -> bytes | None:
        """The cached body, or None when it is missing or older than ``max_age``."""
        try:
            age = (now if now is not None else time.time()) - self.path.stat().st_mtime
            return self.path.read_bytes() if age < self.max_age else None
        except FileNotFoundError:
            return None

    def put(self, body: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.path.with_name(self.path.name + ".new")
        fresh.write_bytes(body)
        os.replace(fresh, self.path)
