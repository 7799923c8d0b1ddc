"""`offermap duplicates` and `offermap merges`: review and undo merges from the shell."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import select

from db.models import Candidate, DuplicatePair, Merge
from pipeline.cli import (
    _actor_option,
    _open,
    clean,
    config_option,
    console,
    database_option,
    friendly_errors,
    main,
)
from pipeline.config import load_config
from pipeline.merging import mark_not_same, merge_candidates, undo_merge


@main.group(invoke_without_command=True)
@click.option("--rescan", is_flag=True,
              help="First match every training against every other again, with the "
                   "rules of config/dedup.yaml (after a crawl spread over workers).")
@database_option
@config_option
@click.pass_context
@friendly_errors
def duplicates(context: click.Context, rescan: bool, db_url: str | None,
               config_dir: Path | None) -> None:
    """Possible duplicates: pairs of candidates that may be one training.

    \b
    Examples:
      offermap duplicates                      # open pairs, most similar first
      offermap duplicates --rescan             # match all trainings again first
      offermap duplicates same 4 9             # merge 9 into 4
      offermap duplicates not-same 4 9         # never offer or merge them again
    """
    if context.invoked_subcommand is not None:
        return
    database = _open(db_url)
    if rescan:
        from pipeline.rescan import rescan as rescan_all

        found = rescan_all(database, load_config(config_dir).dedup)
        console.print(f"Matched {found.trainings} trainings again: {found.merged} merged "
                      f"(undo with `offermap merges undo`), {found.offered} new possible "
                      "duplicates.")
    with database.session() as session:
        pairs = session.scalars(select(DuplicatePair).where(DuplicatePair.status == "open")
                                .order_by(DuplicatePair.score.desc())).all()
        titles = {c.id: c.title for c in session.scalars(select(Candidate).where(
            Candidate.id.in_([p.candidate_a_id for p in pairs] +
                             [p.candidate_b_id for p in pairs])))}
    if not pairs:
        console.print("No open possible duplicates.")
        return
    table = Table("a", "title a", "b", "title b", "score", "rule")
    for pair in pairs:
        table.add_row(str(pair.candidate_a_id), clean(titles.get(pair.candidate_a_id, "")),
                      str(pair.candidate_b_id), clean(titles.get(pair.candidate_b_id, "")),
                      f"{pair.score:.0f}", clean(pair.rule))
    console.print(table)


@duplicates.command("same")
@click.argument("keep_id", type=int)
@click.argument("absorb_id", type=int)
@database_option
@_actor_option
@friendly_errors
def duplicates_same(keep_id: int, absorb_id: int, db_url: str | None, actor: str) -> None:
    """Merge ABSORB_ID into KEEP_ID (undo with `offermap merges undo`).

    \b
    Example:
      offermap duplicates same 4 9
    """
    with _open(db_url).transaction() as session:
        merge = merge_candidates(session, keep_id, absorb_id, actor=actor)
        merge_id = merge.id
    console.print(f"Merged #{absorb_id} into #{keep_id} (merge {merge_id}).")


@duplicates.command("not-same")
@click.argument("first_id", type=int)
@click.argument("second_id", type=int)
@database_option
@_actor_option
@friendly_errors
def duplicates_not_same(first_id: int, second_id: int, db_url: str | None, actor: str) -> None:
    """Remember that two candidates are different trainings.

    \b
    Example:
      offermap duplicates not-same 4 9
    """
    with _open(db_url).transaction() as session:
        mark_not_same(session, first_id, second_id, actor=actor)
    console.print(f"#{first_id} and #{second_id} are different trainings.")


@main.group(invoke_without_command=True)
@click.option("--limit", type=int, default=50, show_default=True)
@database_option
@click.pass_context
@friendly_errors
def merges(context: click.Context, limit: int, db_url: str | None) -> None:
    """Every merge, by the machine or a reviewer, newest first; undo one.

    \b
    Examples:
      offermap merges
      offermap merges undo 12
    """
    if context.invoked_subcommand is not None:
        return
    with _open(db_url).session() as session:
        rows = session.scalars(select(Merge).order_by(Merge.id.desc()).limit(limit)).all()
    table = Table("id", "into", "from", "rule", "score", "by", "at", "undone")
    for merge in rows:
        what = f"#{merge.from_candidate_id}" if merge.from_candidate_id else \
            f"source {merge.source_id}"
        table.add_row(str(merge.id), f"#{merge.into_candidate_id}", what, clean(merge.rule),
                      f"{merge.score:.0f}" if merge.score is not None else "",
                      clean(merge.actor), f"{merge.at:%Y-%m-%d %H:%M}",
                      clean(merge.undone_by or "") if merge.undone_at else "")
    console.print(table)


@merges.command("undo")
@click.argument("merge_id", type=int)
@database_option
@_actor_option
@friendly_errors
def merges_undo(merge_id: int, db_url: str | None, actor: str) -> None:
    """Undo a merge: what it joined stands apart again, and is never merged back.

    \b
    Example:
      offermap merges undo 12
    """
    with _open(db_url).transaction() as session:
        freed = undo_merge(session, merge_id, actor=actor)
        freed_id, title = freed.id, freed.title
    console.print(f"Undid merge {merge_id}: #{freed_id} {clean(title)} stands on its own.")
