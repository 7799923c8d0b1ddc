"""Fixtures of the report tests: the study's database and a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import browser, page  # noqa: F401  (fixtures for the browser test)
from tests.report.study import fill_study


@pytest.fixture
def study_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    fill_study(url)
    return url
