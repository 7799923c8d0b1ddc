"""Fuzzy duplicate matching of training titles (DESIGN.md, Deduplication).

Exact keys (see :mod:`pipeline.urls`) come first; this module handles what is left:
the same training found with a differently written title.

* :func:`normalise_title` folds what never distinguishes two trainings: Unicode form,
  case, accents, dash and space variants, punctuation, format labels ("Webinar:"), a
  provider or site name (B24).  It is for matching only; the original title is kept
  for display and export.
* :func:`distinguishing_tokens` extracts what *does* distinguish trainings with
  otherwise equal titles: years, numbers, parts, editions, roman numerals, CEFR and
  level words, ``C++``/``C#``.  Titles whose distinguishing tokens conflict never
  merge, whatever the string score (B23).
* :func:`title_similarity` scores two titles 0..100.
* :class:`TitleIndex` finds the best existing entry for a new title, within blocks,
  with date and edition guards, and a review band for borderline pairs.

Pure module: no network, no database, no logging.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process

from pipeline.urls import registered_domain

__all__ = [
    "DEFAULT_CROSS_SITE_THRESHOLD",
    "DEFAULT_RARE_MAX_DF",
    "DEFAULT_REVIEW_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "Entry",
    "Match",
    "TitleIndex",
    "distinguishing_tokens",
    "normalise_title",
    "title_similarity",
]

#: Auto-merge at or above this score (same provider or same registered domain).
#: After normalisation, real variants of one title score 95-100 (case, accents,
#: dashes, a label, a typo); different trainings of one provider that share most words
#: ("Introduction to Urban Data" / "... Urban Data Analysis": 85) go to review instead.
DEFAULT_THRESHOLD = 90.0
#: Lower bound of the "possible duplicate" band offered to reviewers.
DEFAULT_REVIEW_THRESHOLD = 80.0
#: Auto-merge across providers *and* domains (a network republishing a training)
#: needs a near-identical title (one typo in ~35 characters) and equal start dates.
DEFAULT_CROSS_SITE_THRESHOLD = 97.0
#: A title token held by at most this many indexed entries is "rare" (a block key).
DEFAULT_RARE_MAX_DF = 50


# --------------------------------------------------------------------------- folding

# Letters that NFD does not decompose but that readers treat as accented latin.
_CHAR_MAP: dict[str, str] = {
    "\u200b": " ",  # zero-width space is a word break: "Urban\u200bData" is two words
    "\u2212": "-",  # minus sign (Sm, not Pd)
    "\u2043": "-",  # hyphen bullet
    "\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'", "\u00b4": "'",
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H",
    "ı": "i", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH",
    "ð": "d", "Ð": "D",
}
_INNER_APOSTROPHE_RE = re.compile(r"(?<=[^\W_])'(?=[^\W_])")

# One token: a run of letters/digits; "." kept between digits ("3.11", "a1.1");
# trailing "+"/"#" kept when attached to a word ("c++", "c#", "b1+"), since "C++" and
# "C#" are different trainings.  Everything else is a separator.
_TOKEN_RE = re.compile(
    r"[^\W_]*\d(?:\.\d+)+[^\W_]*(?:[+#]+(?![^\W_]))?|[^\W_]+(?:[+#]+(?![^\W_]))?"
)


@functools.lru_cache(maxsize=1 << 16)  # providers and format phrases recur on every record
def _fold(text: str, *, casefold: bool = True) -> str:
    """NFKC (ligatures, full-width forms, NBSP), casefold, strip combining marks, map
    every dash to "-", drop format characters (soft hyphen, ZWJ, BOM), turn every
    Unicode space into one ASCII space (B24)."""
    if text.isascii():
        # The same result without the per-character walk: in ASCII, NFKC changes
        # nothing, "-" is the only dash, no character is a mark or a format
        # character, and "`" is the only one _CHAR_MAP maps.
        text = (text.casefold() if casefold else text).replace("`", "'")
        return " ".join(_INNER_APOSTROPHE_RE.sub("", text).split())
    text = unicodedata.normalize("NFKC", text)
    if casefold:
        text = text.casefold()
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        mapped = _CHAR_MAP.get(ch)
        if mapped is not None:
            out.append(mapped)
            continue
        cat = unicodedata.category(ch)
        if cat == "Mn" or cat == "Cf":
            continue
        if cat == "Pd":
            out.append("-")
        elif ch.isspace() or cat[0] == "Z":
            out.append(" ")
        else:
            out.append(ch)
    text = unicodedata.normalize("NFC", "".join(out))
    text = _INNER_APOSTROPHE_RE.sub("", text)  # "don't" == "dont", "l'atelier" == "latelier"
    return " ".join(text.split())


def _tokens(folded: str) -> list[str]:
    return _TOKEN_RE.findall(folded)


# --------------------------------------------------------------------------- format labels

# Format labels that providers and aggregators put before or after the real title.
# Folded form (no accents).  Deliberately absent: "summer school" (part of the name
# of a training), modality words ("online", "in person") on their own, which tell
# two offers of one course apart.
_FORMAT_PHRASES: tuple[str, ...] = (
    # en
    "mooc", "moocs", "webinar", "webinars", "webinar series", "web seminar",
    "online webinar", "live webinar", "free webinar", "workshop", "online workshop",
    "course", "online course", "free course", "free online course", "short course",
    "e-course", "ecourse", "e-learning", "elearning", "e-learning course", "training",
    "online training", "seminar", "online seminar", "masterclass", "master class",
    "tutorial", "lecture", "online lecture", "recording", "on demand", "on-demand",
    "self-paced course", "live",
    # de
    "kurs", "onlinekurs", "online-kurs", "online kurs", "online-seminar", "schulung",
    "online-schulung", "weiterbildung", "fortbildung", "vortrag",
    # es
    "curso", "curso online", "curso en linea", "curso gratuito", "taller",
    "taller online", "seminario", "seminario web", "seminario online", "webinario",
    "formacion", "formacion online", "capacitacion",
    # it
    "corso", "corso online", "corso gratuito", "formazione", "formazione online",
    # fr
    "cours", "cours en ligne", "formation", "formation en ligne", "atelier",
    "atelier en ligne", "seminaire", "seminaire en ligne", "webinaire",
    # nl
    "cursus", "online cursus", "opleiding", "online opleiding", "seminarie",
    # pt
    "oficina", "oficina online", "minicurso", "formacao", "capacitacao",
)
_FMT = "|".join(
    re.escape(p).replace(r"\ ", r"\s+")
    for p in sorted(set(_FORMAT_PHRASES), key=len, reverse=True)
)
_FORMAT_PREFIX_RE = re.compile(
    rf"^(?:[\[(]\s*(?:{_FMT})\s*[\])]\s*(?:[:|]\s*|-+\s+)?"
    rf"|(?:{_FMT})\s*(?::|\|)\s*|(?:{_FMT})\s+-+\s+)(?=\S)"
)
_FORMAT_SUFFIX_RE = re.compile(
    rf"(?<=\S)\s*(?:[\[(]\s*(?:{_FMT})\s*[\])]|(?::|\|)\s*(?:{_FMT})|\s-+\s+(?:{_FMT}))\s*$"
)
# Separators between a title and a site or provider name: "X | Site", "Site: X".
_SITE_SEP_RE = re.compile(r"\s*(?:\|+|::|[·•»:])\s*|\s+[-~]+\s+")


def _prepare_drop(drop: Iterable[str]) -> list[tuple[str, ...]]:
    phrases = {tuple(_tokens(_fold(d))) for d in drop if d}
    return sorted((p for p in phrases if p), key=lambda p: (-len(p), p))


def _strip_labels(folded: str, drop_phrases: list[tuple[str, ...]]) -> str:
    drop_set = {" ".join(p) for p in drop_phrases}
    for _ in range(8):  # labels can stack: "Online course: Webinar: X | Site"
        before = folded
        if drop_set:
            for m in _SITE_SEP_RE.finditer(folded):
                head, tail = folded[: m.start()], folded[m.end() :]
                if head.strip() and " ".join(_tokens(tail)) in drop_set:
                    folded = head
                    break
                if tail.strip() and " ".join(_tokens(head)) in drop_set:
                    folded = tail
                    break
        folded = _FORMAT_PREFIX_RE.sub("", folded, count=1)
        folded = _FORMAT_SUFFIX_RE.sub("", folded, count=1)
        if folded == before:
            break
    return folded


def _remove_phrases(tokens: list[str], phrases: list[tuple[str, ...]]) -> list[str]:
    for phrase in phrases:
        n = len(phrase)
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if tuple(tokens[i : i + n]) == phrase:
                i += n
            else:
                out.append(tokens[i])
                i += 1
        tokens = out
    return tokens


def _title_tokens(title: str, drop: Iterable[str] = ()) -> list[str]:
    folded = _fold(title)
    phrases = _prepare_drop(drop)
    tokens = _remove_phrases(_tokens(_strip_labels(folded, phrases)), phrases)
    # A title that is nothing but a label or the provider's name keeps its words:
    # an empty key would match nothing, or everything.
    return tokens or _tokens(folded)


def normalise_title(title: str, *, drop: Iterable[str] = ()) -> str:
    """The matching form of a title: lower-case ASCII-ish words separated by one space.

    Applies NFKC (folds ligatures such as "ﬁ", full-width forms, NBSP), casefold,
    removes combining marks ("é" → "e", NFC and NFD spell the same), maps every dash
    to "-" and every Unicode space to one space (B24); removes format labels at the
    start or end ("MOOC:", "Webinar |", "Workshop -", "Online course:", "(Webinar)",
    and their DE/ES/IT/FR/NL/PT forms); when ``drop`` names a provider or site,
    removes a "Title | Site" / "Title - Site" / "Site: Title" part that equals it,
    then the phrase anywhere in the title; finally turns punctuation into spaces,
    except "+"/"#" attached to a word ("c++" ≠ "c#") and "." between digits ("3.11").
    A title made only of labels or dropped words keeps its words.  For matching
    only: display and export keep the original title.
    """
    return " ".join(_title_tokens(title, drop))


# --------------------------------------------------------------------------- distinguishing

# Words after which a number, a number word or a roman numeral numbers a part of a
# series or an edition: "Part 2", "Teil 2", "parte II", "Module three", "Edition 5".
_SERIES_WORDS: frozenset[str] = frozenset(
    """
    part parts pt teil parte partie deel volume vol band bd tome tomo module modul
    modulo unit unidad unita unite session sesion sessione seance sitzung sessao
    episode episodio folge aflevering lesson lektion leccion lezione lecon licao
    level niveau nivel livello stufe chapter kapitel capitulo capitolo chapitre
    hoofdstuk edition editions auflage ausgabe edicion edizione editie edicao cohort
    kohorte round runde season staffel temporada stagione saison seizoen jahrgang
    week woche semana settimana semaine day tag dia giorno jour dag
    """.split()
)
_CARDINAL_WORDS: dict[str, int] = {}
for _value, _words in enumerate(
    (
        "one eins uno una un une een um uma",
        "two zwei dos due deux twee dois duas",
        "three drei tres tre trois drie",
        "four vier cuatro quattro quatre quatro",
        "five funf cinco cinque cinq vijf",
        "six sechs seis sei zes",
        "seven sieben siete sette sept zeven sete",
        "eight acht ocho otto huit oito",
        "nine neun nueve nove neuf negen",
        "ten zehn diez dieci dix tien dez",
    ),
    start=1,
):
    for _w in _words.split():
        _CARDINAL_WORDS[_w] = _value
_ORDINAL_WORDS: dict[str, int] = {}
for _value, _words in enumerate(
    (
        "first erste primero primera primer primo prima premier premiere eerste "
        "primeiro primeira",
        "second zweite segundo segunda secondo seconda deuxieme seconde tweede",
        "third dritte tercero tercera tercer terzo terza troisieme derde terceiro "
        "terceira",
        "fourth vierte cuarto cuarta quarto quarta quatrieme vierde",
        "fifth funfte quinto quinta cinquieme vijfde",
        "sixth sechste sexto sexta sesto sesta sixieme zesde",
        "seventh siebte septimo septima settimo settima septieme zevende setimo setima",
        "eighth achte octavo octava ottavo ottava huitieme achtste oitavo oitava",
        "ninth neunte noveno novena nono nona neuvieme negende",
        "tenth zehnte decimo decima dixieme tiende",
    ),
    start=1,
):
    for _w in _words.split():
        _ORDINAL_WORDS[_w] = _value
        if _w.endswith("te"):  # German endings: zweite, zweiter, zweiten, zweites
            for _end in "rns":
                _ORDINAL_WORDS.setdefault(_w + _end, _value)

# Level words (folded) in EN/ES/IT/DE/FR/NL/PT, mapped to one of three levels.
_LEVEL_WORDS: dict[str, str] = {}
for _level, _words in (
    (
        "beginner",
        "beginner beginners novice novices principiante principiantes principianti "
        "anfanger anfangerin anfangerinnen einsteiger einsteigerin einsteigerinnen "
        "debutant debutante debutants debutantes beginnende beginnelingen iniciante "
        "iniciantes",
    ),
    (
        "intermediate",
        "intermediate intermedio intermedia intermedios intermedias intermedi "
        "intermedie intermediaire intermediaires intermediario intermediaria "
        "intermediarios intermediarias mittelstufe halfgevorderd halfgevorderde "
        "halfgevorderden",
    ),
    (
        "advanced",
        "advanced avanzado avanzada avanzados avanzadas avanzato avanzata avanzati "
        "avanzate fortgeschritten fortgeschrittene fortgeschrittenen avance avancee "
        "avances avancees gevorderd gevorderde gevorderden avancado avancada avancados "
        "avancadas",
    ),
):
    for _w in _words.split():
        _LEVEL_WORDS[_w] = _level

_NUMBER_RE = re.compile(r"\d+(?:\.\d+)*")
# "2nd", "3rd", "4th", "2e", "2eme", "1er", "1re", "2te", "2de" (nl), and "2a"/"2o"
# (NFKC of "2ª"/"2º", es/it/pt) - the last two only before a series word ("2ª edición"),
# because "Modul 1a" is not "Modul 1".
_ORDINAL_RE = re.compile(r"(\d+)(st|nd|rd|th|e|er|re|eme|ieme|ere|te|ter|ten|tes|de|ste|a|o)")
_WEAK_ORDINAL_SUFFIXES = frozenset({"a", "o"})
_CEFR_RE = re.compile(r"[abc][12](?:\.\d+|\+)?")
_ROMAN_RE = re.compile(r"(x{0,3})(ix|iv|v?i{0,3})")  # 1..39, lower case (folded)
_UPPER_ROMAN_RE = re.compile(r"[IVX]+")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def _roman_value(token: str) -> int | None:
    if not token or not _ROMAN_RE.fullmatch(token):
        return None
    total = 0
    for i, ch in enumerate(token):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[token[i + 1]] if i + 1 < len(token) else 0
        total += -value if value < nxt else value
    return total


def _canonical_number(token: str) -> str:
    head, dot, rest = token.partition(".")
    return str(int(head)) + dot + rest  # "01" == "1"; "3.10" stays "3.10"


def distinguishing_tokens(title: str, *, drop: Iterable[str] = ()) -> frozenset[str]:
    """The tokens that tell apart trainings whose titles are otherwise alike (B23).

    Returned forms: numbers and years as decimal strings without leading zeros
    ("2024", "1", "3.11"); ordinals as their number ("2nd", "2e", "2ª edición" → "2");
    after a series word (part, Teil, parte, volume, module, edition, season, ...) also
    number words and roman numerals ("Part Two", "parte II" → "2"); roman numerals
    elsewhere only when written in capitals (multi-letter "II", "IV"; a single "I",
    "V", "X" only as the last word or before a series word, so the pronoun "I" is not
    a numeral); ordinal words next to a series word ("second edition", "zweite
    Auflage" → "2"); CEFR levels as "cefr:a1" .. "cefr:c2" ("b1+", "a1.1" kept);
    level words in EN/ES/IT/DE/FR/NL/PT as "level:beginner" / "level:intermediate" /
    "level:advanced"; tokens with "+"/"#" ("c++", "c#"); other tokens with a digit as
    written ("python3", "h2020").  ``drop`` is applied as in :func:`normalise_title`, so
    a number inside a provider's name does not count.

    Two titles whose sets differ must never auto-merge.
    """
    tokens = _title_tokens(title, drop)
    upper_romans = {
        t.casefold() for t in _tokens(_fold(title, casefold=False)) if _UPPER_ROMAN_RE.fullmatch(t)
    }
    out: set[str] = set()
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        after_series = i > 0 and tokens[i - 1] in _SERIES_WORDS
        before_series = i < last and tokens[i + 1] in _SERIES_WORDS
        if _NUMBER_RE.fullmatch(tok):
            out.add(_canonical_number(tok))
            continue
        m = _ORDINAL_RE.fullmatch(tok)
        if m and (m.group(2) not in _WEAK_ORDINAL_SUFFIXES or before_series):
            out.add(str(int(m.group(1))))
            continue
        if _CEFR_RE.fullmatch(tok):
            out.add("cefr:" + tok)
            continue
        level = _LEVEL_WORDS.get(tok)
        if level is not None:
            out.add("level:" + level)
            continue
        roman = _roman_value(tok)
        if roman is not None and (
            after_series
            or (tok in upper_romans and (len(tok) > 1 or i == last or before_series))
        ):
            out.add(str(roman))
            continue
        if after_series and tok in _CARDINAL_WORDS:
            out.add(str(_CARDINAL_WORDS[tok]))
            continue
        if (after_series or before_series) and tok in _ORDINAL_WORDS:
            out.add(str(_ORDINAL_WORDS[tok]))
            continue
        if "+" in tok or "#" in tok or any(c.isdigit() for c in tok):
            out.add(tok)
    return frozenset(out)


# --------------------------------------------------------------------------- similarity


def _sorted_form(normalised: str) -> str:
    return " ".join(sorted(normalised.split()))


def _score(a: str, a_sorted: str, b: str, b_sorted: str) -> float:
    if not a or not b:
        return 0.0
    # ratio(sorted a, sorted b) is exactly token_sort_ratio on normalised strings.
    return max(fuzz.ratio(a, b), fuzz.ratio(a_sorted, b_sorted))


def title_similarity(a: str, b: str) -> float:
    """Similarity of two titles, 0..100, symmetric; 0 when either has no words.

    ``max(ratio, token_sort_ratio)`` of the normalised titles: ``ratio`` (normalised
    Indel distance) absorbs small typos, ``token_sort_ratio`` absorbs reordered words
    ("Urban Data, Introduction to" / "Introduction to Urban Data").  Accents are folded
    before sorting, so an accented first word no longer sorts after all others
    (B24, RapidFuzz#337).  Not used on purpose: ``token_set_ratio`` and
    ``partial_ratio`` (and ``WRatio``, which uses them) score 100 when one title is
    contained in the other, so "Data Science" would merge with "Data Science for
    Public Servants".
    """
    na, nb = normalise_title(a), normalise_title(b)
    return _score(na, _sorted_form(na), nb, _sorted_form(nb))


# --------------------------------------------------------------------------- index


@dataclass(frozen=True)
class Entry:
    """What the matcher needs to know of a stored entry.

    ``domain`` may be a host, a URL or a registered domain; it is reduced to the
    registered domain.  ``provider`` is compared after folding (case, accents, dashes).
    """

    id: int
    title: str
    provider: str | None
    domain: str | None
    start_date: date | None


@dataclass(frozen=True)
class Match:
    """The best existing entry for a title.

    ``rule`` says why, in one of these forms (numbers are the thresholds in force)::

        "title≥90 same-provider"                auto-merge
        "title≥90 same-domain"                  auto-merge
        "title≥97 cross-site same-start-date"   auto-merge
        "review: title≥80 same-provider"        possible duplicate, for a reviewer
        "review: title≥80 cross-site"           (also same-domain)
        "review: title≥80 same-provider one-sided-tokens"

    "one-sided-tokens": one title has a year, part, level... that the other lacks
    ("Statistics" / "Statistics II"): never merged automatically.
    """

    id: int
    score: float
    rule: str

    @property
    def is_review(self) -> bool:
        """True for a possible duplicate that a reviewer must confirm."""
        return self.rule.startswith("review:")


@dataclass(frozen=True, slots=True)
class _Item:
    id: int
    norm: str
    sorted_norm: str
    tokens: frozenset[str]
    dist: frozenset[str]
    provider_key: str | None
    domain_key: str | None
    start_date: date | None


@dataclass
class _Block:
    """The entries of one provider or domain, as parallel lists for rapidfuzz.

    Lists, not dicts: ``process.extract`` runs about twice as fast over a list.
    Removal swaps the last element into the hole, so list order depends on history;
    results never do, because matches are ranked by a total order.
    """

    ids: list[int] = field(default_factory=list)
    norms: list[str] = field(default_factory=list)
    sorted_norms: list[str] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)

    def add(self, item: _Item) -> None:
        self.position[item.id] = len(self.ids)
        self.ids.append(item.id)
        self.norms.append(item.norm)
        self.sorted_norms.append(item.sorted_norm)

    def remove(self, id: int) -> None:
        at = self.position.pop(id)
        for values in (self.ids, self.norms, self.sorted_norms):
            values[at] = values[-1]
            values.pop()
        if at < len(self.ids):
            self.position[self.ids[at]] = at


@lru_cache(maxsize=4096)
def _provider_key(provider: str | None) -> str | None:
    if not provider:
        return None
    return " ".join(_tokens(_fold(provider))) or None


@lru_cache(maxsize=4096)
def _domain_key(domain: str | None) -> str | None:
    if not domain or not domain.strip():
        return None
    try:
        return registered_domain(domain)
    except ValueError:
        return domain.strip().lower()


def _make_item(
    id: int, title: str, provider: str | None, domain: str | None, start_date: date | None
) -> _Item:
    norm, sorted_norm, tokens, dist = _prepared_title(title, provider)
    return _Item(
        id=id,
        norm=norm,
        sorted_norm=sorted_norm,
        tokens=tokens,
        dist=dist,
        provider_key=_provider_key(provider),
        domain_key=_domain_key(domain),
        start_date=start_date,
    )


@lru_cache(maxsize=4096)
def _prepared_title(title: str, provider: str | None
                    ) -> tuple[str, str, frozenset[str], frozenset[str]]:
    """Normalised title, its sorted form, tokens and distinguishing tokens.

    Cached because a store looks a title up and then, when it is new, indexes the
    same title: normalising is most of the cost of both.
    """
    drop = (provider,) if provider else ()
    tokens = _title_tokens(title, drop)
    norm = " ".join(tokens)
    return norm, _sorted_form(norm), frozenset(tokens), distinguishing_tokens(title, drop=drop)


class TitleIndex:
    """Existing entries, indexed so a new title is compared only with plausible ones.

    Candidates (blocking).  An indexed entry is compared with a query when any holds:

    1. both have a provider and the folded providers are equal;
    2. both have a domain and the registered domains are equal;
    3. their normalised titles share a token held by at most ``rare_max_df`` indexed
       entries (a rare token; an inverted index keeps the counts);
    4. both have the same start date and their titles share any token (cross-site
       merges need equal dates, so they are found however common the words are).

    Cost of one query: rapidfuzz's C loop over the provider and domain blocks, plus
    at most ``len(tokens) * rare_max_df`` rare-token candidates, plus the entries of
    the same start date that share a token: near-linear in the index size as long as
    no single provider, domain or date holds a large share of all entries.

    Guards, applied to every candidate: when both have start dates they must be equal
    (another date is another edition); the distinguishing tokens must be equal, or
    one set a strict subset of the other, which only ever gives a review match (B23).
    Each entry's own provider name is dropped from its title (:func:`normalise_title`).

    Decision, for a candidate that passes the guards, with ``s`` its
    :func:`title_similarity`-style score (``Match.rule`` lists the rule strings):

    * same provider or same domain: merge when ``s >= threshold``;
    * otherwise (cross-site): merge when ``s >= max(threshold, cross_site_threshold)``
      and both start dates are known (and so equal);
    * never merge when the distinguishing tokens are one-sided;
    * any other candidate with ``s >= review_threshold`` is a review match.

    The best match is a merge before a review, then the highest score, then the
    lowest id.  The result depends only on the set of entries in the index, never on
    the order in which they were added, and the relation is symmetric: ``a`` matches
    ``b`` with the same rule whenever ``b`` matches ``a`` with the same metadata.
    """

    def __init__(self, *, rare_max_df: int = DEFAULT_RARE_MAX_DF) -> None:
        if rare_max_df < 1:
            raise ValueError("rare_max_df must be at least 1")
        self.rare_max_df = rare_max_df
        self._items: dict[int, _Item] = {}
        self._by_provider: dict[str, _Block] = {}
        self._by_domain: dict[str, _Block] = {}
        self._by_token: dict[str, set[int]] = {}
        self._by_date_token: dict[tuple[date, str], set[int]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, id: object) -> bool:
        return id in self._items

    def _block_maps(self, item: _Item) -> tuple[tuple[str | None, dict[str, _Block]], ...]:
        return ((item.provider_key, self._by_provider), (item.domain_key, self._by_domain))

    def add(self, entry: Entry) -> None:
        """Index ``entry``; an entry already indexed under the same id is replaced."""
        if entry.id in self._items:
            self.remove(entry.id)
        item = _make_item(entry.id, entry.title, entry.provider, entry.domain, entry.start_date)
        self._items[item.id] = item
        for key, blocks in self._block_maps(item):
            if key is not None:
                blocks.setdefault(key, _Block()).add(item)
        for tok in item.tokens:
            self._by_token.setdefault(tok, set()).add(item.id)
            if item.start_date is not None:
                self._by_date_token.setdefault((item.start_date, tok), set()).add(item.id)

    def remove(self, id: int) -> None:
        """Remove the entry with this id; :class:`KeyError` when there is none."""
        item = self._items.pop(id)
        for key, blocks in self._block_maps(item):
            if key is not None:
                block = blocks[key]
                block.remove(id)
                if not block.ids:
                    del blocks[key]
        for tok in item.tokens:
            _discard(self._by_token, tok, id)
            if item.start_date is not None:
                _discard(self._by_date_token, (item.start_date, tok), id)

    def best_match(
        self,
        title: str,
        *,
        provider: str | None = None,
        domain: str | None = None,
        start_date: date | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
        cross_site_threshold: float = DEFAULT_CROSS_SITE_THRESHOLD,
        exclude_id: int | None = None,
    ) -> Match | None:
        """The best indexed entry for this title and metadata, or None.

        See the class docstring for candidates, guards and the decision.  A
        ``Match`` whose ``rule`` starts with ``"review:"`` is a possible duplicate,
        to offer to reviewers rather than merge; set ``review_threshold`` to
        ``threshold`` or above to get merges only.  ``exclude_id`` skips one entry
        (to match an entry that is itself indexed).
        """
        found = self.matches(
            title, provider=provider, domain=domain, start_date=start_date,
            threshold=threshold, review_threshold=review_threshold,
            cross_site_threshold=cross_site_threshold, exclude_id=exclude_id,
        )
        return found[0] if found else None

    def matches(
        self,
        title: str,
        *,
        provider: str | None = None,
        domain: str | None = None,
        start_date: date | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
        cross_site_threshold: float = DEFAULT_CROSS_SITE_THRESHOLD,
        exclude_id: int | None = None,
    ) -> list[Match]:
        """Every indexed entry that matches (merge or review), best first.

        Same arguments and order as :meth:`best_match`, whose result is the first
        item: merges before reviews, then higher score, then lower id.  Useful to
        show a reviewer all possible duplicates of an entry.
        """
        q = _make_item(-1, title, provider, domain, start_date)
        if not q.norm:
            return []
        cutoff = min(review_threshold, threshold)
        scores: dict[int, float] = {}
        for key, blocks in self._block_maps(q):
            block = blocks.get(key) if key is not None else None
            if block is None:
                continue
            # Provider and domain blocks can be large: let rapidfuzz loop in C and
            # return only the choices at or above the cutoff.
            for query, choices in ((q.norm, block.norms), (q.sorted_norm, block.sorted_norms)):
                for _, score, at in process.extract(
                    query, choices, scorer=fuzz.ratio, processor=None,
                    score_cutoff=cutoff, limit=None,
                ):
                    id = block.ids[at]
                    if score > scores.get(id, -1.0):
                        scores[id] = score
        others: set[int] = set()
        for tok in q.tokens:
            ids = self._by_token.get(tok)
            if ids is not None and len(ids) <= self.rare_max_df:
                others |= ids
            if q.start_date is not None:
                others |= self._by_date_token.get((q.start_date, tok), set())
        for id in others:
            item = self._items[id]
            if (q.provider_key is not None and item.provider_key == q.provider_key) or (
                q.domain_key is not None and item.domain_key == q.domain_key
            ):
                continue  # already scored with its block above
            score = _score(q.norm, q.sorted_norm, item.norm, item.sorted_norm)
            if score >= cutoff:
                scores[id] = score

        ranked: list[tuple[int, float, int, str]] = []
        for id, score in scores.items():
            if id == exclude_id:
                continue
            rule = _decide(
                q, self._items[id], score, threshold, review_threshold, cross_site_threshold
            )
            if rule is not None:
                ranked.append((1 if rule.startswith("review:") else 0, -score, id, rule))
        ranked.sort()
        return [Match(id=id, score=-neg, rule=rule) for _, neg, id, rule in ranked]


def _discard(index: dict, key: object, id: int) -> None:
    ids = index.get(key)
    if ids is not None:
        ids.discard(id)
        if not ids:
            del index[key]


def _decide(
    q: _Item,
    e: _Item,
    score: float,
    threshold: float,
    review_threshold: float,
    cross_site_threshold: float,
) -> str | None:
    """The rule string for candidate ``e`` of query ``q``, or None (no match)."""
    if q.start_date is not None and e.start_date is not None and q.start_date != e.start_date:
        return None  # another date is another edition (DESIGN.md, Deduplication)
    one_sided = False
    if q.dist != e.dist:
        if q.dist < e.dist or e.dist < q.dist:
            one_sided = True  # "Statistics" / "Statistics II": maybe, a reviewer decides
        else:
            return None  # 2023/2024, Part 1/2, A1/A2, II/III, C++/C#: never (B23)
    if q.provider_key is not None and q.provider_key == e.provider_key:
        basis, merge_at, can_merge = "same-provider", threshold, True
    elif q.domain_key is not None and q.domain_key == e.domain_key:
        basis, merge_at, can_merge = "same-domain", threshold, True
    else:
        # A network republishing a training: near-identical title and a known, equal
        # start date; without dates two sites' "Introduction to GIS" are not one entry.
        basis = "cross-site"
        merge_at = max(threshold, cross_site_threshold)
        can_merge = q.start_date is not None and q.start_date == e.start_date
    if can_merge and not one_sided and score >= merge_at:
        suffix = " same-start-date" if basis == "cross-site" else ""
        return f"title≥{merge_at:g} {basis}{suffix}"
    if score >= review_threshold:
        suffix = " one-sided-tokens" if one_sided else ""
        return f"review: title≥{review_threshold:g} {basis}{suffix}"
    return None
