"""The extraction cases of ../shared/cases/cases.jsonl, with fixtures written here."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from extractors.dates import find_dates
from extractors.fees import parse_fee
from extractors.jsonld import flatten, parse_blocks
from extractors.modality import modality_from_locations, modality_from_text


def _values(page) -> list[str]:
    """Every string value of every record, for "no U+FFFD anywhere" checks."""
    found = [page.title or "", page.text]
    for record in page.records:
        for value in record.fields.values():
            found.append(str(value.value))
            found.append(value.evidence.source)
    return found


# B01: header says UTF-8, bytes and meta are windows-1252.
def test_b01_header_utf8_but_body_cp1252(extract):
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
            'charset=windows-1252"><title>Atelier – Räumliche Planung für Städte</title>'
            '</head><body><h1>Atelier – Räumliche Planung für Städte</h1>'
            '<p>Teilnahmegebühr: 180 € pro Person. Datum: 3. März 2025.</p></body></html>')
    page = extract(html.encode("cp1252"), headers={"Content-Type": "text/html; charset=utf-8"})

    assert page.encoding == "cp1252"
    assert page.encoding_source == "meta"
    assert page.records[0].get("title") == "Atelier – Räumliche Planung für Städte"
    assert "180 €" in page.records[0].get("fee_text")
    assert not any("\ufffd" in value for value in _values(page))


def test_b01_header_charset_used_when_it_decodes_cleanly(extract):
    html = "<html><head><meta charset='windows-1252'><title>Été</title></head></html>"
    page = extract(html.encode("utf-8"), headers={"Content-Type": "text/html; charset=UTF-8"})

    assert (page.encoding, page.encoding_source) == ("utf-8", "header")
    assert page.title == "Été"


def test_b01_bom_wins_over_header(extract):
    body = "\ufeff<html><head><title>Über uns</title></head></html>".encode("utf-8")
    page = extract(body, headers={"Content-Type": "text/html; charset=iso-8859-1"})

    assert page.encoding_source == "bom"
    assert page.title == "Über uns"


def test_b01_undeclared_legacy_bytes_are_detected(extract):
    body = "<html><head><title>Formación en participación</title></head></html>".encode("cp1252")
    page = extract(body, headers={})

    assert page.encoding_source == "detected"
    assert page.title == "Formación en participación"


# B03: a stray ";" after the JSON-LD object; one bad block never loses the others.
B03_HTML = """<html><head><script type="application/ld+json">
{"@context":"https://schema.org","@type":"Course","name":"Participatory Mapping Basics",
 "provider":{"@type":"Organization","name":"Civic Lab Foundation"}};
</script><script type="application/ld+json">{"@context":"https://schema.org",
"@type":"Organization","name":"Civic Lab Foundation","url":"https://civic.example.org/"}
</script><meta property="og:title" content="Participatory Mapping Basics"></head>
<body></body></html>"""


def test_b03_trailing_semicolon_is_tolerated(extract):
    page = extract(B03_HTML)

    assert page.structured_types[:2] == ["Course", "Organization"]
    assert len(page.records) == 1
    assert page.records[0].get("title") == "Participatory Mapping Basics"
    assert page.records[0].get("provider") == "Civic Lab Foundation"
    assert page.title == "Participatory Mapping Basics"  # og:title still read


@pytest.mark.parametrize("broken", [
    '<!-- {"@type":"Course","name":"X"} -->',
    '//<![CDATA[\n{"@type":"Course","name":"X"}\n//]]>',
    '{"@type":"Course",\n"name":"X\tY", /* note */ "url": "https://a.example/x",}',
    '{"@type":"Course","name":"X"}{"@type":"Event","name":"Y"}',
], ids=["html-comment", "cdata", "comment-control-trailing-comma", "concatenated"])
def test_b03_repairable_blocks(broken):
    warnings: list[str] = []
    nodes = flatten(parse_blocks([broken, "{not json at all"], warnings))

    assert nodes and nodes[0].data["@type"] == "Course"
    assert warnings == ["json-ld block 1 could not be parsed"]


# B05: @graph vs several scripts vs a top-level array give the same nodes.
_B05_NODES = [
    {"@type": "WebPage", "name": "Spring School"},
    {"@type": "BreadcrumbList", "itemListElement": []},
    {"@type": "Event", "name": "Spring School on Participatory Budgeting",
     "startDate": "2024-05-06", "endDate": "2024-05-10"},
]
_CTX = "https://schema.org"


def _script(value) -> str:
    return f'<script type="application/ld+json">{json.dumps(value)}</script>'


B05_LAYOUTS = {
    "graph": _script({"@context": _CTX, "@graph": _B05_NODES}),
    "scripts": "".join(_script({"@context": _CTX, **node}) for node in _B05_NODES),
    "array": _script([{"@context": _CTX, **node} for node in _B05_NODES]),
}


@pytest.mark.parametrize("layout", sorted(B05_LAYOUTS))
def test_b05_layouts_flatten_alike(extract, layout):
    html = f"<html><head>{B05_LAYOUTS[layout]}</head><body></body></html>"
    page = extract(html)

    assert page.structured_types == ["WebPage", "BreadcrumbList", "Event"]
    assert len(page.records) == 1
    record = page.records[0]
    assert record.get("title") == "Spring School on Participatory Budgeting"
    assert record.get("start_date") == dt.date(2024, 5, 6)
    assert record.get("end_date") == dt.date(2024, 5, 10)


def test_b05_flat_nodes_identical_and_inherit_context():
    shapes = []
    for layout in sorted(B05_LAYOUTS):
        text = B05_LAYOUTS[layout].split(">", 1)[1].rsplit("<", 1)[0]
        nodes = flatten(parse_blocks([text] if layout != "scripts" else [
            json.dumps({"@context": _CTX, **node}) for node in _B05_NODES], []))
        shapes.append([(n.path, n.types, n.context) for n in nodes])
    assert shapes[0] == shapes[1] == shapes[2]
    assert [len(s) for s in shapes] == [3, 3, 3]


# B06: ranges whose first half borrows month/year from the second half.
@pytest.mark.parametrize("text, start, end", [
    ("12–16 July 2021", "2021-07-12", "2021-07-16"),
    ("28 June – 2 July 2021", "2021-06-28", "2021-07-02"),
    ("9th - 10th October 2019", "2019-10-09", "2019-10-10"),
    ("30 Dec 2024 – 3 Jan 2025", "2024-12-30", "2025-01-03"),
    ("12—16 juli 2021", "2021-07-12", "2021-07-16"),
    ("del 12 al 16 de julio de 2021", "2021-07-12", "2021-07-16"),
    ("du 12 au 16 juillet 2021", "2021-07-12", "2021-07-16"),
    ("vom 12. bis 16. Juli 2021", "2021-07-12", "2021-07-16"),
    ("dal 12 al 16 luglio 2021", "2021-07-12", "2021-07-16"),
    ("de 12 a 16 de julho de 2021", "2021-07-12", "2021-07-16"),
    ("July 12-16, 2021", "2021-07-12", "2021-07-16"),
    ("il 12, 13 e 16 luglio 2021", "2021-07-12", "2021-07-16"),
    ("on 12, 13 and 16 July 2021", "2021-07-12", "2021-07-16"),
])
def test_b06_date_ranges(text, start, end):
    spans = find_dates(f"The summer school runs {text}, in Bologna.")

    assert [(str(s.start), str(s.end)) for s in spans] == [(start, end)]


def test_b06_first_half_never_borrows_from_crawl_date(extract):
    html = "<html><body><h1>Co-design summer school</h1><p>Dates: 12–16 July 2021</p></body></html>"
    page = extract(html, fetched_at=dt.datetime(2024, 3, 1))

    assert page.records[0].get("start_date") == dt.date(2021, 7, 12)
    assert page.records[0].get("end_date") == dt.date(2021, 7, 16)
    assert page.records[0].get("edition_status") == "past"


def test_b06_yearless_date_gets_no_year_from_today():
    (span,) = find_dates("Next session: 16 June, in the town hall.")
    assert span.start is None and (span.month, span.day) == (6, 16)


# B13: "free" in words, several languages; free-but-not-the-course is not free.
@pytest.mark.parametrize("text", [
    "Free", "Free of charge", "Kostenlos", "Gratuit", "Gratis", "Free for everyone", "0,00 €",
    "Gratuito", "Kosteloos", "No charge",
])
def test_b13_free_in_words(text):
    fee = parse_fee(text, standalone=True)

    assert fee is not None and fee.is_free is True and fee.amount == 0


def test_b13_free_parking_is_not_a_free_course():
    fee = parse_fee("Free parking on site. Course fee: EUR 200")
    assert (fee.is_free, fee.amount, fee.currency) == (False, 200, "EUR")


def test_b13_free_trial_then_monthly_price():
    fee = parse_fee("Free trial, then USD 49 per month")
    assert (fee.is_free, fee.amount, fee.currency, fee.period) == (False, 49, "USD", "month")


def test_b13_members_tier():
    fee = parse_fee("Free for members, EUR 30 for non-members", standalone=True)

    assert fee.is_free is False
    assert [(t.amount, t.currency, t.audience) for t in fee.tiers] == [
        (0, None, "members"), (30, "EUR", "non-members")]


def test_b13_free_stated_in_page_text(extract):
    html = ("<html><body><h1>Taller de presupuestos participativos</h1>"
            "<p>Fecha: 4 de marzo de 2025</p><p>Precio: Gratuito</p></body></html>")
    record = extract(html).records[0]

    assert record.get("is_free") is True
    assert record.get("fee_amount") == 0


# B14: attendance mode from Place / VirtualLocation / text.
def test_b14_place_named_online_event_with_empty_address_is_online(extract):
    node = {"@context": _CTX, "@type": "Event", "name": "Intro to QGIS",
            "location": {"@type": "Place", "name": "Online event",
                         "address": {"@type": "PostalAddress", "streetAddress": None,
                                     "addressLocality": None, "addressCountry": ""}}}
    page = extract(f"<html><head>{_script(node)}</head></html>")
    assert page.records[0].get("modality") == "online"


def test_b14_place_and_virtual_location_is_hybrid(extract):
    node = {"@context": _CTX, "@type": "Event", "name": "Urban Data Summer School",
            "location": [
                {"@type": "Place", "name": "Main Hall",
                 "address": {"@type": "PostalAddress", "streetAddress": "Via Esempio 1",
                             "addressLocality": "Bologna", "addressCountry": "IT"}},
                {"@type": "VirtualLocation", "url": "https://stream.example.org/live"}]}
    page = extract(f"<html><head>{_script(node)}</head></html>")
    assert page.records[0].get("modality") == "hybrid"


def test_b14_place_with_address_is_in_presence():
    assert modality_from_locations({"@type": "Place", "name": "Room 2.14",
                                    "address": {"addressLocality": "Leiden",
                                                "addressCountry": "NL"}}) == "in_presence"


def test_b14_attendance_mode_wins_over_location(extract):
    node = {"@context": _CTX, "@type": "Event", "name": "Civic tech clinic",
            "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
            "location": {"@type": "Place", "name": "Town hall",
                         "address": {"addressLocality": "Ghent"}}}
    record = extract(f"<html><head>{_script(node)}</head></html>").records[0]

    assert record.get("modality") == "online"
    assert record.fields["modality"].evidence.source == "$[0].eventAttendanceMode"


@pytest.mark.parametrize("text, expected", [
    ("Online registration is required. Venue: Room 2.14, Main Building, Leiden.", "in_presence"),
    ("This webinar takes place on Zoom; the link is sent after registration.", "online"),
    ("Register online. The course is held in person at the town hall, room 3.", "in_presence"),
])
def test_b14_text(text, expected):
    assert modality_from_text(text)[0] == expected


def test_b14_online_registration_on_page_is_not_online(extract):
    html = ("<html><body><h1>Co-creation workshop</h1><dl><dt>Date</dt><dd>5 May 2025</dd>"
            "<dt>Location</dt><dd>Room 2.14, Main Building, Leiden</dd></dl>"
            "<p>Online registration is required.</p></body></html>")
    assert extract(html).records[0].get("modality") == "in_presence"


# B15: language is deterministic and prefers <html lang> on short pages.
B15_HTML = ('<html lang="es"><head><title>Seminario web: Excel avanzado</title></head><body>'
            "<p>Este seminario web en línea está dirigido a personas que ya usan hojas de "
            "cálculo y quieren aprender tablas dinámicas, funciones de búsqueda y "
            "automatización básica. Las sesiones se imparten los martes por la tarde.</p>"
            "</body></html>")


def test_b15_language_is_deterministic(extract):
    answers = {extract(B15_HTML).records[0].get("language") for _ in range(20)}
    assert answers == {"es"}


def test_b15_content_language_without_html_lang(extract):
    html = B15_HTML.replace(' lang="es"', "")
    assert {extract(html).language.value for _ in range(5)} == {"es"}
