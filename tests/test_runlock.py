"""One run at a time per database, and no lock outlives its process (scenario 30b)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import select

from db.models import Run
from db.session import Database
from pipeline.runlock import AlreadyRunning, run_lock
from tests.conftest import REPO, run_offermap

HOLDER = textwrap.dedent("""
    import sys, time
    from db.session import Database
    from pipeline.runlock import run_lock
    from pipeline.store import Store
    database = Database(sys.argv[1])
    with run_lock(database):
        Store(database).start_run()
        print("holding", flush=True)
        time.sleep(600)
""")


def _hold(url: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    line = holder.stdout.readline()
    assert line.strip() == "holding", holder.stderr.read() if holder.stderr else ""
    return holder


def test_a_second_run_is_refused_and_a_dead_holder_frees_the_lock(database_url: str) -> None:
    database = Database(database_url)
    holder = _hold(database_url)
    try:
        with pytest.raises(AlreadyRunning, match="already running.*run 1"):
            with run_lock(database):
                pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # no clean-up: the lock must go by itself
        holder.wait(timeout=30)

    deadline = time.monotonic() + 30  # PostgreSQL notices the dead connection soon
    while True:
        try:
            with run_lock(database):
                break
        except AlreadyRunning:
            assert time.monotonic() < deadline, "the dead holder's lock was never released"
            time.sleep(0.5)
    with database.session() as session:
        left = session.scalars(select(Run)).one()
    assert left.status == "interrupted" and "without finishing" in (left.error or "")
    database.dispose()


def test_wait_starts_when_the_holder_ends(tmp_path) -> None:
    url = str(tmp_path / "wait.sqlite")
    database = Database(url)
    holder = _hold(url)
    started = time.monotonic()
    subprocess.Popen(["sh", "-c", f"sleep 2; kill -TERM {holder.pid}"])
    with run_lock(database, wait=True, poll_seconds=0.2):
        assert time.monotonic() - started >= 1.5
    holder.wait(timeout=30)
    database.dispose()


def test_runs_lists_every_run_with_its_status(tmp_path) -> None:
    url = str(tmp_path / "runs.sqlite")
    holder = _hold(url)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    with run_lock(Database(url)):
        pass
    listed = run_offermap("runs", "--db", url)
    assert listed.returncode == 0, listed.stderr
    assert "interrupted" in listed.stdout and "without finishing" in listed.stdout
    empty = run_offermap("runs", "--db", str(tmp_path / "none.sqlite"))
    assert empty.returncode != 0 and len(empty.stderr.strip().splitlines()) == 1
