"""Shared fixtures: real databases, the real-world corpus, and the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REALWORLD = REPO.parent / "shared" / "realworld"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    """Skip when something outside the repository is missing; in CI, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing prerequisite is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def realworld() -> Path:
    need(REALWORLD.is_dir(), f"the real-world corpus is not at {REALWORLD}")
    return REALWORLD


def _postgres_url() -> str | None:
    return os.environ.get("OFFERMAP_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, and PostgreSQL when
    ``OFFERMAP_TEST_POSTGRES_URL`` is set (CI sets it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return

    base = _postgres_url()
    need(base is not None, "OFFERMAP_TEST_POSTGRES_URL is not set; PostgreSQL tests skipped")
    from sqlalchemy import create_engine, text

    from db.session import normalise_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base or ""))
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # noqa: BLE001
        need(False, f"PostgreSQL at {base} is unreachable: {error}")
    separator = "&" if "?" in (base or "") else "?"
    yield f"{normalise_url(base or '')}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def offermap_command() -> list[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).with_name("offermap")
    if script.exists():
        return [str(script)]
    found = shutil.which("offermap")
    return [found] if found else [sys.executable, "-m", "pipeline.cli"]


def run_offermap(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = 240) -> subprocess.CompletedProcess[str]:
    # The caller's own offermap settings must not leak into a test.
    inherited = {key: value for key, value in os.environ.items()
                 if not key.startswith("OFFERMAP_") or key.startswith("OFFERMAP_TEST_")}
    full_env = {**inherited, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*offermap_command(), *args], cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
