"""A real headless Chromium for tests, through Playwright.

Import the fixtures into a test package's conftest.py::

    from tests.browser import browser, page  # noqa: F401

``page`` records console errors and uncaught page errors in ``page.errors``; a
test asserts that list is empty.  Screenshots go to ``artifacts/`` at the
repository root (gitignored), which CI keeps.

The browser is the system's Chromium (``apt-get install chromium``), never one
that Playwright downloads: ``playwright install`` fetches builds from outside the
package registries.  Without /usr/bin/chromium the tests skip, and fail with
``CI=true``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, need

CHROMIUM = Path(os.environ.get("OFFERMAP_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module.

    Module scope, not session: Playwright's sync API refuses to start while another
    sync Playwright is still running in the same thread, so a browser kept open for
    the whole session would break any later module that starts its own.
    """
    need(chromium_available(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "the playwright package is not installed (pip install playwright)")
        raise
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page whose console errors and page errors land in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(f"console: {message.text}")
              if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    opened.errors = errors
    try:
        yield opened
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
