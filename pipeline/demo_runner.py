"""`offermap demo`: the whole flow on the built-in offline web."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from db.models import Candidate, Source
from db.session import Database
from pipeline.config import Config, ProvidersConfig, ProviderSite, load_config

console = Console(highlight=False)

#: Crawl settings for loopback: no politeness delay is needed towards our own server.
DEMO_OVERRIDES = {
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
    # The demo web lives on 127.0.0.x: loopback is opened on purpose, for this run only
    # (the SSRF guard refuses it otherwise, see crawler/safety.py).
    "OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8",
}


def demo_config(base: Config, search_url: str, providers: list[dict]) -> Config:
    """The shipped grid and taxonomy, pointed at the demo web."""
    searxng = base.keywords.backends.searxng.model_copy(update={"url": search_url, "delay": 0})
    backends = base.keywords.backends.model_copy(update={"searxng": searxng})
    keywords = base.keywords.model_copy(update={"backends": backends,
                                                "use_backends": ["searxng"]})
    sites = ProvidersConfig(providers=[ProviderSite(**site) for site in providers])
    return Config(base.directory, keywords, sites, base.taxonomy_config, base.dedup)


def run_demo(db_path: Path, *, quiet: bool = False) -> bool:
    """Run the demo; whether its crawl finished."""
    from pipeline.cli import _crawl_with_progress, print_candidates, print_summary
    from pipeline.demo.server import DemoWeb

    base = load_config()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    database = Database(str(db_path))

    with DemoWeb() as web:
        config = demo_config(base, web.search_url, web.providers())
        console.print(f"Demo web: {len(web.sites)} provider sites and a search engine at "
                      f"{web.search_url}")
        summary = _crawl_with_progress(config, database, ("search", "providers"), quiet=quiet,
                                       overrides=DEMO_OVERRIDES, kind="demo")

    print_summary(summary, database)
    if summary.status != "finished":
        return False
    with database.session() as session:
        found = session.execute(
            select(Candidate, func.count(Source.id)).join(Source, isouter=True)
            .where(Candidate.merged_into_id.is_(None)).group_by(Candidate.id)
            .order_by(Candidate.id)).all()
    print_candidates([row for row, _ in found], {row.id: count for row, count in found})
    console.print("\nNext:")
    for command in (f"offermap candidates --db {db_path} 1", f"offermap accept --db {db_path} 1",
                    f"offermap export --db {db_path} --out trainings.csv"):
        console.print(f"  {command}", soft_wrap=True)
    return True
