"""``offermap serve``, ``offermap users`` and ``offermap review``: the review app and its
command-line equivalents for scripting."""

from __future__ import annotations

import sys

import click

from pipeline.cli import (
    _actor_option,
    _open,
    clean,
    console,
    database_option,
    friendly_errors,
    main,
    print_candidates,
    show_candidate,
)
from pipeline.errors import OfferMapError

# --- serve ---------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 behind a reverse proxy in a container).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--double-screening", is_flag=True,
              help="Blind double screening: two reviewers vote independently; "
                   "conflicts are listed for a third (/conflicts).")
@database_option
@friendly_errors
def serve(host: str, port: int, double_screening: bool, db_url: str | None) -> None:
    """Run the review web app and its JSON API (/api, described at /api/openapi.json).

    Add an account first with `offermap users add NAME`.

    \b
    Examples:
      offermap serve
      offermap serve --db offermap-demo.sqlite --port 8080
      offermap serve --double-screening
    """
    import uvicorn

    from review.app import create_app

    app = create_app(_open(db_url), double_screening=double_screening)
    console.print(f"Review app on http://{host}:{port}/  (Ctrl+C to stop)")
    # proxy_headers: behind a TLS proxy, https in X-Forwarded-Proto makes cookies Secure.
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="warning")


# --- users ---------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Manage review accounts.

    \b
    Examples:
      offermap users add alice --role admin
      echo "$PASSWORD" | offermap users add bob --password-stdin
      offermap users list
    """


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reviewer", "admin"]), default="reviewer",
              show_default=True, help="Admins also manage reasons and users.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@database_option
@friendly_errors
def add_user(name: str, role: str, password_stdin: bool, db_url: str | None) -> None:
    """Add an account; the password is asked for (or read from stdin).

    \b
    Example:
      offermap users add alice --role admin
    """
    from review import auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    database = _open(db_url)
    with database.transaction() as session:
        auth.add_user(session, name, password, role)
    console.print(f"Added {clean(name)} ({role})")


@users.command("list")
@database_option
@friendly_errors
def list_users(db_url: str | None) -> None:
    """List accounts.

    \b
    Example:
      offermap users list
    """
    from review import auth

    with _open(db_url).session() as session:
        for user in auth.users(session):
            console.print(f"{clean(user.name)}  {user.role}"
                          + ("" if user.active else "  (inactive)"))


# --- review --------------------------------------------------------------------------


@main.group()
def review() -> None:
    """Screen trainings from the command line (the same actions as the web app).

    \b
    Examples:
      offermap review list
      offermap review show 7
      offermap review include 7
      offermap review exclude 8 --reason "off theme"
      offermap review maybe 9
      offermap review undo
    """


@review.command("list")
@click.option("--status", type=click.Choice(["pending", "maybe", "accepted", "rejected", "all"]),
              default="pending", show_default=True)
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@database_option
@friendly_errors
def review_list(status: str, limit: int, db_url: str | None) -> None:
    """The queue: trainings most relevant first.

    \b
    Example:
      offermap review list --status maybe
    """
    from review import service

    with _open(db_url).session() as session:
        rows = service.queue(session, service.QueueFilter(status=status), limit=limit)
        counts = {row.id: len(row.sources) for row in rows}
        print_candidates(rows, counts)


@review.command("show")
@click.argument("candidate_id", type=int)
@database_option
@friendly_errors
def review_show(candidate_id: int, db_url: str | None) -> None:
    """One training with its evidence, sources and history.

    \b
    Example:
      offermap review show 7
    """
    show_candidate(_open(db_url), candidate_id)


def _decide(db_url: str | None, candidate_id: int, verdict: str, actor: str,
            reason: str | None = None) -> None:
    """One decision through the review service: the shared reasons, the history and
    ``offermap review undo`` are the web app's."""
    from review import service
    from review.fields import InvalidInput

    database = _open(db_url)
    with database.transaction() as session:
        service.ensure_default_reasons(session)
        try:
            candidate = service.decide(session, candidate_id, verdict, actor, reason)
        except service.NotFound:
            raise OfferMapError(f"No candidate {candidate_id} in {database.display_url}"
                                ) from None
        except InvalidInput as error:
            if verdict != "exclude":
                raise
            known = "; ".join(f'"{item.text}"' for item in service.reasons(session))
            raise InvalidInput(f"{error}. Choose one of: {known} (an admin adds reasons "
                               "in the web app's Admin page)") from None
        console.print(f"#{candidate.id} {clean(candidate.title)}: {candidate.status}"
                      + (f" ({clean(candidate.reason)})" if candidate.reason else ""))


# `offermap accept` and `offermap reject` (defined in pipeline/cli.py) are kept, with
# their options, as the same actions as `review include` and `review exclude`: the
# definitions below replace those on `main`.


@main.command("accept")
@click.argument("candidate_id", type=int)
@database_option
@_actor_option
@friendly_errors
def accept(candidate_id: int, db_url: str | None, actor: str) -> None:
    """Accept a candidate (the same as `offermap review include`).

    `offermap review undo --by NAME` takes it back.

    \b
    Example:
      offermap accept 12
    """
    _decide(db_url, candidate_id, "include", actor)


@main.command("reject")
@click.argument("candidate_id", type=int)
@click.option("--reason", required=True,
              help="One of the shared exclusion reasons (`offermap review reasons`).")
@database_option
@_actor_option
@friendly_errors
def reject(candidate_id: int, reason: str, db_url: str | None, actor: str) -> None:
    """Reject a candidate with a shared reason (the same as `offermap review exclude`).

    `offermap review undo --by NAME` takes it back.

    \b
    Example:
      offermap reject 13 --reason "off theme"
    """
    if not reason.strip():
        raise click.BadParameter("must not be empty", param_hint="--reason")
    _decide(db_url, candidate_id, "exclude", actor, reason.strip())


@review.command("include")
@click.argument("candidate_id", type=int)
@database_option
@_actor_option
@friendly_errors
def review_include(candidate_id: int, db_url: str | None, actor: str) -> None:
    """Include a training (status accepted).

    \b
    Example:
      offermap review include 7
    """
    _decide(db_url, candidate_id, "include", actor)


@review.command("exclude")
@click.argument("candidate_id", type=int)
@click.option("--reason", required=True, help="One of the shared exclusion reasons.")
@database_option
@_actor_option
@friendly_errors
def review_exclude(candidate_id: int, reason: str, db_url: str | None, actor: str) -> None:
    """Exclude a training with a reason from the shared list (`offermap review reasons`).

    \b
    Example:
      offermap review exclude 8 --reason "off theme"
    """
    _decide(db_url, candidate_id, "exclude", actor, reason)


@review.command("maybe")
@click.argument("candidate_id", type=int)
@database_option
@_actor_option
@friendly_errors
def review_maybe(candidate_id: int, db_url: str | None, actor: str) -> None:
    """Mark a training "maybe" to come back to it.

    \b
    Example:
      offermap review maybe 9
    """
    _decide(db_url, candidate_id, "maybe", actor)


@review.command("undo")
@click.option("--id", "candidate_id", type=int, default=None,
              help="Undo the last action on this training only.")
@database_option
@_actor_option
@friendly_errors
def review_undo(candidate_id: int | None, db_url: str | None, actor: str) -> None:
    """Undo your last decision, edit or merge.

    \b
    Example:
      offermap review undo
    """
    from review import service

    with _open(db_url).transaction() as session:
        entry = service.undo_last(session, actor, candidate_id)
        candidate = service.get_candidate(session, entry.candidate_id)
        console.print(f"Undid {entry.kind} on #{candidate.id}: now {candidate.status}")


@review.command("reasons")
@database_option
@friendly_errors
def review_reasons(db_url: str | None) -> None:
    """The shared list of exclusion reasons.

    \b
    Example:
      offermap review reasons
    """
    from review import service

    with _open(db_url).transaction() as session:
        service.ensure_default_reasons(session)
        for reason in service.reasons(session):
            console.print(clean(reason.text))


__all__ = ["accept", "reject", "review", "serve", "users"]
