"""`offermap export` options: maybe is exportable, the format is never guessed
silently, and --with-editions carries each edition's modality and status."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from db.models import Edition
from db.session import Database
from tests.export.helpers import add_candidate, base_fields, offermap


def fresh(tmp_path: Path) -> tuple[str, Database]:
    url = f"sqlite:///{tmp_path / 'options.sqlite'}"
    return url, Database(url)


def test_maybe_trainings_can_be_exported(tmp_path: Path) -> None:
    url, database = fresh(tmp_path)
    ids = {status: add_candidate(database, status, **base_fields(number))
           for number, status in enumerate(("accepted", "maybe", "pending", "rejected"))}
    out = tmp_path / "maybe.json"

    result = offermap("export", "--db", url, "--out", str(out), "--status", "maybe")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in json.loads(out.read_text())] == [ids["maybe"]]

    both = offermap("export", "--db", url, "--out", str(out), "--status", "maybe",
                    "--status", "accepted")
    assert both.exit_code == 0, both.output
    assert {row["status"] for row in json.loads(out.read_text())} == {"maybe", "accepted"}
    assert "maybe" in offermap("export", "--help").output
    database.dispose()


def test_an_unknown_suffix_needs_a_format(tmp_path: Path) -> None:
    url, database = fresh(tmp_path)
    add_candidate(database, **base_fields(1))
    parquet = tmp_path / "x.parquet"

    refused = offermap("export", "--db", url, "--out", str(parquet))
    assert refused.exit_code == 2
    assert "cannot tell the format from '.parquet'" in refused.output
    assert "--format" in refused.output and not parquet.exists()

    chosen = offermap("export", "--db", url, "--out", str(parquet), "--format", "csv")
    assert chosen.exit_code == 0 and parquet.read_text().startswith("id,title,")
    bare = tmp_path / "no_suffix"
    assert offermap("export", "--db", url, "--out", str(bare)).exit_code == 0
    assert bare.read_text().startswith("id,title,")  # no suffix: csv, as documented
    database.dispose()


def test_editions_carry_their_modality_status_and_fee(tmp_path: Path) -> None:
    url, database = fresh(tmp_path)
    training = add_candidate(database, **base_fields(1))  # the record says online
    with database.transaction() as session:
        session.add_all([
            Edition(candidate_id=training, key="2026-03-01", start_date=date(2026, 3, 1),
                    modality="in_presence", edition_status="past", fee_text="EUR 90",
                    fee_amount=90.0, fee_currency="EUR", is_free=False,
                    url="https://example.org/course/1/2026"),
            Edition(candidate_id=training, key="2027-03-01", start_date=date(2027, 3, 1),
                    modality="online", edition_status="upcoming", is_free=True,
                    url="https://example.org/course/1/2027")])
    out = tmp_path / "editions.json"
    result = offermap("export", "--db", url, "--out", str(out), "--with-editions")
    assert result.exit_code == 0, result.output
    editions = sorted(json.loads(out.read_text())[0]["editions"],
                      key=lambda edition: edition["start_date"])
    assert [(e["origin"], e["modality"], e["edition_status"], e["is_free"])
            for e in editions] == [("edition", "in_presence", "past", False),
                                   ("edition", "online", "upcoming", True)]

    jsonld = tmp_path / "editions.jsonld"
    assert offermap("export", "--db", url, "--out", str(jsonld), "--with-editions"
                    ).exit_code == 0
    instances = json.loads(jsonld.read_text())["@graph"][0]["hasCourseInstance"]
    modes = {instance["startDate"]: instance["courseMode"] for instance in instances}
    assert modes == {"2026-03-01": "onsite", "2027-03-01": "online"}
    statuses = {instance["startDate"]: instance.get("eventStatus") for instance in instances}
    assert statuses == {"2026-03-01": None, "2027-03-01": "https://schema.org/EventScheduled"}
    free = next(i for i in instances if i["startDate"] == "2027-03-01")
    assert free["offers"]["price"] == 0
    help_text = offermap("export", "--help").output
    assert "modality" in help_text and "until editions are modelled" not in help_text
    database.dispose()


def test_evidence_names_its_page_and_json_ld_types_the_provider(tmp_path: Path) -> None:
    url, database = fresh(tmp_path)
    add_candidate(database, **{**base_fields(1), "provider_category": "university"})
    out = tmp_path / "evidence.json"
    result = offermap("export", "--db", url, "--out", str(out), "--with-evidence")
    assert result.exit_code == 0, result.output
    [row] = json.loads(out.read_text())
    assert row["evidence"]["title"]["page"] == row["url"]
    assert row["evidence"]["title"]["extractor"] == "jsonld"

    linked = tmp_path / "trainings.jsonld"
    assert offermap("export", "--db", url, "--out", str(linked)).exit_code == 0
    [course] = [node for node in json.loads(linked.read_text())["@graph"]
                if node.get("@type") == "Course"]
    assert course["provider"]["@type"] == "CollegeOrUniversity"
    assert "additionalType" not in course["provider"]
    database.dispose()
