"""Real HTTP servers on 127.0.0.x for tests: static sites and a SearXNG look-alike."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], bytes]
Route = Reply | Callable[[str, dict[str, list[str]], dict[str, str]], Reply]


class LoopbackServer:
    """Serves ``routes`` (path → reply or callable) on ``host``:ephemeral port and logs
    every request as (method, path, headers)."""

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1") -> None:
        self.routes = routes
        self.host = host
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def _answer(self, method: str) -> None:
                headers = {key.lower(): value for key, value in self.headers.items()}
                server.requests.append((method, self.path, headers))
                parts = urlsplit(self.path)
                route = server.routes.get(parts.path)
                if route is None:
                    status, body = 404, b"<h1>404</h1>"
                    reply_headers = {"Content-Type": "text/html"}
                elif callable(route):
                    status, reply_headers, body = route(parts.path, parse_qs(parts.query), headers)
                else:
                    status, reply_headers, body = route
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def paths(self, method: str = "GET") -> list[str]:
        return [path for m, path, _ in self.requests if m == method]


def html(body: str, status: int = 200, charset: str = "utf-8") -> Reply:
    return status, {"Content-Type": f"text/html; charset={charset}"}, body.encode(charset)


def searxng_json(results: list[dict[str, Any]], *, unresponsive: list[list[str]] | None = None,
                 with_count: bool = True) -> Reply:
    """A SearXNG JSON answer shaped as its webapp sends it."""
    payload: dict[str, Any] = {
        "query": "q", "results": [], "answers": [], "corrections": [], "infoboxes": [],
        "suggestions": [], "unresponsive_engines": unresponsive or [],
    }
    if with_count:
        payload["number_of_results"] = len(results)
    for position, result in enumerate(results, 1):
        url = result["url"]
        parts = urlsplit(url)
        payload["results"].append({
            "url": url, "title": result.get("title", url), "content": result.get("content", ""),
            "engine": "duckduckgo", "engines": ["duckduckgo"], "positions": [position],
            "score": 1.0 / position, "category": "general", "template": "default.html",
            "priority": "", "publishedDate": result.get("publishedDate"),
            "parsed_url": [parts.scheme, parts.netloc, parts.path, "", parts.query, ""],
            "thumbnail": "", "open_group": False, "close_group": False,
        })
    return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode()
