"""Scenarios 15 and 16, case B18: size limits on inflated bytes, and slow-drip timeouts."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest

from tests.reliability.fakedns import FakeDns
from tests.reliability.harness import PUBLIC, CrawlResult, StreamServer, crawl, write_config

MAX_SIZE = 10 * 1024 * 1024
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """B18: b'<p>' + b'a' * 1 GiB + b'</p>', about 1 MB on the wire, in three encodings."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    block = b"a" * MIB
    parts = [compressor.compress(b"<p>")]
    parts += [compressor.compress(block) for _ in range(1024)]
    parts += [compressor.compress(b"</p>"), compressor.flush()]
    gzipped = b"".join(parts)
    # The same raw deflate stream without the 10-byte gzip header and 8-byte trailer.
    raw_deflate = gzipped[10:-8]
    brotli_parts = brotli.Compressor(quality=5)
    br = b"".join([brotli_parts.process(b"<p>"),
                   *(brotli_parts.process(block) for _ in range(1024)),
                   brotli_parts.process(b"</p>"), brotli_parts.finish()])
    return {"gzip": gzipped, "deflate": raw_deflate, "br": br}


def once(data: bytes, chunk: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start:start + chunk]


def run_site(tmp_path: Path, server: StreamServer, overrides: dict | None = None
             ) -> CrawlResult:
    port = server.url.rsplit(":", 1)[1]
    dns = FakeDns(names={"big.example.org": [[PUBLIC[3]]]}, dial={PUBLIC[3]: server.host})
    config = write_config(tmp_path / "config", providers=[{
        "name": "big", "allowed_domains": ["big.example.org"], "max_depth": 1,
        "theme_filter": False, "start_urls": [f"http://big.example.org:{port}/"]}])
    return crawl(tmp_path, config, dns, spiders=("providers",),
                 overrides={"DOWNLOAD_MAXSIZE": MAX_SIZE, "DOWNLOAD_WARNSIZE": MAX_SIZE // 2,
                            **(overrides or {})})


def index_linking(*paths: str) -> tuple[int, dict[str, str], object]:
    body = "".join(f'<a href="{path}">{path}</a>' for path in paths).encode()
    return 200, {"Content-Type": "text/html"}, lambda: iter([body])


AFTER = (200, {"Content-Type": "text/html"}, lambda: iter([b"<h1>after</h1>"]))


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_b18_a_small_body_that_inflates_to_a_gigabyte_is_stopped_early(
        tmp_path: Path, bombs: dict[str, bytes], encoding: str) -> None:
    bomb = bombs[encoding]
    routes = {"/": index_linking("/bomb", "/after"), "/after": AFTER,
              "/bomb": (200, {"Content-Type": "text/html; charset=utf-8",
                              "Content-Encoding": encoding,
                              "Content-Length": str(len(bomb))}, lambda: once(bomb))}
    with StreamServer(routes, host="127.0.0.31") as server:
        result = run_site(tmp_path, server)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = {page.url.rsplit("/", 1)[1]: page for page in result.pages()}
    assert pages["after"].status == 200  # the crawl goes on
    bomb_page = pages["bomb"]
    assert bomb_page.content_hash is None and bomb_page.outcome != "candidate"
    assert (bomb_page.error or "").startswith("decompressed_size_exceeded"), bomb_page.error
    assert result.out["peak_rss_growth"] < 100 * MIB


def test_scenario_16_a_200_mb_body_is_cut_off(tmp_path: Path) -> None:
    def endless() -> Iterator[bytes]:
        block = b"x" * (256 * 1024)
        for _ in range(800):  # 200 MB, with no Content-Length to warn us
            yield block

    routes = {"/": index_linking("/huge", "/after"), "/after": AFTER,
              "/huge": (200, {"Content-Type": "text/html"}, endless)}
    with StreamServer(routes, host="127.0.0.32") as server:
        result = run_site(tmp_path, server)
        huge = server.served("/huge")
    assert result.returncode == 0, result.stderr[-3000:]
    assert huge and all(entry.cut_off and entry.sent < 40 * MIB for entry in huge)
    pages = {page.url.rsplit("/", 1)[1]: page for page in result.pages()}
    assert pages["after"].status == 200
    assert (pages["huge"].error or "").startswith("size_exceeded"), pages["huge"].error
    assert result.out["peak_rss_growth"] < MAX_SIZE + 50 * MIB


def test_scenario_15_a_slow_drip_server_is_cut_off_by_the_timeout(tmp_path: Path) -> None:
    import time

    def drip() -> Iterator[bytes]:
        for _ in range(60):
            yield b"a"
            time.sleep(1)

    routes = {"/": index_linking("/drip", "/after"), "/after": AFTER,
              "/drip": (200, {"Content-Type": "text/html", "Content-Length": "1000"}, drip)}
    with StreamServer(routes, host="127.0.0.33") as server:
        result = run_site(tmp_path, server, {"DOWNLOAD_TIMEOUT": 3, "RETRY_TIMES": 1})
        dripped = server.served("/drip")
    assert result.returncode == 0, result.stderr[-3000:]
    # Measured by the server: each attempt ends within DOWNLOAD_TIMEOUT + 2 s.
    assert len(dripped) == 2
    assert all(entry.cut_off and entry.ended - entry.started <= 3 + 2 for entry in dripped)
    pages = {page.url.rsplit("/", 1)[1]: page for page in result.pages()}
    assert pages["after"].status == 200
    assert "TimeoutError" in (pages["drip"].error or ""), pages["drip"].error
