"""``offermap export`` and ``offermap report``: what comes out of the reviewed database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from db.session import Database
from pipeline import export
from pipeline.cli import (
    _open,
    clean,
    console,
    database_option,
    friendly_errors,
    main,
)
from pipeline.errors import OfferMapError


def _split_fields(_context: click.Context, _param: click.Parameter,
                  values: tuple[str, ...]) -> tuple[str, ...]:
    """``--fields a,b --fields c`` → ``("a", "b", "c")``, each checked against COLUMNS."""
    names = tuple(name.strip() for value in values for name in value.split(",") if name.strip())
    try:
        export.choose_columns(names)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return names


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(export.FORMATS), default=None,
              help="File format  [default: from the --out suffix (.csv, .xlsx, .json, "
                   ".jsonl, .sqlite, .jsonld); csv for a name without a suffix; any other "
                   "suffix needs --format]")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write (replaced atomically).")
@click.option("--status", "statuses", multiple=True, type=click.Choice(export.STATUSES),
              help="Which candidates (repeatable; maybe = set aside by a reviewer)  "
                   "[default: accepted]")
@click.option("--fields", multiple=True, callback=_split_fields, metavar="NAME,NAME…",
              help="Only these columns, in this order (comma-separated or repeated).")
@click.option("--with-evidence", is_flag=True,
              help="Add each field's evidence (extractor, text, confidence) from the "
                   "primary source.")
@click.option("--with-editions", is_flag=True,
              help="Add the editions: URL, origin, start and end dates, modality, "
                   "edition status and fee of each (one per source where a training has "
                   "no recorded editions).")
@click.option("--bom", is_flag=True, help="Start the CSV with a byte-order mark (for Excel).")
@database_option
@friendly_errors
def export_command(fmt: str | None, out: Path, statuses: tuple[str, ...],
                   fields: tuple[str, ...], with_evidence: bool, with_editions: bool,
                   bom: bool, db_url: str | None) -> None:
    """Export candidates (accepted ones by default) with the record's columns.

    Formats: csv, xlsx, json, jsonl, sqlite (a table `trainings` for Datasette or
    sqlite-utils) and jsonld (schema.org Course / CourseInstance / Offer).

    \b
    Examples:
      offermap export --format csv --out trainings.csv
      offermap export --out trainings.xlsx --with-evidence
      offermap export --out trainings.sqlite --status accepted --status maybe
      offermap export --out trainings.jsonld --with-editions
      offermap export --out short.csv --fields title,provider,url --bom
    """
    try:
        fmt = export.format_for(out, fmt)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--out") from None
    columns = export.choose_columns(fields, with_evidence=with_evidence,
                                    with_editions=with_editions)
    database = _open(db_url)
    _never_over_a_database(out, database)
    with database.session() as session:
        records = export.rows(session, statuses or ("accepted",), with_evidence=with_evidence,
                              with_editions=with_editions)
        try:
            count = export.write(fmt, out, records, columns, bom=bom)
        except OSError as error:
            raise OfferMapError(f"Cannot write {out}: {error.strerror or error}") from None
    console.print(f"Wrote {count} {'entry' if count == 1 else 'entries'} to {clean(out)} ({fmt})")


@main.command("report")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Folder for report.html, report.md, charts/ and the "
                                  "snapshot the next report compares with.")
@click.option("--review-url", default="http://127.0.0.1:8000", show_default=True,
              help="Base URL of the review app; every number links to its filtered list.")
@click.option("--no-charts", is_flag=True, help="Skip the charts (faster).")
@database_option
@friendly_errors
def report_command(out_dir: Path, review_url: str, no_charts: bool, db_url: str | None) -> None:
    """Write the report on the accepted trainings: HTML and Markdown, with charts.

    Counts and shares by provider category, format, modality, inclusiveness, verticals,
    language, country, fees, edition status and recurrence; the closing-question
    signals; the screening flow; and what changed since the previous report in DIR.

    \b
    Examples:
      offermap report --out report/
      offermap report --out report/ --review-url https://review.example.org
    """
    from pipeline.report import write_report

    database = _open(db_url)
    with database.session() as session:
        try:
            written = write_report(session, out_dir, review_url=review_url,
                                   charts=not no_charts)
        except OSError as error:
            raise OfferMapError(f"Cannot write the report in {out_dir}: "
                                f"{error.strerror or error}") from None
    console.print(f"Wrote {clean(written.html)} and {clean(written.markdown)} "
                  f"({written.total} accepted trainings)")


def _never_over_a_database(out: Path, database: Database) -> None:
    """Refuse to replace the database being read, or any other offermap database:
    an export written over it would destroy every decision in it."""
    if database.is_sqlite and out.exists():
        source = Path(database.engine.url.database or "")
        if source.exists() and out.resolve() == source.resolve():
            raise click.BadParameter(f"{out} is the database being exported; choose another "
                                     "file", param_hint="--out")
    if out.is_file() and _is_offermap_database(out):
        raise click.BadParameter(f"{out} is an offermap database; an export never replaces "
                                 "one (choose another file)", param_hint="--out")


def _is_offermap_database(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return False
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                      "AND name = 'alembic_version'").fetchone() is not None
    except (OSError, sqlite3.Error):
        return False
