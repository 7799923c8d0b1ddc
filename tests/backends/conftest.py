"""Helpers for backend tests: a config folder for the grid and a search-only crawl."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.conftest import REPO, run_offermap

#: Result links point at a closed loopback port: fetching them fails at once, so the
#: tests exercise the search protocol and never wait on a result page.
DEAD_SITE = "http://127.0.0.1:9"
BRAVE_TOKEN = "BRAVE-SECRET-XYZ"
GOOGLE_KEY = "GOOGLE-SECRET-XYZ"
GOOGLE_CX = "cx-0123456789"
KEYS = {"BRAVE_SEARCH_API_KEY": BRAVE_TOKEN, "GOOGLE_CSE_KEY": GOOGLE_KEY,
        "GOOGLE_CSE_CX": GOOGLE_CX}


def write_config(folder: Path, keywords_yaml: str) -> Path:
    """A config folder with ``keywords_yaml``, the shipped taxonomy and no provider sites."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.yaml").write_text((REPO / "config" / "taxonomy.yaml").read_text())
    (folder / "providers.yaml").write_text("providers: []\n")
    (folder / "keywords.yaml").write_text(textwrap.dedent(keywords_yaml))
    return folder


def search(tmp_path: Path, keywords_yaml: str, *, db: str = "s.sqlite",
           env: dict[str, str] | None = None, name: str = "config"
           ) -> subprocess.CompletedProcess[str]:
    """`offermap crawl --spider search` with this grid, keys in the environment."""
    config = write_config(tmp_path / name, keywords_yaml)
    return run_offermap("crawl", "--spider", "search", "--quiet", "--db", str(tmp_path / db),
                        "--config-dir", str(config),
                        env={**KEYS, "OFFERMAP_LOG_LEVEL": "WARNING", **(env or {})})
