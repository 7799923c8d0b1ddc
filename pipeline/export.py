"""Write the reviewed database to files people open.

Formats: CSV, XLSX, JSON, JSON Lines, SQLite and JSON-LD (schema.org).  Every
format has the columns of :data:`COLUMNS`, in that order unless ``--fields`` names
others; ``evidence`` and ``editions`` follow when asked for.

Spreadsheet safety: a CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a
carriage return or a NUL (also after leading spaces or quotes) is run as a formula
by spreadsheet programs (CSV injection), so such text cells get a leading ``'``.
Numbers are written as numbers, so ``-5`` stays a number.  XLSX cells are typed:
text is always a string cell, never a formula, so it needs no prefix; the control
characters that XML 1.0 cannot carry are dropped, and text longer than a cell can
hold (32,767 characters) is cut.  JSON, JSON Lines, SQLite and JSON-LD keep values
as they are.

Files are written to a temporary file beside the target and renamed over it, so a
reader (or an export killed half-way) sees either the previous complete export or
the new one, never half a file.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import Candidate, Source
from extractors.types import RECORD_FIELDS

#: The export's columns, in order: the record of DESIGN.md, then bookkeeping.
COLUMNS: tuple[str, ...] = ("id", *RECORD_FIELDS, "status", "sources")
#: Columns added by ``--with-evidence`` and ``--with-editions``, always last.
EXTRA_COLUMNS: tuple[str, ...] = ("evidence", "editions")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")

INTEGER_COLUMNS = frozenset({"id"})
FLOAT_COLUMNS = frozenset({"duration_hours", "fee_amount"})
DATE_COLUMNS = frozenset({"start_date", "end_date"})
BOOLEAN_COLUMNS = frozenset({"is_free", "inclusivity"})
LIST_COLUMNS = frozenset({"topics", "verticals", "trainers", "audience_tags", "sources"})
JSON_COLUMNS = frozenset(EXTRA_COLUMNS)
#: How list cells are joined in CSV and XLSX (JSON, SQLite and JSON-LD keep lists).
LIST_SEPARATOR = "; "
#: schema.org's type for each provider category (the others stay Organization).
PROVIDER_TYPES = {"university": "CollegeOrUniversity", "network_ngo": "NGO",
                  "public_body": "GovernmentOrganization", "company": "Corporation"}
#: An edition's keys in ``--with-editions`` (see :func:`editions`), after ``url`` and
#: ``origin``.
EDITION_FIELDS = ("start_date", "end_date", "modality", "edition_status", "fee_text",
                  "fee_amount", "fee_currency", "is_free")
#: Candidate statuses ``--status`` accepts.
STATUSES = ("accepted", "maybe", "pending", "rejected")
XLSX_MAX_CELL = 32_767
# XML 1.0 cannot carry these, so openpyxl refuses them (IllegalCharacterError).
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Record = dict[str, Any]


# --- what is exported -------------------------------------------------------------


def choose_columns(fields: Sequence[str] = (), *, with_evidence: bool = False,
                   with_editions: bool = False) -> tuple[str, ...]:
    """The columns to write: ``fields`` in the order given (all of :data:`COLUMNS`
    when empty), then ``evidence`` and ``editions`` when asked for."""
    unknown = [name for name in fields if name not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}; "
                         f"choose from {', '.join(COLUMNS)}")
    chosen = tuple(dict.fromkeys(fields)) or COLUMNS
    extras = (("evidence",) if with_evidence else ()) + (("editions",) if with_editions else ())
    return chosen + extras


def rows(session: Session, statuses: Iterable[str], *, with_evidence: bool = False,
         with_editions: bool = False) -> Iterator[Record]:
    """One dict per candidate with the given statuses, keyed by :data:`COLUMNS`
    (plus ``evidence`` / ``editions`` when asked for)."""
    loads = [selectinload(Candidate.sources)]
    if with_editions and hasattr(Candidate, "editions"):
        loads.append(selectinload(Candidate.editions))
    query = (
        select(Candidate)
        .where(Candidate.status.in_(list(statuses)), Candidate.merged_into_id.is_(None))
        .options(*loads)
        .order_by(Candidate.id)
    )
    for candidate in session.scalars(query):
        row = {name: getattr(candidate, name, None) for name in COLUMNS[:-1]}
        row["sources"] = [source.url for source in candidate.sources]
        if with_evidence:
            row["evidence"] = evidence(candidate)
        if with_editions:
            row["editions"] = editions(candidate)
        yield row


def primary_source(candidate: Candidate) -> Source | None:
    """The source the candidate's fields were read from (else its first source)."""
    for source in candidate.sources:
        if source.id == candidate.primary_source_id:
            return source
    return candidate.sources[0] if candidate.sources else None


def evidence(candidate: Candidate) -> dict[str, Any]:
    """Each record field's evidence (extractor, source text, confidence) as stored
    with the candidate's primary source, and the page it was read on."""
    source = primary_source(candidate)
    if source is None:
        return {}
    return {name: {**source.evidence[name], "page": source.page_url}
            for name in RECORD_FIELDS if name in source.evidence}


def editions(candidate: Candidate) -> list[dict[str, Any]]:
    """The candidate's editions: URL, origin, dates, modality, edition status and fee
    (:data:`EDITION_FIELDS`).

    Where the candidate has modelled editions, those (``origin`` is ``edition``);
    otherwise one edition-like entry per source, read from what the source said (a
    source is most often one edition's page).  A value the edition or source does not
    say is null.
    """
    modelled = getattr(candidate, "editions", None) or []
    if modelled:
        return [{"url": edition.url, "origin": "edition",
                 **{name: getattr(edition, name, None) for name in EDITION_FIELDS}}
                for edition in modelled]
    found = []
    for source in candidate.sources:
        entry: dict[str, Any] = {"url": source.url, "origin": source.origin}
        said = source.fields if isinstance(source.fields, dict) else {}
        entry.update({name: said.get(name) for name in EDITION_FIELDS})
        found.append(entry)
    return found


# --- shared cell conversions --------------------------------------------------------


def neutralise(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula, also after
    leading spaces or quotes (``  =1+1``, ``"=1+1``)."""
    stripped = text.lstrip(" \"'")
    if text.startswith(FORMULA_STARTS) or stripped.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def plain_json(value: Any) -> Any:
    """A value JSON can hold: dates in ISO 8601, containers converted item by item."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain_json(item) for key, item in value.items()}
    return value


def flat_text(name: str, value: Any) -> str:
    """A list or JSON column as one text cell (CSV, XLSX)."""
    if name in JSON_COLUMNS:
        return json.dumps(plain_json(value), ensure_ascii=False, sort_keys=True)
    return LIST_SEPARATOR.join(str(item) for item in value)


def csv_cell(value: Any, name: str = "") -> Any:
    """A value as a CSV cell: lists joined with "; ", dates in ISO, text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        value = flat_text(name, value)
    return neutralise(str(value))


# --- atomic files -------------------------------------------------------------------


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; on success it is synced and renamed over
    ``path``.  The rename is atomic on one file system, which is why the temporary
    file lives in the target's folder and not in /tmp."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes the file private (0600); an export gets the mode any new
        # file would get, or keeps the mode of the file it replaces.
        os.chmod(temporary, _mode_for(path))
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


@contextmanager
def atomic_write(path: Path, **open_args: Any) -> Iterator[IO[str]]:
    """Open a temporary text file beside ``path``; on success, rename it over ``path``."""
    with atomic_path(path) as temporary, temporary.open("w", **open_args) as handle:
        yield handle


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    # The rename itself is only durable once the folder's entry is on disk.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems (and Windows) cannot sync a folder; the rename still holds
    finally:
        os.close(descriptor)


# --- CSV ----------------------------------------------------------------------------


def write_csv(path: Path, records: Iterable[Record], columns: Sequence[str] = COLUMNS, *,
              bom: bool = False) -> int:
    """Write CSV (UTF-8, optionally with a BOM for spreadsheet programs); return the
    number of rows."""
    count = 0
    with atomic_write(path, newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for record in records:
            writer.writerow([csv_cell(record.get(name), name) for name in columns])
            count += 1
    return count


# --- XLSX ---------------------------------------------------------------------------


def write_xlsx(path: Path, records: Iterable[Record], columns: Sequence[str] = COLUMNS,
               **_: Any) -> int:
    """Write one sheet with typed cells, a bold frozen header and filters."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "trainings"
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)

    count = 0
    for count, record in enumerate(records, 1):
        for index, name in enumerate(columns, 1):
            _set_xlsx_cell(sheet.cell(row=count + 1, column=index), name, record.get(name))

    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    with atomic_path(path) as temporary:
        workbook.save(temporary)
    return count


def _set_xlsx_cell(cell: Any, name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, (bool, int, float)):
        cell.value = value
    elif isinstance(value, (date, datetime)):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        if isinstance(value, (list, tuple, dict)):
            value = flat_text(name, value)
        cell.value = xlsx_text(str(value))
        # openpyxl turns any text starting with "=" into a live formula; a string
        # cell is shown as typed and never evaluated.
        cell.data_type = "s"


def xlsx_text(text: str) -> str:
    """Text an XLSX cell can hold: no XML-illegal control characters, at most
    :data:`XLSX_MAX_CELL` characters."""
    return XLSX_ILLEGAL.sub("", text)[:XLSX_MAX_CELL]


# --- JSON and JSON Lines ------------------------------------------------------------


def _json_record(record: Record, columns: Sequence[str]) -> Record:
    return {name: plain_json(record.get(name)) for name in columns}


def write_json(path: Path, records: Iterable[Record], columns: Sequence[str] = COLUMNS,
               **_: Any) -> int:
    """Write one JSON array of objects (UTF-8, not ASCII-escaped)."""
    count = 0
    with atomic_write(path, encoding="utf-8", newline="\n") as handle:
        handle.write("[")
        for count, record in enumerate(records, 1):
            handle.write(",\n" if count > 1 else "\n")
            handle.write(json.dumps(_json_record(record, columns), ensure_ascii=False))
        handle.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(path: Path, records: Iterable[Record], columns: Sequence[str] = COLUMNS,
                **_: Any) -> int:
    """Write JSON Lines: one object per line."""
    count = 0
    with atomic_write(path, encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(_json_record(record, columns), ensure_ascii=False) + "\n")
            count += 1
    return count


# --- SQLite -------------------------------------------------------------------------


def sqlite_type(name: str) -> str:
    """The declared type of a column in the SQLite export."""
    if name in INTEGER_COLUMNS or name in BOOLEAN_COLUMNS:
        return "INTEGER"
    if name in FLOAT_COLUMNS:
        return "REAL"
    return "TEXT"


def write_sqlite(path: Path, records: Iterable[Record], columns: Sequence[str] = COLUMNS,
                 **_: Any) -> int:
    """Write a standalone SQLite file with one ``trainings`` table.

    Lists and objects are JSON text, dates ISO 8601 text and booleans 0/1, the
    conventions Datasette and sqlite-utils read.
    """
    with atomic_path(path) as temporary:
        connection = sqlite3.connect(temporary)
        try:
            count = _fill_sqlite(connection, records, columns)
        finally:
            connection.close()
    return count


def _fill_sqlite(connection: sqlite3.Connection, records: Iterable[Record],
                 columns: Sequence[str]) -> int:
    definitions = ", ".join(
        f'"{name}" {sqlite_type(name)}' + (" PRIMARY KEY" if name == "id" else "")
        for name in columns)
    placeholders = ", ".join("?" for _ in columns)
    quoted = ", ".join(f'"{name}"' for name in columns)
    count = 0
    with connection:
        connection.execute(f"CREATE TABLE trainings ({definitions})")
        for record in records:
            connection.execute(f"INSERT INTO trainings ({quoted}) VALUES ({placeholders})",
                               [_sqlite_value(record.get(name)) for name in columns])
            count += 1
    return count


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(plain_json(value), ensure_ascii=False)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value  # bool is stored as 0/1 by sqlite3 itself


# --- JSON-LD (schema.org) -----------------------------------------------------------


def write_jsonld(path: Path, records: Iterable[Record], columns: Sequence[str] = COLUMNS,
                 **_: Any) -> int:
    """Write schema.org ``Course`` nodes in one ``@graph``, ready to republish as markup.

    Each course has one ``CourseInstance`` (its dates, mode and ``Offer``), or one per
    edition with ``--with-editions``.  ``--fields`` does not apply: the mapping is
    schema.org's, not the columns'.
    """
    graph = [course(record) for record in records]
    document = {"@context": "https://schema.org", "@graph": graph}
    with atomic_write(path, encoding="utf-8", newline="\n") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    return len(graph)


#: How the record's modality reads as a schema.org courseMode.
COURSE_MODES = {"online": "online", "in_presence": "onsite", "hybrid": "blended"}
#: An edition status as a schema.org eventStatus (a CourseInstance is an Event);
#: past and on-demand editions have none.
EVENT_STATUSES = {"upcoming": "https://schema.org/EventScheduled",
                  "ongoing": "https://schema.org/EventScheduled",
                  "postponed": "https://schema.org/EventPostponed",
                  "cancelled": "https://schema.org/EventCancelled"}


def course(record: Record) -> dict[str, Any]:
    """One record as a schema.org ``Course``."""
    node: dict[str, Any] = {"@type": "Course", "@id": record.get("url"),
                            "name": record.get("title"), "url": record.get("url")}
    _put(node, "description", record.get("description"))
    if record.get("provider"):
        category = record.get("provider_category")
        node["provider"] = {"@type": PROVIDER_TYPES.get(category or "", "Organization"),
                            "name": record["provider"]}
        # additionalType takes a URL; offermap's own category names have none.
        _put(node["provider"], "description", category)
    _put(node, "inLanguage", record.get("language"))
    _put(node, "about", record.get("topics") or None)
    _put(node, "keywords", record.get("verticals") or None)
    _put(node, "isAccessibleForFree", record.get("is_free"))
    if record.get("audience") or record.get("audience_tags"):
        node["audience"] = {"@type": "Audience", "audienceType": record.get("audience")
                            or LIST_SEPARATOR.join(record.get("audience_tags") or [])}
    _put(node, "sameAs", [url for url in record.get("sources") or []
                          if url != record.get("url")] or None)

    instances = [_course_instance(record, edition) for edition in record.get("editions") or []]
    node["hasCourseInstance"] = instances or [_course_instance(record, None)]
    return node


def _course_instance(record: Record, edition: dict[str, Any] | None) -> dict[str, Any]:
    values = edition or record
    instance: dict[str, Any] = {"@type": "CourseInstance"}
    modality = (edition or {}).get("modality") or record.get("modality") or ""
    _put(instance, "courseMode", COURSE_MODES.get(modality))
    if edition is not None:
        _put(instance, "eventStatus", EVENT_STATUSES.get(edition.get("edition_status") or ""))
    _put(instance, "url", values.get("url"))
    _put(instance, "startDate", plain_json(values.get("start_date")))
    _put(instance, "endDate", plain_json(values.get("end_date")))
    _put(instance, "instructor", [{"@type": "Person", "name": name}
                                  for name in record.get("trainers") or []] or None)
    is_free = values.get("is_free") if edition and edition.get("is_free") is not None \
        else record.get("is_free")
    offer = _offer(values.get("fee_amount"), values.get("fee_currency"), values.get("fee_text"),
                   is_free)
    _put(instance, "offers", offer)
    return instance


def _offer(amount: Any, currency: Any, text: Any, is_free: Any) -> dict[str, Any] | None:
    if amount is None and not is_free and not text:
        return None
    offer: dict[str, Any] = {"@type": "Offer"}
    _put(offer, "price", 0 if amount is None and is_free else amount)
    _put(offer, "priceCurrency", currency)
    _put(offer, "description", text)
    return offer


def _put(node: dict[str, Any], key: str, value: Any) -> None:
    # schema.org markup leaves out what is unknown rather than writing null.
    if value is not None and value != "":
        node[key] = value


# --- one entry point ----------------------------------------------------------------

Writer = Callable[..., int]
WRITERS: dict[str, Writer] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "json": write_json,
    "jsonl": write_jsonl,
    "sqlite": write_sqlite,
    "jsonld": write_jsonld,
}
FORMATS: tuple[str, ...] = tuple(WRITERS)


def write(fmt: str, path: Path, records: Iterable[Record], columns: Sequence[str] = COLUMNS,
          *, bom: bool = False) -> int:
    """Write ``records`` to ``path`` in ``fmt`` (one of :data:`FORMATS`); return the
    number of entries written."""
    if fmt == "csv":
        return write_csv(path, records, columns, bom=bom)
    return WRITERS[fmt](path, records, columns)


def format_for(path: Path, fmt: str | None = None) -> str:
    """The format to write: ``fmt`` when given, else the one ``path``'s suffix
    implies, else csv for a name without a suffix.  An unknown suffix without a
    format is an error, never a silent CSV."""
    if fmt:
        return fmt
    found = format_from_suffix(path)
    if found:
        return found
    if not path.suffix:
        return "csv"
    raise ValueError(f"cannot tell the format from {path.suffix!r}: use one of "
                     f"{', '.join('.' + name for name in FORMATS)} or pass --format")


def format_from_suffix(path: Path) -> str | None:
    """The format a file name implies (``.xlsx`` → ``xlsx``), else None."""
    suffix = path.suffix.lower().lstrip(".")
    aliases = {"ndjson": "jsonl", "db": "sqlite", "sqlite3": "sqlite"}
    suffix = aliases.get(suffix, suffix)
    return suffix if suffix in WRITERS else None
