"""The whole record: fees, durations, relative dates, signals, EU projects, PDF, CLI.

Cases B09, B10, B12 and B13 of ../shared/cases/cases.jsonl, with fixtures written here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from extractors.durations import duration_from_text, parse_iso_duration
from extractors.fees import parse_fee
from extractors.pdf import extract_pdf
from extractors.relative import relative_dates
from extractors.signals import eu_project
from tests.conftest import REALWORLD, need, run_offermap

FETCHED = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)


# B09: relative dates are anchored to the fetch date, never to the clock.
@pytest.mark.parametrize("text, expected", [
    ("Registration closes in 2 weeks.", dt.date(2024, 3, 15)),
    ("The next cohort starts next Friday.", dt.date(2024, 3, 8)),
    ("Orientation is tomorrow.", dt.date(2024, 3, 2)),
    ("Le cours commence vendredi prochain.", dt.date(2024, 3, 8)),
    ("Der Kurs beginnt in 3 Wochen.", dt.date(2024, 3, 22)),
    ("El taller empieza el próximo lunes.", dt.date(2024, 3, 4)),
    ("De cursus start over twee weken.", dt.date(2024, 3, 15)),
])
def test_b09_relative_dates_anchor_to_fetch_date(text, expected):
    assert [found.date for found in relative_dates(text, FETCHED)] == [expected]


def test_b09_no_anchor_no_relative_date():
    assert relative_dates("The course starts next Friday.", None) == []


def test_b09_reprocessing_later_gives_the_same_dates(extract):
    html = ("<html><body><h1>Co-design course for city staff</h1><p>Registration closes in 2 "
            "weeks. The next cohort starts next Friday.</p></body></html>")
    first = extract(html, fetched_at=FETCHED).records[0]
    again = extract(html, fetched_at=FETCHED).records[0]

    assert first.get("start_date") == again.get("start_date") == dt.date(2024, 3, 8)
    assert first.fields["start_date"].evidence.extractor == "text:relative_date"
    assert first.get("edition_status") == "upcoming"


def test_b09_yearless_date_takes_the_year_of_the_fetch(extract):
    html = "<html><body><h1>Participation workshop</h1><p>Date: 16 June</p></body></html>"
    record = extract(html, fetched_at=FETCHED).records[0]

    assert record.get("start_date") == dt.date(2024, 6, 16)
    assert record.fields["start_date"].evidence.extractor.endswith("+fetched_year")
    assert extract(html).records[0].get("start_date") is None  # no fetch date: no year


# B10: ISO 8601 durations and free-text workloads.
@pytest.mark.parametrize("value, days, hours, months", [
    ("P3W4D", 25, None, None), ("P6W", 42, None, None), ("PT2H", None, 2, None),
    ("PT1H30M", None, 1.5, None), ("P1M", None, None, 1),
])
def test_b10_iso_durations(value, days, hours, months):
    duration = parse_iso_duration(value)
    assert (duration.days, duration.hours, duration.months) == (days, hours, months)


@pytest.mark.parametrize("text", ["6 weeks, 3 hours/week", "3 hours per week for 6 weeks",
                                  "6 Wochen, 3 Stunden pro Woche", "6 semanas, 3 horas por semana"])
def test_b10_weekly_effort(text):
    duration = duration_from_text(text)
    assert (duration.weeks, duration.hours_per_week, duration.hours) == (6, 3, 18)


def test_b10_duration_on_the_record(extract):
    node = {"@context": "https://schema.org", "@type": "Course", "name": "Co-design basics",
            "timeRequired": "P3W4D"}
    html = f'<html><head><script type="application/ld+json">{json.dumps(node)}</script></head>'
    record = extract(html).records[0]

    assert record.get("duration_text") == "P3W4D"
    assert record.get("duration_days") == 25
    assert record.get("duration_hours") is None  # days are not turned into hours


def test_b10_weekly_effort_in_page_text(extract):
    html = ("<html><body><h1>Participatory budgeting MOOC</h1><p>Workload: 6 weeks, 3 hours/week"
            "</p></body></html>")
    assert extract(html).records[0].get("duration_hours") == 18


# B12: the number next to the currency; every tier kept and labelled.
@pytest.mark.parametrize("text, amount, currency", [
    ("5 sessions for only EUR 120", 120, "EUR"),
    ("4 Termine für nur 39,90 EUR", 39.9, "EUR"),
    ("Groups of 2 from $349", 349, "USD"),
    ("3 Tage, 1.250,00 € pro Person", 1250, "EUR"),
])
def test_b12_quantity_is_not_the_price(text, amount, currency):
    fee = parse_fee(text)
    assert (fee.amount, fee.currency, fee.is_free) == (amount, currency, False)


def test_b12_early_bird_and_regular_tiers():
    fee = parse_fee("EUR 50 (early bird until 31 May 2024), EUR 80 regular")

    assert [tier.as_dict() for tier in fee.tiers] == [
        {"amount": 50, "currency": "EUR", "kind": "early_bird", "audience": None,
         "period": None, "valid_until": "2024-05-31"},
        {"amount": 80, "currency": "EUR", "kind": "regular", "audience": None,
         "period": None, "valid_until": None}]
    assert (fee.amount, fee.currency) == (80, "EUR")  # the headline fee is the regular one


def test_b12_fee_tiers_on_the_record(extract):
    html = ("<html><body><h1>Co-creation summer school</h1><p>Date: 1 July 2024</p>"
            "<p>Fee: EUR 50 (early bird until 31 May 2024), EUR 80 regular</p></body></html>")
    record = extract(html).records[0]

    assert [(f["amount"], f["kind"]) for f in record.get("fees")] == [
        (50, "early_bird"), (80, "regular")]
    assert (record.get("fee_amount"), record.get("fee_currency")) == (80, "EUR")
    assert record.get("is_free") is False


def test_b12_schema_org_offers_become_tiers(extract):
    node = {"@context": "https://schema.org", "@type": "Event", "name": "Co-design lab",
            "startDate": "2024-09-03", "offers": [
                {"@type": "Offer", "name": "Early bird", "price": "150", "priceCurrency": "EUR",
                 "validThrough": "2024-06-30"},
                {"@type": "Offer", "name": "Regular", "price": "200", "priceCurrency": "EUR"}]}
    html = f'<html><head><script type="application/ld+json">{json.dumps(node)}</script></head>'
    record = extract(html).records[0]

    assert [(f["amount"], f["kind"], f["valid_until"]) for f in record.get("fees")] == [
        (150, "early_bird", "2024-06-30"), (200, "regular", None)]
    assert record.get("fee_amount") == 200


# B13 on the record: free in words, and "free for members" beside a paid tier.
def test_b13_members_tier_on_the_record(extract):
    html = ("<html><body><h1>Civic tech workshop</h1><p>Date: 3 May 2025</p>"
            "<p>Price: Free for members, EUR 30 for non-members</p></body></html>")
    record = extract(html).records[0]

    assert record.get("is_free") is False
    assert [(f["amount"], f["audience"]) for f in record.get("fees")] == [
        (0, "members"), (30, "non-members")]


@pytest.mark.parametrize("word", ["Kostenlos", "Gratuit", "Gratis", "Gratuito", "Kosteloos"])
def test_b13_free_word_on_the_record(extract, word):
    html = (f"<html><body><h1>Participation training</h1><p>Date: 3 May 2025</p>"
            f"<p>Kosten: {word}</p></body></html>")
    record = extract(html).records[0]
    assert (record.get("is_free"), record.get("fee_amount")) == (True, 0)


# Signals and EU projects.
def test_signals_answer_the_closing_questions(extract):
    html = ("<html><body><h1>Smart city co-design training for municipal staff</h1>"
            "<p>Date: 3 May 2025</p><p>Part 2 of our webinar series. The training combines "
            "theory with hands-on exercises on participatory methods for civil servants.</p>"
            "</body></html>")
    signals = extract(html).records[0].get("signals")

    assert signals == {"targets_city_staff": True, "smart_city_focus": True,
                       "participatory_methods": True, "theory_and_practice": True,
                       "part_of_series": True}


def test_signals_are_false_without_cues(extract):
    html = "<html><body><h1>Excel for beginners</h1><p>Date: 3 May 2025</p></body></html>"
    assert not any(extract(html).records[0].get("signals").values())


@pytest.mark.parametrize("text, expected", [
    ("This project has received funding from the European Union's Horizon 2020 research and "
     "innovation programme under grant agreement No 101037089 (the EUCityLab project).",
     "Horizon 2020"),
    ("Gefördert durch die Europäische Union. Das Projekt SPARKS wird von Erasmus+ getragen.",
     "Erasmus+"),
    ("Cofinanciado por la Unión Europea.", "funded by the European Union"),
])
def test_eu_project(text, expected):
    value, snippet = eu_project(text)
    assert value.startswith(expected) and snippet


def test_eu_project_grant_and_acronym():
    value, _ = eu_project("The SMARTEES project is funded by Horizon Europe, grant agreement "
                          "No 101094987.")
    assert value == "Horizon Europe; project SMARTEES; grant agreement 101094987"


# PDF brochures.
def _pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with one text line per entry (Helvetica, WinAnsi)."""
    ops = ["BT", "/F1 12 Tf", "14 TL", "50 780 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (en) >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


BROCHURE = _pdf(["Summer School on Participatory Budgeting",
                 "Dates: 12-16 July 2021", "Location: Room 2.14, Main Building, Bologna",
                 "Fee: EUR 350 (early bird until 31 May 2021), EUR 450 regular",
                 "Organised by: Civic Lab Foundation"])


def test_pdf_brochure_fields_are_marked_as_from_the_pdf(taxonomy):
    page = extract_pdf("https://example.org/brochure.pdf", {"content-type": "application/pdf"},
                       BROCHURE, taxonomy=taxonomy, fetched_at=FETCHED)
    record = page.records[0]

    assert record.get("title") == "Summer School on Participatory Budgeting"
    assert record.get("start_date") == dt.date(2021, 7, 12)
    assert record.get("format") == "summer_school"
    assert record.get("fee_amount") == 450
    assert record.get("provider") == "Civic Lab Foundation"
    assert all(v.evidence.extractor.startswith("pdf:") for v in record.fields.values())


def test_pdf_garbage_never_raises(taxonomy):
    page = extract_pdf("https://example.org/x.pdf", {}, b"%PDF-1.4 broken", taxonomy=taxonomy)
    assert page.records == [] or isinstance(page.records, list)


def test_processing_reads_pdf_pages(taxonomy):
    from crawler.items import FetchedPage
    from pipeline.processing import process_page

    page = FetchedPage(url="https://example.org/brochure.pdf", origin="search",
                       fetched_at=FETCHED, status=200,
                       headers={"content-type": "application/pdf"}, body=BROCHURE)
    processed = process_page(page, taxonomy)

    assert processed.outcome != "not_html"
    assert processed.extraction is not None and processed.extraction.records


# The commands, through the installed entry point.
def test_extract_command_prints_fields_with_evidence(tmp_path: Path):
    page = tmp_path / "course.html"
    page.write_text("<html lang='en'><body><h1>Co-design workshop</h1><p>Date: 3 May 2025</p>"
                    "<p>Fee: EUR 80</p></body></html>", encoding="utf-8")
    result = run_offermap("extract", str(page), "--json")

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    fields = data["records"][0]["fields"]
    assert fields["start_date"]["value"] == "2025-05-03"
    assert fields["fee_amount"]["extractor"] == "html:labelled"
    assert fields["format"]["value"] == "workshop"

    table = run_offermap("extract", str(page))
    assert table.returncode == 0 and "start_date" in table.stdout


def test_extract_command_reads_pdf(tmp_path: Path):
    brochure = tmp_path / "brochure.pdf"
    brochure.write_bytes(BROCHURE)
    result = run_offermap("extract", str(brochure), "--json")

    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)["records"][0]["fields"]
    assert fields["title"]["extractor"].startswith("pdf:")


def test_extract_command_missing_file_is_one_line_error(tmp_path: Path):
    result = run_offermap("extract", str(tmp_path / "nope.html"))
    assert result.returncode != 0 and "no such file" in result.stderr


FLOORS = {"title": 0.95, "format": 0.90, "modality": 0.90, "start_date": 0.90,
          "provider": 0.85, "fee": 0.85, "language": 0.95}


def test_eval_command_meets_the_floors():
    need(REALWORLD.is_dir(), f"the real-world corpus is not at {REALWORLD}")
    result = run_offermap("eval", "--corpus", str(REALWORLD), "--answers",
                          str(REALWORLD / "answers.jsonl"), "--json")

    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    accuracy = {name: cell["correct"] / cell["total"]
                for name, cell in figures["fields"].items() if cell["total"]}
    below = {name: round(accuracy[name], 3) for name, floor in FLOORS.items()
             if accuracy[name] < floor}
    assert below == {}
    assert figures["relevance"]["precision"] >= 0.90
    assert figures["relevance"]["recall"] >= 0.90


def test_eval_command_prints_a_table():
    need(REALWORLD.is_dir(), f"the real-world corpus is not at {REALWORLD}")
    result = run_offermap("eval", "--corpus", str(REALWORLD), "--answers",
                          str(REALWORLD / "answers.jsonl"))
    assert result.returncode == 0 and "relevance" in result.stdout and "provider" in result.stdout


# Structured data beyond JSON-LD: microdata, RDFa and OpenGraph.
def test_rdfa_course_is_read(extract):
    html = ('<html><body vocab="https://schema.org/"><div typeof="Course">'
            '<h1 property="name">Participatory budgeting for cities</h1>'
            '<div property="provider" typeof="CollegeOrUniversity"><span property="name">'
            'Example University</span></div><div property="hasCourseInstance" '
            'typeof="CourseInstance"><meta property="startDate" content="2025-09-01">'
            '<span property="courseMode">online</span></div></div></body></html>')
    page = extract(html)
    record = page.records[0]

    assert "Course" in page.structured_types
    assert record.get("title") == "Participatory budgeting for cities"
    assert record.fields["title"].evidence.extractor == "rdfa"
    assert record.get("provider") == "Example University"
    assert record.get("start_date") == dt.date(2025, 9, 1)
    assert record.get("modality") == "online"


def test_microdata_event_is_read(extract):
    html = ('<html><body><div itemscope itemtype="https://schema.org/EducationEvent">'
            '<h1 itemprop="name">Co-design webinar</h1><time itemprop="startDate" '
            'datetime="2025-10-02T10:00">2 Oct</time><div itemprop="offers" itemscope '
            'itemtype="https://schema.org/Offer"><meta itemprop="price" content="0">'
            '<meta itemprop="priceCurrency" content="EUR"></div></div></body></html>')
    record = extract(html).records[0]

    assert record.fields["title"].evidence.extractor == "microdata"
    assert record.get("start_date") == dt.date(2025, 10, 2)
    assert record.get("is_free") is True


def test_opengraph_fills_title_description_provider_url(extract):
    html = ('<html><head><meta property="og:title" content="Civic tech course - Civic Lab">'
            '<meta property="og:site_name" content="Civic Lab">'
            '<meta property="og:description" content="A six-week course on civic tech and '
            'participation for municipal staff.">'
            '<meta property="og:url" content="https://civic.example.org/course">'
            '<meta property="og:locale" content="en_GB"></head><body><p>x</p></body></html>')
    record = extract(html).records[0]

    assert record.get("title") == "Civic tech course"
    assert record.get("provider") == "Civic Lab"
    assert record.get("url") == "https://civic.example.org/course"
    assert record.get("description").startswith("A six-week course")
    assert record.get("language") == "en"


# Day/month order of numeric dates is decided per page.
@pytest.mark.parametrize("lang, text, expected", [
    ("en", "Date: 03/04/2025. Registration until 28/03/2025.", dt.date(2025, 4, 3)),
    ("en", "Date: 03/04/2025. Registration until 03/28/2025.", dt.date(2025, 3, 4)),
    ("en-US", "Date: 03/04/2025.", dt.date(2025, 3, 4)),
    ("de", "Datum: 03.04.2025", dt.date(2025, 4, 3)),
])
def test_numeric_date_order_per_page(extract, lang, text, expected):
    html = f"<html lang='{lang}'><body><h1>Co-design workshop</h1><p>{text}</p></body></html>"
    assert extract(html).records[0].get("start_date") == expected


def test_extract_command_fetches_a_url(tmp_path: Path):
    import functools
    import http.server
    import threading

    (tmp_path / "course.html").write_text(
        "<html lang='en'><body><h1>Co-design webinar</h1><p>Date: 3 May 2025. Free of charge."
        "</p></body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/course.html"
        result = run_offermap("extract", url, "--json",
                              env={"OFFERMAP_ALLOW_NETWORKS": "127.0.0.0/8"})
    finally:
        server.shutdown()
        server.server_close()

    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)["records"][0]["fields"]
    assert fields["is_free"]["value"] is True
    assert fields["start_date"]["value"] == "2025-05-03"
