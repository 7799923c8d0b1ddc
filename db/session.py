"""Engines and sessions.

``Database(url)`` accepts any SQLAlchemy URL, or a plain file path meaning a SQLite
file.  SQLite connections run in WAL mode with a busy timeout, and every
transaction takes the write lock up front (``BEGIN IMMEDIATE``) so that a crawler,
reviewers and an export working at once wait for each other instead of failing
with "database is locked" half-way through a transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from db import schema as migrations
from pipeline.errors import StorageError

DEFAULT_SQLITE_FILE = "offermap.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_database_url() -> str:
    """``$OFFERMAP_DATABASE_URL``, else ``offermap.sqlite`` in the current folder."""
    return os.environ.get("OFFERMAP_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_FILE}"


def normalise_url(url_or_path: str) -> str:
    """A SQLAlchemy URL; a bare path such as ``demo.sqlite`` means a SQLite file."""
    if "://" in url_or_path:
        if url_or_path.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
            return "postgresql+psycopg://" + url_or_path.removeprefix("postgresql://")
        return url_or_path
    return f"sqlite:///{Path(url_or_path).expanduser()}"


class Database:
    """One database: its engine, its sessions and its schema."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = normalise_url(url or default_database_url())
        try:
            self.engine = _make_engine(self.url)
        except (SQLAlchemyError, ImportError, ValueError) as error:
            raise StorageError(f"Cannot use database {self.display_url}: {error}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            self.create_schema()

    @property
    def display_url(self) -> str:
        """The URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True) if hasattr(self, "engine") \
            else self.url

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def create_schema(self) -> None:
        """Bring an empty database to the current schema; refuse one that is behind.

        An existing database is never migrated implicitly: the operator runs
        ``offermap db upgrade`` (after a backup) when offermap asks for it.
        """
        try:
            if not self.has_schema():
                self.upgrade()
                return
            current, head = self.schema_revision(), migrations.head_revision()
        except OperationalError as error:
            raise StorageError(f"Cannot open database {self.display_url}: {error.orig}") from None
        if current != head:
            raise StorageError(
                f"The database {self.display_url} is at schema {current or 'unversioned'}, "
                f"this offermap needs {head}: run `offermap db upgrade`"
            )

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision``."""
        with self.engine.begin() as connection:
            migrations.upgrade(connection, revision)

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return migrations.current_revision(connection)

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("candidates")

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)

    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite would
        # otherwise defer it and begin as DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL never corrupts the file and a crashed process loses no
        # committed transaction; only a power cut may undo the last few.  FULL would
        # fsync on every commit, and a crawl commits once per page.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
