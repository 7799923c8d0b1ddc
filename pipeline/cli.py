"""The ``offermap`` command."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from crawler.safety import allow_networks_from
from db.models import Candidate, FieldChange, Hit, Query, Source
from db.session import Database, default_database_url, normalise_url
from pipeline import export
from pipeline.config import load_config
from pipeline.errors import OfferMapError, StorageError
from pipeline.store import RunSummary

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])

STATUSES = ("pending", "maybe", "accepted", "rejected")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: Any) -> str:
    """Scraped text made safe for a terminal: no control or escape sequences, no
    rich markup."""
    return escape(CONTROL_CHARACTERS.sub("", str(text)))


def database_option(command: F) -> F:
    return click.option(
        "--db", "db_url", metavar="URL|FILE", envvar="OFFERMAP_DATABASE_URL",
        default=None, show_envvar=True,
        help="SQLAlchemy URL or SQLite file  [default: offermap.sqlite]",
    )(command)


def config_option(command: F) -> F:
    return click.option(
        "--config-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        envvar="OFFERMAP_CONFIG_DIR", show_envvar=True,
        help="Folder with keywords.yaml, providers.yaml, taxonomy.yaml  [default: ./config]",
    )(command)


def friendly_errors(command: F) -> F:
    """Print an OfferMapError as one red line and exit with its code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except OfferMapError as error:
            errors.print(f"[red]Error:[/red] {clean(error)}", soft_wrap=True)  # one line
            sys.exit(error.exit_code)
        except OverflowError:  # an id beyond what the database can hold
            errors.print("[red]Error:[/red] that number is too large for an id", soft_wrap=True)
            sys.exit(2)
        except SQLAlchemyError as error:  # a database that fails mid-command
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            errors.print(f"[red]Error:[/red] database: {clean(reason)}", soft_wrap=True)
            sys.exit(StorageError.exit_code)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="offermap")
def main() -> None:
    """offermap maps the public training offer on a theme.

    \b
    It runs a grid of web searches (config/keywords.yaml), walks provider sites
    (config/providers.yaml), reads every page for training offers, merges the same
    training found in several places, and keeps candidates for review.

    \b
    Examples:
      offermap demo                      # the whole flow on a built-in offline web
      offermap crawl                     # crawl with ./config into offermap.sqlite
      offermap candidates --status pending
      offermap accept 12
      offermap export --format csv --out trainings.csv
    """


# --- crawl -------------------------------------------------------------------------


@main.command()
@database_option
@config_option
@click.option("--spider", "spiders", multiple=True, type=click.Choice(["search", "providers"]),
              help="Run only this spider (repeatable)  [default: both]")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--wait", is_flag=True,
              help="If another run is going on this database, wait for it to end "
                   "(default: refuse with 'already running').")
@click.option("--redis", "redis_url", metavar="URL", envvar="OFFERMAP_REDIS_URL",
              default=None, show_envvar=True,
              help="Be one worker of a crawl spread over several: share the queue and "
                   "the duplicate filter through this Redis (redis://host:6379/0).")
@click.option("--run-key", metavar="KEY", envvar="OFFERMAP_RUN_KEY", default=None,
              show_envvar=True,
              help="With --redis: the distributed run to join (workers with the same "
                   "key share one crawl)  [default: a new key, printed]")
@friendly_errors
def crawl(db_url: str | None, config_dir: Path | None, spiders: tuple[str, ...],
          quiet: bool, wait: bool, redis_url: str | None, run_key: str | None) -> None:
    """Run the search grid and walk the provider sites, storing candidates.

    One run at a time per database: a second crawl started while one is going
    stops with "already running" (or waits, with --wait).

    \b
    Examples:
      offermap crawl
      offermap crawl --db postgresql://user@db/offermap --spider providers
      OFFERMAP_SEARXNG_URL=http://127.0.0.1:8888 offermap crawl --spider search
      offermap crawl --db postgresql://… --redis redis://127.0.0.1:6379/0 --run-key weekly

    With --redis, start as many workers as you like with the same --run-key (on
    any machine that reaches the database and Redis): they share one crawl.
    """
    config = load_config(config_dir)  # validated before the database is touched
    allow_networks_from(None)  # so is $OFFERMAP_ALLOW_NETWORKS (exit 2 when invalid)
    workers = None
    if redis_url:
        from pipeline.workers import Workers

        workers = Workers(redis_url, run_key) if run_key else Workers(redis_url)
        if not run_key:
            errors.print(f"Distributed run key: {workers.run_key} (other workers join with "
                         f"--redis URL --run-key {workers.run_key})")
    elif run_key:
        raise click.UsageError("--run-key needs --redis (or OFFERMAP_REDIS_URL)")
    database = Database(db_url)
    summary = _crawl_with_progress(config, database, spiders or ("search", "providers"),
                                   quiet=quiet, wait=wait, workers=workers)
    print_summary(summary, database)
    if summary.status != "finished":
        sys.exit(130 if summary.status == "interrupted" else 1)


def _crawl_with_progress(config: Any, database: Database, spiders: tuple[str, ...], *,
                         quiet: bool, overrides: dict[str, Any] | None = None,
                         kind: str = "crawl", wait: bool = False,
                         workers: Any = None) -> RunSummary:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from pipeline.crawl import run_crawl

    if quiet or not errors.is_terminal:
        return run_crawl(config, database, spiders=spiders, overrides=overrides, kind=kind,
                         wait=wait, workers=workers)

    totals: dict[str, dict[str, int]] = {}
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=errors, transient=True) as progress:
        task = progress.add_task("Starting the crawl…")

        def update(spider: str, counts: dict[str, int]) -> None:
            totals[spider] = counts
            queries = sum(c["queries"] for c in totals.values())
            pages = sum(c["pages"] for c in totals.values())
            scheduled = sum(c["scheduled"] for c in totals.values())
            progress.update(task, description=(
                f"Crawling: {queries} queries answered, {pages} pages fetched "
                f"of {scheduled} requests"))

        return run_crawl(config, database, spiders=spiders, overrides=overrides,
                         progress=update, kind=kind, wait=wait, workers=workers)


def print_summary(summary: RunSummary, database: Database) -> None:
    counts = summary.counts
    table = Table(title=f"Run {summary.run_id}: {summary.status}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    troubles = [f"{counts[f'queries_{kind}']} {kind}" for kind in ("failed", "blocked", "partial")
                if counts[f"queries_{kind}"]]
    table.add_row("queries sent", f"{counts['queries_sent']}"
                  + (f" ({', '.join(troubles)})" if troubles else ""))
    if counts["queries_unsent"]:
        table.add_row("queries not sent", str(counts["queries_unsent"]))
    table.add_row("search hits", str(counts["hits"]))
    table.add_row("pages fetched", str(counts["pages_fetched"]))
    for outcome in ("candidate", "not_offer", "off_theme", "not_html", "http_error", "robots",
                    "fetch_error", "extract_error"):
        if counts[f"pages_{outcome}"]:
            table.add_row(f"  {outcome.replace('_', ' ')}", str(counts[f"pages_{outcome}"]))
    table.add_row("candidates new", str(counts["candidates_new"]))
    table.add_row("sources merged into a candidate", str(counts["candidates_merged"]))
    for key, label in (("candidates_edition", "new editions of known trainings"),
                       ("candidates_joined", "candidates joined by a bridging page"),
                       ("possible_duplicates", "possible duplicates for review")):
        if counts[key]:
            table.add_row(label, str(counts[key]))
    table.add_row("already known", str(counts["candidates_known"]))
    table.add_row("errors", str(counts["errors"]))
    console.print(table)
    for message in summary.errors[:10]:
        console.print(f"  [yellow]•[/yellow] {clean(message)}")
    if len(summary.errors) > 10:
        console.print(f"  … and {len(summary.errors) - 10} more (offermap runs)")
    if summary.error:
        errors.print(f"[red]Error:[/red] {clean(summary.error)}", soft_wrap=True)
    console.print(f"Database: {database.display_url}")


# --- candidates ----------------------------------------------------------------------


@main.command()
@click.argument("candidate_id", type=int, required=False)
@click.option("--status", type=click.Choice([*STATUSES, "all"]), default="all",
              show_default=True, help="Only candidates with this status.")
@click.option("--limit", type=int, default=200, show_default=True)
@database_option
@friendly_errors
def candidates(candidate_id: int | None, status: str, limit: int, db_url: str | None) -> None:
    """List candidates, or show one with its evidence and sources.

    \b
    Examples:
      offermap candidates
      offermap candidates --status pending
      offermap candidates 7              # every field, where it was read, and the sources
    """
    database = _open(db_url)
    if candidate_id is not None:
        show_candidate(database, candidate_id)
        return
    with database.session() as session:
        query = (select(Candidate, func.count(Source.id)).join(Source, isouter=True)
                 .where(Candidate.merged_into_id.is_(None)).group_by(Candidate.id)
                 .order_by(Candidate.relevance_score.desc(), Candidate.id).limit(limit))
        if status != "all":
            query = query.where(Candidate.status == status)
        found = session.execute(query).all()
    print_candidates([row for row, _ in found], {row.id: count for row, count in found})


def print_candidates(found: list[Candidate], source_counts: dict[int, int]) -> None:
    """A table of candidates; on a narrow terminal, only the columns that matter most."""
    if not found:
        console.print("No candidates.")
        return
    wide = console.width >= 130
    table = Table(show_lines=False, pad_edge=False)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("title", ratio=3, min_width=20)
    columns = ("format", "modality", "start", "lang", "fee") if wide else ("format", "start")
    for header in columns:
        table.add_column(header, no_wrap=True)
    if wide:
        table.add_column("provider", ratio=1, max_width=32, overflow="ellipsis", no_wrap=True)
    table.add_column("src", justify="right", no_wrap=True)

    for candidate in found:
        fee = ("free" if candidate.is_free else
               f"{candidate.fee_amount:g} {candidate.fee_currency or ''}".strip()
               if candidate.fee_amount is not None else "")
        values = {
            "format": clean(candidate.format or ""),
            "modality": clean(candidate.modality or ""),
            "start": candidate.start_date.isoformat() if candidate.start_date else "",
            "lang": clean(candidate.language or ""),
            "fee": clean(fee),
        }
        row = [str(candidate.id), candidate.status, clean(candidate.title)]
        row += [values[name] for name in columns]
        if wide:
            row.append(clean(candidate.provider or ""))
        row.append(str(source_counts.get(candidate.id, 0)))
        table.add_row(*row)
    console.print(table)


def show_candidate(database: Database, candidate_id: int) -> None:
    with database.session() as session:
        candidate = session.get(Candidate, candidate_id, options=[
            selectinload(Candidate.sources), selectinload(Candidate.decisions)])
        if candidate is None:
            raise OfferMapError(f"No candidate {candidate_id} in {database.display_url}")
        primary = next((s for s in candidate.sources if s.id == candidate.primary_source_id),
                       candidate.sources[0] if candidate.sources else None)
        reason = f": {clean(candidate.reason)}" if candidate.reason else ""
        console.print(f"[bold]#{candidate.id} {clean(candidate.title)}[/bold]  "
                      f"({candidate.status}{reason})")
        if candidate.merged_into_id is not None:
            console.print(f"Merged into #{candidate.merged_into_id}: its sources and decisions "
                          f"are there (offermap candidates {candidate.merged_into_id}; undo with "
                          "offermap merges undo)")
        table = Table("field", "value", "evidence", show_lines=False)
        for name in export.COLUMNS[1:-1]:
            value = getattr(candidate, name, None)
            if value in (None, [], ""):
                continue
            found = (primary.evidence.get(name) if primary else None) or {}
            evidence = (f"{found.get('extractor', '')}: {found.get('source', '')}"
                        if found else "")
            table.add_row(name, clean(_display(value)), clean(evidence[:160]))
        console.print(table)
        console.print(f"relevance {candidate.relevance_score:.2f}: "
                      + clean(", ".join(candidate.relevance_reasons)))
        if len(candidate.editions) > 1 or any(e.key != "undated" for e in candidate.editions):
            console.print("[bold]Editions[/bold]")
            for edition in candidate.editions:
                fee = ("free" if edition.is_free else f"{edition.fee_amount:g} "
                       f"{edition.fee_currency or ''}" if edition.fee_amount is not None else "")
                console.print(f"  • {edition.key}"
                              + (f" – {edition.end_date.isoformat()}" if edition.end_date else "")
                              + f"  {clean(edition.modality or '')}  {clean(fee)}  "
                              + clean(edition.edition_status or ""))
        console.print("[bold]Sources[/bold]")
        for source in candidate.sources:
            hits = session.execute(
                select(Query.backend, Query.text, Hit.rank).join(Hit.query)
                .where(Hit.canonical_url == source.key)).all()
            found_by = "; ".join(f"{b} '{t}' #{r}" for b, t, r in hits[:3])
            console.print(f"  • [{source.origin}] {clean(source.url)}  ({source.match_rule}"
                          + (f", {source.match_score:.0f}" if source.match_score else "") + ")"
                          + (f"\n    found by: {clean(found_by)}" if found_by else ""))
        changes = session.scalars(select(FieldChange).where(
            FieldChange.candidate_id == candidate.id).order_by(FieldChange.id)).all()
        if changes:
            console.print("[bold]History[/bold]")
        for change in changes:
            console.print(f"  {change.at:%Y-%m-%d %H:%M} {change.field}: {clean(change.old)} → "
                          f"{clean(change.new)} ({change.status}, run {change.run_id})")
        for decision in candidate.decisions:
            console.print(f"  {decision.at:%Y-%m-%d %H:%M} {decision.actor} {decision.action}"
                          + (f": {clean(decision.reason)}" if decision.reason else ""))


def _display(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- decisions -----------------------------------------------------------------------


def _actor_option(command: F) -> F:
    return click.option("--by", "actor", default=lambda: _whoami(), show_default="your login",
                        help="Who decides (recorded with the decision).")(command)


def _whoami() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


# --- demo ----------------------------------------------------------------------------


@main.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("offermap-demo.sqlite"), show_default=True,
              help="SQLite file to create (replaced if it exists).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@friendly_errors
def demo(db_path: Path, quiet: bool) -> None:
    """Run the whole flow on a small built-in web, offline.

    Serves provider sites and a SearXNG-compatible search engine on 127.0.0.x,
    runs the search grid of config/keywords.yaml and the site walker against them
    into a fresh SQLite file, then prints the summary and the candidates.

    \b
    Example:
      offermap demo
      offermap candidates --db offermap-demo.sqlite 1
    """
    from pipeline.demo_runner import run_demo

    try:
        finished = run_demo(db_path, quiet=quiet)
    except KeyboardInterrupt:
        errors.print(f"Interrupted; what was stored so far is in {db_path}")
        sys.exit(130)
    if not finished:
        sys.exit(1)


def _existing(db_url: str | None) -> str:
    """The database URL, refused when it names a SQLite file that does not exist
    (connecting would create an empty one)."""
    url = normalise_url(db_url or default_database_url())
    if url.startswith("sqlite:///"):
        path = Path(url.split(":///", 1)[1])
        if not path.is_file():
            raise OfferMapError(f"No offermap database at {path}: no such file (create one "
                                "with `offermap crawl` or `offermap demo`, or give --db)")
    return url


def _open(db_url: str | None) -> Database:
    """An existing offermap database at the current schema, or a one-line error.

    Never creates anything: a mistyped SQLite path is an error, not a new empty file.
    """
    database = Database(_existing(db_url), create=False)
    try:
        if not database.has_schema():
            raise OfferMapError(f"{database.display_url} has no offermap tables; run "
                                "`offermap crawl` (or `offermap demo`) to create them")
        database.create_schema()  # refuses a schema that is behind, naming the command
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise StorageError(f"Cannot open database {database.display_url}: {reason}") from None
    return database


# --- db ------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Create or upgrade the database schema.

    \b
    Examples:
      offermap db upgrade
      offermap db current --db postgresql://offermap@db/offermap
    """


@db.command()
@database_option
@friendly_errors
def upgrade(db_url: str | None) -> None:
    """Apply every schema migration the database lacks (back it up first).

    \b
    Example:
      offermap db upgrade --db offermap.sqlite
    """
    database = Database(db_url, create=False)
    before = database.schema_revision() if database.has_schema() else None
    database.upgrade()
    console.print(f"{database.display_url}: schema {before or 'empty'} -> "
                  f"{database.schema_revision()}")


@db.command()
@database_option
@friendly_errors
def current(db_url: str | None) -> None:
    """Print the database's schema revision and the one this offermap needs.

    \b
    Example:
      offermap db current
    """
    from db.schema import head_revision

    database = Database(_existing(db_url), create=False)
    revision = database.schema_revision() if database.has_schema() else None
    console.print(f"{database.display_url}: schema {revision or 'empty'} "
                  f"(this offermap needs {head_revision()})")


# Commands that live in their own modules register themselves on `main` when
# imported; each module is listed here once.
from pipeline import cli_modules  # noqa: E402,F401

__all__ = ["main", "print_candidates", "print_summary"]


if __name__ == "__main__":
    main()
