"""Bad input is not a crash: every odd page is recorded with an outcome, the run goes on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from tests.reliability.fakedns import FakeDns
from tests.reliability.harness import StreamServer, crawl, port_of, write_config


def once(body: bytes) -> object:
    return lambda: iter([body])


def truncated() -> Iterator[bytes]:
    yield b"<html><body><h1>Course</h1><p>" + b"x" * 100
    # ...and the connection closes long before the promised Content-Length.


HTML = "text/html"
PAGES: dict[str, tuple[str, bytes]] = {
    "malformed": (HTML, (b"<html><body><div><p>unclosed <a href='x' <b>> &bogus; </tab"
                        b"<script>var x = '</div>")),
    "wrong-charset": (HTML + "; charset=utf-8",
                      "<h1>Atelier participatif à Genève – été</h1>".encode("cp1252")),
    "unknown-charset": (HTML + "; charset=x-no-such-charset", b"<h1>Course</h1>"),
    "no-charset": (HTML, "<h1>Bürgerbeteiligung für Städte</h1>".encode("cp1252")),
    "binary": (HTML, b"\x89PNG\r\n\x1a\n" + os.urandom(200_000)),
    "nul": (HTML, b"<h1>Co\x00creation</h1>\x00\x00<p>workshop</p>"),
    "huge-attribute": (HTML, b'<a title="' + b"x" * (5 * 1024 * 1024) + b'">x</a><h1>T</h1>'),
    "deep": (HTML, b"<div>" * 50_000 + b"<h1>deep</h1>"),
    "after": (HTML, b"<h1>after</h1>"),
}


def test_odd_pages_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    routes: dict[str, tuple[int, dict[str, str], object]] = {
        f"/{name}": (200, {"Content-Type": kind}, once(body))
        for name, (kind, body) in PAGES.items()}
    routes["/truncated"] = (200, {"Content-Type": HTML, "Content-Length": "5000"}, truncated)
    with StreamServer(routes, host="127.0.0.71") as server:  # type: ignore[arg-type]
        base = f"http://odd.example.org:{port_of(server)}"
        dns = FakeDns(names={"odd.example.org": [["93.184.221.1"]]},
                      dial={"93.184.221.1": "127.0.0.71"})
        config = write_config(tmp_path / "config", providers=[{
            "name": "odd", "allowed_domains": ["odd.example.org"], "max_depth": 0,
            "theme_filter": False,
            "start_urls": [f"{base}/{name}" for name in [*PAGES, "truncated"]]}])
        result = crawl(tmp_path, config, dns, spiders=("providers",),
                       overrides={"RETRY_TIMES": 0})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.out["status"] == "finished"
    pages = {page.url.rsplit("/", 1)[1]: page for page in result.pages()}
    assert sorted(pages) == sorted([*PAGES, "truncated"])
    assert pages["after"].status == 200
    for name, page in pages.items():
        assert page.outcome, name  # every page has an outcome, and a reason when it failed
        if page.outcome in {"fetch_error", "extract_error", "not_html"}:
            assert page.error, name
    assert pages["truncated"].outcome == "fetch_error" and pages["truncated"].error
