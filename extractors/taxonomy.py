"""Cue words that extractors and the relevance score look for.

The data comes from ``config/taxonomy.yaml``; this module only defines its shape
so that extractors stay free of file and configuration handling.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Tag name to cue words (lower-case, any of the supported languages).

    ``formats``: record format (``course``, ``webinar``, ...) to words that name it.
    ``modality``: ``online`` / ``in_presence`` / ``hybrid`` to words that signal it.
    ``provider_categories``: category to name cues (``university``, ``universidad``...).
    ``topics`` and ``verticals``: theme tags to cue words.
    ``audience``: audience tag to cue words.
    ``theme``: words that make a page on the theme of the study.
    ``multilateral``: names and domains of known multilateral organisations.
    """

    formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    modality: dict[str, tuple[str, ...]] = field(default_factory=dict)
    provider_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    verticals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    audience: dict[str, tuple[str, ...]] = field(default_factory=dict)
    theme: tuple[str, ...] = ()
    multilateral: tuple[str, ...] = ()


def load_taxonomy_dict(data: dict) -> Taxonomy:
    """Build a :class:`Taxonomy` from the parsed ``config/taxonomy.yaml`` mapping.

    Validation with file and line messages happens where the file is read; this
    only converts shapes: tag mappings become ``dict[str, tuple[str, ...]]`` and
    cue words are lower-cased and stripped.  Missing sections are empty.
    """

    def cues(values: object) -> tuple[str, ...]:
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, (list, tuple)):
            return ()
        return tuple(str(v).strip().lower() for v in values if v is not None and str(v).strip())

    def tags(section: object) -> dict[str, tuple[str, ...]]:
        if not isinstance(section, dict):
            return {}
        return {str(tag): cues(words) for tag, words in section.items()}

    data = data or {}
    return Taxonomy(
        formats=tags(data.get("formats")),
        modality=tags(data.get("modality")),
        provider_categories=tags(data.get("provider_categories")),
        topics=tags(data.get("topics")),
        verticals=tags(data.get("verticals")),
        audience=tags(data.get("audience")),
        theme=cues(data.get("theme")),
        multilateral=cues(data.get("multilateral")),
    )
