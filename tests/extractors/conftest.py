"""Shared fixtures for the extractor tests: the project's taxonomy and a page helper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from extractors import extract_page
from extractors.taxonomy import Taxonomy, load_taxonomy_dict
from extractors.types import PageExtraction

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    with open(REPO_ROOT / "config" / "taxonomy.yaml", encoding="utf-8") as handle:
        return load_taxonomy_dict(yaml.safe_load(handle))


@pytest.fixture(scope="session")
def extract(taxonomy: Taxonomy):
    """``extract(html, **headers)`` -> PageExtraction, for HTML written in a test."""

    def run(html: str | bytes, url: str = "https://courses.example.org/page",
            headers: dict[str, str] | None = None, **kwargs: Any) -> PageExtraction:
        body = html.encode("utf-8") if isinstance(html, str) else html
        return extract_page(url, headers or {"Content-Type": "text/html"}, body,
                            taxonomy=taxonomy, **kwargs)

    return run
