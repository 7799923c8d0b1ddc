"""What the reliability tests share: config folders, crawls in a subprocess, canaries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from sqlalchemy import select

from db.models import Hit, Page
from db.session import Database
from tests.conftest import REPO
from tests.reliability.fakedns import CATCH_ALL, ENV, Canary, FakeDns

#: Stand-ins for "public" addresses: the guard sees these, the socket goes to loopback.
PUBLIC = ["93.184.216.34", "93.184.216.35", "93.184.216.36", "93.184.216.37"]

#: Scrapy settings for a fast, quiet test crawl (no politeness towards our own servers).
FAST = {"DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING",
        "OFFERMAP_GUARD_FACTORY": "tests.reliability.fakedns.FakeGuard",
        "OFFERMAP_ALLOW_NETWORKS": ""}


def write_config(folder: Path, *, search_url: str = "http://127.0.0.1:9",
                 providers: list[dict[str, Any]] | None = None,
                 keywords: str = "keywords: [participatory budgeting]\nformats: [course]\n",
                 ) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.yaml").write_text((REPO / "config" / "taxonomy.yaml").read_text())
    (folder / "keywords.yaml").write_text(keywords + textwrap.dedent(f"""\
        backends:
          searxng:
            url: {search_url}
            delay: 0
        """))
    (folder / "providers.yaml").write_text(json.dumps({"providers": providers or []}))
    return folder


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    db: str
    out: dict[str, Any]

    def pages(self) -> list[Page]:
        with Database(self.db).session() as session:
            found = list(session.scalars(select(Page).order_by(Page.id)))
            session.expunge_all()
        return found

    def hits(self) -> list[Hit]:
        with Database(self.db).session() as session:
            found = list(session.scalars(select(Hit).order_by(Hit.id)))
            session.expunge_all()
        return found

    def stat(self, key: str) -> int:
        return sum(int(stats.get(key, 0)) for stats in self.out.get("stats", []))


def crawl(tmp_path: Path, config: Path, dns: FakeDns, *, spiders: tuple[str, ...],
          overrides: dict[str, Any] | None = None, timeout: float = 180) -> CrawlResult:
    db = str(tmp_path / f"run-{time.monotonic_ns()}.sqlite")
    spec = tmp_path / f"spec-{time.monotonic_ns()}.json"
    spec.write_text(json.dumps({"config_dir": str(config), "db": db, "spiders": list(spiders),
                                "overrides": {**FAST, **(overrides or {})}}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("OFFERMAP_")}
    env[ENV] = str(dns.write(tmp_path / f"dns-{time.monotonic_ns()}.json"))
    done = subprocess.run([sys.executable, "-m", "tests.reliability.runner", str(spec)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    out_path = spec.with_suffix(".out.json")
    out = json.loads(out_path.read_text()) if out_path.exists() else {}
    return CrawlResult(done.returncode, done.stdout, done.stderr, db, out)


def port_of(server: Any) -> int:
    return int(server.url.rsplit(":", 1)[1])


@contextmanager
def canaries(*hosts: str) -> Iterator[tuple[int, list[Canary]]]:
    """Canary listeners on ``hosts`` (and the catch-all), all on one port."""
    wanted = [CATCH_ALL, *hosts]
    for _attempt in range(20):
        first = Canary(wanted[0])
        try:
            rest = [Canary(host, first.port) for host in wanted[1:]]
        except OSError:
            first.close()
            continue
        listening = [first, *rest]
        try:
            yield first.port, listening
        finally:
            for canary in listening:
                canary.close()
        return
    raise RuntimeError("no free port for the canaries")


# --- a streaming server: bodies written as they are produced -------------------------

Chunks = Callable[[], Iterator[bytes]]


@dataclass
class Served:
    path: str
    started: float
    ended: float = 0.0
    sent: int = 0
    cut_off: bool = False  # the client closed the connection before the body ended


class StreamServer:
    """HTTP/1.0 server whose routes are (status, headers, chunk generator); every
    request is logged with its start and end time (monotonic) and bytes written."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], Chunks]],
                 host: str = "127.0.0.1") -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.routes = routes
        self.host = host
        self.log: list[Served] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served = Served(self.path, time.monotonic())
                server.log.append(served)
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = (404, {"Content-Type": "text/plain"}, lambda: iter([b"no"]))
                status, headers, chunks = route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for chunk in chunks():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        served.sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    served.cut_off = True
                served.ended = time.monotonic()

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def served(self, path: str) -> list[Served]:
        return [entry for entry in self.log if entry.path == path]
