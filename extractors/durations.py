"""Durations as written and normalised: ISO 8601 ("P3W4D", "PT1H30M") and free text.

An ISO duration is read field by field, so weeks and days add up ("P3W4D" is 25
days; tolu/ISO8601-duration#20).  Months stay months: a calendar month is not 30
days, so "P1M" is kept as ``months=1`` rather than turned into an assumed length.
Free text such as "6 weeks, 3 hours/week" gives the weeks, the weekly effort and
their product (18 hours).  Hours are only reported where the text states hours:
"3 days" is three days, not an assumed 24 or 30 teaching hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Duration", "duration_from_text", "parse_iso_duration"]

_ISO = re.compile(
    r"^\s*P(?:(?P<y>\d+(?:[.,]\d+)?)Y)?(?:(?P<mo>\d+(?:[.,]\d+)?)M)?(?:(?P<w>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<d>\d+(?:[.,]\d+)?)D)?(?:T(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<mi>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?\s*$",
    re.I,
)
_HOUR_UNITS = r"hours?|hrs?|h|uur|stunden|std\.?|heures?|horas?|ore|ora"
_DAY_UNITS = r"days?|dagen|dag|tage?n?|jours?|días?|dias?|giorni|giorno"
_WEEK_UNITS = r"weeks?|weken|week|wochen|woche|semaines?|semanas?|settimane|settimana"
_MONTH_UNITS = r"months?|maanden|maand|monate?n?|mois|meses|mes|mesi|mese"
_PER_WEEK = (
    r"(?:/\s*|per\s+|a\s+|each\s+|pro\s+|par\s+|por\s+|al\s+|alla\s+|in\s+der\s+)"
    r"(?:week|woche|semaine|semana|settimana|wk)"
)
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_EFFORT = re.compile(
    rf"{_NUMBER}\s*(?:{_WEEK_UNITS})\b[^.\d]{{0,30}}?{_NUMBER}(?:\s*[-–]\s*\d+)?\s*"
    rf"(?:{_HOUR_UNITS})\.?\s*{_PER_WEEK}",
    re.I,
)
_EFFORT_FIRST = re.compile(
    rf"{_NUMBER}(?:\s*[-–]\s*\d+)?\s*(?:{_HOUR_UNITS})\.?\s*{_PER_WEEK}\b[^.\d]{{0,30}}?"
    rf"{_NUMBER}\s*(?:{_WEEK_UNITS})\b",
    re.I,
)
_SIMPLE = re.compile(
    rf"(?<![\w.]){_NUMBER}\s*(?:-\s*\d+\s*)?(?P<unit>{_HOUR_UNITS}|{_DAY_UNITS}|{_WEEK_UNITS}|"
    rf"{_MONTH_UNITS})(?!\w)",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Duration:
    """A normalised duration.  ``hours`` is total stated hours (effort or length)."""

    text: str
    months: float | None = None
    days: float | None = None
    hours: float | None = None
    hours_per_week: float | None = None
    weeks: float | None = None

    def as_dict(self) -> dict[str, float | str | None]:
        return {"text": self.text, "months": self.months, "weeks": self.weeks,
                "days": self.days, "hours": self.hours, "hours_per_week": self.hours_per_week}


def _num(token: str | None) -> float:
    return float(token.replace(",", ".")) if token else 0.0


def parse_iso_duration(value: object) -> Duration | None:
    """An ISO 8601 duration; weeks and days add up, months and years stay months."""
    if not isinstance(value, str):
        return None
    match = _ISO.match(value)
    if match is None or not any(match.group(g) for g in ("y", "mo", "w", "d", "h", "mi", "s")):
        return None
    months = _num(match["y"]) * 12 + _num(match["mo"])
    days = _num(match["w"]) * 7 + _num(match["d"])
    hours = _num(match["h"]) + _num(match["mi"]) / 60 + _num(match["s"]) / 3600
    return Duration(value.strip(), months or None, days or None, round(hours, 4) or None,
                    None, _num(match["w"]) or None)


def duration_from_text(text: str) -> Duration | None:
    """"6 weeks, 3 hours/week" -> 18 hours over 6 weeks; "2 hours" -> 2; "3 days" -> 3 days."""
    if not text:
        return None
    iso = parse_iso_duration(text)
    if iso is not None:
        return iso
    effort = _EFFORT.search(text)
    if effort is not None:
        weeks, per_week = _num(effort.group(1)), _num(effort.group(2))
        return Duration(text.strip(), None, weeks * 7, weeks * per_week, per_week, weeks)
    effort = _EFFORT_FIRST.search(text)
    if effort is not None:
        per_week, weeks = _num(effort.group(1)), _num(effort.group(2))
        return Duration(text.strip(), None, weeks * 7, weeks * per_week, per_week, weeks)
    simple = _SIMPLE.search(text)
    if simple is None:
        return None
    number, unit = _num(simple.group(1)), simple.group("unit").lower()
    if re.fullmatch(_HOUR_UNITS, unit, re.I):
        return Duration(text.strip(), hours=number)
    if re.fullmatch(_DAY_UNITS, unit, re.I):
        return Duration(text.strip(), days=number)
    if re.fullmatch(_WEEK_UNITS, unit, re.I):
        return Duration(text.strip(), days=number * 7, weeks=number)
    return Duration(text.strip(), months=number)
