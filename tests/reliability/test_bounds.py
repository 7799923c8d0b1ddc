"""Scenarios 19 and 22: crawl bounds (depth, page budgets, allowed domains) and schemes.

Real crawls against loopback servers with the fake DNS.  Bounds are measured by the
servers' own logs: which paths were asked for, on which host, and how deep.
"""

from __future__ import annotations

import errno
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from crawler.middlewares.safety import BLOCKED_OFFSITE
from tests.reliability.fakedns import FakeDns
from tests.reliability.harness import PUBLIC, canaries, crawl, port_of, write_config
from tests.servers import LoopbackServer, Reply, html, searxng_json

ROBOTS = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")


class Everything(dict):  # type: ignore[type-arg]
    """A route table that answers every path with one function."""

    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer = answer

    def get(self, key: str, default: Any = None) -> Any:
        return self.answer


def paths_on(server: LoopbackServer, host: str) -> list[str]:
    """The paths asked for with ``Host: host[:port]``, robots.txt left out."""
    return [path for _method, path, headers in server.requests
            if headers.get("host", "").split(":")[0] == host and path != "/robots.txt"]


# --- scenario 19: depth, allowed domains ---------------------------------------------


def test_scenario_19_depth_is_bounded_and_no_request_leaves_the_allowed_domains(
        tmp_path: Path) -> None:
    elsewhere = LoopbackServer(Everything(lambda *_: html("<h1>elsewhere</h1>")),
                               host="127.0.0.72")
    with elsewhere:
        away = f"http://elsewhere.example.net:{port_of(elsewhere)}"

        def page(path: str, _query: Any, _headers: Any) -> Reply:
            if path == "/robots.txt":
                return ROBOTS
            if path == "/redirect":
                return 302, {"Location": f"{away}/taken"}, b""
            if path == "/refresh":
                return html(f'<meta http-equiv="refresh" content="0; url={away}/refreshed">')
            if path == "/inside":  # a redirect within the site is followed
                return 301, {"Location": "/d/0"}, b""
            number = int(path.rsplit("/", 1)[1]) if path.startswith("/d/") else 0
            links = [f"/d/{number + 1}", f"{away}/linked"]
            return html("".join(f'<a href="{link}">next</a>' for link in links))

        site = LoopbackServer(Everything(page), host="127.0.0.71")
        with site:
            deep = f"http://deep.example.org:{port_of(site)}"
            shallow = f"http://shallow.example.org:{port_of(site)}"
            dns = FakeDns(names={"deep.example.org": [[PUBLIC[0]]],
                                 "shallow.example.org": [[PUBLIC[1]]],
                                 "elsewhere.example.net": [[PUBLIC[2]]]},
                          dial={PUBLIC[0]: "127.0.0.71", PUBLIC[1]: "127.0.0.71",
                                PUBLIC[2]: "127.0.0.72"})
            config = write_config(tmp_path / "config", providers=[
                {"name": "deep", "allowed_domains": ["deep.example.org"], "max_depth": 10,
                 "theme_filter": False,
                 "start_urls": [f"{deep}/d/0", f"{deep}/redirect", f"{deep}/refresh"]},
                {"name": "shallow", "allowed_domains": ["shallow.example.org"],
                 "max_depth": 1, "theme_filter": False, "start_urls": [f"{shallow}/inside"]},
            ])
            result = crawl(tmp_path, config, dns, spiders=("providers",),
                           overrides={"DEPTH_LIMIT": 3})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.out["status"] == "finished"  # ended by its bounds, not by a timeout

    # DEPTH_LIMIT bounds a site whose own max_depth is larger; max_depth a smaller one.
    deep_pages = sorted(p for p in paths_on(site, "deep.example.org") if p.startswith("/d/"))
    assert deep_pages == ["/d/0", "/d/1", "/d/2", "/d/3"]
    assert sorted(paths_on(site, "shallow.example.org")) == ["/d/0", "/d/1", "/inside"]
    assert all(page.depth <= 3 for page in result.pages())

    # Links, redirects and meta refreshes to another domain: 0 requests there, not
    # even for its robots.txt.
    assert elsewhere.requests == []
    pages = {page.url.rsplit("/", 1)[1]: page for page in result.pages()
             if "deep.example.org" in page.url}
    for name, target in (("redirect", "/taken"), ("refresh", "/refreshed")):
        refused = pages[name]
        assert refused.status is None and refused.content_hash is None
        assert (refused.error or "").startswith(f"blocked: {BLOCKED_OFFSITE}: "), refused.error
        assert "elsewhere.example.net" in refused.error and refused.final_url.endswith(target)
    assert result.stat(f"offermap/blocked/{BLOCKED_OFFSITE}") == 2
    assert result.stat("retry/count") == 0


# --- scenario 19: page budgets per host and per run ----------------------------------


def test_scenario_19_page_budgets_per_host_and_per_run(tmp_path: Path) -> None:
    def hub(path: str, _query: Any, _headers: Any) -> Reply:
        if path == "/robots.txt":
            return ROBOTS
        if path == "/hub":
            return html("".join(f'<a href="/p/{n}">{n}</a>' for n in range(20)))
        return html(f"<h1>{path}</h1>")

    site = LoopbackServer(Everything(hub), host="127.0.0.73")
    with site:
        hosts = ["w1.example.org", "w2.example.org"]
        dns = FakeDns(names={host: [[PUBLIC[n]]] for n, host in enumerate(hosts)},
                      dial={PUBLIC[0]: "127.0.0.73", PUBLIC[1]: "127.0.0.73"})
        config = write_config(tmp_path / "config", providers=[
            {"name": host.split(".")[0], "allowed_domains": [host], "max_depth": 1,
             "theme_filter": False, "start_urls": [f"http://{host}:{port_of(site)}/hub"]}
            for host in hosts])
        result = crawl(tmp_path, config, dns, spiders=("providers",),
                       overrides={"OFFERMAP_MAX_PAGES_PER_HOST": 5,
                                  "OFFERMAP_MAX_PAGES_PER_RUN": 8})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.out["status"] == "finished"
    asked = {host: paths_on(site, host) for host in hosts}
    assert all(len(paths) <= 5 for paths in asked.values()), asked
    assert sum(len(paths) for paths in asked.values()) == 8, asked
    # Every page past a budget is recorded with the reason, and not retried.
    over = [page for page in result.pages() if (page.error or "").startswith("budget: ")]
    assert len(over) == 2 * 21 - 8
    assert all(page.status is None and page.content_hash is None for page in over)
    assert result.stat("offermap/budget/host") + result.stat("offermap/budget/run") == len(over)
    assert result.stat("retry/count") == 0


# --- scenario 22: only http and https --------------------------------------------------


class FileReadCanary:
    """A named pipe that counts the processes that open it for reading.

    A reader's open() blocks until a writer comes, so polling for a writer's
    non-blocking open catches every read, however brief.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reads = 0
        os.mkfifo(path)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: nobody is reading
                    raise
                time.sleep(0.005)
                continue
            self.reads += 1
            try:
                os.write(fd, b"root:x:0:0:canary:/root:/bin/sh\n")
            except OSError:
                pass
            os.close(fd)
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def test_scenario_22_only_http_and_https_are_fetched_or_stored(tmp_path: Path) -> None:
    canary_file = FileReadCanary(tmp_path / "passwd")
    try:
        # The canary works: a read of the pipe is counted.
        with open(canary_file.path, "rb") as probe:
            assert b"canary" in probe.read()
        deadline = time.monotonic() + 2
        while canary_file.reads < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert canary_file.reads == 1
        with canaries() as (port, listening):
            bad = [f"file://{canary_file.path}", "file:///etc/passwd",
                   "data:text/html,<a href='http://x.example/'>x</a>",
                   f"ftp://files.example.org:{port}/pub/x", f"gopher://files.example.org:{port}/",
                   "javascript:alert(document.cookie)"]
            site = LoopbackServer({
                "/robots.txt": ROBOTS,
                "/links": html("".join(f'<a href="{url}">x</a>' for url in bad)
                               + '<a href="/ok">ok</a>'),
                "/to-file": (302, {"Location": f"file://{canary_file.path}"}, b""),
                "/to-ftp": (302, {"Location": f"ftp://files.example.org:{port}/x"}, b""),
                "/refresh-data": html('<meta http-equiv="refresh" content="0; '
                                      'url=data:text/html,hello">'),
                "/ok": html("<h1>A public page</h1>"),
            }, host="127.0.0.74")
            with site:
                base = f"http://schemes.example.org:{port_of(site)}"
                results = [{"url": url} for url in [*bad, f"{base}/ok"]]
                with LoopbackServer({"/search": searxng_json(results)}) as search:
                    dns = FakeDns(names={"schemes.example.org": [[PUBLIC[0]]],
                                         "files.example.org": [[PUBLIC[1]]]},
                                  dial={PUBLIC[0]: "127.0.0.74"})  # PUBLIC[1]: the canary
                    config = write_config(tmp_path / "config", search_url=search.url,
                                          providers=[{
                                              "name": "schemes", "max_depth": 1,
                                              "allowed_domains": ["schemes.example.org"],
                                              "theme_filter": False,
                                              "start_urls": [f"{base}/links", f"{base}/to-file",
                                                             f"{base}/to-ftp",
                                                             f"{base}/refresh-data"]}])
                    result = crawl(tmp_path, config, dns, spiders=("search", "providers"))
            assert result.returncode == 0, result.stderr[-3000:]
            assert [canary.accepted for canary in listening] == [0] * len(listening)
        time.sleep(0.1)
        assert canary_file.reads == 1  # only the probe above
    finally:
        canary_file.close()

    assert site.paths().count("/ok") >= 1
    stored = [page.url for page in result.pages()] + [
        page.final_url for page in result.pages() if page.status is not None]
    stored += [hit.url for hit in result.hits()]
    http_only = re.compile(r"^https?://", re.IGNORECASE)
    assert stored and all(http_only.match(url or "http://") for url in stored), stored
