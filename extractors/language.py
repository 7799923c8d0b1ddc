"""Deterministic language identification from function words.

Probabilistic detectors seeded at random give a different answer for the same short
text on each call (Mimino666/langdetect#16).  Counting each language's most frequent
function words is deterministic, fast, needs no model download and is reliable on
the paragraph-length text of course pages.  It is only consulted where ``<html
lang>`` is missing or where a page's own text plainly disagrees with it (an English
course page on a site whose template says ``lang="nl"``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["Guess", "detect_language", "normalise_lang_tag"]

# Frequent words that are rare in the other languages of the list.  Words shared
# by several languages ("de", "a", "en", "la") are left out on purpose.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to is are was were this that with for on be by from have has will you "
        "your our we which at an it not or can their been would about into more these".split()
    ),
    "de": frozenset(
        "der die das und ist nicht mit den dem des ein eine einen auf für sich auch wird "
        "werden sind wir ihr zum zur bei nach aus oder wie über noch kann nur durch".split()
    ),
    "nl": frozenset(
        "het een van en is niet met voor zijn wordt worden ook dat deze bij naar uit "
        "wij jij je hun op aan dit heeft hebben kunnen moet als over maar door om".split()
    ),
    "fr": frozenset(
        "le les des est une du et dans pour pas sur qui que avec au aux ce cette sont être "
        "nous vous ils elle leur mais ou par plus été fait comme".split()
    ),
    "es": frozenset(
        "el los las del y es una por para con que se su al como más pero sus este esta "
        "está son ha fue muy también entre sobre hay sin cuando nos".split()
    ),
    "it": frozenset(
        "il della delle dei degli gli e è una per con che non sono nel nella alla al del "
        "anche come più ma questo questa essere stato ha hanno tra".split()
    ),
    "pt": frozenset(
        "o os da das do dos e é uma um para com que não são na no ao pelo pela mais mas "
        "como também foi ser está seu sua entre sobre quando".split()
    ),
    "pl": frozenset(
        "i w na z że się nie do jest to od za po przez jak dla oraz już tak który która "
        "które być został ich jego".split()
    ),
    "cs": frozenset(
        "a v na se že je to do od za po jak pro jsou který která které být byl jeho již "
        "také ale aby nebo při".split()
    ),
}
_WORD_LANGUAGES: dict[str, tuple[str, ...]] = {}
for _language, _words in _STOPWORDS.items():
    for _word in _words:
        _WORD_LANGUAGES[_word] = _WORD_LANGUAGES.get(_word, ()) + (_language,)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

#: Below this many function-word hits a guess is not trusted.
MIN_HITS = 8


@dataclass(frozen=True, slots=True)
class Guess:
    """The best language, its share of function-word hits, and the hit count."""

    language: str | None
    share: float
    hits: int


def detect_language(text: str, *, max_words: int = 3000) -> Guess:
    """Guess the ISO 639-1 language of ``text`` from its function words."""
    counts = dict.fromkeys(_STOPWORDS, 0)
    for word, number in Counter(_WORD.findall(text.lower())[:max_words]).items():
        for language in _WORD_LANGUAGES.get(word, ()):
            counts[language] += number
    total = sum(counts.values())
    if total == 0:
        return Guess(None, 0.0, 0)
    # Ties break on the fixed order of _STOPWORDS, so the answer never varies.
    best = max(counts, key=lambda language: counts[language])
    return Guess(best, counts[best] / total, counts[best])


def normalise_lang_tag(tag: str | None) -> str | None:
    """``"nl-NL"`` / ``"en_US"`` / ``"EN"`` to ``"nl"`` / ``"en"``; junk to ``None``."""
    if not tag:
        return None
    primary = re.split(r"[-_\s]", tag.strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2}", primary) else None
