"""One run at a time per database.

The lock is one the operating system or the database server drops by itself when
its holder dies, so a killed run never leaves a lock behind: on SQLite an exclusive
lock on ``<file>.lock`` (filelock), on PostgreSQL a session advisory lock held on a
connection of its own for the whole run.  Whoever takes the lock marks the runs a
dead process left ``running`` as ``interrupted``.
"""

from __future__ import annotations

import os
import socket
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from filelock import FileLock, Timeout
from sqlalchemy import select, text, update

from db.models import Run
from db.session import Database
from pipeline.errors import OfferMapError



class AlreadyRunning(OfferMapError):
    """Another run holds this database's run lock."""


@contextmanager
def run_lock(database: Database, *, wait: bool = False,
             poll_seconds: float = 2.0) -> Iterator[None]:
    """Hold the database's run lock for the block; refuse (or wait) while another
    process holds it."""
    if database.engine.dialect.name == "sqlite":
        lock = FileLock(f"{database.engine.url.database}.lock", is_singleton=False)
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            raise AlreadyRunning(_refusal(database)) from None
        try:
            _release_orphans(database)
            yield
        finally:
            lock.release()
        return

    # One key per database URL (with its schema options), the same in every process.
    key = zlib.crc32(b"offermap run lock " + database.engine.url.render_as_string().encode())
    with database.engine.connect() as holder:
        while not holder.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                 {"key": key}).scalar():
            if not wait:
                raise AlreadyRunning(_refusal(database))
            time.sleep(poll_seconds)
        try:
            _release_orphans(database)
            yield
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            holder.commit()


def _refusal(database: Database) -> str:
    with database.session() as session:
        run = session.scalars(select(Run).where(Run.status == "running")
                              .order_by(Run.id.desc())).first()
    since = f": run {run.id}, started {run.started_at:%Y-%m-%d %H:%M} UTC" if run else ""
    return (f"Another run is already running on {database.display_url}{since}. "
            "Wait for it, or use --wait to start when it ends.")


def _release_orphans(database: Database) -> None:
    """Runs still marked running belong to a process that died: nobody else holds
    the lock now."""
    with database.transaction() as session:
        session.execute(update(Run).where(Run.status == "running").values(
            status="interrupted", finished_at=datetime.now(UTC),
            error=f"the process ended without finishing the run (found by pid {os.getpid()} "
                  f"on {socket.gethostname()})"))
