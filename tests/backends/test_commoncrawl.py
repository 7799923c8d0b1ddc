"""Common Crawl CDX index: lookups by prefix/domain, "no captures", throttles, and the
collinfo cache (saved answers shaped as pywb's CDX server sends them)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from crawler.backends.base import BackendBlocked
from crawler.backends.commoncrawl import (
    CollinfoCache,
    collinfo_request,
    lookup_request,
    parse_captures,
    parse_collinfo,
    parse_num_pages,
)

API = "https://index.commoncrawl.org/CC-MAIN-2025-43-index"
COLLINFO = json.dumps([
    {"id": "CC-MAIN-2025-38", "cdx-api": "https://index.commoncrawl.org/CC-MAIN-2025-38-index"},
    {"id": "CC-MAIN-2025-43", "cdx-api": API},
]).encode()
CAPTURES = b"\n".join(json.dumps(c).encode() for c in [
    {"urlkey": "org,example,courses)/pb", "timestamp": "20251020101010",
     "url": "https://courses.example.org/pb", "mime": "text/html", "status": "200",
     "languages": "eng", "digest": "X", "length": "1000", "offset": "5",
     "filename": "crawl-data/x.warc.gz"},
    {"urlkey": "org,example,courses)/gis", "timestamp": "20251021101010",
     "url": "https://courses.example.org/gis", "mime": "text/html", "status": "200"},
]) + b'\n{"urlkey": "trunc'


def test_lookup_request_is_a_prefix_query_with_filters() -> None:
    spec = lookup_request(API, "courses.example.org/", match_type="domain", page=2, limit=50)
    assert spec.url.startswith(API + "?url=courses.example.org%2F&matchType=domain&output=json")
    assert "filter=%3Dstatus%3A200" in spec.url and "page=2" in spec.url
    assert "showNumPages=true" in lookup_request(API, "x.org", num_pages=True).url
    with pytest.raises(ValueError):
        lookup_request(API, "x.org", match_type="regex")


def test_captures_are_read_line_by_line() -> None:
    captures = parse_captures(200, CAPTURES)
    assert [c.url for c in captures] == ["https://courses.example.org/pb",
                                         "https://courses.example.org/gis"]
    assert captures[0].languages == "eng"


def test_no_captures_and_past_the_end_are_empty() -> None:
    assert parse_captures(404, b'{"error": "No Captures found for: x.org/*"}') == []
    assert parse_captures(400, b"page out of range") == []
    assert parse_num_pages(200, b'{"pages": 3, "pageSize": 5, "blocks": 14}') == 3


@pytest.mark.parametrize("status", [403, 429, 503, 509])
def test_throttles_are_not_emptiness(status: int) -> None:
    with pytest.raises(BackendBlocked) as blocked:
        parse_captures(status, b"slow down")
    assert blocked.value.cooldown >= 60


def test_collinfo_newest_first_and_cached_atomically(tmp_path: Path) -> None:
    assert collinfo_request("https://index.commoncrawl.org/").url == \
        "https://index.commoncrawl.org/collinfo.json"
    assert parse_collinfo(200, COLLINFO)[0] == API
    cache = CollinfoCache(tmp_path / "cc" / "collinfo.json")
    assert cache.get() is None
    cache.put(COLLINFO)
    assert cache.get() == COLLINFO and not (tmp_path / "cc" / "collinfo.json.new").exists()
    old = time.time() - 25 * 3600
    os.utime(tmp_path / "cc" / "collinfo.json", (old, old))
    assert cache.get() is None  # older than a day: fetch it again
