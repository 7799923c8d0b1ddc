"""The training's fields as reviewers see and edit them, and how typed input is read."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from pipeline.errors import OfferMapError

FORMATS = ("course", "training", "seminar", "webinar", "workshop", "summer_school", "mooc",
           "conference", "other")
MODALITIES = ("online", "in_presence", "hybrid", "unknown")
PROVIDER_CATEGORIES = ("university", "network_ngo", "multilateral", "company", "public_body",
                       "other")
EDITION_STATUSES = ("upcoming", "ongoing", "past", "postponed", "cancelled", "on_demand")

TEXT = ("title", "description", "provider", "duration_text", "audience", "fee_text",
        "eu_project", "inclusivity_evidence", "url", "language", "fee_currency")
CHOICES: dict[str, tuple[str, ...]] = {
    "format": FORMATS,
    "modality": MODALITIES,
    "provider_category": PROVIDER_CATEGORIES,
    "edition_status": EDITION_STATUSES,
}
LISTS = ("topics", "verticals", "trainers", "audience_tags")
NUMBERS = ("duration_hours", "fee_amount")
DATES = ("start_date", "end_date")
BOOLEANS = ("is_free", "inclusivity")

#: Every field shown on a training's page, in the order of DESIGN.md's record.
RECORD_FIELDS: tuple[str, ...] = (
    "title", "description", "provider", "provider_category", "format", "modality", "topics",
    "verticals", "duration_text", "duration_hours", "start_date", "end_date", "trainers",
    "audience", "audience_tags", "fee_text", "fee_amount", "fee_currency", "is_free",
    "eu_project", "inclusivity", "inclusivity_evidence", "language", "url", "edition_status",
)
EDITABLE = frozenset(RECORD_FIELDS)


class InvalidInput(OfferMapError):
    """A value a reviewer typed that does not fit the field."""

    exit_code = 2


def clean_input(raw: str) -> str:
    """Typed text without NUL (PostgreSQL refuses it) and valid UTF-8 (no lone
    surrogates, which no database can store)."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("the text is not valid Unicode") from None
    return raw.replace("\x00", "")


def parse_value(field: str, raw: str) -> Any:
    """The typed value of ``raw`` for ``field``; an empty string clears the field."""
    if field not in EDITABLE:
        raise InvalidInput(f"{field!r} is not an editable field")
    text = clean_input(raw).strip()
    if field == "title" and not text:
        raise InvalidInput("the title cannot be empty")
    if field in LISTS:
        return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]
    if not text:
        return None
    return _typed(field, text)


def _typed(field: str, text: str) -> Any:
    if field in CHOICES:
        if text not in CHOICES[field]:
            raise InvalidInput(f"{field} must be one of {', '.join(CHOICES[field])}")
        return text
    if field in NUMBERS:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise InvalidInput(f"{field} must be a number") from None
        if not math.isfinite(number) or number < 0:
            raise InvalidInput(f"{field} must be a positive number")
        return number
    if field in DATES:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{field} must be a date such as 2026-09-01") from None
    if field in BOOLEANS:
        if text.lower() not in ("yes", "no", "true", "false"):
            raise InvalidInput(f"{field} must be yes or no")
        return text.lower() in ("yes", "true")
    if field == "fee_currency" and len(text) != 3:
        raise InvalidInput("fee_currency must be a 3-letter code such as EUR")
    if field == "language" and len(text) > 8:
        raise InvalidInput("language must be an ISO 639-1 code such as en")
    return text


def display(value: Any) -> str:
    """A field value as one line of text for a form or a table."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it (dates as ISO text), for FieldChange and undo."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_json(field: str, value: Any) -> Any:
    """The inverse of :func:`jsonable` for ``field``."""
    if field in DATES and isinstance(value, str):
        return date.fromisoformat(value)
    return value
