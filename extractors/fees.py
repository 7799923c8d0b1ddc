"""Read fees from text: amounts with their currency, and "free" said in words.

price-parser reads "Free" as 0 but not "Kostenlos", "Gratuit" or "Gratis", so a
course that is free in German or French looks like "fee unknown"
(robhunter/agentdeals#1668).  Here the words that mean "no fee" are matched in every
supported language, and money amounts are found as currency-plus-number spans that
price-parser then normalises.  A "free" that is about something else ("free
parking", "free trial") never makes a course free, and a stated positive amount
always wins over a "free for members" tier.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from price_parser import Price

__all__ = [
    "FEE_LABELS",
    "Fee",
    "FeeTier",
    "fee_cue_positions",
    "has_fee_cue",
    "headline_tier",
    "money_spans",
    "parse_fee",
]

#: Currency marks to ISO 4217 codes.
_CURRENCIES: dict[str, str] = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "chf": "CHF", "sfr": "CHF",
    "fr.": "CHF", "usd": "USD", "us$": "USD", "$": "USD", "£": "GBP", "gbp": "GBP",
    "sek": "SEK", "dkk": "DKK", "nok": "NOK", "pln": "PLN", "zł": "PLN", "czk": "CZK",
    "kč": "CZK", "r$": "BRL", "brl": "BRL", "ars": "ARS", "mxn": "MXN", "cad": "CAD",
    "aud": "AUD", "jpy": "JPY", "¥": "JPY", "inr": "INR", "₹": "INR",
}
_CUR = (
    r"(?:€|eur(?:os?)?\b|chf\b|sfr\.?|fr\.|us\$|usd\b|r\$|\$|£|gbp\b|sek\b|dkk\b|nok\b|"
    r"pln\b|zł|czk\b|kč|brl\b|ars\b|mxn\b|cad\b|aud\b|jpy\b|¥|inr\b|₹)"
)
_NUM = r"\d{1,3}(?:[.,' ]\d{3})*(?:[.,]\d{1,2})?(?:[.,]-{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY = re.compile(
    rf"(?P<c1>{_CUR})\s?(?P<n1>{_NUM})|(?<![\w.,])(?P<n2>{_NUM})\s?(?P<c2>{_CUR})", re.I
)

_FREE = re.compile(
    r"\bfree[\s-]+of[\s-]+charge\b|\b(?:for|is|are|be|it's|entirely|completely|totally)\s+free\b"
    r"|\bfree\s+(?:admission|entry|entrance|event|registration|participation|attendance|of\s+cost"
    r"|webinar|course|workshop|training|seminar|session|online|lecture|tickets?)\b"
    r"|\(free\)|\bno\s+(?:charge|fees?|costs?|registration\s+fee|participation\s+fee)\b"
    r"|\bat\s+no\s+(?:cost|charge)\b|\bwithout\s+(?:charge|cost)\b|\bno[-\s]cost\b"
    r"|\bkostenlos\w*|\bkostenfrei\w*|\bgebührenfrei\w*|\bentgeltfrei\w*|\bunentgeltlich\w*"
    r"|\beintritt\s+(?:ist\s+)?frei\b|\bteilnahme\s+(?:ist\s+)?(?:frei|kostenlos)\b|\bohne\s+gebühr"
    r"|\bgratu[ií]t\w*|\bentrée\s+libre\b|\bsans\s+frais\b|\bgr[aá]tis\b|\bsin\s+cost[eo]\b"
    r"|\bsin\s+cargo\b|\b(?:entrada|ingreso|acceso)\s+libre\b|\bingresso\s+(?:libero|gratuito)\b"
    r"|\bpartecipazione\s+(?:è\s+)?libera\b|\bsenza\s+cost[io]\b|\bkosteloos\b"
    r"|\bgeen\s+(?:\w+)?kosten\b|\bvrije\s+toegang\b|\btoegang\s+(?:is\s+)?vrij\b"
    r"|\bsem\s+custos?\b|\bentrada\s+(?:franca|livre)\b|\bzdarma\b|\bbezpłatn\w*",
    re.I,
)
# A bare "free" counts only when nothing says it is about something else.
_BARE_FREE = re.compile(r"\bfree\b(?!\s*(?:-|of\b(?!\s+charge)|to\b|time|parking|trial|wi-?fi"
                        r"|coffee|lunch|drinks?|snacks?|shuttle|download|software|text|form"
                        r"|space|seats?\s+left|places|resources?|tools?|materials?|guides?"
                        r"|e-?books?|newsletter|consultation|demo|account|shipping|returns"
                        r"|speech|will|market|press|access\s+to))", re.I)
_NOT_FREE_CONTEXT = re.compile(
    r"(?:feel|gluten|carbon|barrier|smoke|duty|tax|stress|risk)[\s-]+free", re.I
)
_PAID = re.compile(
    r"\b(?:unkostenbeitrag|kostenbeitrag|teilnahmebeitrag|teilnahmegebühr|kostenpflichtig"
    r"|small\s+fee|a\s+fee\s+(?:of|is|applies)|fee\s+applies|payant\w*|de\s+pago|a\s+pagamento"
    r"|tegen\s+betaling|registration\s+fee\s+is)\b",
    re.I,
)
_PERIOD = re.compile(
    r"^\s*(?:/|per|a|an|each|pro|par|al|por|per\s+)\s*(?P<p>month|monat|mois|mes|mese|maand|mês"
    r"|year|jahr|an|año|anno|jaar|ano|week|woche|semaine|semana|settimana|day|tag|jour|día|giorno"
    r"|dag|dia|hour|stunde|heure|hora|ora|uur|session|sitzung)\b",
    re.I,
)
_PERIOD_NAMES = {
    "month": "month", "monat": "month", "mois": "month", "mes": "month", "mese": "month",
    "maand": "month", "mês": "month", "year": "year", "jahr": "year", "an": "year",
    "año": "year", "anno": "year", "jaar": "year", "ano": "year", "week": "week",
    "woche": "week", "semaine": "week", "semana": "week", "settimana": "week", "day": "day",
    "tag": "day", "jour": "day", "día": "day", "giorno": "day", "dag": "day", "dia": "day",
    "hour": "hour", "stunde": "hour", "heure": "hour", "hora": "hour", "ora": "hour",
    "uur": "hour", "session": "session", "sitzung": "session",
}
_AUDIENCE = re.compile(r"\bfor\s+(?P<a>[\w\s-]{2,40}?)(?=[,;.)]|$|\s+and\b)", re.I)

#: Labels that introduce a fee on a page, all supported languages.
FEE_LABELS: tuple[str, ...] = (
    "price", "prices", "fee", "fees", "cost", "costs", "course fee", "costs and registration",
    "registration fee", "participation fee", "tuition", "tuition fee", "admission", "tickets",
    "entrance", "kosten", "prijs", "cursusprijs", "deelnamekosten", "preis", "gebühr",
    "gebühren", "teilnahmegebühr", "kosten und anmeldung", "prix", "tarif", "tarifs", "coût",
    "frais", "frais d'inscription", "precio", "coste", "costo", "cuota", "matrícula", "prezzo",
    "quota", "quota di iscrizione", "costi", "preço", "custo", "valor", "investimento",
    "target group and price",
)
_FEE_WORDS = re.compile(
    r"\b(?:fees?|price|prices|costs?|charge|tuition|kosten|prijs|cursusprijs|preis|gebühr\w*"
    r"|prix|tarifs?|frais|precio|coste|costo|cuota|prezzo|quota|preço|custo)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class FeeTier:
    """One price of a tiered fee: who it is for, which kind, and until when it holds.

    ``kind`` is ``early_bird``, ``regular``, ``late``, ``reduced``, ``free`` or
    ``standard`` (the text names no kind); ``valid_until`` is an ISO date.
    """

    amount: float
    currency: str | None = None
    audience: str | None = None
    kind: str = "standard"
    period: str | None = None
    valid_until: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"amount": self.amount, "currency": self.currency, "kind": self.kind,
                "audience": self.audience, "period": self.period,
                "valid_until": self.valid_until}


@dataclass(frozen=True, slots=True)
class Fee:
    """A fee as read from text; ``amount`` is the headline (regular) amount stated."""

    text: str
    is_free: bool | None
    amount: float | None = None
    currency: str | None = None
    period: str | None = None
    tiers: tuple[FeeTier, ...] = ()


def money_spans(text: str) -> list[tuple[float, str | None, int, int]]:
    """``(amount, ISO currency, start, end)`` of every currency-marked amount."""
    spans = []
    for match in _MONEY.finditer(text):
        mark = (match["c1"] or match["c2"] or "").lower()
        number = match["n1"] or match["n2"] or ""
        amount = _amount(number)
        if amount is None:
            continue
        spans.append((amount, _CURRENCIES.get(mark.rstrip()), match.start(), match.end()))
    return spans


# Literal anchors of fee statements.  ``str.find`` over them is far cheaper than one
# big regular expression over a page; each hit's sentence is then read by parse_fee.
_SYMBOL_ANCHORS = ("€", "$", "£", "₹", "¥")
_WORD_ANCHORS = (
    "eur", "euro", "chf", "usd", "gbp", "fee", "price", "cost", "charge", "tuition", "kosten",
    "prijs", "cursusprijs", "preis", "gebühr", "prix", "tarif", "frais", "precio", "coste",
    "costo", "cuota", "prezzo", "quota", "preço", "custo", "free", "gratis", "grátis",
    "unkostenbeitrag", "kostenbeitrag", "teilnahmebeitrag", "teilnahmegebühr", "payant",
    "kosteloos", "zdarma",
)
# Word starts of the free phrases of ``_FREE``, matched at the start of a word only, so
# that every inflection counts ("gratuite", "gratuitamente", "kostenlose", "gebührenfreie").
# Each alternative of ``_FREE`` contains one of these or of the word anchors above
# (tests/extractors check this for a sample phrase of each).
_FREE_STEMS = (
    "gratu", "kostenlos", "kostenfrei", "gebührenfrei", "entgeltfrei", "unentgeltlich",
    "eintritt frei", "eintritt ist frei", "teilnahme frei", "teilnahme ist frei", "ohne gebühr",
    "entrée libre", "entrada libre", "ingreso libre", "acceso libre", "ingresso libero",
    "partecipazione libera", "partecipazione è libera", "entrada livre", "entrada franca",
    "sans frais", "sin cargo", "senza cost", "geen kosten", "geen deelnamekosten",
    "geen inschrijfkosten", "geen cursuskosten", "vrije toegang", "toegang is vrij",
    "toegang vrij", "sem custo", "bezpłatn",
)


def fee_cue_positions(text: str, limit: int = 20) -> list[int]:
    """Start positions of fee cues (currency marks, fee words, free words) in ``text``."""
    lowered = text.lower()
    positions: set[int] = set()
    for anchor in _SYMBOL_ANCHORS:
        _collect(lowered, anchor, positions, limit, whole_word=False)
    for anchor in _WORD_ANCHORS:
        if anchor in lowered:
            _collect(lowered, anchor, positions, limit, whole_word=True)
    for stem in _FREE_STEMS:
        if stem in lowered:
            _collect(lowered, stem, positions, limit, whole_word=False, word_start=True)
    return sorted(positions)[:limit]


def _collect(lowered: str, anchor: str, positions: set[int], limit: int, *,
             whole_word: bool, word_start: bool = False) -> None:
    found = 0
    index = lowered.find(anchor)
    while index >= 0 and found < limit:
        if whole_word and _is_word_at(lowered, index, len(anchor)) or not whole_word and (
                not word_start or index == 0 or not lowered[index - 1].isalpha()):
            positions.add(index)
            found += 1
        index = lowered.find(anchor, index + 1)


def _is_word_at(text: str, index: int, size: int) -> bool:
    """The anchor starts a word and ends one, allowing a plural "s" ("fees", "costs")."""
    if index > 0 and text[index - 1].isalpha():
        return False
    end = index + size
    if end < len(text) and text[end] == "s":
        end += 1
    return end >= len(text) or not text[end].isalpha()


def has_fee_cue(text: str) -> bool:
    """Whether ``text`` talks about a fee at all: an amount, a fee word or a free phrase."""
    return bool(_MONEY.search(text) or _FEE_WORDS.search(text) or _FREE.search(text)
                or _PAID.search(text))


def parse_fee(text: str, *, standalone: bool = False) -> Fee | None:
    """Read ``text`` as a statement of the fee; ``None`` when it says nothing about one.

    ``standalone`` marks text that is itself a fee value (a "Price" field, an offer),
    where a bare "Free" means the course is free.
    """
    if not text or not text.strip():
        return None
    text = " ".join(text.split())
    tiers = _tiers(text, standalone)
    period = _period_after_amount(text)
    headline = headline_tier(tiers)
    if headline is not None:
        return Fee(text, False, headline.amount, headline.currency, headline.period or period,
                   tiers)
    if tiers or _says_free(text, standalone):
        currency = tiers[0].currency if tiers else None
        return Fee(text, True, 0.0, currency, None, tiers)
    if _PAID.search(text):
        return Fee(text, False, None, None, None, ())
    return None


# Clauses split at ";" and at commas that are not decimal commas ("39,90 EUR").
# A sentence end ("Free parking on site. Course fee: EUR 200") ends a clause too.
_CLAUSE_SPLIT = re.compile(
    r"[;\n]|,(?!\d)|(?<!\d),|\s+/\s+|\s+\bor\b\s+|(?<=[a-zà-ÿ)][.!?])\s+(?=[A-ZÀ-Þ])"
)
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("early_bird", re.compile(
        r"early[\s-]?bird|early\s+(?:booking|registration)|frühbucher\w*|vroegboek\w*|"
        r"préventes?|tarif\s+préférentiel|inscripci[oó]n\s+anticipada|anticipad[ao]|"
        r"iscrizione\s+anticipata|prevendita|antecipad[ao]", re.I)),
    # "EUR 250 on site" is the price at the door; "the on-site course" is not a tier.
    ("late", re.compile(
        r"\blate\b|\bspät\w*|\btardi\w*|\bat\s+the\s+door\b|\babendkasse\b|\btageskasse\b"
        r"|\bon[\s-]site\b(?![\s-]+(?:course|event|training|workshop|session|participation"
        r"|attendance|version|programme|program|parking|lunch|catering|visit))", re.I)),
    ("reduced", re.compile(
        r"reduced|concession|discount\w*|ermäßigt|ermässigt|reduziert|réduit|reducid[ao]|"
        r"ridott[ao]|gereduceerd|korting|reduzid[ao]|students?\b|studierende|étudiants?|"
        r"estudiantes?|studenti|studenten", re.I)),
    ("regular", re.compile(
        r"regular|standard|normal\w*|full\s+(?:price|fee)|regulär\w*|regulier\w*|"
        r"plein\s+tarif|tarif\s+normal|precio\s+normal|prezzo\s+pieno|normaal", re.I)),
)
_UNTIL = re.compile(
    r"\b(?:until|till|before|by|through|bis|vor|jusqu'au|jusqu’au|avant|hasta|antes\s+del?|"
    r"entro|fino\s+al|tot|voor|até)\b", re.I)


def _tiers(text: str, standalone: bool) -> tuple[FeeTier, ...]:
    """Each clause's amount (a free clause counts as 0), its audience, kind and period."""
    clauses = [c for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]
    has_money = bool(money_spans(text))
    tiers: list[FeeTier] = []
    for clause in clauses:
        spans = money_spans(clause)
        audience = _AUDIENCE.search(clause)
        who = audience["a"].strip() if audience and not _MONEY.search(audience["a"]) else None
        kind = _kind_of(clause)
        until = _valid_until(clause) if kind in ("early_bird", "regular", "late") else None
        period = _period_after_amount(clause)
        if spans:
            for amount, currency, _start, _end in spans:
                tiers.append(FeeTier(amount, currency, who, kind, period, until))
        elif has_money and _says_free(clause, True):
            tiers.append(FeeTier(0.0, None, who, "free", None, None))
    return tuple(tiers)


def _kind_of(clause: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(clause):
            return kind
    return "standard"


def _valid_until(clause: str) -> str | None:
    """The ISO date after "until"/"before" in an early-bird clause."""
    from extractors.dates import find_dates  # local: dates imports nothing from here

    match = _UNTIL.search(clause)
    if match is None:
        return None
    for span in find_dates(clause[match.end():]):
        if span.start is not None:
            return span.start.isoformat()
    return None


def headline_tier(tiers: tuple[FeeTier, ...]) -> FeeTier | None:
    """The fee a participant normally pays: the regular price over an early-bird one."""
    positive = [tier for tier in tiers if tier.amount > 0]
    if not positive:
        return None
    for kind in ("regular", "standard"):
        found = next((tier for tier in positive if tier.kind == kind), None)
        if found is not None:
            return found
    return next((tier for tier in positive if tier.kind != "reduced"), positive[0])


def _says_free(text: str, standalone: bool) -> bool:
    if _FREE.search(text):
        return not _only_excluded_free(text)
    if standalone and _BARE_FREE.search(text) and not _NOT_FREE_CONTEXT.search(text):
        return True
    return False


def _only_excluded_free(text: str) -> bool:
    """A "free" phrase that is really "feel free to ..." or "gluten-free"."""
    return all(_NOT_FREE_CONTEXT.search(text[max(0, m.start() - 12):m.end()])
               for m in _FREE.finditer(text))


def _period_after_amount(text: str) -> str | None:
    for match in _MONEY.finditer(text):
        period = _PERIOD.match(text[match.end():match.end() + 20])
        if period:
            return _PERIOD_NAMES.get(period["p"].lower())
    return None


def _amount(number: str) -> float | None:
    """Normalise "1.234,50", "895", "100.-" with price-parser's number rules."""
    cleaned = number.rstrip("-").rstrip(".,").replace("'", "")
    try:
        price = Price.fromstring(cleaned)
        value = price.amount if price.amount is not None else Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    amount = float(value)
    return amount if math.isfinite(amount) else None
