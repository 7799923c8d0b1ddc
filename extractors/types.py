"""The data that extractors return.

A page yields a :class:`PageExtraction`.  It holds zero or more :class:`Record`
objects, one per training the page describes (a course page describes one, a
listing with schema.org markup may describe twenty).  Every field of a record is a
:class:`Value`: the value itself plus the :class:`Evidence` it was read from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The descriptors of one training, in the order of the record in DESIGN.md.
RECORD_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "provider",
    "provider_category",
    "format",
    "modality",
    "topics",
    "verticals",
    "duration_text",
    "duration_hours",
    "start_date",
    "end_date",
    "trainers",
    "audience",
    "audience_tags",
    "fee_text",
    "fee_amount",
    "fee_currency",
    "is_free",
    "eu_project",
    "inclusivity",
    "inclusivity_evidence",
    "language",
    "url",
    "edition_status",
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a value came from.

    ``extractor`` names the method (``jsonld``, ``microdata``, ``opengraph``,
    ``html:title``, ``text:dates``, ...); ``source`` is the JSON-LD path
    (``$[0].startDate``) or the snippet of page text the value was read from;
    ``confidence`` is between 0 and 1.
    """

    extractor: str
    source: str
    confidence: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        return {"extractor": self.extractor, "source": self.source, "confidence": self.confidence}


@dataclass(frozen=True, slots=True)
class Value:
    """One extracted value and its evidence.

    ``value`` is a plain JSON-friendly Python value: ``str``, ``int``, ``float``,
    ``bool``, ``list[str]``, or ``datetime.date`` for dates.
    """

    value: Any
    evidence: Evidence


@dataclass(slots=True)
class Record:
    """The descriptors of one training found on a page.

    Only fields the extractor found are present; a missing field means "the page
    does not say", never an empty placeholder.
    """

    fields: dict[str, Value] = field(default_factory=dict)
    #: Other web addresses that name this same training (schema.org ``@id`` and
    #: ``sameAs``): exact keys for deduplication, not descriptors.
    identifiers: list[str] = field(default_factory=list)

    def get(self, name: str, default: Any = None) -> Any:
        """The bare value of ``name``, or ``default`` when it was not found."""
        found = self.fields.get(name)
        return default if found is None else found.value

    def set(self, name: str, value: Any, evidence: Evidence) -> None:
        """Store ``value`` unless it is empty; the first value set for a field wins."""
        if value is None or value == "" or value == []:
            return
        self.fields.setdefault(name, Value(value, evidence))

    def plain(self) -> dict[str, Any]:
        """Field name to bare value, for printing and storage."""
        return {name: found.value for name, found in self.fields.items()}


@dataclass(slots=True)
class PageExtraction:
    """Everything read off one page.

    ``records`` are the trainings the page may describe; whether each is really a
    training offer on the theme is decided later by the relevance score, which
    reads ``records``, ``structured_types`` and ``text``.
    """

    url: str
    encoding: str
    encoding_source: str  # "bom" | "header" | "meta" | "detected" | "default"
    title: str | None = None
    language: Value | None = None
    records: list[Record] = field(default_factory=list)
    structured_types: list[str] = field(default_factory=list)
    text: str = ""  # main visible text, whitespace-collapsed, capped in length
    is_listing: bool = False
    warnings: list[str] = field(default_factory=list)
