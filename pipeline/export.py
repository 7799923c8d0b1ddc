"""Write the reviewed database to files people open.

Spreadsheet safety: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a
carriage return or a NUL is run as a formula by spreadsheet programs (CSV
injection), so such text cells get a leading ``'``.  Numbers are written as numbers.

Files are written to a temporary file beside the target and renamed over it, so a
reader sees either the previous complete export or the new one, never half a file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import Candidate
from extractors.types import RECORD_FIELDS

#: The export's columns, in order: the record of DESIGN.md, then bookkeeping.
COLUMNS: tuple[str, ...] = ("id", *RECORD_FIELDS, "status", "sources")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def rows(session: Session, statuses: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One dict per candidate with the given statuses, keyed by :data:`COLUMNS`."""
    query = (
        select(Candidate)
        .where(Candidate.status.in_(list(statuses)), Candidate.merged_into_id.is_(None))
        .options(selectinload(Candidate.sources))
        .order_by(Candidate.id)
    )
    for candidate in session.scalars(query):
        row = {name: getattr(candidate, name, None) for name in COLUMNS[:-1]}
        row["sources"] = [source.url for source in candidate.sources]
        yield row


def write_csv(path: Path, records: Iterable[dict[str, Any]], *, bom: bool = False) -> int:
    """Write CSV (UTF-8); return the number of rows."""
    count = 0
    with atomic_write(path, newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for record in records:
            writer.writerow([csv_cell(record.get(name)) for name in COLUMNS])
            count += 1
    return count


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: lists joined with "; ", dates in ISO, text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(item) for item in value)
    return neutralise(str(value))


def neutralise(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula, also after
    leading spaces or quotes (``  =1+1``, ``"=1+1``)."""
    stripped = text.lstrip(" \"'")
    if text.startswith(FORMULA_STARTS) or stripped.startswith(FORMULA_STARTS):
        return "'" + text
    return text


@contextmanager
def atomic_write(path: Path, **open_args: Any) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; on success, rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
