"""Cue words read in every supported language, and only where they mean what we read.

Each test covers one kind of mistake for the seven languages (EN ES IT DE FR NL PT):
inclusivity read from "inclusief lunch", free-in-words missed in page text, hybrid
words missed in their feminine or plural forms, an EU programme merely named taken
for funding, a title cut at its dash, edition status said only in words, city staff
named in an audience line, a fee label that swallows the next heading.
"""

from __future__ import annotations

import datetime as dt

import pytest

from extractors.fees import parse_fee
from extractors.inclusivity import inclusivity_sentence
from extractors.modality import modality_from_text
from extractors.signals import eu_project
from extractors.status import status_from_text

FETCHED = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)


def _record(extract, body: str, lang: str = "en", **kwargs):
    html = f"<html lang='{lang}'><body>{body}</body></html>"
    return extract(html, **kwargs).records[0]


# 1. Inclusivity: people-related cues only.
@pytest.mark.parametrize("lang, text", [
    ("en", "The course covers diversity and inclusion in participatory processes."),
    ("en", "The venue is accessible for wheelchair users."),
    ("en", "We work with people with disabilities and their organisations."),
    ("en", "Module 3 covers inclusion, accessibility and trust."),
    ("es", "Brecha digital e inclusión: cómo no dejar a nadie atrás."),
    ("de", "Der Kurs behandelt Inklusion in der Stadtplanung."),
    ("de", "Wir sprechen über kulturelle Vielfalt und Chancengleichheit."),
    ("fr", "La formation aborde l'égalité femmes-hommes dans la participation."),
    ("es", "Un taller con perspectiva de género y enfoque inclusivo."),
    ("it", "Il corso tratta le pari opportunità e la città inclusiva."),
    ("nl", "Wij werken aan een inclusieve samenleving voor mensen met een beperking."),
    ("pt", "O curso aborda a inclusão social e a igualdade de gênero."),
])
def test_inclusivity_is_read_from_people_cues(extract, lang, text):
    record = _record(extract, f"<h1>Workshop</h1><p>{text}</p>", lang)

    assert record.get("inclusivity") is True
    assert text[:20] in record.get("inclusivity_evidence")


@pytest.mark.parametrize("lang, text", [
    ("nl", "Kosten: De dag is gratis en is inclusief lunch."),
    ("en", "This course offers an accessible introduction to Python."),
    ("en", "The price is inclusive of VAT and coffee."),
    ("en", "A diverse programme reflecting the diversity of topics."),
    ("en", "The slides are accessible online for all participants."),
    ("de", "Es blüht eine reichhaltige Vielfalt an Themen."),
    ("de", "Der Preis versteht sich inklusive Mittagessen."),
    ("fr", "Une grande diversité de sujets, repas inclus."),
    ("es", "Una gran diversidad de temas y ponentes."),
    ("it", "Una diversità di approcci e strumenti, pranzo incluso."),
    ("pt", "Uma diversidade de ferramentas digitais acessível a todos."),
])
def test_inclusivity_ignores_other_senses(extract, lang, text):
    record = _record(extract, f"<h1>Workshop data</h1><p>{text}</p>", lang)

    assert record.get("inclusivity") is None
    assert inclusivity_sentence(text) is None


# 2. Free in words, found in page text (no fee label) in every language.
@pytest.mark.parametrize("lang, text", [
    ("en", "Attendance is free of charge."),
    ("en", "There is no fee for this workshop."),
    ("de", "Die Teilnahme ist kostenlos."),
    ("de", "Kostenlose Teilnahme nach Anmeldung."),
    ("de", "Die Veranstaltung ist gebührenfrei."),
    ("de", "Die Teilnahme ist unentgeltlich."),
    ("de", "Eintritt frei."),
    ("fr", "Participation gratuite."),
    ("fr", "Entrée libre dans la limite des places disponibles."),
    ("fr", "Formation sans frais pour les agents."),
    ("es", "Inscripción gratuita."),
    ("es", "Entrada libre hasta completar aforo."),
    ("es", "Actividad sin costo para los participantes."),
    ("it", "Partecipazione gratuita previa iscrizione."),
    ("it", "Ingresso libero."),
    ("it", "La partecipazione è libera."),
    ("nl", "Deelname is gratis."),
    ("nl", "Deelname is kosteloos."),
    ("nl", "Er zijn geen deelnamekosten."),
    ("pt", "Inscrição gratuita."),
    ("pt", "Entrada franca."),
    ("pt", "Participação sem custo."),
])
def test_free_in_words_is_found_in_page_text(extract, lang, text):
    record = _record(extract, f"<h1>Kurs</h1><p>3.5.2025</p><p>{text}</p>", lang)

    assert record.get("is_free") is True, text
    assert record.get("fee_amount") == 0.0


@pytest.mark.parametrize("line, expected", [
    ("Free", True), ("Free for everyone", True), ("Free resources", None),
    ("Free parking", None), ("From Wikipedia, the free encyclopedia", None),
])
def test_free_on_a_line_of_its_own_is_the_fee(extract, line, expected):
    # Case B13 on the page path: a short line that starts with "Free" is a fee value.
    record = _record(extract, f"<h1>Workshop co-design</h1><p>3 May 2025</p><p>{line}</p>"
                              "<p>Some other text about the day.</p>")
    assert record.get("is_free") is expected


# 3. Hybrid in every language, all genders and numbers, and "in person and online".
@pytest.mark.parametrize("text", [
    "Hybrid event", "Formation hybride", "Formations hybrides", "Deze cursus is hybride.",
    "Curso híbrido", "Modalidade: híbrida", "Evento in modalità ibrida", "Corsi ibridi",
    "Sessioni ibride", "Curso semipresencial", "Das Seminar findet in Präsenz und online statt.",
    "en présentiel et à distance", "presencial y en línea", "in presenza e online",
    "fysiek en online", "presencial e online", "Onsite and online",
])
def test_hybrid_words_in_every_language(text):
    assert modality_from_text(text)[0] == "hybrid"


def test_every_hybrid_cue_of_the_taxonomy_is_read(taxonomy):
    for cue in taxonomy.modality["hybrid"]:
        assert modality_from_text(f"Modality: {cue}")[0] == "hybrid", cue


def test_hybrid_cloud_and_booking_channels_are_not_hybrid():
    assert modality_from_text("A course on hybrid cloud architecture.") is None
    for text in ("Register on site or online.", "Tickets vor Ort oder online erhältlich."):
        assert (modality_from_text(text) or ("unknown",))[0] != "hybrid", text


# 4. EU project: a funding statement, not a mention.
@pytest.mark.parametrize("text", [
    "Funders like NWO and H2020 require a data management paragraph in your proposal.",
    "Learn to write an Erasmus+ project proposal.",
    "Apply for funding from Horizon Europe: our webinar explains how.",
    "Funded by NWO. Horizon Europe was discussed on day 2.",
    "Finanziatori come Horizon Europe chiedono un piano di gestione dei dati.",
])
def test_eu_programme_mentioned_is_no_eu_project(text):
    assert eu_project(text) is None


@pytest.mark.parametrize("text, expected", [
    ("Co-funded by the Erasmus+ Programme of the European Union.", "Erasmus+"),
    ("Dieses Projekt wird von der EU im Rahmen von Interreg Europe gefördert.",
     "Interreg Europe"),
    ("Gefördert durch die Europäische Union.", "funded by the European Union"),
    ("Projet financé par l'Union européenne.", "funded by the European Union"),
    ("Proyecto financiado por la Unión Europea - NextGenerationEU.",
     "funded by the European Union"),
    ("Progetto cofinanziato dall'Unione europea (Horizon Europe).", "Horizon Europe"),
    ("Dit project is medegefinancierd door de Europese Unie.", "funded by the European Union"),
    ("Projeto cofinanciado pela União Europeia.", "funded by the European Union"),
    ("This training is part of an Erasmus+ project on civic skills.", "Erasmus+"),
    ("Supported by grant agreement No. 101094987.", "grant agreement 101094987"),
])
def test_eu_funding_statements_in_every_language(text, expected):
    value, snippet = eu_project(text)
    assert value.startswith(expected) and snippet


def test_mention_on_a_page_gives_no_eu_project(extract):
    record = _record(extract, "<h1>Workshop: write a DMP</h1><p>Funders like NWO and H2020 "
                              "require a data management paragraph in your proposal.</p>")
    assert record.get("eu_project") is None


# 5. A title "A – B" is one title unless something says B is the site (case B01).
def test_title_with_a_dash_and_no_site_is_kept_whole(extract):
    page = extract("<html><head><title>Café – Einführung in GIS</title></head>"
                   "<body><p>Gebühr: 250 €</p></body></html>")
    record = page.records[0]

    assert record.get("title") == "Café – Einführung in GIS"
    assert record.get("provider") != "Einführung in GIS"


@pytest.mark.parametrize("title, body, url, expected", [
    ("Urban co-design - Leiden University", "<p>Fee: EUR 20</p>",
     "https://www.example.org/x", "Urban co-design"),
    ("Upcoming webinar on participation - SIB Training", "<p>x</p>",
     "https://www.sib.swiss/x", "Upcoming webinar on participation"),
    ("Participatory budgeting 101 | Civic Lab", "<p>© 2025 Civic Lab</p>",
     "https://www.example.org/x", "Participatory budgeting 101"),
])
def test_title_suffix_backed_by_the_page_is_the_site(extract, title, body, url, expected):
    page = extract(f"<html><head><title>{title}</title></head><body>{body}</body></html>",
                   url=url)
    assert page.records[0].get("title") == expected


# 6 is in test_eval_command_errors.py.


# 7. Edition status said in words.
@pytest.mark.parametrize("lang, text, expected", [
    ("en", "This course has been cancelled.", "cancelled"),
    ("en", "The workshop is postponed to a later date.", "postponed"),
    ("de", "Die Veranstaltung muss leider abgesagt werden.", "cancelled"),
    ("de", "Das Seminar wurde auf Herbst verschoben.", "postponed"),
    ("de", "Die Tagung entfällt.", "cancelled"),
    ("fr", "La formation est annulée.", "cancelled"),
    ("fr", "Formation reportée.", "postponed"),
    ("es", "El taller ha sido aplazado hasta nuevo aviso.", "postponed"),
    ("es", "Curso cancelado.", "cancelled"),
    ("it", "Evento annullato.", "cancelled"),
    ("it", "Il convegno è stato rinviato.", "postponed"),
    ("nl", "De lezing gaat helaas niet door.", "cancelled"),
    ("nl", "De cursus is uitgesteld.", "postponed"),
    ("pt", "O curso foi adiado.", "postponed"),
    ("pt", "Evento cancelado.", "cancelled"),
])
def test_cancelled_and_postponed_in_words(extract, lang, text, expected):
    record = _record(extract, f"<h1>Workshop</h1><p>3 March 2025</p><p>{text}</p>", lang,
                     fetched_at=FETCHED)

    assert record.get("edition_status") == expected
    assert record.fields["edition_status"].evidence.extractor == "text:status"


@pytest.mark.parametrize("title", ["CANCELLED: Webinar on co-design", "Workshop [Abgesagt]",
                                   "Annulé - Atelier participatif"])
def test_status_mark_in_the_title(title):
    assert status_from_text(title, "")[0] == "cancelled"


@pytest.mark.parametrize("text", [
    "If the course is cancelled, you will be refunded in full.",
    "Cancellation policy: courses cancelled by participants are charged.",
    "Bei zu geringer Teilnehmerzahl wird der Kurs abgesagt.",
    "Si le nombre de participants est insuffisant, la formation sera annulée.",
    "En caso de no alcanzar el mínimo, el curso será cancelado.",
    "Il corso può essere annullato se non si raggiunge il numero minimo.",
    "De cursus kan worden geannuleerd bij te weinig aanmeldingen.",
    "O curso pode ser cancelado caso não haja inscritos suficientes.",
])
def test_cancellation_rules_are_no_status(extract, text):
    record = _record(extract, f"<h1>Workshop</h1><p>3 March 2025</p><p>{text}</p>",
                     fetched_at=FETCHED)
    assert record.get("edition_status") == "upcoming"


@pytest.mark.parametrize("lang, text", [
    ("en", "A self-paced course: start anytime."),
    ("en", "The recording is available on demand."),
    ("de", "Lernen Sie im eigenen Tempo."),
    ("fr", "Suivez la formation à votre rythme."),
    ("es", "Aprende a tu ritmo."),
    ("it", "Impara al tuo ritmo."),
    ("nl", "Volg de cursus in je eigen tempo."),
    ("pt", "Estude ao seu ritmo."),
])
def test_on_demand_in_words(extract, lang, text):
    record = _record(extract, f"<h1>MOOC</h1><p>{text}</p>", lang, fetched_at=FETCHED)
    assert record.get("edition_status") == "on demand"


def test_on_demand_event_type_and_dated_future_edition(extract):
    node = ('<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": "OnDemandEvent", "name": "Co-design basics"}</script>')
    assert extract(f"<html><head>{node}</head><body></body></html>").records[0].get(
        "edition_status") == "on demand"
    record = _record(extract, "<h1>MOOC</h1><p>Starts 3 March 2025. Self-paced course.</p>",
                     fetched_at=FETCHED)
    assert record.get("edition_status") == "upcoming"
    assert status_from_text("x", "On-demand mobility services for cities.") is None


# 8. City staff as audience, every language; the tag and the signal agree.
@pytest.mark.parametrize("lang, text", [
    ("en", "For whom: city officials and policy makers"),
    ("es", "Dirigido a: funcionarios municipales"),
    ("it", "Destinatari: dipendenti comunali"),
    ("de", "Zielgruppe: Mitarbeitende von Kommunalverwaltungen"),
    ("fr", "Public cible : agents des collectivités territoriales"),
    ("nl", "Doelgroep: gemeenteambtenaren"),
    ("pt", "Público: servidores municipais"),
])
def test_city_staff_audience_in_every_language(extract, lang, text):
    record = _record(extract, f"<h1>Kurs</h1><p>{text}</p>", lang)

    assert "city_staff" in record.get("audience_tags")
    assert record.get("signals")["targets_city_staff"] is True


# 9. A plain fee is no late fee, and labelled values stop at the next heading.
def test_free_parking_on_site_is_no_late_fee():
    fee = parse_fee("Free parking on site. Course fee: EUR 200")

    assert [tier.kind for tier in fee.tiers] == ["standard"]
    assert (fee.is_free, fee.amount, fee.currency) == (False, 200.0, "EUR")
    assert [t.kind for t in parse_fee("EUR 200 early bird, EUR 250 on site").tiers] == [
        "early_bird", "late"]


def test_labelled_values_stop_at_the_next_heading(extract):
    html = ("<h1>Workshop co-design</h1><h2>Fee</h2><p>EUR 200</p>"
            "<h2>What you will learn</h2><p>Methods.</p><h3>For whom</h3><p>City staff</p>"
            "<h3>Programme</h3><p>Day one.</p><dl><dt>Trainers</dt><dd>Ana Example</dd>"
            "<dt>Description</dt><dd>More.</dd></dl>")
    record = _record(extract, html)

    assert record.get("fee_text") == "EUR 200"
    assert record.get("audience") == "City staff"
    assert record.get("trainers") == ["Ana Example"]


def test_a_price_that_is_not_a_number_is_no_fee(extract) -> None:  # noqa: ANN001
    """A JSON-LD price of 1e400 or NaN must not become an amount (JSON has no
    Infinity); the schema's free flag reads as "Free", not as its property name."""
    import json

    for price in ("1e400", "NaN", "-5"):
        node = {"@context": "https://schema.org", "@type": "Course", "name": "Co-creation lab",
                "offers": {"@type": "Offer", "price": price, "priceCurrency": "EUR"}}
        page = extract(f"<script type='application/ld+json'>{json.dumps(node)}</script>"
                       "<h1>Co-creation lab</h1>")
        assert page.records[0].get("fee_amount") is None, price
    free = {"@context": "https://schema.org", "@type": "Course", "name": "Co-creation lab",
            "isAccessibleForFree": True}
    page = extract(f"<script type='application/ld+json'>{json.dumps(free)}</script>")
    assert page.records[0].get("fee_text") == "Free"
    assert page.records[0].get("is_free") is True


@pytest.mark.parametrize("name", ['', '"name": {"x": [1, 2]},', '"name": "  ",'])
def test_a_nameless_course_takes_the_page_heading(extract, name: str) -> None:  # noqa: ANN001
    page = extract('<script type="application/ld+json">{"@type": "Course", ' + name
                   + ' "startDate": "2027-05-12"}</script>'
                   "<h1>Citizen participation course</h1>")
    [record] = page.records
    assert record.get("title") == "Citizen participation course"
    assert record.fields["title"].evidence.extractor == "html:h1"


@pytest.mark.parametrize(("crumbs", "unit"), [
    (["Home", "› Summer School › 2025"], None),  # the course, not who gives it
    (["Start", "» Sommerschule Bürgerbeteiligung"], None),
    (["Home", "› School of Public Policy › Courses"], "School of Public Policy"),
    (["Accueil > Bibliothèque > Ateliers"], "Bibliothèque"),
])
def test_breadcrumb_units_split_on_text_separators(crumbs: list[str], unit: str | None) -> None:
    from extractors.providers import unit_from_breadcrumbs

    assert unit_from_breadcrumbs(crumbs) == unit
