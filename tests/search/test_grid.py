"""The multilingual grid: translations, operators per backend, time restriction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.backends.searxng import SearxngBackend
from crawler.grid import build_grid, resolve_time_range
from pipeline.config import DEFAULT_CONFIG_DIR, KeywordsConfig, load_config

STUDY_LANGUAGES = ["en", "es", "it", "de", "fr", "nl", "pt"]


def test_shipped_grid_has_translations_for_the_study_languages() -> None:
    shipped = load_config(DEFAULT_CONFIG_DIR).keywords
    for term in [*shipped.keywords, *shipped.formats]:
        if term != "MOOC":
            assert set(STUDY_LANGUAGES) - {"en"} <= set(shipped.translations[term]), term
    keywords = shipped.model_copy(update={"languages": STUDY_LANGUAGES})
    grid = build_grid(keywords)
    assert len(grid) == 6 * 6 * 7
    assert {q.language for q in grid} == set(STUDY_LANGUAGES)
    texts = {query.key for query in grid}
    assert "it:bilancio partecipativo corso" in texts
    assert "de:Bürgerhaushalt Seminar" in texts
    assert "pt:orçamento participativo escola de verão" in texts
    assert "fr:co-création MOOC" in texts


def config(**extra: object) -> KeywordsConfig:
    return KeywordsConfig.model_validate({
        "languages": ["en", "fr"],
        "keywords": [{"en": "participatory budgeting", "fr": "budget participatif"}],
        "formats": ["course", {"en": "summer school", "fr": "école d'été"}],
        "quote_keywords": True, "exclude": ["conference", "job offer"],
        "sites": ["europa.eu", "uni.example"], "filetype": "pdf", **extra})


def test_operators_follow_what_the_backend_supports() -> None:
    full = build_grid(config())[0].text
    assert full == ('"participatory budgeting" course -conference -"job offer" '
                    "site:europa.eu OR site:uni.example filetype:pdf")
    searxng = build_grid(config(), SearxngBackend.operators)[0].text
    assert "filetype:" not in searxng and "site:europa.eu" in searxng
    bare = build_grid(config(), frozenset())[0].text
    assert bare == "participatory budgeting course"


def test_untranslated_terms_fall_back_to_english() -> None:
    grid = build_grid(config(), frozenset())
    assert [q.text for q in grid if q.language == "fr"] == [
        "budget participatif course", "budget participatif école d'été"]
    assert {q.cell for q in grid if q.language == "fr"} == {
        ("participatory budgeting", "course", "fr"),
        ("participatory budgeting", "summer school", "fr")}


def test_since_last_run_becomes_the_smallest_covering_range() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert resolve_time_range("since_last_run", None, now) is None
    assert resolve_time_range("since_last_run", now - timedelta(hours=5), now) == "day"
    assert resolve_time_range("since_last_run", now - timedelta(days=6), now) == "week"
    assert resolve_time_range("since_last_run", now - timedelta(days=20), now) == "month"
    assert resolve_time_range("since_last_run", now - timedelta(days=400), now) is None
    assert resolve_time_range("month", None, now) == "month"
    assert {q.time_range for q in build_grid(config(), time_range="week")} == {"week"}


def test_the_shipped_grid_prints_in_the_seven_study_languages() -> None:
    from tests.conftest import run_offermap

    result = run_offermap("queries", "--language", "all")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "6 keywords × 6 formats × 7 languages (en, es, it, de, fr, nl, pt) = 252" in out
    assert "searxng: 252 queries" in out
    for language in STUDY_LANGUAGES:
        assert f"  {language} (36)" in out
    for text in ("coinvolgimento dei cittadini corso", "Bürgerbeteiligung Seminar",
                 "participação cidadã oficina", "burgerbegroting zomerschool"):
        assert text in out
    assert "Not in languages: of keywords.yaml: es, it, de, fr, nl, pt" in out

    two = run_offermap("queries", "--language", "de", "--language", "fr")
    assert two.returncode == 0, two.stderr
    assert "× 2 languages (de, fr) = 72" in two.stdout and "Bürgerengagement Kurs" in two.stdout

    unknown = run_offermap("queries", "--language", "sv")
    assert unknown.returncode != 0
    assert "No translations for sv in keywords.yaml" in unknown.stderr
