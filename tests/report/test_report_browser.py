"""The report in a real headless Chromium: no console errors, hostile titles inert,
charts drawn, and a screenshot kept in artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser import screenshot
from tests.export.helpers import offermap


def test_report_renders_in_chromium_without_errors(study_db: str, tmp_path: Path,
                                                    page: Any) -> None:
    out = tmp_path / "report"
    result = offermap("report", "--db", study_db, "--out", str(out))
    assert result.exit_code == 0, result.output

    page.goto((out / "report.html").as_uri())
    page.wait_for_load_state("load")

    assert page.errors == []
    assert page.evaluate("window.__pwned") is None  # the <script> title stayed text
    assert page.locator("text=34 of the 45 trainings").count() == 1
    images = page.locator("figure img")
    assert images.count() == 11
    widths = page.eval_on_selector_all("figure img", "nodes => nodes.map(n => n.naturalWidth)")
    assert all(width > 0 for width in widths)  # every embedded chart decoded
    link = page.get_by_role("link", name="75.56 %").first
    assert link.get_attribute("href") == (
        "http://127.0.0.1:8000/queue?status=accepted&modality=online")
    assert screenshot(page, "report").stat().st_size > 10_000
