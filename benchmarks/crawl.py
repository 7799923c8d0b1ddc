"""Crawl: a loopback site of generated training pages, walked end to end.

offermap's crawl (the providers spider with its whole pipeline: safety checks,
extraction, relevance, deduplication and storage) against a bare Scrapy spider that
fetches the same pages by following the same links and does nothing with them, the
practical limit for Scrapy on this machine.  The site is served by a static file
server in its own process; each contender runs in its own process too (Twisted's
reactor runs once per process), and its wall time and peak RSS are measured from
outside.  Target: >= 0.8x the bare spider's pages per second, peak RSS <= 500 MB.

    python -m benchmarks.crawl                    # 10,000 pages, SQLite (+ PostgreSQL)
    python -m benchmarks.crawl --pages 2000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import spread, write_result
from benchmarks.dedup import AUDIENCES, CITIES, QUALIFIERS, TOPICS

PER_LISTING = 100
#: A loopback address of its own: 127.0.0.1 is the shipped SearXNG's host, whose
#: download slot (one connection, one request a second) would be shared.
HOST = "127.0.0.9"
#: The same politeness for both contenders: loopback needs no delay.
CONCURRENCY = 8

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Civic Academy</title>
<script type="application/ld+json">{jsonld}</script></head><body>
<nav><a href="/">Home</a> <a href="/listing/0.html">Courses</a></nav>
<main><h1>{title}</h1><p>{description}</p>
<p>Starts {start}. Online course, {hours} hours. Fee: EUR {fee}. Register now.</p>
{filler}</main><footer>Civic Academy, Lyon. Contact us.</footer></body></html>"""


def generate_site(folder: Path, pages: int, seed: int = 11) -> None:
    """``pages`` distinct training pages, listings of 100 links, and a home page."""
    rng = random.Random(seed)
    titles: set[str] = set()
    while len(titles) < pages:
        titles.add(" ".join(part for part in (
            rng.choice(QUALIFIERS), rng.choice(TOPICS), rng.choice(AUDIENCES),
            rng.choice(CITIES), f"({rng.randrange(1, 10**6)})") if part))
    (folder / "course").mkdir(parents=True)
    (folder / "listing").mkdir()
    filler = "".join(f"<p>{' '.join(rng.choices(TOPICS, k=12))}.</p>" for _ in range(20))
    for n, title in enumerate(sorted(titles)):
        start = f"2027-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        description = f"{title}: a course on citizen participation for city staff."
        node = {"@context": "https://schema.org", "@type": "Course", "name": title,
                "description": description,
                "provider": {"@type": "Organization", "name": "Civic Academy"},
                "hasCourseInstance": {"@type": "CourseInstance", "courseMode": "online",
                                      "startDate": start}}
        (folder / "course" / f"{n}.html").write_text(PAGE.format(
            title=title, jsonld=json.dumps(node), description=description, start=start,
            hours=rng.randrange(2, 40), fee=rng.randrange(0, 900), filler=filler))
    listings = range((pages + PER_LISTING - 1) // PER_LISTING)
    for k in listings:
        links = "".join(f'<li><a href="/course/{n}.html">Course {n}</a></li>'
                        for n in range(k * PER_LISTING, min(pages, (k + 1) * PER_LISTING)))
        (folder / "listing" / f"{k}.html").write_text(
            f"<html><head><title>Courses {k}</title></head><body><ul>{links}</ul></body></html>")
    home = "".join(f'<a href="/listing/{k}.html">Courses {k}</a> ' for k in listings)
    (folder / "index.html").write_text(f"<html><body><h1>Academy</h1>{home}</body></html>")
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """Python's static file server, in its own process."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               HOST, "--directory", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://{HOST}:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- the contenders, each run in a process of its own ------------------------------------


def _run_offermap(url: str, database_url: str, pages: int) -> int:
    from db.session import Database
    from pipeline.config import Config, ProvidersConfig, ProviderSite, load_config
    from pipeline.crawl import run_crawl

    base = load_config(Path(__file__).resolve().parent.parent / "config")
    site = ProviderSite(name="academy", start_urls=[f"{url}/"], allowed_domains=[HOST],
                        max_depth=2, max_pages=pages + 1000, delay=0)
    config = Config(base.directory, base.keywords, ProvidersConfig(providers=[site]),
                    base.taxonomy_config, base.dedup)
    summary = run_crawl(config, Database(database_url), spiders=("providers",), overrides={
        "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "LOG_LEVEL": "ERROR", "OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8"})
    return int(summary.counts.get("pages_fetched", 0))


def _run_bare(url: str) -> int:
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    fetched = [0]

    class Bare(Spider):
        name = "bare"
        start_urls = [f"{url}/"]
        links = LinkExtractor()  # one site; allow_domains would compare host:port

        def parse(self, response: Any, **kwargs: Any) -> Any:
            fetched[0] += 1
            if response.meta.get("depth", 0) < 2:
                for link in self.links.extract_links(response):
                    yield Request(link.url, callback=self.parse)

    process = CrawlerProcess({
        "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "ERROR",
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "TELNETCONSOLE_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"})
    process.crawl(Bare)
    process.start()
    return fetched[0]


def contend(name: str, url: str, pages: int, database_url: str = "") -> dict[str, Any]:
    """Run one contender in a child process; its pages, seconds and peak RSS."""
    command = [sys.executable, "-m", "benchmarks.crawl", "--contender", name, "--url", url,
               "--pages", str(pages), "--database-url", database_url]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the {name} crawl failed: {output.strip()[-500:]}")
    fetched = int(output.strip().splitlines()[-1])
    return {"pages": fetched, "seconds": seconds, "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on ``server_url``'s server, dropped afterwards."""
    import psycopg

    name = f"offermap_bench_{uuid.uuid4().hex[:8]}"
    conninfo = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield conninfo.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(pages: int, repeats: int, postgres_url: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="offermap-crawl-bench-") as tmp:
        folder = Path(tmp) / "site"
        generate_site(folder, pages)
        with static_server(folder) as url:
            databases = ["sqlite"] + (["postgresql"] if postgres_url else [])
            for database in databases:
                bare, ours = [], []
                for attempt in range(repeats):
                    bare.append(contend("bare", url, pages))
                    if database == "sqlite":
                        target = str(Path(tmp) / f"crawl-{attempt}.sqlite")
                        ours.append(contend("offermap", url, pages, target))
                    else:
                        assert postgres_url is not None
                        with postgres_database(postgres_url) as target:
                            ours.append(contend("offermap", url, pages, target))
                rows.append(_row(pages, database, bare, ours))
    return rows


def _row(pages: int, database: str, bare: list[dict[str, Any]],
         ours: list[dict[str, Any]]) -> dict[str, Any]:
    def rate(runs: list[dict[str, Any]]) -> dict[str, float]:
        return spread([run["pages"] / run["seconds"] for run in runs])

    ours_rate, bare_rate = rate(ours), rate(bare)
    return {"site_pages": pages, "database": database,
            "offermap": {"pages_per_second": ours_rate, "fetched": ours[-1]["pages"],
                         "peak_rss_mib": max(run["peak_rss_mib"] for run in ours)},
            "bare_scrapy": {"pages_per_second": bare_rate, "fetched": bare[-1]["pages"],
                            "peak_rss_mib": max(run["peak_rss_mib"] for run in bare)},
            "ratio": round(ours_rate["median"] / bare_rate["median"], 3)}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000, help="training pages on the site")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true",
                        help="skip PostgreSQL even when OFFERMAP_TEST_POSTGRES_URL is set")
    parser.add_argument("--results-dir", type=Path, default=None)
    parser.add_argument("--contender", choices=["offermap", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.contender:  # a child process: crawl, print the number of pages fetched
        fetched = (_run_offermap(args.url, args.database_url, args.pages)
                   if args.contender == "offermap" else _run_bare(args.url))
        print(fetched)
        return []

    postgres = None if args.no_postgres else os.environ.get("OFFERMAP_TEST_POSTGRES_URL")
    rows = measure(args.pages, args.repeats, postgres)
    print(f"{'database':<11} {'site pages':>10} {'offermap p/s':>12} {'bare p/s':>9} "
          f"{'ratio':>6} {'offermap RSS MiB':>16} {'bare RSS MiB':>12}")
    for row in rows:
        print(f"{row['database']:<11} {row['site_pages']:>10} "
              f"{row['offermap']['pages_per_second']['median']:>12.1f} "
              f"{row['bare_scrapy']['pages_per_second']['median']:>9.1f} {row['ratio']:>6.2f} "
              f"{row['offermap']['peak_rss_mib']:>16} {row['bare_scrapy']['peak_rss_mib']:>12}")
    path = write_result("crawl", {"benchmark": "crawl", "target": "ratio >= 0.8, offermap "
                                  "peak RSS <= 500 MB", "rows": rows}, args.results_dir)
    print(f"Wrote {path}")
    return rows


if __name__ == "__main__":
    main()
