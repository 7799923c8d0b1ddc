"""Find dates and date ranges in prose, in EN, ES, IT, DE, FR, NL and PT.

Running a general date parser over a whole page is slow and finds dates in
anything that looks like a number.  Instead, regular expressions find spans that
are shaped like dates ("Friday 16 June 2023", "12-16 July 2021", "08-12-2025",
"March 16, 2026") and only those spans are interpreted, with our own month tables.

Ranges are read as a whole: in "12-16 July 2021" or "28 June - 2 July 2021" the
first half borrows the month and year it lacks from the second half, never from the
crawl date (scrapinghub/dateparser#522).  A date with no year anywhere is kept
with ``year=None`` so that callers can decide; it is never completed from "today".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["DateSpan", "find_dates", "numeric_order", "parse_iso_date", "MONTHS"]

#: Month names and abbreviations to month numbers, all supported languages.
MONTHS: dict[str, int] = {}

_MONTH_NAMES = {
    1: "january jan januari januar jänner janvier janv enero ene gennaio gen janeiro",
    2: "february feb febr februari februar février févr fevrier febrero febbraio fevereiro fev",
    3: "march mar mrt maart märz maerz mars marzo março marco",
    4: "april apr avril avr abril abr aprile",
    5: "may mei mai mayo maggio mag maio",
    6: "june jun juni juin junio giugno giu junho",
    7: "july jul juli juillet juil julio luglio lug julho",
    8: "august aug augustus août aout agosto ago",
    9: "september sep sept septembre septiembre settembre set setembro",
    10: "october oct okt oktober octobre octubre ottobre ott outubro out",
    11: "november nov novembre noviembre novembro",
    12: "december dec dez dezember décembre déc decembre diciembre dic dicembre dezembro",
}
for _number, _names in _MONTH_NAMES.items():
    for _name in _names.split():
        MONTHS[_name] = _number

# Longest names first so "juni" is not read as "jun" + "i".
_MONTH_RE = "|".join(sorted((re.escape(n) for n in MONTHS), key=len, reverse=True))
_WEEKDAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|"
    "fri|sat|sun|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|ma|di|wo|do|vr|za|"
    "zo|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|mo|mi|fr|sa|so|lundi|mardi|"
    "mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|miercoles|jueves|viernes|"
    "sábado|sabado|domingo|lunedì|lunedi|martedì|martedi|mercoledì|mercoledi|giovedì|giovedi|"
    "venerdì|venerdi|sabato|domenica|segunda-feira|terça-feira|quarta-feira|quinta-feira|"
    "sexta-feira|segunda|terça|quarta|quinta|sexta"
)
_WD = rf"(?:(?:{_WEEKDAYS})\.?,?\s+)?"
_ORD = r"(?:st|nd|rd|th|er|e|ème|º|°|ª|\.)?"
_DAY = rf"(?:0?[1-9]|[12]\d|3[01]){_ORD}"
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_OF = r"(?:\s*(?:de|del|di|of)\s+|\s*)"
_SEP = (
    r"\s*(?:-|–|—|−|‐|/|&|to|till|until|through|thru|bis|au|al|a|t/m|tot en met|tot|à|até|fino al"
    r"|and|und|et|y|e|en)\s*"
)

_M = rf"(?:{_MONTH_RE})\.?"

# "16 June 2023", "9th - 10th October 2019", "28 June – 2 July 2021", "12–16 July 2021",
# "30 Dec 2024 – 3 Jan 2025", "Friday 16 June 2023 - Friday 30 June 2023".
_DMY = re.compile(
    rf"(?<![\w/.-])(?P<d1>{_DAY})(?:{_OF}(?P<m1>{_M}))?(?:,?{_OF}(?P<y1>{_YEAR}))?"
    rf"(?:{_SEP}{_WD}(?P<d2>{_DAY})(?:{_OF}(?P<m2>{_M})))?"
    rf"(?:,?{_OF}(?P<y2>{_YEAR}))?(?![\w])",
    re.I,
)
# "March 16, 2026", "June 28 - July 2, 2021", "July 12-16, 2021", "Saturday April 30".
_MDY = re.compile(
    rf"(?<![\w/.-])(?P<m1>{_M})\s+(?P<d1>{_DAY})(?:,?\s+(?P<y1>{_YEAR}))?"
    rf"(?:{_SEP}(?:(?P<m2>{_M})\s+)?(?P<d2>{_DAY})(?![:.]?\d)(?:,?\s+(?P<y2>{_YEAR}))?)?(?![\w])",
    re.I,
)
# "08-12-2025", "26/02/2026", "16.06.2023" (day first, as in Europe) and ISO dates.
_NUMERIC = re.compile(
    r"(?<![\w/.:-])(?P<a>\d{1,2})(?:[./-]|\.\s)(?P<b>\d{1,2})(?:[./-]|\.\s)"
    r"(?P<y>(?:19|20)\d\d)(?![\w/-]|\.\d)"
)
# "26. und 27. 2. 2015", "26.-27.2.2015": a day, then a full numeric date.
_NUMERIC_RANGE = re.compile(
    r"(?<![\w/.:-])(?P<d1>\d{1,2})\.?\s*(?:-|–|—|und|bis|and|to|t/m|tot|al|au|et|e|y)\s*"
    r"(?P<a>\d{1,2})\.\s?(?P<b>\d{1,2})\.\s?(?P<y>(?:19|20)\d\d)(?![\w/-]|\.\d)"
)
_ISO = re.compile(r"(?<![\w/.-])(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?![\d])")
# "Mrt 03, 2026" is caught by _MDY; "June 2026" alone is a month, not a date.


_NUMBER = re.compile(r"\d{1,4}")
_NUMERIC_SHAPE = re.compile(r"[./-]\s?\d{1,2}[./-]")
_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A date or range found in text, with where it was found."""

    start: dt.date | None
    end: dt.date | None
    text: str
    position: int
    has_year: bool = True
    month: int | None = None
    day: int | None = None


def numeric_order(text: str, lang: str | None = None) -> str:
    """``"dmy"`` or ``"mdy"``: how this page writes numeric dates.

    Decided per page from its unambiguous dates: "26/02/2026" can only be day first,
    "02/26/2026" only month first.  Where none decides, a US English page
    (``lang="en-US"``) is month first and every other page day first, as in Europe.
    """
    day_first = month_first = 0
    for match in _NUMERIC.finditer(text):
        first, second = int(match["a"]), int(match["b"])
        if first > 12 >= second:
            day_first += 1
        elif second > 12 >= first:
            month_first += 1
    if day_first != month_first:
        return "dmy" if day_first > month_first else "mdy"
    return "mdy" if (lang or "").lower().replace("_", "-") == "en-us" else "dmy"


def find_dates(text: str, limit: int = 200, order: str = "dmy") -> list[DateSpan]:
    """Date spans in ``text`` in order of position, overlapping matches merged.

    ``order`` says how ambiguous numeric dates ("03/04/2025") are read; see
    :func:`numeric_order`.

    The full date patterns are costly (a hundred month names in seven languages), so
    they only run in windows around numbers that have a month name or a numeric date
    shape next to them; on a typical page that is a small part of the text.
    """
    found: list[DateSpan] = []
    taken: list[tuple[int, int]] = []
    for window_start, window_end in _candidate_windows(text):
        for finder in (_find_iso, _find_numeric_range, _find_dmy, _find_mdy, _find_numeric):
            found_spans = finder(text, window_start, window_end, order) \
                if finder is _find_numeric else finder(text, window_start, window_end)
            for span, start, end in found_spans:
                if any(start < e and end > s for s, e in taken):
                    continue
                taken.append((start, end))
                found.append(span)
        if len(found) >= limit:
            break
    found.sort(key=lambda s: s.position)
    return found


def _candidate_windows(text: str) -> list[tuple[int, int]]:
    """Merged ``(start, end)`` ranges around numbers that may be part of a date."""
    windows: list[tuple[int, int]] = []
    for match in _NUMBER.finditer(text):
        start, end = match.start(), match.end()
        if not _near_month(text, start, end) and not _NUMERIC_SHAPE.match(text, end):
            continue
        low, high = max(0, start - 40), min(len(text), end + 60)
        if windows and low <= windows[-1][1]:
            windows[-1] = (windows[-1][0], high)
        else:
            windows.append((low, high))
    return windows


def _near_month(text: str, start: int, end: int) -> bool:
    for word in _LETTERS.findall(text, end, end + 14) + _LETTERS.findall(text, start - 14, start):
        if word.lower() in MONTHS:
            return True
    return False


def parse_iso_date(value: object) -> dt.date | None:
    """The calendar date of an ISO 8601 date or date-time string, as written.

    The date part is taken as published: with an offset it is already local time;
    with ``Z`` it is UTC, which only differs from local near midnight.  Malformed
    variants seen in the wild ("2012-05-13-11:00:00") still yield their date.
    """
    if not isinstance(value, str):
        return None
    match = re.match(r"\s*((?:19|20)\d\d)-?([01]\d)-?([0-3]\d)", value)
    if not match:
        return None
    return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _safe_date(year: int | None, month: int | None, day: int | None) -> dt.date | None:
    if year is None or month is None or day is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _day(token: str | None) -> int | None:
    if not token:
        return None
    digits = re.match(r"\d+", token)
    return int(digits.group(0)) if digits else None


def _month(token: str | None) -> int | None:
    if not token:
        return None
    return MONTHS.get(token.lower().rstrip("."))


def _year(token: str | None) -> int | None:
    return int(token) if token else None


def _find_iso(text: str, start: int, end: int):
    for match in _ISO.finditer(text, start, end):
        date = _safe_date(int(match["y"]), int(match["m"]), int(match["d"]))
        if date:
            yield DateSpan(date, None, match.group(0), match.start()), match.start(), match.end()


def _find_numeric(text: str, start: int, end: int, order: str = "dmy"):
    for match in _NUMERIC.finditer(text, start, end):
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        # The page's order unless that is impossible for this date.
        if order == "mdy":
            month, day = (first, second) if first <= 12 else (second, first)
        else:
            day, month = (first, second) if second <= 12 else (second, first)
        date = _safe_date(year, month, day)
        if date:
            yield DateSpan(date, None, match.group(0), match.start()), match.start(), match.end()


def _find_numeric_range(text: str, start: int, end: int):
    for match in _NUMERIC_RANGE.finditer(text, start, end):
        year, month = int(match["y"]), int(match["b"])
        end = _safe_date(year, month, int(match["a"]))
        start = _safe_date(year, month, int(match["d1"]))
        if start and end and start <= end:
            span = DateSpan(start, end, match.group(0), match.start(), True, month, start.day)
            yield span, match.start(), match.end()


# "il 20, 21 e 22 ottobre 2027", "on 3, 4 and 5 May": the days listed before a range.
_DAY_LIST_BEFORE = re.compile(r"(?<![\d/.:-])((?:(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|\.)?"
                              r"\s*,\s*)+)$")


def _find_dmy(text: str, start: int, end: int):
    for match in _DMY.finditer(text, start, end):
        if not (match["m1"] or match["m2"]):
            continue
        span = _range_from(match, text)
        if span:
            yield _with_listed_days(span, text, match.start()), match.start(), match.end()


def _with_listed_days(span: DateSpan, text: str, start: int) -> DateSpan:
    """Start a day range at the first of the days listed before it."""
    listed = _DAY_LIST_BEFORE.search(text, max(0, start - 40), start)
    if listed is None or span.start is None:
        return span
    first = int(re.match(r"\d+", listed.group(1)).group(0))  # type: ignore[union-attr]
    try:
        begin = span.start.replace(day=first)
    except ValueError:
        return span
    if begin >= span.start:
        return span
    end = span.end or span.start
    return DateSpan(begin, end, text[listed.start():start] + span.text, listed.start(),
                    span.has_year, span.month, first)


def _find_mdy(text: str, start: int, end: int):
    for match in _MDY.finditer(text, start, end):
        span = _range_from(match, text)
        if span:
            yield span, match.start(), match.end()


def _range_from(match: re.Match[str], text: str) -> DateSpan | None:
    """Build a date or range; the first half borrows month/year from the second."""
    d1, d2 = _day(match["d1"]), _day(match["d2"])
    m1, m2 = _month(match["m1"]), _month(match["m2"])
    y1, y2 = _year(match["y1"]), _year(match["y2"])
    if d2 is None:
        # A single date: "16 June 2023" or, in _DMY, a lone year after the day.
        month, year = m1 or m2, y1 or y2
        if month is None:
            return None
        return _span(year, month, d1, None, match)
    end_month = m2 or m1
    end_year = y2 or y1
    start_month = m1 or end_month
    start_year = y1 or end_year
    if start_year and not y1 and start_month and end_month and start_month > end_month:
        # "30 Dec - 3 Jan 2025": the first half is in the previous year.
        start_year -= 1
    start = _span(start_year, start_month, d1, None, match)
    end = _safe_date(end_year, end_month, d2) if end_year else None
    if start is None:
        return None
    if end is not None and start.start is not None and end < start.start:
        end = None
    return DateSpan(start.start, end, match.group(0).strip(), match.start(), start.has_year,
                    start_month, d1)


def _span(year: int | None, month: int | None, day: int | None, end: dt.date | None,
          match: re.Match[str]) -> DateSpan | None:
    if month is None or day is None:
        return None
    if year is None:
        try:
            dt.date(2000, month, day)  # a leap year accepts 29 February
        except ValueError:
            return None
        return DateSpan(None, None, match.group(0).strip(), match.start(), False, month, day)
    date = _safe_date(year, month, day)
    if date is None:
        return None
    return DateSpan(date, end, match.group(0).strip(), match.start(), True, month, day)
