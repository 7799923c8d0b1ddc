"""One worker of a crawl spread over several processes (``offermap crawl --redis``).

Each worker records a run of its own in the database (its pages, its counts) and
shares the scheduler queue and the duplicate filter of the *distributed* run, named
by its run key, through Redis (:mod:`crawler.distributed`).

Locking: a single crawl takes the database's run lock exclusively
(:mod:`pipeline.runlock`); workers take the same lock *shared*, so any number of
workers run together, while a single crawl and workers never do.  Runs left
``running`` by dead processes are marked ``interrupted`` by a worker that finds
itself alone (it can take the lock exclusively).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from db.session import Database
from pipeline.errors import ConfigError
from pipeline.runlock import AlreadyRunning, _release_orphans

#: Run keys: letters, digits, dot, dash and underscore.
RUN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Seconds a worker keeps trying for the shared lock before it is refused.
LOCK_PATIENCE = 10.0


@dataclass
class Workers:
    """How this process joins a distributed crawl."""

    redis_url: str
    run_key: str = field(default_factory=lambda: new_run_key())
    worker: str | None = None  # this worker's id (default: host-pid-random)

    def __post_init__(self) -> None:
        if not RUN_KEY.match(self.run_key):
            raise ConfigError(f"invalid run key {self.run_key!r}: use letters, digits, "
                              "'.', '-' and '_' (at most 64)")
        if not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"invalid Redis URL {self.redis_url!r}: expected "
                              "redis://host:port/db")

    def settings(self) -> dict[str, Any]:
        from crawler.distributed import run_keys

        values = {**run_keys(self.run_key), "REDIS_URL": self.redis_url,
                  "SPIDER_MIDDLEWARES": {"crawler.distributed.TicketMiddleware": 1}}
        if self.worker:
            values["OFFERMAP_WORKER_ID"] = self.worker
        return values

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.redis_url, socket_connect_timeout=10,
                                    socket_timeout=30)

    def check(self) -> None:
        """Fail early, with one line, when Redis cannot be reached."""
        import redis

        try:
            self.redis().ping()
        except redis.RedisError as error:
            raise ConfigError(f"Redis at {self.redis_url} is unreachable: {error}") from None

    def claim_search(self) -> bool:
        """The search grid runs on one worker per run: the first that asks."""
        claimed = self.redis().set(f"offermap:{{{self.run_key}}}:search-grid",
                                   self.worker or str(os.getpid()), nx=True, ex=7 * 86400)
        return bool(claimed)


    def finish(self) -> None:
        """When this run has no worker left and nothing queued, delete its keys (queue,
        duplicate filter, search grid claim), so the same key starts a new run next
        time.  Every worker calls this after leaving; the last one out finds the run
        empty (a worker that died with pages in flight stays registered until another
        takes them over, so its run is kept: starting a worker resumes it)."""
        server = self.redis()
        keys = [key.decode() for key in server.scan_iter(f"offermap:{{{self.run_key}}}:*")]
        if any(key.endswith(":workers") for key in keys):
            return
        if any(server.zcard(key) for key in keys if key.endswith(":queue")):
            return
        if keys:
            server.delete(*keys)


def new_run_key() -> str:
    return time.strftime("run-%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(3)


@contextmanager
def worker_lock(database: Database) -> Iterator[None]:
    """The run lock, shared among workers; refused while a single crawl holds it."""
    if database.engine.dialect.name == "sqlite":
        path = f"{database.engine.url.database}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _patiently(lambda: _flock_try(fd, fcntl.LOCK_SH)):
                raise AlreadyRunning(_refusal(database))
            _alone_then(database, lambda: _flock_try(fd, fcntl.LOCK_EX),
                        lambda: fcntl.flock(fd, fcntl.LOCK_SH))
            try:
                yield
            finally:
                _alone_then(database, lambda: _flock_try(fd, fcntl.LOCK_EX),
                            lambda: fcntl.flock(fd, fcntl.LOCK_SH))
        finally:
            os.close(fd)  # drops the lock
        return

    from sqlalchemy import text

    # The key pipeline.runlock uses for this database.
    key = zlib.crc32(b"offermap run lock " + database.engine.url.render_as_string().encode())
    with database.engine.connect() as holder:
        if not _patiently(lambda: bool(holder.execute(
                text("SELECT pg_try_advisory_lock_shared(:key)"), {"key": key}).scalar())):
            raise AlreadyRunning(_refusal(database))

        def exclusive() -> bool:
            # A session never conflicts with its own shared lock.
            return bool(holder.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                       {"key": key}).scalar())

        def back_to_shared() -> None:
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})

        try:
            _alone_then(database, exclusive, back_to_shared)
            holder.commit()
            yield
            _alone_then(database, exclusive, back_to_shared)
        finally:
            holder.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": key})
            holder.commit()


def _patiently(attempt: Any, seconds: float = LOCK_PATIENCE) -> bool:
    """Another worker holds the lock exclusively for a moment when it starts or ends
    (see :func:`_alone_then`): try for a few seconds before taking it for a crawl's."""
    deadline = time.monotonic() + seconds
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def _flock_try(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _alone_then(database: Database, exclusive: Any, back: Any) -> None:
    """When no other process holds the lock, mark runs left ``running`` interrupted."""
    if exclusive():
        try:
            _release_orphans(database)
        finally:
            back()


def _refusal(database: Database) -> str:
    return (f"A single crawl is running on {database.display_url}: workers of a "
            "distributed crawl start when it ends.")


__all__ = ["Workers", "new_run_key", "worker_lock"]
