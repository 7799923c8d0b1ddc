"""`offermap users`, `offermap review` and `offermap serve` through the installed command."""

from __future__ import annotations

import subprocess
import time

import httpx
from click.testing import CliRunner, Result
from sqlalchemy import select

from db.models import Candidate, Decision
from db.review_models import User
from pipeline.cli import main
from tests.conftest import offermap_command
from tests.review.conftest import Seeded, free_port


def run_with_input(*args: str, stdin: str = "") -> Result:
    """The command run in this process (each subprocess costs seconds of imports);
    the installed entry point itself is exercised by the `serve` and B28 tests."""
    return CliRunner().invoke(main, list(args), input=stdin)


def run_offermap(*args: str) -> Result:
    return run_with_input(*args)


def test_users_add_hashes_the_password(seeded_sqlite: Seeded) -> None:
    url = seeded_sqlite.database.url
    result = run_with_input("users", "add", "carla", "--role", "admin", "--password-stdin",
                            "--db", url, stdin="a long password\n")
    assert result.exit_code == 0, result.output
    with seeded_sqlite.database.session() as session:
        user = session.scalar(select(User).where(User.name == "carla"))
    assert user is not None and user.role == "admin"
    assert user.password_hash.startswith("$argon2") and "a long password" not in user.password_hash
    again = run_with_input("users", "add", "carla", "--password-stdin", "--db", url,
                           stdin="another password\n")
    assert again.exit_code != 0 and "already exists" in again.output
    short = run_with_input("users", "add", "dora", "--password-stdin", "--db", url,
                           stdin="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    listed = run_offermap("users", "list", "--db", url)
    assert "carla  admin" in listed.output


def test_review_commands_decide_and_undo(seeded_sqlite: Seeded) -> None:
    url = seeded_sqlite.database.url
    first, second, third = seeded_sqlite.plain_ids[:3]
    listed = run_offermap("review", "list", "--db", url)
    assert listed.exit_code == 0 and "Participatory budgeting course 1" in listed.output
    assert run_offermap("review", "include", str(first), "--db", url, "--by", "cli-test"
                        ).exit_code == 0
    assert run_offermap("review", "exclude", str(second), "--reason", "off theme", "--db", url,
                        "--by", "cli-test").exit_code == 0
    unknown = run_offermap("review", "exclude", str(third), "--reason", "made up", "--db", url)
    assert unknown.exit_code != 0 and "not in the list" in unknown.output
    assert run_offermap("review", "maybe", str(third), "--db", url, "--by", "cli-test"
                        ).exit_code == 0
    undone = run_offermap("review", "undo", "--db", url, "--by", "cli-test")
    assert undone.exit_code == 0 and f"#{third}" in undone.output
    shown = run_offermap("review", "show", str(second), "--db", url)
    assert "off theme" in shown.output
    with seeded_sqlite.database.session() as session:
        statuses = {c.id: c.status for c in session.scalars(select(Candidate))}
        actions = [d.action for d in session.scalars(select(Decision).order_by(Decision.id))]
    assert (statuses[first], statuses[second], statuses[third]) == (
        "accepted", "rejected", "pending")
    assert actions == ["accept", "reject", "maybe", "undo"]
    # The old commands still work.
    assert run_offermap("accept", str(third), "--db", url).exit_code == 0


def test_accept_and_reject_go_through_the_review_service(seeded_sqlite: Seeded) -> None:
    url = seeded_sqlite.database.url
    first, second = seeded_sqlite.plain_ids[:2]
    assert run_offermap("accept", str(first), "--db", url, "--by", "ana").exit_code == 0
    free_text = run_offermap("reject", str(second), "--db", url, "--by", "ana",
                             "--reason", "any text at all")
    assert free_text.exit_code == 2
    assert "not in the list" in free_text.output and '"off theme"' in free_text.output
    rejected = run_offermap("reject", str(second), "--db", url, "--by", "ana",
                            "--reason", "off theme")
    assert rejected.exit_code == 0 and "rejected (off theme)" in rejected.output
    missing = run_offermap("accept", "9999", "--db", url)
    assert missing.exit_code == 1 and "No candidate 9999" in missing.output

    # `review undo` takes back what `reject`, then `accept`, did.
    assert run_offermap("review", "undo", "--db", url, "--by", "ana").exit_code == 0
    with seeded_sqlite.database.session() as session:
        assert session.get(Candidate, second).status == "pending"  # type: ignore[union-attr]
    assert run_offermap("review", "undo", "--db", url, "--by", "ana").exit_code == 0
    with seeded_sqlite.database.session() as session:
        assert session.get(Candidate, first).status == "pending"  # type: ignore[union-attr]
        actions = [(d.action, d.actor) for d in session.scalars(
            select(Decision).order_by(Decision.id))]
    assert actions == [("accept", "ana"), ("reject", "ana"), ("undo", "ana"), ("undo", "ana")]


def test_review_commands_have_help_with_examples() -> None:
    for command in (["serve"], ["users", "add"], ["review", "list"], ["review", "show"],
                    ["review", "include"], ["review", "exclude"], ["review", "maybe"],
                    ["review", "undo"]):
        result = run_offermap(*command, "--help")
        assert result.exit_code == 0 and "Example" in result.output, command


def test_serve_runs_the_app(seeded_sqlite: Seeded) -> None:
    port = free_port()
    process = subprocess.Popen([*offermap_command(), "serve", "--port", str(port), "--db",
                                seeded_sqlite.database.url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        assert response.status_code == 200
        assert "content-security-policy" in response.headers
    finally:
        process.terminate()
        process.wait(10)
