"""Build :class:`Record` objects: from schema.org nodes first, then from the page.

A record made from a schema.org Course or Event node takes every field the node
gives.  When the page describes a single offer, the fields the node leaves out
(a fee stated in prose, the provider, the format) are then filled from the page
heuristics, with lower confidence.  A page with no such node gets one record built
from the heuristics alone.  ``Record.set`` keeps the first value set for a field,
so the order of the calls below is the order of trust.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from extractors.cues import CueIndex, squeeze
from extractors.dates import DateSpan, find_dates, numeric_order, parse_iso_date
from extractors.durations import Duration, duration_from_text, parse_iso_duration
from extractors.document import Document, collapse
from extractors.fees import Fee, FeeTier, fee_cue_positions, headline_tier, parse_fee
from extractors.inclusivity import inclusivity_sentence
from extractors.jsonld import node_types, resolve
from extractors.modality import (
    modality_from_attendance_mode,
    modality_from_course_mode,
    modality_from_locations,
    modality_from_text,
)
from extractors.providers import org_name, organiser_from_text, provider_category
from extractors.relative import relative_dates
from extractors.signals import city_staff_phrase, eu_project, read_signals
from extractors.status import status_from_text
from extractors.titles import domain_label
from extractors.types import Evidence, Record, Value

__all__ = [
    "OFFER_FORMATS",
    "PageContext",
    "RECORD_TYPES",
    "fill_from_page",
    "fill_minimal",
    "finish_record",
    "record_from_node",
    "set_edition_status",
    "set_signals",
]

#: schema.org types that describe one training or event.
RECORD_TYPES = frozenset(
    "Course CourseInstance EducationEvent Event EventSeries BusinessEvent ChildrensEvent "
    "ComedyEvent DanceEvent DeliveryEvent ExhibitionEvent Festival FoodEvent Hackathon "
    "LiteraryEvent MusicEvent PublicationEvent SaleEvent ScreeningEvent SocialEvent "
    "SportsEvent TheaterEvent VisualArtsEvent OnDemandEvent".split()
)
#: Formats that are training offers (DESIGN.md); ``conference`` and ``other`` are not.
OFFER_FORMATS = ("course", "training", "seminar", "webinar", "workshop", "summer_school", "mooc")
_TYPE_FORMATS = {
    "Course": "course", "CourseInstance": "course", "EducationEvent": "training",
    "MusicEvent": "other", "SportsEvent": "other", "TheaterEvent": "other",
    "ComedyEvent": "other", "DanceEvent": "other", "Festival": "other", "FoodEvent": "other",
    "SaleEvent": "other", "ScreeningEvent": "other", "SocialEvent": "other",
    "ExhibitionEvent": "other", "VisualArtsEvent": "other", "ChildrensEvent": "other",
    "LiteraryEvent": "other", "BusinessEvent": "other", "Hackathon": "other",
}
# Dates right after these words are deadlines or publication dates, not the course.
_NOT_EVENT_DATE = re.compile(
    r"(?:deadline|register|registration|apply|application|sign up|until|before|by|published|"
    r"posted|updated|modified|geplaatst|gepubliceerd|bijgewerkt|veröffentlicht|aktualisiert|"
    r"publié|mis à jour|publicado|actualizado|pubblicato|aggiornato|inschrijven|aanmelden|"
    r"anmeldung|anmeldeschluss|inscription|inscripción|iscrizione|inscrição|tickets?|"
    r"kaartverkoop|ticket sales|bekendgemaakt|announced|©|copyright)\W{0,12}"
    r"(?:\w+\W+){0,3}$",
    re.I,
)
_NOT_A_TRAINING = re.compile(
    r"\b(?:is|are)\s+not\s+an?\s+(?:training|course|workshop|class)\b|\bgeen\s+(?:training|"
    r"cursus)\b|\bkeine?\s+(?:schulung|fortbildung|kurs)\b|\bpas\s+une\s+formation\b",
    re.I,
)
#: How much main text (from the heading on) the text heuristics read.  Course facts
#: sit near the top; the tail of long pages is programmes, bios and footers.
_TEXT_WINDOW = 6000
_OF_COURSE = re.compile(r"\b(?:of course|natürlich|bien sûr|por supuesto)\b", re.I)


@dataclass(slots=True)
class PageContext:
    """What the record builders share about one page."""

    url: str
    doc: Document
    cues: CueIndex
    is_listing: bool = False
    site_name: str | None = None
    site_org: str | None = None
    site_unit: str | None = None
    title_suffix: str | None = None
    heuristic_title: Value | None = None
    announced_format: str | None = None
    language: Value | None = None
    fetched_at: dt.datetime | None = None
    warnings: list[str] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# Records from schema.org nodes


def record_from_node(ctx: PageContext, node: dict[str, Any], path: str, extractor: str) -> Record:
    """A record from one Course/Event node (JSON-LD or microdata)."""
    record = Record()
    types = node_types(node)
    instance, instance_path = _first_instance(ctx, node, path)

    def ev(prop: str, confidence: float = 0.9, base: str = path) -> Evidence:
        return Evidence(extractor, f"{base}.{prop}", confidence)

    name = _text(node.get("name") or node.get("headline"))
    record.set("title", name, ev("name"))
    description = _text(node.get("description") or node.get("abstract"))
    record.set("description", description[:2000] if description else None, ev("description"))
    record.set("url", _node_url(ctx, node), ev("url"))
    record.identifiers = _node_identifiers(ctx, node)
    _set_dates(record, ctx, node, path, extractor, instance, instance_path)
    _set_structured_modality(record, node, path, extractor, instance, instance_path)
    _set_structured_provider(record, ctx, node, path, extractor, instance, instance_path)
    _set_structured_fee(record, node, path, extractor, instance, instance_path)
    _set_structured_people(record, node, path, extractor, instance, instance_path)
    _set_structured_language(record, node, path, extractor, instance)
    _set_structured_duration(record, node, path, extractor, instance, instance_path)
    _set_format(record, ctx, name or "", types, description or "", extractor, path,
                use_page=False, allow_default=False)
    _set_event_status(record, node, path, extractor)
    return record


def finish_record(record: Record, ctx: PageContext, node: dict[str, Any] | None, path: str,
                  extractor: str) -> None:
    """Last resort for the format: the site's own name, then the schema.org type."""
    types = node_types(node) if node else ()
    _set_format(record, ctx, "", types, "", extractor, path, use_page=False, allow_default=True)


def _text(value: Any) -> str | None:
    """A plain-text property value: first string of a list, entities decoded."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if not isinstance(value, str):
        return None
    text = html.unescape(value)
    text = re.sub(r"<[^>]{0,200}>", " ", text)
    return collapse(text) or None


def _node_url(ctx: PageContext, node: dict[str, Any]) -> str | None:
    raw = node.get("url") or node.get("@id")
    if isinstance(raw, list):
        raw = next((v for v in raw if isinstance(v, str)), None)
    if not isinstance(raw, str) or not raw.strip() or raw.startswith("_:"):
        return None
    try:
        absolute = urljoin(ctx.url, raw.strip())
    except ValueError:
        return None
    absolute = absolute.split("#", 1)[0] if "#" in absolute and raw.startswith("#") else absolute
    return absolute if absolute.startswith(("http://", "https://")) else None


def _node_identifiers(ctx: PageContext, node: dict[str, Any]) -> list[str]:
    """The node's ``@id`` and ``sameAs`` that are whole web pages of their own.

    A fragment (``page#course-2``) names one item of a page that may list several, and
    a site's home page names no training: neither identifies one.
    """
    raw: list[Any] = [node.get("@id")]
    same_as = node.get("sameAs")
    raw.extend(same_as if isinstance(same_as, list) else [same_as])
    found: list[str] = []
    for value in raw:
        if not isinstance(value, str) or not value.strip() or "#" in value:
            continue
        try:
            absolute = urljoin(ctx.url, value.strip())
            parts = urlsplit(absolute)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.hostname and \
                parts.path.strip("/") and absolute not in found:
            found.append(absolute)
    return found


def _first_instance(ctx: PageContext, node: dict[str, Any], path: str) -> tuple[dict | None, str]:
    """A Course's first CourseInstance with a start date, or its first instance."""
    raw = node.get("hasCourseInstance")
    if raw is None:
        return None, ""
    items = raw if isinstance(raw, list) else [raw]
    resolved = [(resolve(item, ctx.by_id), f"{path}.hasCourseInstance[{i}]")
                for i, item in enumerate(items)]
    resolved = [(item, p) for item, p in resolved if isinstance(item, dict)]
    dated = [(item, p) for item, p in resolved if parse_iso_date(item.get("startDate"))]
    if dated:
        return min(dated, key=lambda pair: parse_iso_date(pair[0].get("startDate")))
    return resolved[0] if resolved else (None, "")


def _set_dates(record: Record, ctx: PageContext, node: dict[str, Any], path: str,
               extractor: str, instance: dict | None, instance_path: str) -> None:
    for source, base in ((node, path), (instance, instance_path)):
        if not source:
            continue
        start = parse_iso_date(source.get("startDate"))
        end = parse_iso_date(source.get("endDate"))
        if start is not None:
            record.set("start_date", start, Evidence(extractor, f"{base}.startDate", 0.9))
            if end is not None and end >= start:
                record.set("end_date", end, Evidence(extractor, f"{base}.endDate", 0.8))
            return


def _set_structured_modality(record: Record, node: dict[str, Any], path: str, extractor: str,
                             instance: dict | None, instance_path: str) -> None:
    for source, base in ((node, path), (instance, instance_path)):
        if not source:
            continue
        mode = modality_from_attendance_mode(source.get("eventAttendanceMode"))
        if mode:
            record.set("modality", mode, Evidence(extractor, f"{base}.eventAttendanceMode", 0.9))
            return
        mode = modality_from_course_mode(source.get("courseMode"))
        if mode:
            record.set("modality", mode, Evidence(extractor, f"{base}.courseMode", 0.85))
            return
    for source, base in ((node, path), (instance, instance_path)):
        if source and source.get("location") is not None:
            mode = modality_from_locations(source.get("location"))
            if mode:
                record.set("modality", mode, Evidence(extractor, f"{base}.location", 0.75))
                return


def _set_structured_provider(record: Record, ctx: PageContext, node: dict[str, Any], path: str,
                             extractor: str, instance: dict | None, instance_path: str) -> None:
    for source, base in ((node, path), (instance, instance_path)):
        if not source:
            continue
        for prop in ("provider", "organizer", "organiser", "sponsor"):
            name = org_name(resolve(source.get(prop), ctx.by_id))
            if name:
                record.set("provider", name, Evidence(extractor, f"{base}.{prop}", 0.9))
                return


def _set_structured_fee(record: Record, node: dict[str, Any], path: str, extractor: str,
                        instance: dict | None, instance_path: str) -> None:
    for source, base in ((node, path), (instance, instance_path)):
        if not source:
            continue
        if source.get("isAccessibleForFree") in (True, "true", "True", "yes"):
            _apply_fee(record, Fee("Free", True, 0.0),
                       Evidence(extractor, f"{base}.isAccessibleForFree", 0.9))
            return
        offers = source.get("offers")
        items = offers if isinstance(offers, list) else [offers]
        tiers = [tier for tier in (_offer_tier(offer) for offer in items[:20]) if tier]
        if not tiers:
            continue
        headline = headline_tier(tuple(tiers))
        first = headline or tiers[0]
        index = tiers.index(first)
        suffix = f".offers[{index}]" if isinstance(offers, list) else ".offers"
        text = "; ".join(f"{t.currency or ''} {t.amount:g}".strip() for t in tiers)
        fee = Fee(text, headline is None, first.amount, first.currency, first.period,
                  tuple(tiers))
        _apply_fee(record, fee, Evidence(extractor, f"{base}{suffix}", 0.9))
        return


def _offer_tier(offer: Any) -> FeeTier | None:
    """One schema.org Offer as a fee tier: price, currency, category and deadline."""
    fee = _offer_fee(offer)
    if fee is None or fee.amount is None or not isinstance(offer, dict):
        return None
    label = " ".join(str(offer.get(key) or "") for key in ("name", "category", "description"))
    parsed = parse_fee(label) if label.strip() else None
    kind = "free" if fee.amount == 0 else "standard"
    if parsed is not None and parsed.tiers:
        kind = parsed.tiers[0].kind if parsed.tiers[0].kind != "standard" else kind
    else:
        from extractors.fees import _kind_of  # the same kind words as in prose
        kind = _kind_of(label) if label.strip() and _kind_of(label) != "standard" else kind
    until = parse_iso_date(offer.get("validThrough"))
    audience = offer.get("eligibleCustomerType") or offer.get("audience")
    who = org_name(audience) if audience else None
    return FeeTier(fee.amount, fee.currency, who, kind, None,
                   until.isoformat() if until else None)


def _offer_fee(offer: Any) -> Fee | None:
    if not isinstance(offer, dict):
        return None
    price = offer.get("price", offer.get("lowPrice"))
    currency = offer.get("priceCurrency")
    currency = currency.strip().upper() if isinstance(currency, str) and currency.strip() else None
    if price is None or price == "":
        return None
    try:
        amount = float(str(price).replace(",", "."))
    except ValueError:
        return parse_fee(str(price), standalone=True)
    if not math.isfinite(amount) or amount < 0:  # "1e400", "NaN", "-5": not a price
        return None
    text = f"{currency or ''} {price}".strip()
    return Fee(text, amount == 0, amount, currency)


def _apply_fee(record: Record, fee: Fee, evidence: Evidence) -> None:
    record.set("fee_text", fee.text[:300], evidence)
    if fee.is_free is not None:
        record.set("is_free", fee.is_free, evidence)
    if fee.amount is not None:
        record.set("fee_amount", fee.amount, evidence)
    if fee.currency:
        record.set("fee_currency", fee.currency, evidence)
    tiers = fee.tiers or ((FeeTier(fee.amount, fee.currency, None,
                                   "free" if fee.is_free else "standard", fee.period),)
                          if fee.amount is not None else ())
    record.set("fees", [tier.as_dict() for tier in tiers], evidence)


def _set_structured_people(record: Record, node: dict[str, Any], path: str, extractor: str,
                           instance: dict | None, instance_path: str) -> None:
    for source, base in ((node, path), (instance, instance_path)):
        if not source:
            continue
        for prop in ("instructor", "performer", "contributor"):
            value = source.get(prop)
            items = value if isinstance(value, list) else [value]
            names = [n for n in (org_name(item) for item in items[:20]) if n]
            if names:
                record.set("trainers", names, Evidence(extractor, f"{base}.{prop}", 0.85))
                return


def _set_structured_language(record: Record, node: dict[str, Any], path: str, extractor: str,
                             instance: dict | None) -> None:
    for source in (node, instance):
        if not source:
            continue
        value = source.get("inLanguage")
        if isinstance(value, dict):
            value = value.get("alternateName") or value.get("name")
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, str):
            code = re.split(r"[-_]", value.strip().lower())[0]
            if re.fullmatch(r"[a-z]{2}", code):
                record.set("language", code, Evidence(extractor, f"{path}.inLanguage", 0.9))
                return


def _set_structured_duration(record: Record, node: dict[str, Any], path: str, extractor: str,
                             instance: dict | None, instance_path: str) -> None:
    for source, base in ((node, path), (instance, instance_path)):
        if not source:
            continue
        for prop in ("duration", "timeRequired"):
            raw = source.get(prop)
            if isinstance(raw, str) and raw.strip():
                evidence = Evidence(extractor, f"{base}.{prop}", 0.8)
                record.set("duration_text", raw.strip(), evidence)
                apply_duration(record, parse_iso_duration(raw) or duration_from_text(raw),
                               evidence)
                return


def apply_duration(record: Record, duration: Duration | None, evidence: Evidence) -> None:
    """Hours where stated; days and months as they are (a month is not 30 days)."""
    if duration is None:
        return
    if duration.hours is not None:
        record.set("duration_hours", duration.hours, evidence)
    if duration.days is not None:
        record.set("duration_days", duration.days, evidence)
    if duration.months is not None:
        record.set("duration_months", duration.months, evidence)
    if duration.hours_per_week is not None:
        record.set("hours_per_week", duration.hours_per_week, evidence)


def _set_event_status(record: Record, node: dict[str, Any], path: str, extractor: str) -> None:
    """schema.org ``eventStatus`` (cancelled, postponed, rescheduled); an
    ``OnDemandEvent`` is on demand."""
    raw = node.get("eventStatus")
    status = " ".join(map(str, raw)) if isinstance(raw, list) else str(raw or "")
    for word, value in (("cancel", "cancelled"), ("postpon", "postponed"),
                        ("reschedul", "postponed")):
        if word in status.lower():
            record.set("edition_status", value, Evidence(extractor, f"{path}.eventStatus", 0.9))
            return
    if "OnDemandEvent" in node_types(node):
        record.set("edition_status", "on demand", Evidence(extractor, f"{path}.@type", 0.8))


# ---------------------------------------------------------------------------------------
# Format


def _set_format(record: Record, ctx: PageContext, title: str, types: tuple[str, ...],
                description: str, extractor: str, path: str, *, use_page: bool,
                allow_default: bool = True) -> None:
    """Format from the title's cue words, the schema.org type, then the text."""
    if record.get("format") is not None:
        return
    cues = ctx.cues
    first = _title_format(cues, title)
    if first is not None:
        record.set("format", first[0], Evidence("taxonomy:title", f"cue '{first[1]}' in title",
                                                0.85))
        return
    typed = next((_TYPE_FORMATS[t] for t in types if t in _TYPE_FORMATS), None)
    if typed in ("course", "other"):
        record.set("format", typed, Evidence(extractor, f"{path}.@type", 0.75))
        return
    announced = _title_format(cues, ctx.announced_format or "") if use_page else None
    if announced is not None:
        record.set("format", announced[0], Evidence("text:announced",
                                                    f"cue '{announced[1]}' in announcement", 0.8))
        return
    for kind, label, value in ctx.doc.labelled if use_page else ():
        if kind == "type":
            found = _title_format(cues, value)
            if found is not None:
                record.set("format", found[0],
                           Evidence("html:labelled", f"{label}: {value[:80]}", 0.7))
                return
    site = _title_format(cues, ctx.site_name or "") if use_page else None
    if site is not None and site[0] in OFFER_FORMATS:
        # A site that names itself for training ("VIB Training") publishes trainings.
        record.set("format", site[0], Evidence("taxonomy:site", f"cue '{site[1]}' in site", 0.45))
        return
    text = description + " " + (ctx.doc.text[:6000] if use_page else "")
    counted = _counted_format(cues, text)
    if counted is not None:
        record.set("format", counted[0], Evidence("taxonomy:text", counted[1], 0.5))
        return
    if allow_default:
        _set_default_format(record, ctx, typed, types, extractor, path)


def _set_default_format(record: Record, ctx: PageContext, typed: str | None,
                        types: tuple[str, ...], extractor: str, path: str) -> None:
    """No cue anywhere: the schema.org type says, else "other" (an unnamed event)."""
    if typed:
        record.set("format", typed, Evidence(extractor, f"{path}.@type", 0.5))
    elif types:
        record.set("format", "other", Evidence(extractor, f"{path}.@type", 0.4))
    else:
        record.set("format", "other", Evidence("default", "no format cue anywhere", 0.2))


def _title_format(cues: CueIndex, title: str) -> tuple[str, str] | None:
    """The format named first in a title; at the same position the longer cue wins."""
    best: tuple[int, int, str, str] | None = None
    for tag, pattern in cues.formats.items():
        match = pattern.search(title)
        if match is None:
            continue
        key = (match.start(), -len(match.group(0)), tag, match.group(0))
        if best is None or key[:2] < best[:2]:
            best = key
    return (best[2], best[3]) if best else None


def _counted_format(cues: CueIndex, text: str) -> tuple[str, str] | None:
    """The format whose (unambiguous) cue words occur most often in ``text``."""
    if _NOT_A_TRAINING.search(text):
        return "other", "text says it is not a training"
    counts = cues.counts("formats_body", squeeze(_OF_COURSE.sub(" ", text)))
    if not counts:
        return None
    # Ties go to the more specific format (the taxonomy lists them most specific
    # first), except that "training" beats "course": course pages say "course" often
    # enough to win outright, while "a course" also names other things in passing.
    order = list(cues.formats_body)
    rank = {tag: (-1 if tag == "training" else order.index(tag)) for tag in order}
    best = max(counts, key=lambda tag: (counts[tag], -rank[tag]))
    return best, f"{counts[best]} mention(s) of {best} cues in text"


# ---------------------------------------------------------------------------------------
# Heuristics from the page


def fill_from_page(record: Record, ctx: PageContext, *, structured: bool) -> None:
    """Fill the fields ``record`` lacks from the page's own text and markup."""
    doc = ctx.doc
    if ctx.heuristic_title is not None:
        record.set("title", ctx.heuristic_title.value, ctx.heuristic_title.evidence)
    _set_description(record, doc)
    if doc.canonical:
        record.set("url", urljoin(ctx.url, doc.canonical), Evidence("html:canonical",
                                                                    doc.canonical, 0.7))
    og_url = doc.meta.get("og:url")
    if og_url and og_url.startswith(("http://", "https://")):
        record.set("url", og_url, Evidence("opengraph", "og:url", 0.65))
    record.set("url", ctx.url, Evidence("page", "page url", 0.6))
    _set_text_dates(record, doc, ctx.fetched_at)
    _set_text_fee(record, doc)
    _set_text_modality(record, doc)
    _set_page_provider(record, ctx)
    _set_labelled_lists(record, ctx)
    _set_duration_text(record, doc)
    _set_format(record, ctx, record.get("title") or "", (), record.get("description") or "",
                "html", "page", use_page=True, allow_default=not structured)
    _set_tags(record, ctx)
    _set_eu_and_inclusivity(record, doc)


def fill_minimal(record: Record, ctx: PageContext) -> None:
    """On listings, only page facts that hold for every item (provider, language)."""
    _set_page_provider(record, ctx, site_only=True)
    record.set("url", ctx.url, Evidence("page", "page url", 0.3))
    _set_tags(record, ctx)


def _set_description(record: Record, doc: Document) -> None:
    for key in ("og:description", "description", "twitter:description"):
        value = doc.meta.get(key)
        if value and len(value) > 30:
            record.set("description", html.unescape(value)[:2000], Evidence("html:meta", key, 0.6))
            return
    paragraph = next((line for line in doc.lines if len(line) > 120), None)
    if paragraph:
        record.set("description", paragraph[:2000], Evidence("html:text", paragraph[:80], 0.4))


def _main_lines(doc: Document) -> list[str]:
    """Main-text lines from just above the heading on.

    What precedes is mostly chrome, except the line or two that event pages put
    right above the title (the date, the venue).
    """
    cached = doc.cache.get("main_lines")
    if cached is not None:
        return cached
    lines = doc.lines
    if doc.h1:
        for index, line in enumerate(doc.lines):
            if line == doc.h1 or (len(doc.h1) > 10 and doc.h1 in line):
                lines = doc.lines[max(0, index - 2):]
                break
    doc.cache["main_lines"] = lines
    return lines


def _main_window(doc: Document) -> str:
    """The first part of the main text that the text heuristics read, joined once."""
    cached = doc.cache.get("main_window")
    if cached is None:
        cached = " \n ".join(_main_lines(doc)[:150])[:_TEXT_WINDOW]
        doc.cache["main_window"] = cached
    return cached


def _set_text_dates(record: Record, doc: Document, fetched_at: dt.datetime | None) -> None:
    """Start/end from a labelled date field, else the first event-like date in text,
    else a relative date ("next Friday") resolved against the fetch date."""
    for kind, label, value in doc.labelled:
        if kind != "date":
            continue
        span = _first_dated(find_dates(value, order=_order(doc)), doc, fetched_at)
        if span is not None:
            _apply_span(record, span, Evidence(_date_extractor("html:labelled", span),
                                               f"{label}: {value[:80]}", 0.8))
            return
    text = _main_window(doc)
    for span in find_dates(text, order=_order(doc)):
        if _NOT_EVENT_DATE.search(text[max(0, span.position - 60):span.position]):
            continue
        resolved = _first_dated([span], doc, fetched_at)
        if resolved is not None:
            _apply_span(record, resolved, Evidence(_date_extractor("text:dates", resolved),
                                                   resolved.text[:80], 0.6))
            return
    for found in relative_dates(text, fetched_at):
        if _NOT_EVENT_DATE.search(text[max(0, found.position - 60):found.position]):
            continue
        # date_source "relative": reviewers see that the date was inferred.
        record.set("start_date", found.date, Evidence(
            "text:relative_date", f"{found.text} (relative to {fetched_at:%Y-%m-%d})", 0.4))
        return


def _order(doc: Document) -> str:
    """The page's numeric date order ("dmy"/"mdy"), decided once per page."""
    cached = doc.cache.get("date_order")
    if cached is None:
        cached = numeric_order(_main_window(doc), doc.html_lang)
        doc.cache["date_order"] = cached
    return cached


def _date_extractor(base: str, span: DateSpan) -> str:
    """Mark a date whose year came from the fetch date rather than the page."""
    return base if span.has_year else f"{base}+fetched_year"


def _first_dated(spans: list[DateSpan], doc: Document,
                 fetched_at: dt.datetime | None = None) -> DateSpan | None:
    """The first span with a year; a year-less one borrows a year the page states.

    The year comes from a full date elsewhere on the page with the same day and
    month, else - when the fetch date is known - from the fetch date: the year that
    puts the date between two months before and ten months after the fetch.  It never
    comes from today's date.
    """
    for span in spans:
        if span.start is not None:
            return span
        year = _page_year_for(span, doc)
        inferred = year is None
        if inferred and fetched_at is not None:
            year = _year_near(fetched_at.date(), span.month or 0, span.day or 0)
        if year is not None:
            try:
                start = dt.date(year, span.month or 0, span.day or 0)
            except ValueError:
                continue
            return DateSpan(start, None, span.text, span.position, not inferred, span.month,
                            span.day)
    return None


def _year_near(anchor: dt.date, month: int, day: int) -> int | None:
    for year in (anchor.year, anchor.year + 1, anchor.year - 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if -62 <= (candidate - anchor).days <= 305:
            return year
    return None


def _page_year_for(span: DateSpan, doc: Document) -> int | None:
    for other in _full_dates(doc):
        if other.start and (other.start.month, other.start.day) == (span.month, span.day):
            return other.start.year
    return None


def _full_dates(doc: Document) -> list[DateSpan]:
    """Dated spans of the main text, computed once per page."""
    cached = doc.cache.get("full_dates")
    if cached is None:
        cached = [s for s in find_dates(_main_window(doc), order=_order(doc))
                  if s.start is not None]
        doc.cache["full_dates"] = cached
    return cached


def _apply_span(record: Record, span: DateSpan, evidence: Evidence) -> None:
    record.set("start_date", span.start, evidence)
    if span.end is not None:
        record.set("end_date", span.end, evidence)


def _set_text_fee(record: Record, doc: Document) -> None:
    """A labelled fee field, else the first sentence of the text that states a fee."""
    if record.get("is_free") is not None:
        return
    for kind, label, value in doc.labelled:
        if kind == "fee":
            fee = parse_fee(value, standalone=True)
            if fee is not None:
                _apply_fee(record, fee, Evidence("html:labelled", f"{label}: {value[:120]}", 0.75))
                return
    text = _main_window(doc)
    seen: set[str] = set()
    for start in fee_cue_positions(text):
        sentence = _sentence_at(text, start)
        if sentence in seen:
            continue
        seen.add(sentence)
        fee = parse_fee(sentence)
        line = _line_at(text, start)
        if fee is None and len(line) <= 40 and text.startswith(line, start):
            # A short line that starts with the cue ("Free", "Free for everyone") is a
            # fee value, as under a label.
            fee = parse_fee(line, standalone=True)
            sentence = line if fee is not None else sentence
        if fee is not None:
            _apply_fee(record, fee, Evidence("text:fee", sentence[:160], 0.55))
            return


def _line_at(text: str, position: int) -> str:
    """The line of the main window (lines are joined by " \\n ") holding ``position``."""
    start = text.rfind(" \n ", 0, position)
    end = text.find(" \n ", position)
    return text[start + 3 if start >= 0 else 0:end if end >= 0 else len(text)].strip()


def _sentence_at(text: str, position: int) -> str:
    """The sentence of ``text`` around ``position``, at most a few hundred characters."""
    start = max(text.rfind(". ", 0, position), text.rfind("! ", 0, position),
                text.rfind("? ", 0, position), position - 300)
    ends = [i for i in (text.find(". ", position), text.find("! ", position),
                        text.find("? ", position)) if i >= 0]
    end = min(ends + [position + 300, len(text)])
    return text[start + 1 if start >= 0 else 0:end + 1].strip()


def _set_text_modality(record: Record, doc: Document) -> None:
    if record.get("modality"):
        return
    location = next((value for kind, _label, value in doc.labelled if kind == "location"), None)
    found = modality_from_text(_main_window(doc), location_value=location)
    fmt = record.get("format")
    if found is None and fmt == "webinar":
        found = ("online", "format webinar")
    if found is not None:
        extractor = "html:labelled" if location and found[1] == location else "text:modality"
        record.set("modality", found[0], Evidence(extractor, found[1][:160], 0.6))


def _set_page_provider(record: Record, ctx: PageContext, *, site_only: bool = False) -> None:
    """Organiser field, then the unit named in the breadcrumb, then the site's name."""
    doc = ctx.doc
    organiser = next((item for item in doc.labelled if item[0] == "organiser"), None)
    if organiser and not site_only and 2 < len(organiser[2]) < 150:
        _, label, value = organiser
        record.set("provider", value, Evidence("html:labelled", f"{label}: {value}", 0.75))
    if not site_only:
        named = organiser_from_text(_main_window(doc))
        if named is not None:
            record.set("provider", named[0], Evidence("text:organiser", named[1], 0.55))
    unit = _domain_unit(ctx)
    if unit is not None:
        record.set("provider", unit, Evidence("html:domain_unit", f"{unit} in the title", 0.55))
    if ctx.site_unit:
        record.set("provider", ctx.site_unit,
                   Evidence("html:breadcrumb", f"{ctx.site_unit} ({ctx.site_name})", 0.5))
    if ctx.site_name:
        record.set("provider", ctx.site_name, Evidence("html:site_name", ctx.site_name, 0.6))
    if ctx.site_org:
        record.set("provider", ctx.site_org, Evidence("jsonld", "site Organization", 0.5))
    provider = record.get("provider")
    if provider and record.get("provider_category") is None:
        category = provider_category(provider, ctx.url, ctx.cues)
        if category is not None:
            record.set("provider_category", category[0],
                       Evidence("taxonomy:provider", category[1], 0.6))


def _domain_unit(ctx: PageContext) -> str | None:
    """A unit of the site's organisation named in the title: "4TU.AMI" on 4tu.nl.

    Federations and networks prefix their institutes with their own short name; the
    institute named in the title organises the event, where ``og:site_name`` often
    holds only a fragment of the federation's name ("Federation").
    """
    label = domain_label(ctx.url)
    if len(label) < 2:
        return None
    heading = ctx.doc.h1 or ctx.doc.title_tag or ""
    match = re.search(rf"(?<![\w.]){re.escape(label)}[.-][A-Za-z][\w-]*", heading, re.I)
    return match.group(0) if match else None


def _set_labelled_lists(record: Record, ctx: PageContext) -> None:
    for kind, label, value in ctx.doc.labelled:
        if kind == "trainers" and len(value) < 300:
            names = [n.strip() for n in re.split(r",|;|\band\b|&|\+", value) if n.strip()]
            record.set("trainers", names[:20], Evidence("html:labelled", f"{label}: {value}", 0.6))
        elif kind == "audience" and len(value) < 400:
            record.set("audience", value, Evidence("html:labelled", f"{label}: {value}", 0.6))
        elif kind == "duration" and len(value) < 200:
            record.set("duration_text", value, Evidence("html:labelled", f"{label}: {value}", 0.6))


# "6 weeks, 3 hours/week", "Duur: 4 uur": stated workload in the first lines of text.
_DURATION_HINT = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:hours?|hrs?|uur|stunden|heures|horas|ore)\s*(?:/|per|a|pro|par|por)"
    r"\s*(?:week|woche|semaine|semana|settimana)", re.I)


def _set_duration_text(record: Record, doc: Document) -> None:
    """Normalise a labelled duration, else a weekly workload stated in the text."""
    text = record.get("duration_text")
    if text is None:
        window = _main_window(doc)
        hint = _DURATION_HINT.search(window) if "week" in window.lower() or "woche" in \
            window.lower() or "sema" in window.lower() or "settimana" in window.lower() else None
        if hint is None:
            return
        text = window[max(0, hint.start() - 40):hint.end() + 40].strip()
        evidence = Evidence("text:duration", text[:120], 0.45)
        record.set("duration_text", text, evidence)
    else:
        evidence = Evidence("text:duration", str(text)[:120], 0.5)
    apply_duration(record, duration_from_text(str(text)), evidence)


def _set_tags(record: Record, ctx: PageContext) -> None:
    text = " ".join(str(record.get(name) or "") for name in ("title", "description"))
    topics = ctx.cues.tags_in("topics", text)
    record.set("topics", topics, Evidence("taxonomy:topics", "title and description", 0.6))
    verticals = ctx.cues.tags_in("verticals", text)
    record.set("verticals", verticals, Evidence("taxonomy:verticals", "title and description",
                                                0.5))
    audience_text = f"{record.get('audience') or ''} {text}"
    tags = ctx.cues.tags_in("audience", audience_text)
    if "city_staff" not in tags and city_staff_phrase(audience_text):
        # Phrases the word list cannot hold ("Mitarbeitende von Kommunalverwaltungen"):
        # the same reading as the targets_city_staff signal, so the two agree.
        order = list(ctx.cues.words["audience"]) or ["city_staff"]
        tags = sorted({*tags, "city_staff"},
                      key=lambda tag: order.index(tag) if tag in order else len(order))
    record.set("audience_tags", tags, Evidence("taxonomy:audience", "audience and description",
                                               0.5))


def _set_eu_and_inclusivity(record: Record, doc: Document) -> None:
    text = doc.text[:_TEXT_WINDOW]
    project = eu_project(doc.text)
    if project:
        record.set("eu_project", project[0], Evidence("text:eu_project", project[1], 0.5))
    sentence = inclusivity_sentence(text)
    if sentence:
        record.set("inclusivity", True, Evidence("text:inclusivity", sentence, 0.4))
        record.set("inclusivity_evidence", sentence, Evidence("text:inclusivity", sentence, 0.4))


def set_signals(record: Record, ctx: PageContext) -> None:
    """The study's closing questions, from the record's fields and the page's text."""
    parts = [str(record.get(name) or "") for name in ("title", "description", "audience")]
    if not ctx.is_listing:
        parts.append(_main_window(ctx.doc))
    signals, why = read_signals(" \n ".join(parts), record.plain(), ctx.cues)
    source = "; ".join(f"{name}: {words[:60]}" for name, words in why.items()) or "no cue"
    record.set("signals", signals, Evidence("text:signals", source, 0.5))


def set_edition_status(record: Record, fetched_at: dt.datetime | None,
                       ctx: PageContext | None = None, *, page_text: bool = True) -> None:
    """Cancelled / postponed / on demand as the page says, else upcoming / ongoing /
    past relative to the fetch time, when it is known.

    A structured ``eventStatus`` was set before and wins.  The text read is the
    record's title, plus the page's main text when the page is about one training
    (a listing's words may be about any of its items).
    """
    start, end = record.get("start_date"), record.get("end_date")
    today = fetched_at.date() if fetched_at is not None else None
    last = end if isinstance(end, dt.date) else start
    if ctx is not None and record.get("edition_status") is None:
        text = _main_window(ctx.doc) if page_text and not ctx.is_listing else ""
        said = status_from_text(str(record.get("title") or ""), text)
        # "On demand" is a way of taking a training with no fixed date; a dated
        # edition still to come stays upcoming.
        if said is not None and (said[0] != "on demand" or not isinstance(start, dt.date)
                                 or (today is not None and last < today)):
            record.set("edition_status", said[0], Evidence("text:status", said[1][:200], 0.6))
            return
    if today is None or not isinstance(start, dt.date):
        return
    status = "upcoming" if start > today else ("past" if last < today else "ongoing")
    record.set("edition_status", status, Evidence("dates", f"relative to {today}", 0.7))
