"""The search grid: keywords × formats × languages, as query texts."""

from __future__ import annotations

from collections.abc import Iterator

from crawler.backends.base import GridQuery


def _text(term: str | dict[str, str], language: str) -> str:
    if isinstance(term, str):
        return term
    return term.get(language) or term["en"]


def build_grid(keywords_config) -> list[GridQuery]:  # type: ignore[no-untyped-def]
    """Every query the configuration asks for, in a stable order."""
    return list(_iter_grid(keywords_config))


def _iter_grid(config) -> Iterator[GridQuery]:  # type: ignore[no-untyped-def]
    seen: set[str] = set()
    for language in config.languages:
        for keyword in config.keywords:
            for fmt in config.formats:
                words = [_text(keyword, language), _text(fmt, language)]
                words += list(config.extra_terms)
                words += [f"-{word}" for word in config.exclude]
                query = GridQuery(
                    keyword=_text(keyword, "en"),
                    format=_text(fmt, "en"),
                    language=language,
                    text=" ".join(words),
                )
                if query.key not in seen:
                    seen.add(query.key)
                    yield query

