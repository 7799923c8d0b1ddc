"""A reviewer screens the demo-like candidates with the keyboard alone, in a real
browser: logs in by typing, moves through the queue and opens a training by key,
includes, sets aside (maybe), excludes with a reason, undoes, and merges a possible
duplicate pair.  No click, no filling of a field through a selector: only key
presses and typed text, as a person at a keyboard.  The database is checked after
every step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import Candidate, DuplicatePair
from review import service
from tests.browser import screenshot
from tests.review.conftest import PASSWORD, LiveServer, Seeded


@pytest.fixture
def keyboard_page(chromium: Any, demo: Seeded) -> Iterator[Any]:
    with LiveServer(demo.database) as server:
        context = chromium.new_context(base_url=server.url,
                                       viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.on("console", lambda message: page.problems.append(message.text)
                if message.type == "error" else None)
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.on("dialog", lambda dialog: (page.problems.append(dialog.message),
                                          dialog.dismiss()))
        yield page
        context.close()


def key(page: Any, name: str) -> None:
    """Press one key that leads to another page."""
    with page.expect_navigation():
        page.keyboard.press(name)


def shown_id(page: Any) -> int:
    match = re.search(r"/candidates/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def state(seeded: Seeded, candidate_id: int) -> tuple[str, str | None, str | None]:
    with seeded.database.session() as session:
        found = session.get(Candidate, candidate_id)
        assert found is not None
        return found.status, found.reason, found.decided_by


def pending(seeded: Seeded) -> list[int]:
    with seeded.database.session() as session:
        return service.queue_ids(session, service.QueueFilter(status="pending"))


def test_screen_everything_with_the_keyboard_alone(keyboard_page: Any, demo: Seeded) -> None:
    page = keyboard_page
    page.goto("/queue")
    assert page.url.endswith("/login")

    # Log in: the name field has the focus; Tab to the password, Enter submits.
    page.keyboard.type("rita")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    key(page, "Enter")
    assert page.url.endswith("/queue")

    # Merge the possible duplicate pair: g d (duplicates), Enter (first pair), a.
    with demo.database.session() as session:
        pair = session.get(DuplicatePair, demo.pair_id)
        assert pair is not None
        left, right = pair.candidate_a_id, pair.candidate_b_id
    page.keyboard.press("g")
    key(page, "d")
    assert page.url.endswith("/duplicates")
    key(page, "Enter")
    assert page.url.endswith(f"/duplicates/{demo.pair_id}")
    key(page, "a")
    with demo.database.session() as session:
        merged = session.get(DuplicatePair, demo.pair_id)
        absorbed = session.get(Candidate, right)
        assert merged is not None and merged.status == "same"
        assert absorbed is not None and absorbed.merged_into_id == left

    # u takes the merge back (the pair is open again), a merges again.
    key(page, "u")
    with demo.database.session() as session:
        reopened = session.get(DuplicatePair, demo.pair_id)
        assert reopened is not None and reopened.status == "open"
        assert session.get(Candidate, right).merged_into_id is None  # type: ignore[union-attr]
    page.keyboard.press("g")
    key(page, "d")
    page.keyboard.press("j")  # select the first pair
    key(page, "o")
    key(page, "a")
    with demo.database.session() as session:
        assert session.get(Candidate, right).merged_into_id == left  # type: ignore[union-attr]

    # The queue: j / k move the selection, Enter opens the selected training.
    page.keyboard.press("g")
    key(page, "q")
    order = pending(demo)
    assert len(order) >= 15
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator("tr.selected").count() == 1
    key(page, "Enter")
    assert shown_id(page) == order[0]
    screenshot(page, "review-keyboard-training")

    # Screen every pending training: include, maybe, exclude with a reason in turn.
    # x focuses the reason list; typing its first letters picks "off theme"; Enter.
    decided: dict[int, tuple[str, str | None]] = {}
    undone_once = False
    while "/candidates/" in page.url:
        current = shown_id(page)
        turn = len(decided) % 3
        if turn == 0:
            key(page, "i")
            expected: tuple[str, str | None] = ("accepted", None)
        elif turn == 1:
            key(page, "m")
            expected = ("maybe", None)
        else:
            page.keyboard.press("x")
            page.keyboard.type("off")
            key(page, "Enter")
            expected = ("rejected", "off theme")
        assert state(demo, current) == (*expected, "rita"), current
        if len(decided) == 4 and not undone_once:
            # u undoes that decision and shows the training again, still to screen.
            undone_once = True
            key(page, "u")
            assert shown_id(page) == current
            assert state(demo, current)[0] == "pending"
            continue
        decided[current] = expected

    # The last decision leads back to the queue, now empty.
    assert page.url.split("?")[0].endswith("/queue")
    assert page.locator("p.empty").count() == 1
    assert pending(demo) == []
    assert sorted(decided) == sorted(order)
    assert {status for status, _ in decided.values()} == {"accepted", "maybe", "rejected"}

    # u on the queue page takes back the last decision of the session.
    last = list(decided)[-1]
    key(page, "u")
    assert shown_id(page) == last and state(demo, last)[0] == "pending"

    with demo.database.session() as session:
        by_status = dict(session.execute(
            select(Candidate.status, func.count()).where(Candidate.merged_into_id.is_(None))
            .group_by(Candidate.status)).all())
    assert by_status["pending"] == 1
    assert page.problems == []  # no console error (favicon included), no dialog
