"""Is a record a training offer, and is it on the study's theme?

The score adds up evidence for and against, each piece with a short reason that
reviewers see.  What counts for: schema.org Course markup, a training format named
in the title, a date, a fee, practical fields ("Date", "Location", "For whom")
and registration wording.  What counts against: news or blog markup around an
unrelated event, training *material* (LearningResource), Q&A pages, events that are
conferences, concerts or meetups, and pages with no date at all.  The weights were
set on the real-world corpus in ``../shared/realworld`` and checked for stability:
no single reason decides a page alone except the explicit "not a training" ones.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from extractors.cues import cue_index, finditer_near
from extractors.records import OFFER_FORMATS
from extractors.taxonomy import Taxonomy
from extractors.types import PageExtraction, Record

__all__ = ["Relevance", "assess", "OFFER_THRESHOLD"]

#: Score at or above which a record is taken as a training offer.  On the real-world
#: corpus the highest non-offer scored 0.35 and the lowest training offer 0.55, so
#: 0.45 sits in the middle of that gap.
OFFER_THRESHOLD = 0.45

_COURSE_TYPES = frozenset({"Course", "CourseInstance", "EducationEvent"})
_EVENT_TYPES = frozenset({"Event", "EventSeries", "OnDemandEvent"})
_NON_TRAINING_EVENT_TYPES = frozenset(
    "MusicEvent SportsEvent TheaterEvent ComedyEvent DanceEvent Festival FoodEvent SaleEvent "
    "ScreeningEvent SocialEvent ExhibitionEvent VisualArtsEvent ChildrensEvent LiteraryEvent "
    "BusinessEvent".split()
)
_ARTICLE_TYPES = frozenset(
    "Article NewsArticle BlogPosting Report ScholarlyArticle OpinionNewsArticle "
    "ReportageNewsArticle AnalysisNewsArticle LiveBlogPosting TechArticle".split()
)
_NOT_OFFER_TYPES = {
    "LearningResource": "training material markup (LearningResource)",
    "QAPage": "question-and-answer page markup",
    "Question": "question-and-answer page markup",
    "Recipe": "recipe markup",
    "MedicalStudy": "clinical study markup",
    "Product": "product page markup",
}
_REGISTRATION = re.compile(
    r"\b(?:register|registration|sign[\s-]?up|enrol(?:l|ment)?|apply|tickets?|inschrijven|"
    r"inschrijving|aanmelden|aanmelding|anmelden|anmeldung|inscription|s'inscrire|"
    r"inscripción|inscribirse|iscrizione|iscriviti|inscrição|inscreva)\b",
    re.I,
)
_LEARNING = re.compile(
    r"\b(?:learning outcomes?|learning objectives?|you will learn|you'll learn|participants will|"
    r"after (?:this|the) (?:course|training|session|workshop)|prerequisites?|target group|"
    r"for whom|who should attend|hands-on|leerdoelen|je leert|sie lernen|lernziele|"
    r"vous apprendrez|objectifs pédagogiques|aprenderás|objetivos de aprendizaje|imparerai|"
    r"obiettivi formativi|você vai aprender|objetivos de aprendizagem|trainers?|instructors?|"
    r"docenten?|certificate|certificaat|zertifikat|attestation|ects)\b",
    re.I,
)

# Literal parts of the two patterns above (every match contains one), so that they
# are only run around these words rather than over the whole page text.
_REGISTRATION_LITERALS = ("regist", "sign", "enrol", "apply", "ticket", "inschrijv", "aanmeld",
                          "anmeld", "inscri", "iscri", "inscreva")
_LEARNING_LITERALS = (
    "learning", "you will", "you'll", "participants will", "after th", "prerequisite",
    "target group", "for whom", "who should", "hands-on", "leerdoel", "je leert", "sie lernen",
    "lernziel", "vous apprendrez", "objectifs", "aprender", "objetivos", "imparerai",
    "obiettivi", "você vai", "trainer", "instructor", "docent", "certifica", "zertifikat",
    "attestation", "ects",
)


@dataclass(frozen=True, slots=True)
class Relevance:
    """The verdict on one record, with the reasons that add up to it."""

    score: float
    is_offer: bool
    on_theme: bool
    keep: bool
    reasons: tuple[str, ...]


def assess(page: PageExtraction, record: Record, taxonomy: Taxonomy, *,
           require_theme: bool = True) -> Relevance:
    """Score ``record`` as a training offer and check the theme; reads no files."""
    reasons: list[str] = []
    score = 0.0
    score += _markup_evidence(page, record, reasons)
    score += _format_evidence(record, reasons)
    score += _practical_evidence(page, record, reasons)
    score = max(0.0, min(1.0, score))
    vetoed = any(reason.startswith("veto:") for reason in reasons)
    is_offer = score >= OFFER_THRESHOLD and not vetoed
    on_theme = _on_theme(record, taxonomy, reasons)
    keep = is_offer and (on_theme or not require_theme)
    return Relevance(round(score, 3), is_offer, on_theme, keep, tuple(reasons))


def _evidence_of(record: Record, name: str) -> str:
    value = record.fields.get(name)
    return value.evidence.extractor if value is not None else ""


def _markup_evidence(page: PageExtraction, record: Record, reasons: list[str]) -> float:
    """Structured types of the page and of the record itself."""
    types = set(page.structured_types)
    score = 0.0
    for name, reason in _NOT_OFFER_TYPES.items():
        if name in types and not types & _COURSE_TYPES:
            reasons.append(f"veto: {reason}")
            return -1.0
    title_source = _evidence_of(record, "title")
    from_markup = title_source in ("jsonld", "microdata", "rdfa")
    if from_markup and types & _COURSE_TYPES:
        reasons.append("jsonld:Course")
        score += 0.35
    elif from_markup and types & (_EVENT_TYPES | _NON_TRAINING_EVENT_TYPES):
        reasons.append(f"{title_source}:Event")
        score += 0.15
    if types & _ARTICLE_TYPES:
        if from_markup and not _names_page(page, record):
            reasons.append("veto: event markup beside a news article (sidebar)")
            return -1.0
        reasons.append("news article markup")
        score -= 0.2
    if page.is_listing:
        if not from_markup:
            # A list of offers is not an offer; its items are read from their own pages
            # (or from their markup, when the listing carries one node per item).
            reasons.append("veto: listing page")
            return -1.0
        reasons.append("listing page")
    return score


def _names_page(page: PageExtraction, record: Record) -> bool:
    title = (record.get("title") or "").lower()
    page_title = (page.title or "").lower()
    return bool(title) and bool(page_title) and (title in page_title or page_title in title)


def _format_evidence(record: Record, reasons: list[str]) -> float:
    fmt = record.get("format")
    source = _evidence_of(record, "format")
    if fmt is None or source == "default":
        reasons.append("no format cue")
        return 0.0
    strength = {"taxonomy:title": 0.35, "text:announced": 0.35, "html:labelled": 0.25,
                "jsonld": 0.25, "microdata": 0.25, "rdfa": 0.25, "taxonomy:site": 0.2,
                "taxonomy:text": 0.15}.get(source, 0.1)
    if fmt in OFFER_FORMATS:
        where = "in title" if source == "taxonomy:title" else f"from {source}"
        reasons.append(f"format {fmt} {where}")
        return strength
    reasons.append(f"format {fmt} is not a training")
    return -strength - 0.15


def _practical_evidence(page: PageExtraction, record: Record, reasons: list[str]) -> float:
    """Dates, fees, venue and registration: what an offer tells its participants."""
    score = 0.0
    if record.get("start_date") is not None:
        source = _evidence_of(record, "start_date")
        reasons.append("date found")
        # A date read in running text is weaker than a labelled or structured one, and
        # one inferred from the fetch date ("next Friday", a year-less "16 June") is
        # weaker still: it says little about whether the page offers anything.
        if source == "text:relative_date" or source.endswith("+fetched_year"):
            score += 0.05
        else:
            score += 0.2 if source != "text:dates" else 0.1
    else:
        reasons.append("no date")
        score -= 0.2
    if record.get("is_free") is not None or record.get("fee_amount") is not None:
        reasons.append("fee found")
        score += 0.05
    if record.get("modality") is not None:
        score += 0.05
    if record.get("trainers"):
        reasons.append("trainers named")
        score += 0.05
    registration, learning = _text_cues(page.text[:8000])
    if registration:
        reasons.append("registration wording")
        score += 0.1
    if learning:
        reasons.append(f"{learning} learning cue(s)")
        score += min(0.15, 0.05 * learning)
    return score


@functools.lru_cache(maxsize=32)
def _text_cues(text: str) -> tuple[bool, int]:
    """Registration wording and learning cues of a page's text, read once per page:
    a listing's twenty records share the page text, and these scans are the costly
    part of the score."""
    registration = bool(finditer_near(_REGISTRATION, text, _REGISTRATION_LITERALS, limit=3))
    return registration, len(finditer_near(_LEARNING, text, _LEARNING_LITERALS))


def _on_theme(record: Record, taxonomy: Taxonomy, reasons: list[str]) -> bool:
    cues = cue_index(taxonomy)
    if cues.theme is None:
        return False
    text = " ".join([str(record.get("title") or ""), str(record.get("description") or ""),
                     " ".join(record.get("topics") or [])])
    match = cues.theme.search(text)
    if match:
        reasons.append(f"theme cue '{match.group(0)}'")
        return True
    reasons.append("no theme cue")
    return False
