"""Scenario 17 and case B17: robots.txt per RFC 9309, failing closed, Crawl-delay kept."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from protego import Protego
from scrapy.http import Request, TextResponse

from crawler.middlewares.robots import verdict_from_response
from tests.reliability.fakedns import FakeDns
from tests.reliability.harness import PUBLIC, canaries, crawl, write_config
from tests.servers import LoopbackServer, Reply, html

B17_ROBOTS = ("User-agent: *\nDisallow: /events/\nAllow: /events/courses/\n"
              "Disallow: /*?sessionid=\nDisallow: /archive/\n"
              "Allow: /archive/*/catalogue/page=*/$\n")
B17_EXPECTED = {
    "/events/courses/gis-101": True, "/events/party": False,
    "/courses?sessionid=abc": False, "/courses?id=3": True,
    "/archive/2024/catalogue/page=2/": True, "/archive/2024/catalogue/page=2/print": False,
    "/archive/2023/news": False,
}


@pytest.mark.parametrize("path", sorted(B17_EXPECTED))
def test_b17_longest_match_wildcards_and_allow_ties(path: str) -> None:
    # The parser the robots middleware uses (never urllib.robotparser, see B17).
    parser = Protego.parse(B17_ROBOTS)
    assert parser.can_fetch(f"https://uni.example.org{path}", "offermap") is B17_EXPECTED[path]


def test_an_allow_wins_a_tie_with_an_equally_long_disallow() -> None:
    parser = Protego.parse("User-agent: *\nDisallow: /page\nAllow: /page\n")
    assert parser.can_fetch("https://x.example/page", "offermap")


@pytest.mark.parametrize(("status", "crawlable"), [(200, True), (404, True), (410, True),
                                                   (401, True), (429, False), (500, False),
                                                   (503, False)])
def test_robots_status_meanings(status: int, crawlable: bool) -> None:
    response = TextResponse("https://x.example/robots.txt", status=status, body=b"",
                            request=Request("https://x.example/robots.txt"))
    assert (verdict_from_response(response).unavailable is None) is crawlable


def timed(reply: Reply, log: list[float]) -> Callable[..., Reply]:
    def answer(*_args: object) -> Reply:
        log.append(time.monotonic())
        return reply
    return answer


def slow(reply: Reply, seconds: float) -> Callable[..., Reply]:
    def answer(*_args: object) -> Reply:
        time.sleep(seconds)
        return reply
    return answer


def text(body: str, status: int = 200) -> Reply:
    return status, {"Content-Type": "text/plain"}, body.encode()


def site_pages() -> dict[str, Reply]:
    return {"/": html('<a href="/open">open</a> <a href="/private/x">private</a>'),
            "/open": html("<h1>open</h1>"), "/private/x": html("<h1>private</h1>")}


def test_robots_matrix_fails_closed_on_errors_and_follows_redirects(tmp_path: Path) -> None:
    disallow = text("User-agent: *\nDisallow: /private/\n")
    robots: dict[str, dict[str, Reply | Callable[..., Reply]]] = {
        "ok": {"/robots.txt": disallow},
        "missing": {},  # 404
        "broken": {"/robots.txt": html("<h1>Internal Server Error</h1>", status=500)},
        "slow": {"/robots.txt": slow(disallow, 6)},
        "moved": {"/robots.txt": (301, {"Location": "/r1"}, b""),
                  "/r1": (302, {"Location": "/r2"}, b""),
                  "/r2": (307, {"Location": "/robots-real.txt"}, b""),
                  "/robots-real.txt": disallow},
    }
    servers = {name: LoopbackServer({**site_pages(), **routes}, host=f"127.0.0.{11 + n}")
               for n, (name, routes) in enumerate(robots.items())}
    for server in servers.values():
        server.__enter__()
    try:
        names = {name: f"{name}.example.org" for name in servers}
        dns = FakeDns(names={names[name]: [[f"93.184.217.{n}"]] for n, name in
                             enumerate(servers)},
                      dial={f"93.184.217.{n}": servers[name].host
                            for n, name in enumerate(servers)})
        providers = [{"name": name, "allowed_domains": [names[name]], "max_depth": 1,
                      "theme_filter": False,
                      "start_urls": [f"http://{names[name]}:{server.url.rsplit(':', 1)[1]}/"]}
                     for name, server in servers.items()]
        config = write_config(tmp_path / "config", providers=providers)
        with canaries() as (_port, listening):
            result = crawl(tmp_path, config, dns, spiders=("providers",),
                           overrides={"DOWNLOAD_TIMEOUT": 2, "RETRY_TIMES": 1})
            assert [canary.accepted for canary in listening] == [0]
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)
    assert result.returncode == 0, result.stderr[-3000:]

    def fetched(name: str) -> list[str]:
        return [p for p in servers[name].paths() if "robots" not in p and p[:3] != "/r1"
                and p != "/r2"]

    assert sorted(fetched("ok")) == ["/", "/open"]
    assert sorted(fetched("moved")) == ["/", "/open"]
    assert sorted(fetched("missing")) == ["/", "/open", "/private/x"]
    # RFC 9309 §2.3.1.4: a server error or no answer means complete disallow.
    assert fetched("broken") == [] and fetched("slow") == []
    errors = {page.url.split("/")[2].split(".")[0]: page.error for page in result.pages()
              if page.status is None}
    assert "robots.txt unavailable" in (errors.get("broken") or "")
    assert "robots.txt unavailable" in (errors.get("slow") or "")


def test_crawl_delay_is_a_floor_between_requests(tmp_path: Path) -> None:
    log: list[float] = []
    page = html("<h1>x</h1>")
    routes = {"/robots.txt": text("User-agent: *\nCrawl-delay: 1\n"),
              "/": timed(html("".join(f'<a href="/p{n}">{n}</a>' for n in range(4))), log)}
    routes.update({f"/p{n}": timed(page, log) for n in range(4)})
    with LoopbackServer(routes, host="127.0.0.21") as server:
        port = server.url.rsplit(":", 1)[1]
        dns = FakeDns(names={"slowly.example.org": [[PUBLIC[2]]]},
                      dial={PUBLIC[2]: "127.0.0.21"})
        config = write_config(tmp_path / "config", providers=[{
            "name": "slowly", "allowed_domains": ["slowly.example.org"], "max_depth": 1,
            "theme_filter": False, "start_urls": [f"http://slowly.example.org:{port}/"]}])
        result = crawl(tmp_path, config, dns, spiders=("providers",))
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(log) == 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(log)]
    assert min(gaps) >= 0.95, gaps  # measured by the server; 1 s asked, no jitter below it
