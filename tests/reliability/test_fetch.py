"""`offermap extract URL`'s fetch (pipeline/fetch.py): the crawler's rules, with httpx."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from typing import Any

import pytest

from crawler.safety import Guard
from pipeline.fetch import FetchError, fetch_url
from tests.reliability.fakedns import CATCH_ALL
from tests.reliability.harness import StreamServer, canaries, port_of
from tests.servers import LoopbackServer, html


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
            assert site.paths() == ["/course", "/meta"]
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
