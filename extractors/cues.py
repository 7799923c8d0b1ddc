"""Match the taxonomy's cue words in text, as whole words or phrases.

The taxonomy is data (``config/taxonomy.yaml``); each tag's cues are compiled into
one case-insensitive regular expression the first time a taxonomy is seen, so a page
costs one scan per tag rather than one per cue word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.taxonomy import Taxonomy

__all__ = [
    "AMBIGUOUS_FORMAT_CUES",
    "CueIndex",
    "compile_cues",
    "count_cue",
    "cue_index",
    "finditer_near",
    "search_near",
    "squeeze",
]

_CACHE: dict[int, tuple[Taxonomy, CueIndex]] = {}

#: Format cues too ambiguous to count in running text ("the programme of the day",
#: "world-class", "a module of the software"); they still count in titles.  Dutch
#: "opleiding" mostly names a degree programme ("de opleiding Theologie") on the
#: university pages that also announce open days and lectures.
AMBIGUOUS_FORMAT_CUES = frozenset(
    "program programme module class formation laboratorio oficina fair festival kurs "
    "opleiding".split()
)
_CACHE_SIZE = 16


def compile_cues(cues: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """One pattern matching any cue as a whole word or phrase; ``None`` when empty.

    Spaces inside a cue match any run of spaces or hyphens, and a hyphen also
    matches nothing, so "co-creation" finds "co creation" and "cocreation" too.
    """
    parts = []
    for cue in sorted({c for c in cues if c}, key=len, reverse=True):
        escaped = re.escape(cue)
        escaped = re.sub(r"\\-", r"[\\s\\-]*", escaped)
        escaped = re.sub(r"(?:\\ )+", r"[\\s\\-]+", escaped)
        parts.append(escaped)
    if not parts:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)", re.I)


def search_near(pattern: re.Pattern[str], text: str, lowered: str, literals: tuple[str, ...],
                *, width: int = 120, limit: int = 40, earliest: bool = True
                ) -> re.Match[str] | None:
    """The earliest match of ``pattern`` that lies around one of its ``literals``.

    Python's regular expressions have no literal-prefix skip for a large alternation,
    so scanning a whole page costs a pattern attempt at every character.  Every match
    of the patterns used here contains one of its literals and is shorter than
    ``width``, so searching only the windows around the literals' occurrences finds
    the same matches at a fraction of the cost.  ``lowered`` is ``text.lower()``
    (same length for the scripts we read; checked, else the whole text is searched).
    With ``earliest=False`` any match will do, and the first one found is returned.
    """
    if len(lowered) != len(text):
        return pattern.search(text)
    best: re.Match[str] | None = None
    for literal in literals:
        position = lowered.find(literal)
        seen = 0
        while position >= 0 and seen < limit:
            if best is not None and position - width > best.start():
                break
            match = pattern.search(text, max(0, position - width), position + width)
            if match is not None and not earliest:
                return match
            if match is not None and (best is None or match.start() < best.start()):
                best = match
            position = lowered.find(literal, position + max(1, width))
            seen += 1
    return best


def finditer_near(pattern: re.Pattern[str], text: str, literals: tuple[str, ...], *,
                  width: int = 80, limit: int = 200) -> list[re.Match[str]]:
    """Every match of ``pattern`` in the windows around its ``literals``, in order.

    The counting twin of :func:`search_near`: the same matches as
    ``pattern.finditer(text)`` when every match contains a literal and is shorter
    than ``width``, at the cost of substring searches plus a few short scans.
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        return list(pattern.finditer(text))
    spans: list[tuple[int, int]] = []
    for literal in literals:
        position = lowered.find(literal)
        seen = 0
        while position >= 0 and seen < limit:
            spans.append((max(0, position - width), position + len(literal) + width))
            position = lowered.find(literal, position + len(literal))
            seen += 1
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    found: dict[tuple[int, int], re.Match[str]] = {}
    for start, end in merged:
        for match in pattern.finditer(text, start, min(end, len(text))):
            found.setdefault(match.span(), match)
    return [found[key] for key in sorted(found)]


_SQUEEZE = re.compile(r"[\s\-‐–]+")


def squeeze(text: str) -> str:
    """Lower-case ``text`` and turn runs of spaces and hyphens into one space.

    Cue counting works on this form with plain substring search, which is an order
    of magnitude faster than running one regular expression per tag over long text.
    """
    return _SQUEEZE.sub(" ", text.lower())


def count_cue(squeezed: str, cue: str, limit: int = 50) -> int:
    """Whole-word occurrences of a squeezed ``cue`` in ``squeezed`` text."""
    count = 0
    start = squeezed.find(cue)
    size = len(cue)
    while start >= 0 and count < limit:
        before = squeezed[start - 1] if start > 0 else " "
        end = start + size
        after = squeezed[end] if end < len(squeezed) else " "
        if not before.isalnum() and not after.isalnum():
            count += 1
        start = squeezed.find(cue, start + 1)
    return count


@dataclass(slots=True)
class CueIndex:
    """Compiled patterns for every tag of one taxonomy."""

    formats: dict[str, re.Pattern[str]]
    formats_body: dict[str, re.Pattern[str]]
    modality: dict[str, re.Pattern[str]]
    provider_categories: dict[str, re.Pattern[str]]
    topics: dict[str, re.Pattern[str]]
    verticals: dict[str, re.Pattern[str]]
    audience: dict[str, re.Pattern[str]]
    theme: re.Pattern[str] | None
    multilateral: re.Pattern[str] | None
    words: dict[str, dict[str, tuple[str, ...]]]

    def counts(self, section: str, squeezed: str) -> dict[str, int]:
        """Tag to number of cue occurrences in text already passed through :func:`squeeze`."""
        found = {}
        for tag, cues in self.words[section].items():
            total = sum(count_cue(squeezed, cue) for cue in cues if cue in squeezed)
            if total:
                found[tag] = total
        return found

    def tags_in(self, section: str, text: str) -> list[str]:
        """Tags of ``section`` with at least one cue in ``text``, in taxonomy order."""
        return list(self.counts(section, squeeze(text)))

    def first_cue(self, section: str, text: str) -> tuple[str, str, int] | None:
        """The earliest ``(tag, cue, position)`` of ``section`` in ``text``."""
        patterns: dict[str, re.Pattern[str]] = getattr(self, section)
        best: tuple[str, str, int] | None = None
        for tag, pattern in patterns.items():
            match = pattern.search(text)
            if match and (best is None or match.start() < best[2]):
                best = (tag, match.group(0), match.start())
        return best


def cue_index(taxonomy: Taxonomy) -> CueIndex:
    """The compiled cues of ``taxonomy``, built once per taxonomy object."""
    cached = _CACHE.get(id(taxonomy))
    if cached is not None and cached[0] is taxonomy:
        return cached[1]
    index = CueIndex(
        formats=_compile_tags(taxonomy.formats),
        formats_body=_compile_tags({
            tag: tuple(c for c in cues if c not in AMBIGUOUS_FORMAT_CUES)
            for tag, cues in taxonomy.formats.items()
        }),
        modality=_compile_tags(taxonomy.modality),
        provider_categories=_compile_tags(taxonomy.provider_categories),
        topics=_compile_tags(taxonomy.topics),
        verticals=_compile_tags(taxonomy.verticals),
        audience=_compile_tags(taxonomy.audience),
        theme=compile_cues(taxonomy.theme),
        multilateral=compile_cues(taxonomy.multilateral),
        words={
            "formats_body": _squeezed_tags({
                tag: tuple(c for c in cues if c not in AMBIGUOUS_FORMAT_CUES)
                for tag, cues in taxonomy.formats.items()
            }),
            "topics": _squeezed_tags(taxonomy.topics),
            "verticals": _squeezed_tags(taxonomy.verticals),
            "audience": _squeezed_tags(taxonomy.audience),
            "modality": _squeezed_tags(taxonomy.modality),
        },
    )
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(taxonomy)] = (taxonomy, index)
    return index


def _squeezed_tags(section: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {tag: tuple(dict.fromkeys(squeeze(c).strip() for c in cues if c.strip()))
            for tag, cues in section.items()}


def _compile_tags(section: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    compiled = {}
    for tag, cues in section.items():
        pattern = compile_cues(cues)
        if pattern is not None:
            compiled[tag] = pattern
    return compiled
