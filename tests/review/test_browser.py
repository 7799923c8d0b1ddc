"""A reviewer screens the demo's trainings in a real browser (Debian's Chromium, driven
by Playwright), with the keyboard where there is a shortcut; the database is checked
after each step.  Screenshots of the queue and a training page go to artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Candidate, DuplicatePair, FieldChange
from tests.review.conftest import ARTIFACTS, PASSWORD, LiveServer, Seeded


@pytest.fixture
def page(chromium: Any, demo: Seeded) -> Iterator[Any]:
    with LiveServer(demo.database) as server:
        context = chromium.new_context(base_url=server.url, viewport={"width": 1280,
                                                                       "height": 900})
        browser_page = context.new_page()
        browser_page.dialogs = []  # type: ignore[attr-defined]
        browser_page.csp_errors = []  # type: ignore[attr-defined]
        browser_page.on("dialog", lambda dialog: (browser_page.dialogs.append(dialog.message),
                                                  dialog.dismiss()))
        browser_page.on("console", lambda message: browser_page.csp_errors.append(message.text)
                        if "Content Security Policy" in message.text else None)
        yield browser_page
        context.close()


def candidate(seeded: Seeded, candidate_id: int) -> Candidate:
    with seeded.database.session() as session:
        found = session.get(Candidate, candidate_id)
        assert found is not None
        return found


def current_id(page: Any) -> int:
    match = re.search(r"/candidates/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def press(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def test_screen_with_the_keyboard_in_a_real_browser(page: Any, demo: Seeded) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/queue")
    assert page.url.endswith("/login")
    page.fill("input[name=name]", "rita")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/queue")
    assert page.locator("table.queue tbody tr").count() >= 10
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

    # The hostile training: shown literally, and no script runs.
    page.goto(f"/candidates/{demo.hostile_id}")
    assert "<script>alert(1)</script>Intro to GIS" in page.inner_text("#title")
    page.goto("/queue")
    with page.expect_navigation():
        page.locator("a.open").nth(1).click()
    page.screenshot(path=str(ARTIFACTS / "review-training.png"), full_page=True)

    # Help overlay.
    assert page.locator("#help").is_hidden()
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()

    # Include with "i": recorded, and the next training opens.
    first = current_id(page)
    press(page, "i")
    assert candidate(demo, first).status == "accepted"
    assert candidate(demo, first).decided_by == "rita"
    second = current_id(page)
    assert second != first

    # "k" goes back in the pending queue (the included one has left it), "j" forward.
    press(page, "k")
    assert current_id(page) not in (first, second)
    press(page, "j")
    assert current_id(page) == second

    # Exclude with a reason: "x" focuses the reason list, Enter submits.
    page.keyboard.press("x")
    page.select_option("#reason", "off theme")
    press(page, "Enter")
    excluded = candidate(demo, second)
    assert (excluded.status, excluded.reason) == ("rejected", "off theme")

    # Edit a field: "e" focuses the field list.
    third = current_id(page)
    old_title = candidate(demo, third).title
    page.keyboard.press("e")
    page.select_option("#edit-field", "title")
    page.fill("#edit-value", "Edited in the browser")
    with page.expect_navigation():
        page.press("#edit-value", "Enter")
    edited = candidate(demo, third)
    assert edited.title == "Edited in the browser" and "title" in edited.locked_fields
    assert page.inner_text("#title") == "Edited in the browser"

    # Undo with "u": the edit is reverted and unlocked.
    press(page, "u")
    restored = candidate(demo, third)
    assert restored.title == old_title and restored.locked_fields == []
    with demo.database.session() as session:
        changes = session.scalars(select(FieldChange.status).where(
            FieldChange.candidate_id == third, FieldChange.field == "title",
            FieldChange.status.in_(["accepted", "dismissed"]))).all()
        assert changes == ["dismissed"]

    # Merge the duplicate pair, keeping the left one.
    page.goto(f"/duplicates/{demo.pair_id}")
    assert page.locator("tr.differs").count() >= 1
    with page.expect_navigation():
        page.click("#same-a button")
    with demo.database.session() as session:
        pair = session.get(DuplicatePair, demo.pair_id)
        assert pair is not None and pair.status == "same"
        absorbed = session.get(Candidate, pair.candidate_b_id)
        assert absorbed is not None and absorbed.merged_into_id == pair.candidate_a_id

    assert page.dialogs == []
    assert page.csp_errors == []


def test_forms_work_without_javascript(chromium: Any, demo: Seeded) -> None:
    with LiveServer(demo.database) as server:
        context = chromium.new_context(base_url=server.url, java_script_enabled=False)
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=name]", "vera")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        target = demo.plain_ids[0]
        page.goto(f"/candidates/{target}")
        with page.expect_navigation():
            page.click("#maybe-form button")
        assert candidate(demo, target).status == "maybe"
        context.close()
