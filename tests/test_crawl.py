"""The crawl, end to end through the real `offermap` command, against loopback servers."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import Candidate, Hit, Page, Query, Run, Source
from db.session import Database
from tests.conftest import run_offermap
from tests.servers import LoopbackServer, html, searxng_json

# The test web lives on 127.0.0.x, which the SSRF guard refuses unless opened on purpose.
LOOPBACK = {"OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8"}

COURSE_JSONLD = {
    "@context": "https://schema.org",
    "@type": "Course",
    "name": "Participatory Budgeting for City Staff",
    "description": "A six-week online course on participatory budgeting and citizen "
                   "engagement for municipal staff.",
    "provider": {"@type": "CollegeOrUniversity", "name": "Universidad de Ejemplo"},
    "inLanguage": "en",
    "hasCourseInstance": {"@type": "CourseInstance", "courseMode": "online",
                          "startDate": "2027-03-01", "endDate": "2027-04-12"},
    "offers": {"@type": "Offer", "price": "250", "priceCurrency": "EUR"},
}

COURSE_PAGE = f"""<!doctype html><html lang="en"><head>
<title>Participatory Budgeting for City Staff | Universidad de Ejemplo</title>
<script type="application/ld+json">{json.dumps(COURSE_JSONLD)}</script></head>
<body><h1>Participatory Budgeting for City Staff</h1>
<p>A six-week online course on participatory budgeting and citizen engagement for
municipal staff. Starts 1 March 2027. Fee: EUR 250.</p></body></html>"""

# The same course, republished on a network's event page without markup.
NETWORK_PAGE = """<!doctype html><html lang="en"><head>
<title>Participatory budgeting for city staff – Cities Network</title></head><body>
<nav><a href="/">Home</a></nav>
<h1>Participatory budgeting for city staff</h1>
<p>Our partner university runs this online course on citizen engagement and
participatory budgeting for municipal staff, from 1 March 2027 to 12 April 2027.
Course fee: EUR 250.</p>
<p>Who should attend: municipal staff who run participation processes.
<a href="/register">Register</a> by 15 February 2027.</p></body></html>"""

NEWS_PAGE = """<!doctype html><html lang="en"><head><title>City council approves budget</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"City council approves budget","datePublished":"2026-11-02"}</script></head>
<body><h1>City council approves budget</h1><p>Posted 2 November 2026 by the press office.
The council voted on Tuesday. Residents were consulted in a participation process last
spring.</p></body></html>"""

NETWORK_HOME = """<!doctype html><html lang="en"><head><title>Cities Network</title></head>
<body><h1>Cities Network</h1><ul><li><a href="/events/pb-course">PB course</a></li>
<li><a href="/private/secret">Members only</a></li><li><a href="/gone">Old page</a></li>
</ul></body></html>"""


@pytest.fixture
def web() -> Iterator[dict[str, LoopbackServer]]:
    university = LoopbackServer({
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/courses/pb": html(COURSE_PAGE),
        "/news/budget": html(NEWS_PAGE),
    }, host="127.0.0.2")
    network = LoopbackServer({
        "/robots.txt": (200, {"Content-Type": "text/plain"},
                        b"User-agent: *\nDisallow: /private/\n"),
        "/": html(NETWORK_HOME),
        "/events/pb-course": html(NETWORK_PAGE),
        "/private/secret": html("<h1>Secret workshop on co-creation</h1>"),
    }, host="127.0.0.3")
    with university, network:
        results = [
            {"url": f"{university.url}/courses/pb?utm_source=search",
             "title": "Participatory Budgeting for City Staff", "content": "Online course"},
            {"url": f"{university.url}/news/budget", "title": "City council approves budget"},
            {"url": "javascript:alert(1)", "title": "not a web page"},
        ]
        search = LoopbackServer({"/search": searxng_json(results)})
        with search:
            yield {"university": university, "network": network, "search": search}


def write_config(folder: Path, search_url: str, network_url: str, *,
                 keywords: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shipped = Path(__file__).resolve().parent.parent / "config"
    (folder / "taxonomy.yaml").write_text((shipped / "taxonomy.yaml").read_text())
    (folder / "keywords.yaml").write_text(keywords or textwrap.dedent(f"""\
        keywords: [participatory budgeting]
        formats: [course, training]
        backends:
          searxng:
            url: {search_url}
            delay: 0
        """))
    (folder / "providers.yaml").write_text(textwrap.dedent(f"""\
        providers:
          - name: cities-network
            start_urls: ["{network_url}/"]
            allowed_domains: ["127.0.0.3"]
            max_depth: 2
        """))
    return folder


def crawl(tmp_path: Path, web: dict[str, LoopbackServer], db: str) -> tuple[int, str, str]:
    config = write_config(tmp_path / "config", web["search"].url, web["network"].url)
    result = run_offermap("crawl", "--db", db, "--config-dir", str(config),
                          env={"OFFERMAP_LOG_LEVEL": "WARNING", **LOOPBACK})
    return result.returncode, result.stdout, result.stderr


def test_crawl_stores_queries_hits_pages_and_one_candidate_per_training(
        tmp_path: Path, web: dict[str, LoopbackServer], database_url: str) -> None:
    code, out, err = crawl(tmp_path, web, database_url)
    assert code == 0, out + err
    assert "queries sent" in out and "candidates new" in out

    database = Database(database_url)
    with database.session() as session:
        queries = session.scalars(select(Query).order_by(Query.id)).all()
        assert sorted(q.text for q in queries) == ["participatory budgeting course",
                                                   "participatory budgeting training"]
        assert {q.status for q in queries} == {"done"}
        hits = session.scalars(select(Hit).order_by(Hit.query_id, Hit.rank)).all()
        # The javascript: link is not a web page and is never stored as a hit.
        assert [h.rank for h in hits] == [1, 2, 1, 2]
        assert hits[0].canonical_url.endswith("/courses/pb")

        candidates = session.scalars(select(Candidate)).all()
        assert len(candidates) == 1, [c.title for c in candidates]
        course = candidates[0]
        assert course.title == "Participatory Budgeting for City Staff"
        assert course.status == "pending"
        sources = session.scalars(select(Source).where(Source.candidate_id == course.id)).all()
        assert sorted(s.origin for s in sources) == ["cities-network", "search"]

        pages = {p.url.split(":", 2)[2].split("/", 1)[1]: p
                 for p in session.scalars(select(Page))}
        assert pages["news/budget"].outcome == "not_offer"
        assert pages["gone"].status == 404 and pages["gone"].outcome == "http_error"
        assert all(p.content_hash for p in pages.values() if p.status == 200)
        assert pages["courses/pb?utm_source=search"].hit_id is not None
        run = session.scalars(select(Run)).one()
        assert run.status == "finished" and run.finished_at is not None

    # robots.txt is obeyed: the disallowed page was never requested.
    assert "/private/secret" not in web["network"].paths()


def test_second_crawl_creates_no_duplicates_and_keeps_decisions(
        tmp_path: Path, web: dict[str, LoopbackServer]) -> None:
    db = str(tmp_path / "twice.sqlite")
    assert crawl(tmp_path, web, db)[0] == 0
    assert run_offermap("accept", "1", "--db", db, "--by", "ana").returncode == 0

    assert crawl(tmp_path, web, db)[0] == 0
    database = Database(db)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 1
        assert session.scalar(select(func.count()).select_from(Source)) == 2
        course = session.get(Candidate, 1)
        assert course is not None and course.status == "accepted" and course.decided_by == "ana"
        assert session.scalar(select(func.count()).select_from(Run)) == 2


def test_searxng_with_json_disabled_fails_with_the_fix(tmp_path: Path) -> None:
    forbidden = (403, {"Content-Type": "text/html"}, b"<h1>403 Forbidden</h1>")
    with LoopbackServer({"/search": forbidden}) as search:
        config = write_config(tmp_path / "config", search.url, "http://127.0.0.3:9")
        (config / "providers.yaml").write_text("providers: []\n")
        result = run_offermap("crawl", "--db", str(tmp_path / "x.sqlite"),
                              "--config-dir", str(config), env=LOOPBACK)
    assert result.returncode != 0
    assert "settings.yml" in result.stderr and "403" in result.stderr
    # No retries of a refused format.
    assert len(search.paths()) <= 2
    with Database(str(tmp_path / "x.sqlite")).session() as session:
        # The refused query failed; the cell it kept from being asked is "unsent".
        statuses = [(q.format, q.status) for q in session.scalars(select(Query).order_by(Query.id))]
        assert statuses == [("course", "failed"), ("training", "unsent")]
        assert session.scalars(select(Run)).one().status == "failed"


def test_unresponsive_engines_make_a_query_partial(tmp_path: Path) -> None:
    answer = searxng_json([], unresponsive=[["google", "Suspended: too many requests"]],
                          with_count=False)
    with LoopbackServer({"/search": answer}) as search:
        config = write_config(tmp_path / "config", search.url, "http://127.0.0.3:9")
        (config / "providers.yaml").write_text("providers: []\n")
        result = run_offermap("crawl", "--db", str(tmp_path / "p.sqlite"),
                              "--config-dir", str(config), env=LOOPBACK)
    assert result.returncode == 0, result.stderr
    with Database(str(tmp_path / "p.sqlite")).session() as session:
        statuses = {q.status for q in session.scalars(select(Query))}
        errors = {q.error for q in session.scalars(select(Query))}
    assert statuses == {"partial"}
    assert errors == {"engines did not answer: google"}


def test_unreachable_backend_is_recorded_and_the_run_goes_on(
        tmp_path: Path, web: dict[str, LoopbackServer]) -> None:
    # A closed port: connection refused.
    config = write_config(tmp_path / "config", "http://127.0.0.1:9", web["network"].url)
    result = run_offermap("crawl", "--db", str(tmp_path / "d.sqlite"), "--config-dir",
                          str(config), env=LOOPBACK)
    # The run failed at what it was for, and says so in one line; what the provider
    # walk found is kept.
    assert result.returncode == 1, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "no search backend answered a query" in line and "offermap doctor" in line
    with Database(str(tmp_path / "d.sqlite")).session() as session:
        queries = session.scalars(select(Query)).all()
        assert {q.status for q in queries} == {"failed"}
        assert all("unreachable" in (q.error or "") for q in queries)
        # The provider site was still walked and its training stored.
        assert session.scalar(select(func.count()).select_from(Candidate)) == 1


def test_scrapy_crawl_works_from_the_repository_root(tmp_path: Path,
                                                     web: dict[str, LoopbackServer]) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    config = write_config(tmp_path / "config", web["search"].url, web["network"].url)
    db = tmp_path / "scrapy.sqlite"
    env = {**os.environ, "OFFERMAP_CONFIG_DIR": str(config),
           "OFFERMAP_DATABASE_URL": f"sqlite:///{db}", "OFFERMAP_LOG_LEVEL": "WARNING", **LOOPBACK}
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    result = subprocess.run([scrapy, "crawl", "providers"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with Database(str(db)).session() as session:
        origins = {page.origin for page in session.scalars(select(Page))}
        run = session.scalars(select(Run)).one()
    assert origins == {"cities-network"}
    assert run.status == "finished"
