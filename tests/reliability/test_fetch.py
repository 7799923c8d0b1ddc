"""`offermap extract URL`'s fetch (pipeline/fetch.py): the crawler's rules, with httpx."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest

from crawler.safety import Guard
from pipeline.fetch import FetchError, fetch_url
from tests.conftest import REPO, run_offermap
from tests.reliability.fakedns import CATCH_ALL
from tests.reliability.harness import StreamServer, canaries, port_of
from tests.servers import LoopbackServer, html

MIB = 1024 * 1024


class StubGuard(Guard):
    """Scripted names; every checked address dialled on loopback (see fakedns.py)."""

    def __init__(self, names: dict[str, list[str]], dial: dict[str, str]) -> None:
        super().__init__(lookup=lambda host: names[host])
        self.dial_map = dial

    def dial(self, address: str) -> str:
        return self.dial_map.get(address, CATCH_ALL)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html,x", "ftp://x.example/",
                                 "gopher://x.example/"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchError, match="blocked_scheme"):
        fetch_url(url, guard=StubGuard({}, {}))


def test_redirect_into_the_private_network_is_refused_at_the_hop() -> None:
    with canaries("127.0.0.1") as (port, listening):
        site = LoopbackServer({"/course": (302, {"Location": f"http://192.168.1.10:{port}/"},
                                           b""),
                               "/meta": (302, {"Location": f"http://2130706433:{port}/"}, b"")},
                              host="127.0.0.61")
        with site:
            guard = StubGuard({"gis.example.org": ["93.184.220.1"]},
                              {"93.184.220.1": "127.0.0.61"})
            for path in ("/course", "/meta"):
                with pytest.raises(FetchError, match="blocked_private_address"):
                    fetch_url(f"http://gis.example.org:{port_of(site)}{path}", guard=guard)
            # Each fetch reads robots.txt of the public host, then the page; the
            # refused hop is never asked for.
            assert site.paths() == ["/robots.txt", "/course", "/robots.txt", "/meta"]
        assert [canary.accepted for canary in listening] == [0, 0]


def test_a_name_is_fetched_on_its_checked_address_with_its_own_host_header() -> None:
    site = LoopbackServer({"/ok": html("<h1>ok</h1>")}, host="127.0.0.62")
    with site:
        guard = StubGuard({"ok.example.org": ["93.184.220.2"]}, {"93.184.220.2": "127.0.0.62"})
        result = fetch_url(f"http://ok.example.org:{port_of(site)}/ok", guard=guard)
    assert result.status == 200 and b"ok" in result.body
    assert site.requests[0][2]["host"] == f"ok.example.org:{port_of(site)}"


def test_a_gzip_bomb_is_stopped_after_max_bytes_of_inflated_body() -> None:
    bomb = gzip.compress(b"a" * (64 * 1024 * 1024), compresslevel=9)
    routes: dict[str, Any] = {"/bomb": (200, {"Content-Type": "text/html",
                                              "Content-Encoding": "gzip",
                                              "Content-Length": str(len(bomb))},
                                        lambda: iter([bomb]))}
    with StreamServer(routes, host="127.0.0.63") as server:
        guard = StubGuard({"bomb.example.org": ["93.184.220.3"]}, {"93.184.220.3": "127.0.0.63"})
        with pytest.raises(FetchError, match="size_exceeded"):
            fetch_url(f"http://bomb.example.org:{port_of(server)}/bomb", guard=guard,
                      max_bytes=1024 * 1024)


def test_a_slow_drip_is_stopped_by_the_overall_deadline() -> None:
    def drip() -> Iterator[bytes]:
        for _ in range(30):
            yield b"a"
            time.sleep(0.5)

    routes: dict[str, Any] = {"/drip": (200, {"Content-Type": "text/html",
                                              "Content-Length": "100"}, drip)}
    with StreamServer(routes, host="127.0.0.64") as server:
        guard = StubGuard({"drip.example.org": ["93.184.220.4"]}, {"93.184.220.4": "127.0.0.64"})
        with pytest.raises(FetchError, match="timeout"):
            fetch_url(f"http://drip.example.org:{port_of(server)}/drip", guard=guard, timeout=2)
        served = server.served("/drip")
    # Measured by the server: the client hung up within the deadline plus 2 s.
    assert served and served[0].ended - served[0].started <= 2 + 2


# --- B18 for httpx: a bomb is inflated at most 64 KiB at a time ------------------------

BOMB_SIZE = 256 * MIB  # before the fix, br took twice this in memory before stopping


def bomb(encoding: str) -> bytes:
    """``BOMB_SIZE`` bytes of "a", compressed; from 250 bytes (br) to 250 KB (gzip)."""
    block = b"a" * MIB
    if encoding == "br":
        compressor = brotli.Compressor(quality=5)
        return b"".join([*(compressor.process(block) for _ in range(BOMB_SIZE // MIB)),
                         compressor.finish()])
    if encoding == "zstd":
        from backports import zstd

        zcompressor = zstd.ZstdCompressor(level=3)
        return b"".join([*(zcompressor.compress(block) for _ in range(BOMB_SIZE // MIB)),
                         zcompressor.flush()])
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[encoding]
    deflater = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join([*(deflater.compress(block) for _ in range(BOMB_SIZE // MIB)),
                     deflater.flush()])


# Runs in a fresh interpreter: the peak RSS (VmHWM) is a high-water mark, and
# pytest's own has long passed whatever a fetch would add.  A first small fetch
# loads every module; growth is the peak during the bomb over the RSS just before.
MEASURE = """
import json, sys
from crawler.safety import AddressPolicy, Guard, parse_networks
from pipeline.fetch import FetchError, fetch_url

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

base, max_bytes = sys.argv[1], int(sys.argv[2])
guard = Guard(policy=AddressPolicy(parse_networks("127.0.0.0/8")))
fetch_url(base + "/small", guard=guard)
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # resets VmHWM to the current RSS
before = kib("VmRSS:")
try:
    fetch_url(base + "/bomb", guard=guard, max_bytes=max_bytes)
    error = None
except FetchError as refused:
    error = str(refused)
print(json.dumps({"error": error, "growth": (kib("VmHWM:") - before) * 1024}))
"""


@pytest.mark.parametrize("encoding", ["br", "gzip", "deflate", "raw-deflate", "zstd"])
def test_b18_a_bomb_costs_extract_about_max_bytes_of_memory(encoding: str) -> None:
    body = bomb(encoding)
    header = "deflate" if encoding == "raw-deflate" else encoding
    routes: dict[str, Any] = {
        "/small": (200, {"Content-Type": "text/html", "Content-Encoding": header,
                         "Content-Length": str(len(bomb_small := _small(encoding)))},
                   lambda: iter([bomb_small])),
        "/bomb": (200, {"Content-Type": "text/html", "Content-Encoding": header,
                        "Content-Length": str(len(body))},
                  lambda: (body[i:i + 65536] for i in range(0, len(body), 65536)))}
    max_bytes = 10 * MIB
    with StreamServer(routes, host="127.0.0.65") as server:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("OFFERMAP_ALLOW_NETWORKS", None)
        done = subprocess.run([sys.executable, "-c", MEASURE, server.url, str(max_bytes)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                              check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert "decompressed_size_exceeded" in (measured["error"] or ""), measured
    # The kept body (max_bytes), one 64 KiB step, the decoder's window (br: 4 MiB
    # here) and slack for the allocator; before the fix, br took 2 × BOMB_SIZE.
    assert measured["growth"] < max_bytes + 20 * MIB, measured


def _small(encoding: str) -> bytes:
    text = b"<h1>small</h1>"
    if encoding == "br":
        return brotli.compress(text)
    if encoding == "zstd":
        from backports import zstd

        return zstd.compress(text)
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[encoding]
    deflater = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return deflater.compress(text) + deflater.flush()


def test_compressed_pages_are_read_whole_and_the_limit_is_exact() -> None:
    text = b"<p>" + b"x" * 300_000 + b"</p>"
    two_members = gzip.compress(text[:1000]) + gzip.compress(text[1000:])
    routes: dict[str, Any] = {
        "/br": (200, {"Content-Encoding": "br"}, lambda: iter([brotli.compress(text)])),
        "/gz2": (200, {"Content-Encoding": "gzip"}, lambda: iter([two_members])),
        "/chain": (200, {"Content-Encoding": "gzip, br"},
                   lambda: iter([brotli.compress(gzip.compress(text))])),
        "/broken": (200, {"Content-Encoding": "gzip"}, lambda: iter([b"not gzip at all"])),
    }
    with StreamServer(routes, host="127.0.0.66") as server:
        guard = StubGuard({"z.example.org": ["93.184.220.6"]}, {"93.184.220.6": "127.0.0.66"})
        base = f"http://z.example.org:{port_of(server)}"
        for path in ("/br", "/gz2", "/chain"):
            assert fetch_url(base + path, guard=guard).body == text, path
        assert fetch_url(base + "/br", guard=guard, max_bytes=len(text)).body == text
        with pytest.raises(FetchError, match="decompressed_size_exceeded"):
            fetch_url(base + "/br", guard=guard, max_bytes=len(text) - 1)
        with pytest.raises(FetchError, match="decoding_error"):
            fetch_url(base + "/broken", guard=guard)


# --- `offermap extract URL`: who we are, robots.txt, and errors in one line ----------

CONTACT = "https://ops.example.org/crawler"


def test_extract_sends_the_crawler_user_agent_and_obeys_robots_txt(tmp_path: Path) -> None:
    page = html("<html lang='en'><h1>Co-design course</h1></html>")
    closed = LoopbackServer({"/robots.txt": (200, {"Content-Type": "text/plain"},
                                             b"User-agent: *\nDisallow: /\n"),
                             "/c": page}, host="127.0.0.83")
    open_ = LoopbackServer({"/robots.txt": (200, {"Content-Type": "text/plain"},
                                            b"User-agent: offermap\nDisallow: /private\n"),
                            "/c": page}, host="127.0.0.84")
    broken = LoopbackServer({"/robots.txt": html("<h1>oops</h1>", status=500), "/c": page},
                            host="127.0.0.85")
    env = {"OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8", "OFFERMAP_CONTACT": CONTACT}
    with closed, open_, broken:
        refused = run_offermap("extract", f"{closed.url}/c", env=env)
        fetched = run_offermap("extract", f"{open_.url}/c", "--json", env=env)
        fetched_paths = open_.paths()
        private = run_offermap("extract", f"{open_.url}/private", env=env)
        unavailable = run_offermap("extract", f"{broken.url}/c", env=env)
    # Disallowed: robots.txt read, the page never asked for, one clear line.
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "forbidden by robots.txt" in refused.stderr, refused.stderr
    assert closed.paths() == ["/robots.txt"]
    # Allowed: robots.txt, then the page, both with the operator's contact.
    assert fetched.returncode == 0, fetched.stderr
    assert fetched_paths == ["/robots.txt", "/c"]
    agents = {headers["user-agent"] for _method, _path, headers in open_.requests}
    assert agents == {f"offermap/0.1 (+{CONTACT})"}
    assert private.returncode == 1 and "forbidden by robots.txt" in private.stderr
    assert open_.paths()[2:] == ["/robots.txt"]
    # A robots.txt that answers 500 means complete disallow (RFC 9309 §2.3.1.4).
    assert unavailable.returncode == 1 and "robots.txt unavailable" in unavailable.stderr
    assert broken.paths() == ["/robots.txt"]


@pytest.mark.parametrize(("target", "env", "said"), [
    ("http://[::1/", {}, "not a valid URL: http://[::1/: Invalid IPv6 URL"),
    ("http://8.8.8.8:99999/", {}, "Port out of range"),
    ("http://example.org/", {"OFFERMAP_ALLOW_NETWORKS": "garbage"},
     "OFFERMAP_ALLOW_NETWORKS='garbage': 'garbage' is not a network"),
    ("http://example.org/", {"OFFERMAP_ALLOW_NETWORKS": "0.0.0.0/1,128.0.0.0/1"},
     "covers the cloud metadata address 169.254.169.254"),
])
def test_extract_refuses_a_bad_url_or_allowlist_in_one_line(target: str, env: dict[str, str],
                                                            said: str) -> None:
    with canaries() as (_port, listening):
        result = run_offermap("extract", target, env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and said in " ".join(result.stderr.split())
    assert result.stderr.startswith("Error: ")
    assert [canary.accepted for canary in listening] == [0]
