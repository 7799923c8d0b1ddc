"""Fixtures for the review app: a seeded database (real rows, hostile text), users,
the app served for real by uvicorn on 127.0.0.1, logged-in HTTP clients, and
Debian's Chromium driven by Playwright (tests/browser.py's fixture)."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Self

import httpx
import pytest
import uvicorn

from db.models import Candidate, DuplicatePair, Edition, Hit, Page, Query, Run, Source
from db.session import Database
from review import auth
from review.app import create_app
from review.service import ensure_default_reasons
from tests.browser import ARTIFACTS, browser  # noqa: F401  (fixture, used by chromium)
from tests.conftest import run_offermap

PASSWORD = "correct horse battery"

# Case B28 (../shared/cases) and RELIABILITY.md scenario 24: what a hostile page may
# put in a title, a description and a URL.
B28_TITLE = "</title><script>alert(1)</script>Intro to GIS"
B28_DESCRIPTION = (
    "<p>Great course</p><img src=x onerror=\"alert(document.cookie)\">"
    "<script>fetch('/api/accept-all',{method:'POST'})</script>"
    "<a href=\"JaVaScRiPt:alert(1)\">Register</a>"
    "<a href=\"data:text/html,<script>alert(1)</script>\">Flyer</a>"
    "<a href=\"https://uni.example.org/gis\">Details</a>"
)
B28_URL = "javascript:alert(1)"
MORE_PAYLOADS = [
    "<svg onload=alert(1)><script>alert(2)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(3)>",
    "<a href=\"&#106;avascript:alert(4)\">entity</a><a href=\" javascript:alert(5)\">space</a>",
    "<a href=\"java\tscript:alert(6)\">tab</a><iframe src=\"javascript:alert(7)\"></iframe>",
    "\"><img src=x onerror=alert(8)>",
    "'\"><svg/onload=alert(9)>",
    "<body onload=alert(10)><form action=javascript:alert(11)><button>go</button></form>",
    "<a href=\"vbscript:msgbox(12)\">vb</a><object data=\"data:text/html,x\"></object>",
    "%3Cscript%3Ealert(13)%3C/script%3E \x1b[31mred\x1b[0m",
]
HOSTILE_URLS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                " javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\nscript:alert(1)",
                "&#x6A;avascript:alert(1)", "vbscript:alert(1)"]


@dataclass
class Seeded:
    database: Database
    hostile_id: int
    plain_ids: list[int]
    pair_id: int


def seed(database: Database) -> Seeded:
    """A run, a query and its hits, pages, one hostile training, a few plain ones and
    one open possible-duplicate pair; the reasons; a reviewer and an admin."""
    with database.transaction() as session:
        ensure_default_reasons(session)
        run = Run(kind="crawl", status="finished")
        session.add(run)
        session.flush()
        query = Query(run_id=run.id, backend="searxng", text="<script>alert('q')</script> GIS",
                      keyword="gis", format="course", language="en", status="done")
        session.add(query)
        session.flush()
        hostile = _candidate(session, run.id, query.id, 0, title=B28_TITLE,
                             description=B28_DESCRIPTION + "".join(MORE_PAYLOADS),
                             url=B28_URL, provider=MORE_PAYLOADS[0], relevance=0.99,
                             page_url=HOSTILE_URLS[1])
        session.add(Edition(candidate_id=hostile.id, key="2027-01-01",
                            start_date=date(2027, 1, 1), url=HOSTILE_URLS[3],
                            fee_text=MORE_PAYLOADS[4]))
        plain = [_candidate(session, run.id, query.id, rank,
                            title=f"Participatory budgeting course {rank}",
                            description=f"<p>Session {rank} on co-creation.</p>",
                            url=f"https://uni{rank}.example.org/course",
                            provider=f"University {rank}", relevance=0.9 - rank / 100,
                            page_url=f"https://uni{rank}.example.org/course")
                 for rank in range(1, 6)]
        pair = DuplicatePair(candidate_a_id=plain[3].id, candidate_b_id=plain[4].id,
                             score=91.0, rule="title≥90")
        session.add(pair)
        auth.add_user(session, "rita", PASSWORD, "reviewer")
        auth.add_user(session, "adam", PASSWORD, "admin")
        auth.add_user(session, "vera", PASSWORD, "reviewer")
        session.flush()
        return Seeded(database, hostile.id, [c.id for c in plain], pair.id)


def _candidate(session: Any, run_id: int, query_id: int, rank: int, *, title: str,
               description: str, url: str, provider: str, relevance: float,
               page_url: str) -> Candidate:
    key = f"https://example.org/record/{rank}"
    session.add(Hit(query_id=query_id, rank=rank + 1, url=key, canonical_url=key,
                    title=title, snippet=description[:200]))
    page = Page(run_id=run_id, url=page_url, canonical_url=key, origin="search",
                outcome="candidate", title=title)
    session.add(page)
    candidate = Candidate(title=title, description=description, url=url, provider=provider,
                          format="course", modality="online", language="en",
                          provider_category="university", relevance_score=relevance,
                          first_seen_run_id=run_id, last_seen_run_id=run_id)
    session.add(candidate)
    session.flush()
    evidence = {name: {"value": value, "extractor": "jsonld:Course." + name,
                       "source": f"$.{name} <img src=x onerror=alert('{name}')>",
                       "confidence": 0.9}
                for name, value in (("title", title), ("description", description),
                                    ("url", url), ("provider", provider))}
    source = Source(candidate_id=candidate.id, key=key, url=url, page_url=page_url,
                    page_id=page.id, origin="search", title=title, fields={},
                    evidence=evidence, match_rule="new", first_seen_run_id=run_id,
                    last_seen_run_id=run_id)
    session.add(source)
    session.flush()
    candidate.primary_source_id = source.id
    return candidate


def copy_database(template: Path, target: Path) -> Database:
    """A private copy of a seeded SQLite file (seeding and hashing passwords once per
    session keeps the suite fast)."""
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    path = tmp_path_factory.mktemp("review-template") / "seeded.sqlite"
    database = Database(f"sqlite:///{path}")
    seeded = seed(database)
    database.dispose()  # checkpoints the WAL into the file
    return path, seeded


def _from_template(template: tuple[Path, Seeded], target: Path) -> Seeded:
    path, ids = template
    return Seeded(copy_database(path, target), ids.hostile_id, ids.plain_ids, ids.pair_id)


@pytest.fixture
def seeded(database_url: str, sqlite_template: tuple[Path, Seeded],
           tmp_path: Path) -> Iterator[Seeded]:
    if database_url.startswith("sqlite"):
        found = _from_template(sqlite_template, tmp_path / "seeded.sqlite")
    else:
        found = seed(Database(database_url))
    yield found
    found.database.dispose()


@pytest.fixture
def seeded_sqlite(sqlite_template: tuple[Path, Seeded], tmp_path: Path) -> Iterator[Seeded]:
    found = _from_template(sqlite_template, tmp_path / "review.sqlite")
    yield found
    found.database.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """The real demo crawl, plus a hostile training, a duplicate pair and users."""
    path = tmp_path_factory.mktemp("review-demo") / "demo.sqlite"
    result = run_offermap("demo", "--db", str(path), "--quiet")
    assert result.returncode == 0, result.stderr
    database = Database(f"sqlite:///{path}")
    seeded = seed(database)
    database.dispose()
    return path, seeded


@pytest.fixture
def demo(demo_template: tuple[Path, Seeded], tmp_path: Path) -> Iterator[Seeded]:
    path, ids = demo_template
    database = copy_database(path, tmp_path / "demo.sqlite")
    yield Seeded(database, ids.hostile_id, ids.plain_ids, ids.pair_id)
    database.dispose()


# --- the app, served for real --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """uvicorn serving the app in a thread, as `offermap serve` does."""

    def __init__(self, database: Database) -> None:
        config = uvicorn.Config(create_app(database), host="127.0.0.1", port=free_port(),
                                log_level="warning", proxy_headers=True)
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{config.port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the review app did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live(seeded: Seeded) -> Iterator[LiveServer]:
    with LiveServer(seeded.database) as server:
        yield server


@pytest.fixture
def live_sqlite(seeded_sqlite: Seeded) -> Iterator[LiveServer]:
    with LiveServer(seeded_sqlite.database) as server:
        yield server


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Client(httpx.Client):
    """An HTTP client that logs in through the login form, like a browser."""

    csrf: str = ""

    def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        form = self.get("/login")
        token = CSRF_FIELD.search(form.text)
        assert token, form.text
        response = self.post("/login", data={"name": name, "password": password,
                                              "csrf": token.group(1)})
        if response.status_code == 303:
            self.csrf = self.get("/api/me").json()["csrf_token"]
        return response


def client_for(server: LiveServer, name: str | None = None) -> Client:
    client = Client(base_url=server.url, follow_redirects=False, timeout=30)
    if name is not None:
        assert client.login(name).status_code == 303
    return client


# --- the browser ---------------------------------------------------------------------


@pytest.fixture
def chromium(browser: Any) -> Any:  # noqa: F811  (the imported fixture)
    """Debian's Chromium through Playwright: tests/browser.py's module-scoped browser
    (never a downloaded one; skipped with a reason where Chromium is absent)."""
    return browser
