"""Title normalisation, distinguishing tokens and similarity (B23, B24)."""

from __future__ import annotations

import unicodedata

import pytest
from rapidfuzz import fuzz

from pipeline.dedup import distinguishing_tokens, normalise_title, title_similarity

# B24, written fresh: pairs that render alike, or differ only in accents, dashes,
# spaces or ligatures.  Each must normalise to the same string and score 100.
B24_PAIRS = [
    pytest.param("Évaluation participative – méthodes", "Evaluation participative - methodes",
                 id="accented-first-word-and-en-dash"),
    pytest.param(unicodedata.normalize("NFC", "Participação cidadã"),
                 unicodedata.normalize("NFD", "Participação cidadã"), id="nfc-vs-nfd"),
    pytest.param("Smart\u00a0Cities for all", "Smart Cities for all", id="nbsp"),
    pytest.param("Smart\u2009Cities\u3000for all", "Smart Cities for all",
                 id="thin-ideographic-space"),
    pytest.param("\ufb02ood risk and e\ufb00ective planning", "flood risk and effective planning",
                 id="ligatures-fl-ff"),
    pytest.param("Co\u2011creation \u2014 a primer", "Co-creation - a primer",
                 id="nb-hyphen-em-dash"),
    pytest.param("Bürger\u00adbeteiligung", "Burgerbeteiligung", id="soft-hyphen-and-umlaut"),
    pytest.param("ＣＩＴＩＺＥＮ Labs", "Citizen labs", id="full-width"),
    pytest.param("Straße und Platz", "STRASSE UND PLATZ", id="casefold-sharp-s"),
    pytest.param("Københavns byudvikling", "Kobenhavns byudvikling", id="o-slash"),
    pytest.param("Citizens’ assemblies: don’t panic", "Citizens' Assemblies - don't panic",
                 id="apostrophes"),
]


@pytest.mark.parametrize(("a", "b"), B24_PAIRS)
def test_b24_variants_normalise_alike(a: str, b: str) -> None:
    assert normalise_title(a) == normalise_title(b)
    assert title_similarity(a, b) == 100.0


def test_b24_accented_first_token_no_longer_sorts_last() -> None:
    # RapidFuzz#337: with default processing the accented word sorts after ASCII.
    a, b = "Élodie Dupont on urban gardens", "Elodie Dupont on urban gardens"
    assert fuzz.token_sort_ratio(a.lower(), b.lower()) < 90
    assert title_similarity(a, b) == 100.0


def test_b24_normalisation_is_for_matching_only() -> None:
    title = "Écriture de projets – atelier"
    normalise_title(title)
    assert title == "Écriture de projets – atelier"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("MOOC: Participatory Budgeting", "participatory budgeting"),
        ("Webinar | Participatory Budgeting", "participatory budgeting"),
        ("Workshop - Participatory Budgeting", "participatory budgeting"),
        ("Online course: Participatory Budgeting", "participatory budgeting"),
        ("[Webinar] Participatory Budgeting", "participatory budgeting"),
        ("Participatory Budgeting (Webinar)", "participatory budgeting"),
        ("Participatory Budgeting – Online Workshop", "participatory budgeting"),
        ("Curso online: Presupuestos participativos", "presupuestos participativos"),
        ("Formation en ligne : Budget participatif", "budget participatif"),
        ("Online-Kurs: Bürgerhaushalt", "burgerhaushalt"),
        ("Webinar: MOOC: Participatory Budgeting", "participatory budgeting"),
        # a format word inside the title is content
        ("Workshop design for facilitators", "workshop design for facilitators"),
        ("Summer School: Urban Commons", "summer school urban commons"),
        # a title that is only a label keeps its word
        ("Webinar", "webinar"),
    ],
    ids=lambda value: value,
)
def test_format_labels_are_removed(title: str, expected: str) -> None:
    assert normalise_title(title) == expected


@pytest.mark.parametrize(
    ("title", "drop", "expected"),
    [
        ("Urban Commons | Civic Academy", ["Civic Academy"], "urban commons"),
        ("Urban Commons - Civic Academy", ["civic academy"], "urban commons"),
        ("Civic Academy: Urban Commons", ["Civic Academy"], "urban commons"),
        ("Urban Commons · CIVIC ACADEMY", ["Civic Academy"], "urban commons"),
        # the possessive is one word, so the name is not removed from it
        ("Civic Academy's Commons Lab", ["Civic Academy"], "civic academys commons lab"),
        ("Urban Commons with Civic Academy", ["Civic Academy"], "urban commons with"),
        # a suffix that is not named in drop stays
        ("Urban Commons | Civic Academy", [], "urban commons civic academy"),
        ("Urban Commons | Other Site", ["Civic Academy"], "urban commons other site"),
        # the provider's name alone is not emptied
        ("Civic Academy", ["Civic Academy"], "civic academy"),
    ],
)
def test_drop_removes_provider_and_site_names(title: str, drop: list[str], expected: str) -> None:
    assert normalise_title(title, drop=drop) == expected


def test_cpp_and_csharp_stay_apart() -> None:
    a, b = "C++ for Beginners", "C# for Beginners"
    assert normalise_title(a) == "c++ for beginners"
    assert normalise_title(b) == "c# for beginners"
    assert distinguishing_tokens(a) != distinguishing_tokens(b)
    assert "c++" in distinguishing_tokens(a) and "c#" in distinguishing_tokens(b)


def test_digits_keep_their_decimal_point() -> None:
    assert normalise_title("Python 3.11 – what’s new?") == "python 3.11 whats new"
    assert distinguishing_tokens("Python 3.11") != distinguishing_tokens("Python 3.12")


# B23, written fresh: near-identical strings that are different trainings.
B23_DIFFERENT = [
    pytest.param("Urban Mobility Summer School 2025", "Urban Mobility Summer School 2026",
                 id="year"),
    pytest.param("Facilitating Citizen Panels – Part 1", "Facilitating Citizen Panels – Part 2",
                 id="part"),
    pytest.param("German B1 (intensive evenings)", "German B2 (intensive evenings)", id="cefr"),
    pytest.param("Public Policy Analysis II", "Public Policy Analysis III", id="roman"),
    pytest.param("GIS for planners, 2nd edition", "GIS for planners, 3rd edition",
                 id="ordinal-edition"),
    pytest.param("Co-design, Teil 1", "Co-design, Teil 2", id="teil"),
    pytest.param("Bilancio partecipativo, parte 1", "Bilancio partecipativo, parte 2",
                 id="parte"),
    pytest.param("Open data: first edition", "Open data: second edition", id="ordinal-word"),
    pytest.param("Data storytelling for beginners", "Data storytelling for advanced users",
                 id="level-en"),
    pytest.param("Participación ciudadana: nivel intermedio",
                 "Participación ciudadana: nivel avanzado", id="level-es"),
    pytest.param("C++ for Beginners", "C# for Beginners", id="cpp-csharp"),
]


@pytest.mark.parametrize(("a", "b"), B23_DIFFERENT)
def test_b23_distinguishing_tokens_differ(a: str, b: str) -> None:
    assert distinguishing_tokens(a) != distinguishing_tokens(b)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Urban Mobility Summer School 2025", {"2025"}),
        ("Module 01: Basics", {"1"}),
        ("Facilitation Part One", {"1"}),
        ("Facilitation, Teil 2", {"2"}),
        ("Facilitazione, parte II", {"2"}),
        ("Facilitation 2nd edition", {"2"}),
        ("Facilitation, zweite Auflage", {"2"}),
        ("Facilitación, 2ª edición", {"2"}),
        ("Facilitation, deuxième édition", {"2"}),
        ("Facilitation, tweede editie", {"2"}),
        ("Statistics IV", {"4"}),
        ("Statistics I", {"1"}),
        ("What I learned from city labs", set()),  # the pronoun is not a numeral
        ("Vi editor tips", set()),  # lower-case "vi" is a word, not 6
        ("Spanish A2", {"cefr:a2"}),
        ("English B1+ conversation", {"cefr:b1+"}),
        ("Deutsch A1.1", {"cefr:a1.1"}),
        ("Excel for beginners", {"level:beginner"}),
        ("Excel per principianti", {"level:beginner"}),
        ("Excel für Anfänger", {"level:beginner"}),
        ("Excel pour débutants", {"level:beginner"}),
        ("Excel voor gevorderden", {"level:advanced"}),
        ("Excel intermédiaire", {"level:intermediate"}),
        ("Excel avançado", {"level:advanced"}),
        ("Horizon 2020 projects in Python3", {"2020", "python3"}),
        ("Modul 1a", {"1a"}),
        ("One Health for cities", set()),  # a number word outside a series
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_distinguishing_tokens(title: str, expected: set[str]) -> None:
    assert distinguishing_tokens(title) == frozenset(expected)


def test_distinguishing_tokens_ignore_a_dropped_provider_name() -> None:
    title = "Agenda 2030 Network: Local SDG indicators"
    assert distinguishing_tokens(title) == {"2030"}
    assert distinguishing_tokens(title, drop=["Agenda 2030 Network"]) == frozenset()


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("Introduction to Urban Data", "Urban Data: Introduction to", 100, 100),  # reordered
        ("Participatory budgeting in practice", "Participatory budgetting in practise", 90, 99),
        ("Data Science", "Data Science for Public Servants", 0, 80),  # contained, not equal
        ("Urban Data", "Urban Data Analysis", 0, 90),
        ("", "Urban Data", 0, 0),
        ("!!!", "???", 0, 0),
    ],
    ids=["reordered", "typos", "contained", "longer", "empty", "no-words"],
)
def test_title_similarity_range(a: str, b: str, low: float, high: float) -> None:
    assert low <= title_similarity(a, b) <= high
    assert title_similarity(a, b) == title_similarity(b, a)
