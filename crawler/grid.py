"""The search grid: keywords × formats × languages, as query texts per backend.

A cell is (keyword, format, language); its query text is written for one backend,
because backends differ in the operators they honour (quoted phrases, ``-word``
exclusions, ``site:`` and ``filetype:``).  An operator a backend does not support is
left out rather than sent as words that would skew its results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from crawler.backends.base import GridQuery

if TYPE_CHECKING:
    from pipeline.config import KeywordsConfig

ALL_OPERATORS = frozenset({"quotes", "exclude", "site", "filetype"})

#: The smallest time restriction that still covers a given age (used for
#: ``time_range: since_last_run``); older than a year means no restriction.
_RANGES = (("day", timedelta(days=1)), ("week", timedelta(days=7)),
           ("month", timedelta(days=31)), ("year", timedelta(days=366)))


def _text(term: str | dict[str, str], language: str,
          translations: dict[str, dict[str, str]] | None = None) -> str:
    """A term in ``language``: its inline translation, else the ``translations``
    table's, else the English text."""
    if isinstance(term, str):
        return (translations or {}).get(term, {}).get(language) or term
    return term.get(language) or term["en"]


def _phrase(text: str, quote: bool, operators: frozenset[str]) -> str:
    bare = text.strip()
    quoted = len(bare) > 1 and bare[0] == bare[-1] == '"'
    if "quotes" not in operators:
        return bare.strip('"') if quoted else bare
    if quote and " " in bare and not quoted:
        return f'"{bare}"'
    return bare


def resolve_time_range(setting: str | None, last_run: datetime | None,
                       now: datetime) -> str | None:
    """The time restriction to send: ``since_last_run`` becomes the smallest range
    that covers the time since the last run (none on a first run)."""
    if setting != "since_last_run":
        return setting
    if last_run is None:
        return None
    age = now - last_run
    for name, span in _RANGES:
        if age <= span:
            return name
    return None


def build_grid(keywords_config: KeywordsConfig, operators: Iterable[str] = ALL_OPERATORS, *,
               time_range: str | None = None) -> list[GridQuery]:
    """Every query the configuration asks for, in a stable order, written for a
    backend that understands ``operators``."""
    return list(_iter_grid(keywords_config, frozenset(operators), time_range))


def _iter_grid(config: KeywordsConfig, operators: frozenset[str],
               time_range: str | None) -> Iterator[GridQuery]:
    seen: set[str] = set()
    for language in config.languages:
        for keyword in config.keywords:
            for fmt in config.formats:
                table = config.translations
                text = query_text(config, operators, _text(keyword, language, table),
                                  _text(fmt, language, table))
                query = GridQuery(keyword=_text(keyword, "en"), format=_text(fmt, "en"),
                                  language=language, text=text, time_range=time_range)
                if query.key not in seen:
                    seen.add(query.key)
                    yield query


def query_text(config: KeywordsConfig, operators: frozenset[str], keyword: str,
               fmt: str) -> str:
    """One query: the keyword (a quoted phrase if asked), the format, the extra
    terms, then the operators the backend supports."""
    quote = config.quote_keywords
    words = [_phrase(keyword, quote, operators), _phrase(fmt, False, operators)]
    words += list(config.extra_terms)
    if "exclude" in operators:
        words += [f"-{_phrase(word, True, operators)}" for word in config.exclude]
    sites = list(config.sites)
    if sites and "site" in operators:
        words.append(" OR ".join(f"site:{site}" for site in sites))
    filetype = config.filetype
    if filetype and "filetype" in operators:
        words.append(f"filetype:{filetype}")
    return " ".join(word for word in words if word)
