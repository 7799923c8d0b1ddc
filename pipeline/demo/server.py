"""Serve the demo sites and the search endpoint on loopback.

Each site gets its own address, 127.0.0.2, 127.0.0.3, ... (Linux routes all of
127/8 to the loopback interface), so that per-host politeness, robots.txt and
allowed domains work exactly as they do on the real web, where every provider is
its own host.  The search endpoint lives on 127.0.0.1.  Ports are ephemeral.

Run ``python -m pipeline.demo.server`` to browse the demo web by hand.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .catalog import (
    SITES,
    TEXT_TYPES,
    SiteSpec,
    absolute,
    load_expected,
    rewrite_origins,
    robots_for,
    site_files,
)
from .search import (
    SEARXNG_ROBOTS_TXT,
    Document,
    Reply,
    SearchIndex,
    answer,
    parse_document,
)

SEARCH_HOST = "127.0.0.1"
FIRST_SITE_HOST = 2  # 127.0.0.2

# Small bodies are not worth compressing, and real servers skip them too.
_GZIP_MIN_BYTES = 256
_MAX_FORM_BYTES = 64 * 1024

LoggedRequest = tuple[str, str, str]  # (host:port, method, path with query)


class DemoWeb:
    """The demo sites and a SearXNG-compatible search endpoint, on loopback.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.  After
    start, ``sites`` maps site names to base URLs, ``search_url`` is the search
    endpoint's base URL and ``requests`` logs every request as
    ``(host:port, method, path)``.
    """

    def __init__(self, *, with_number_of_results: bool = True,
                 unresponsive_engines: Iterable[tuple[str, str]] = (),
                 search_robots_txt: str = SEARXNG_ROBOTS_TXT,
                 sites: Iterable[SiteSpec] = SITES) -> None:
        self.with_number_of_results = with_number_of_results
        self.unresponsive_engines = tuple(unresponsive_engines)
        self.search_robots_txt = search_robots_txt
        self.specs: tuple[SiteSpec, ...] = tuple(sites)
        self.sites: dict[str, str] = {}
        self.search_url = ""
        self.requests: list[LoggedRequest] = []
        self.index = SearchIndex(())
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: dict[ThreadingHTTPServer, threading.Thread] = {}

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> DemoWeb:
        if self._servers:
            raise RuntimeError("DemoWeb is already running.")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        # Bind every socket first: the pages can only be rendered once every
        # site's port is known, because they link to each other.
        site_servers: list[tuple[SiteSpec, ThreadingHTTPServer]] = []
        for number, spec in enumerate(self.specs, start=FIRST_SITE_HOST):
            server = self._bind(f"127.0.0.{number}", _SiteHandler)
            site_servers.append((spec, server))
            self.sites[spec.name] = _base_url(server)
        search_server = self._bind(SEARCH_HOST, _SearchHandler)
        self.search_url = _base_url(search_server)

        documents: list[Document] = []
        for spec, server in site_servers:
            pages, not_found = self._render(spec)
            server.pages = pages  # type: ignore[attr-defined]
            server.not_found = not_found  # type: ignore[attr-defined]
            documents.extend(self._searchable(spec, pages))
        self.index = SearchIndex(documents)

        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"demo-web {_base_url(server)}", daemon=True)
            thread.start()
            self._threads[server] = thread

    def _bind(self, host: str, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((host, 0), handler)
        server.daemon_threads = True
        server.web = self  # type: ignore[attr-defined]
        self._servers.append(server)
        return server

    def stop(self) -> None:
        for server in self._servers:
            thread = self._threads.pop(server, None)
            # shutdown() waits for serve_forever() to return, so it would hang on
            # a server whose loop never started (start() failed half-way).
            if thread is not None:
                server.shutdown()
                thread.join(timeout=5)
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # --- what callers read -----------------------------------------------------------

    def providers(self) -> list[dict[str, Any]]:
        """Entries for the site walker, shaped like config/providers.yaml."""
        entries = []
        for spec in self.specs:
            if not spec.walk:
                continue
            base = self._base(spec.name)
            entries.append({
                "name": spec.name,
                "start_urls": [base + "/"],
                "allowed_domains": [urlsplit(base).hostname],
                "max_depth": 2,
                "follow": list(spec.follow),
                "deny": list(spec.deny),
            })
        return entries

    def expected(self) -> dict[str, Any]:
        """The answer key (expected.json) with every page as an absolute URL."""
        data = load_expected()
        bases = {name: self._base(name) for name in self.sites}
        trainings = []
        for training in data["trainings"]:
            entry = dict(training)
            entry["pages"] = [absolute(page, bases) for page in training["pages"]]
            trainings.append(entry)
        converted: dict[str, Any] = {"trainings": trainings}
        for key, value in data.items():
            if key == "trainings":
                continue
            is_pages = isinstance(value, list) and all(isinstance(page, str) for page in value)
            converted[key] = [absolute(page, bases) for page in value] if is_pages else value
        return converted

    def url(self, relative: str) -> str:
        """``"civicnet-europe/about.html"`` → its absolute URL on this run."""
        return absolute(relative, {name: self._base(name) for name in self.sites})

    def fetched(self, path_prefix: str, site: str | None = None) -> list[LoggedRequest]:
        """Logged requests whose path starts with ``path_prefix`` (on one site, or any)."""
        host = urlsplit(self._base(site)).netloc if site else None
        return [entry for entry in list(self.requests)
                if entry[2].startswith(path_prefix) and (host is None or entry[0] == host)]

    def _base(self, name: str) -> str:
        if not self.sites:
            raise RuntimeError("DemoWeb is not running; call start() first.")
        return self.sites[name]

    # --- rendering ---------------------------------------------------------------------

    def _render(self, spec: SiteSpec) -> tuple[dict[str, Reply], Reply]:
        pages: dict[str, Reply] = {}
        for path, file in site_files(spec).items():
            pages[path] = self._reply_for(file.suffix, file.read_bytes())
        custom_404 = spec.root / "404.html"
        body = custom_404.read_bytes() if custom_404.exists() else _PLAIN_404
        not_found = self._reply_for(".html", body, status=404)
        return pages, not_found

    def _reply_for(self, suffix: str, raw: bytes, status: int = 200) -> Reply:
        content_type = TEXT_TYPES.get(suffix)
        if content_type is None:
            return Reply(status, raw, "application/octet-stream")
        text = rewrite_origins(raw.decode("utf-8"), self.sites)
        return Reply(status, text.encode("utf-8"), content_type)

    def _searchable(self, spec: SiteSpec, pages: dict[str, Reply]) -> list[Document]:
        # A search engine has only what it was allowed to crawl: nothing that
        # robots.txt forbids, and 404s are never in the files at all.
        robots = robots_for(spec)
        base = self.sites[spec.name]
        return [parse_document(base + path, reply.body.decode("utf-8"))
                for path, reply in pages.items()
                if reply.content_type.startswith("text/html")
                and robots.can_fetch("*", base + path)]


def _base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.socket.getsockname()[:2]
    return f"http://{host}:{port}"


_PLAIN_404 = (b"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
              b"<title>404 Not Found</title></head><body><h1>Not Found</h1>"
              b"<p>The requested URL was not found on this server.</p></body></html>")


class _Handler(BaseHTTPRequestHandler):
    """What both kinds of server share: HTTP/1.1, gzip, quiet logs, the access log."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the client's delayed
    # ACK stalls every response by ~40 ms.
    disable_nagle_algorithm = True
    # Drop idle keep-alive connections, so stop() leaves no thread reading a socket.
    timeout = 5
    server_version = "nginx"
    sys_version = ""

    @property
    def web(self) -> DemoWeb:
        return self.server.web  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's stderr log; the access log is ``DemoWeb.requests``."""

    def _log(self) -> None:
        # The connection's local address is the server's: "127.0.0.3:40411".
        host, port = self.connection.getsockname()[:2]
        self.web.requests.append((f"{host}:{port}", self.command, self.path))

    def _send(self, reply: Reply, *, head: bool = False) -> None:
        body = reply.body
        compress = (len(body) >= _GZIP_MIN_BYTES
                    and reply.content_type != "application/octet-stream"
                    and _accepts_gzip(self.headers.get("Accept-Encoding", "")))
        if compress:
            # mtime=0 keeps the bytes identical from one request to the next.
            body = gzip.compress(body, mtime=0)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _SiteHandler(_Handler):
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        self._log()
        self._discard_body()
        reply = Reply(405, b"Method Not Allowed\n", "text/plain; charset=utf-8",
                      (("Allow", "GET, HEAD"),))
        self._send(reply)

    def _serve(self, *, head: bool) -> None:
        self._log()
        path = unquote(urlsplit(self.path).path) or "/"
        pages: dict[str, Reply] = self.server.pages  # type: ignore[attr-defined]
        reply = pages.get(path)
        if reply is None and not path.endswith("/") and path + "/" in pages:
            # A directory asked for without its slash: redirect as web servers do.
            reply = Reply(301, b"", "text/html; charset=utf-8", (("Location", path + "/"),))
        if reply is None:
            reply = self.server.not_found  # type: ignore[attr-defined]
        self._send(reply, head=head)

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, _MAX_FORM_BYTES))


class _SearchHandler(_Handler):
    server_version = "granian"

    def do_GET(self) -> None:
        self._log()
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            body = self.web.search_robots_txt.encode("utf-8")
            self._send(Reply(200, body, "text/plain; charset=utf-8"))
        elif parts.path == "/healthz":
            self._send(Reply(200, b"OK", "text/plain; charset=utf-8"))
        elif parts.path in ("/", "/search"):
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            if parts.path == "/" and params.get("q"):
                self._send(_redirect_to_search("?" + parts.query))
            else:
                self._send(self._answer(params))
        else:
            self._send(Reply(404, _PLAIN_404, "text/html; charset=utf-8"))

    def do_POST(self) -> None:
        self._log()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, _MAX_FORM_BYTES)).decode("utf-8", "replace")
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if parts.path == "/" and form.get("q"):
            self._send(_redirect_to_search(""))
        elif parts.path in ("/", "/search"):
            self._send(self._answer(form))
        else:
            self._send(Reply(404, _PLAIN_404, "text/html; charset=utf-8"))

    def _answer(self, params: dict[str, str]) -> Reply:
        return answer(self.web.index, params,
                      with_number_of_results=self.web.with_number_of_results,
                      unresponsive_engines=self.web.unresponsive_engines)


def _redirect_to_search(query: str) -> Reply:
    # SearXNG's index() sends a query made on / on to /search with a 308, which
    # keeps the method and the body (searx/webapp.py; tests/unit/test_webapp.py).
    return Reply(308, b"", "text/html; charset=utf-8", (("Location", "/search" + query),))


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            return not _is_zero_quality(params)
    return False


def _is_zero_quality(params: str) -> bool:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip() == "q":
            try:
                return float(value) == 0
            except ValueError:
                return False
    return False


def main() -> None:
    """Serve the demo web until interrupted, printing where everything is."""
    with DemoWeb() as web:
        for name, base in web.sites.items():
            print(f"{name:24} {base}/")
        example = "/search?q=co-creation+course&format=json"
        print(f"{'search (SearXNG API)':24} {web.search_url}{example}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
