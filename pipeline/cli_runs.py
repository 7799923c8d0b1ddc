"""`offermap runs`: every run with its status and counts."""

from __future__ import annotations

import click
from rich.table import Table
from sqlalchemy import select

from db.models import Run
from pipeline.cli import _open, clean, console, database_option, friendly_errors, main

#: The counts shown per run, from the run's stored summary.
SHOWN = (("queries", "queries_sent"), ("hits", "hits"), ("pages", "pages_fetched"),
         ("new", "candidates_new"), ("merged", "candidates_merged"), ("err", "errors"))


@main.command("runs")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@database_option
@friendly_errors
def runs(limit: int, db_url: str | None) -> None:
    """Every run, newest first: kind, status, when, and what it found.

    A run a killed process left behind shows as "interrupted" once the next run
    starts.

    \b
    Examples:
      offermap runs
      offermap runs --limit 5 --db postgresql://offermap@db/offermap
    """
    database = _open(db_url)
    with database.session() as session:
        found = session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)).all()
    if not found:
        console.print(f"No runs yet in {database.display_url}")
        return
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    for header in ("run", "kind", "status", "started (UTC)", *(label for label, _ in SHOWN)):
        table.add_column(header, justify="left" if header in ("kind", "status") else "right")
    errors = []
    for run in found:
        counts = (run.stats or {}).get("counts", {})
        table.add_row(str(run.id), run.kind, run.status, f"{run.started_at:%Y-%m-%d %H:%M}",
                      *(str(counts.get(key, 0)) for _, key in SHOWN))
        if run.error:
            errors.append(f"run {run.id}: {clean(run.error)}")
    console.print(table)
    for line in errors:
        console.print(line, soft_wrap=True)
