"""Relative dates ("in 2 weeks", "next Friday", "tomorrow") anchored to the fetch date.

A relative expression means something only against the moment the text was read.
The anchor is always the page's ``fetched_at``, never the clock at parsing time, so
re-extracting an archived page months later gives the same dates
(scrapinghub/dateparser#694).  Without a fetch date nothing relative is resolved.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["RelativeDate", "relative_dates"]

_WEEKDAY_NAMES: dict[int, str] = {
    0: "monday maandag montag lundi lunes lunedì lunedi segunda-feira segunda",
    1: "tuesday dinsdag dienstag mardi martes martedì martedi terça-feira terça",
    2: "wednesday woensdag mittwoch mercredi miércoles miercoles mercoledì mercoledi "
       "quarta-feira quarta",
    3: "thursday donderdag donnerstag jeudi jueves giovedì giovedi quinta-feira quinta",
    4: "friday vrijdag freitag vendredi viernes venerdì venerdi sexta-feira sexta",
    5: "saturday zaterdag samstag samedi sábado sabado",
    6: "sunday zondag sonntag dimanche domingo domenica",
}
WEEKDAYS: dict[str, int] = {name: day for day, names in _WEEKDAY_NAMES.items()
                            for name in names.split()}
_WEEKDAY_RE = "|".join(sorted(map(re.escape, WEEKDAYS), key=len, reverse=True))
_UNITS: dict[str, str] = {}
for _unit, _words in {
    "day": "day days dag dagen tag tage tagen jour jours día días dia dias giorno giorni",
    "week": "week weeks weken woche wochen semaine semaines semana semanas settimana settimane",
    "month": "month months maand maanden monat monate monaten mois mes meses mese mesi",
}.items():
    for _word in _words.split():
        _UNITS[_word] = _unit
_UNIT_RE = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "a": 1, "an": 1, "een": 1, "twee": 2,
    "drie": 3, "einer": 1, "einem": 1, "zwei": 2, "drei": 3, "un": 1, "une": 1, "deux": 2,
    "trois": 3, "uno": 1, "una": 1, "dos": 2, "tres": 3, "due": 2, "tre": 3, "um": 1,
    "uma": 1, "dois": 2, "duas": 2, "três": 3,
}
_COUNT = rf"(?P<n>\d{{1,3}}|{'|'.join(sorted(_NUMBER_WORDS, key=len, reverse=True))})"
_IN = re.compile(
    # "within a month" and "entro" state a limit, not a date: they are left out.
    rf"\b(?:in|over|dans|en|tra|fra|em|daqui\s+a)\s+{_COUNT}\s+"
    rf"(?P<unit>{_UNIT_RE})\b",
    re.I,
)
_NEXT_WEEKDAY = re.compile(
    rf"\b(?:next|this\s+coming|coming|volgende|komende|nächsten|nächste|kommenden|"
    rf"el\s+próximo|el\s+proximo|la\s+próxima|próxima|proxima|próximo|il\s+prossimo|"
    rf"la\s+prossima)\s+(?P<wd>{_WEEKDAY_RE})\b"
    rf"|\b(?P<wd2>{_WEEKDAY_RE})\s+(?:prochain|prossimo|prossima|que\s+vem)\b",
    re.I,
)
_DAY_WORDS: dict[str, int] = {
    "today": 0, "vandaag": 0, "heute": 0, "aujourd'hui": 0, "hoy": 0, "oggi": 0, "hoje": 0,
    "tomorrow": 1, "morgen": 1, "demain": 1, "mañana": 1, "domani": 1, "amanhã": 1,
    "overmorgen": 2, "übermorgen": 2, "après-demain": 2, "pasado mañana": 2, "dopodomani": 2,
    "depois de amanhã": 2,
}
_DAY_WORD = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, _DAY_WORDS), key=len, reverse=True))
    + r")(?!\w)",
    re.I,
)
# Literal anchors: the patterns above only run when one of these occurs.
_LITERALS = ("in ", "over ", "dans", "en ", "tra ", "fra ", "em ", "daqui",
             "next", "coming", "volgend", "komend", "nächst", "kommend", "próxim", "proxim",
             "prossim", "prochain", "que vem", "today", "tomorrow", "morgen", "vandaag",
             "heute", "demain", "aujourd", "hoy", "mañana", "oggi", "domani", "hoje",
             "amanhã", "dopodomani")


@dataclass(frozen=True, slots=True)
class RelativeDate:
    """A date resolved from a relative expression, and the words it came from."""

    date: dt.date
    text: str
    position: int


def relative_dates(text: str, anchor: dt.date | dt.datetime | None) -> list[RelativeDate]:
    """Relative expressions in ``text`` resolved against ``anchor`` (the fetch date)."""
    if anchor is None or not text:
        return []
    base = anchor.date() if isinstance(anchor, dt.datetime) else anchor
    lowered = text.lower()
    if not any(literal in lowered for literal in _LITERALS):
        return []
    found = [*_in_periods(text, base), *_next_weekdays(text, base), *_day_words(text, base)]
    return sorted(found, key=lambda item: item.position)


def _in_periods(text: str, base: dt.date) -> list[RelativeDate]:
    found = []
    for match in _IN.finditer(text):
        raw = match["n"].lower()
        count = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 0)
        unit = _UNITS[match["unit"].lower()]
        if count <= 0:
            continue
        if unit == "day":
            date = base + dt.timedelta(days=count)
        elif unit == "week":
            date = base + dt.timedelta(weeks=count)
        else:
            date = _add_months(base, count)
        found.append(RelativeDate(date, match.group(0), match.start()))
    return found


def _add_months(base: dt.date, months: int) -> dt.date:
    """Calendar months: 31 January plus one month is the last day of February."""
    month_index = base.month - 1 + months
    year, month = base.year + month_index // 12, month_index % 12 + 1
    for day in (base.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, 28)


def _next_weekdays(text: str, base: dt.date) -> list[RelativeDate]:
    found = []
    for match in _NEXT_WEEKDAY.finditer(text):
        name = (match["wd"] or match["wd2"] or "").lower()
        weekday = WEEKDAYS.get(name)
        if weekday is None:
            continue
        # "Next Friday" said on a Friday is a week later; said on a Monday, this week's.
        ahead = (weekday - base.weekday()) % 7 or 7
        found.append(RelativeDate(base + dt.timedelta(days=ahead), match.group(0),
                                  match.start()))
    return found


def _day_words(text: str, base: dt.date) -> list[RelativeDate]:
    found = []
    for match in _DAY_WORD.finditer(text):
        word = match.group(0).lower()
        # German "Morgen" with a capital inside a sentence is "the morning".
        if word == "morgen" and match.group(0)[0] == "M" and match.start() > 0 \
                and text[max(0, match.start() - 2):match.start()].strip() not in ("", ".", "!"):
            continue
        found.append(RelativeDate(base + dt.timedelta(days=_DAY_WORDS[word]), match.group(0),
                                  match.start()))
    return found
