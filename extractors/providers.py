"""Who offers a training, and what kind of organisation that is.

The provider is read, in order of trust, from schema.org ``organizer``/``provider``,
an "Organiser" field on the page, ``og:site_name``, the site's schema.org
Organization or WebSite name, and the site name in ``<title>``.  A university
library or school that only names itself in the breadcrumb ("Home > University
Library > ...") is named as site plus unit ("UHasselt University Library").
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from extractors.cues import CueIndex

__all__ = ["org_name", "organiser_from_text", "provider_category", "unit_from_breadcrumbs"]

# "organised by X", "veranstaltet die X", "georganiseerd door X": the organiser named in
# prose.  The name is a run of capitalised words, joined by short function words.
_NAME = (
    r"(?P<name>(?:[A-ZÄÖÜÉ][\w.&'’-]*|[A-Z0-9]{2,}[\w.-]*)"
    r"(?:\s+(?:(?:of|for|and|&|the|der|die|des|für|und|van|voor|de|du|des|la|le|di|del|e|y)\s+)?"
    r"(?:[A-ZÄÖÜÉ][\w.&'’-]*|[A-Z0-9]{2,}[\w.-]*)){0,7})"
)
_ORGANISED_BY = re.compile(
    r"\b(?:organi[sz]ed\s+by|hosted\s+by|offered\s+by|presented\s+by|run\s+by|"
    r"georganiseerd\s+door|verzorgd\s+door|veranstaltet\s+(?:von\s+)?(?:der|die|das|dem|den)?|"
    r"ausgerichtet\s+von|organisé(?:e|s)?\s+par|organizado\s+por|organizada\s+por|"
    r"organizzat[oa]\s+da|promosso\s+da)\s+" + _NAME
)

_UNIT_WORDS = re.compile(
    r"\b(?:library|school|faculty|institute|centre|center|department|academy|college|"
    r"bibliotheek|faculteit|instituut|bibliothek|fakultät|institut|bibliothèque|faculté|"
    r"biblioteca|facultad|facoltà|instituto|istituto|escuela|scuola|escola)\b",
    re.I,
)
_HOME_WORDS = frozenset("home start startseite inicio accueil homepage hoofdpagina".split())
# Trainings named like units: a "Summer School" crumb is the course, not who gives it.
_EVENT_SCHOOLS = re.compile(
    r"\b(?:summer|winter|spring|autumn|doctoral|phd|sommer|été|verano|estiva|zomer|verão)"
    r"[ -]?(?:school|schule|école|escuela|scuola|school|escola)\b|"
    r"\b(?:école|escuela|scuola|escola) d[e']? ?(?:été|verano|estiva|verão)\b",
    re.I,
)
# Breadcrumb separators, when a site writes them as text between the links.
_CRUMB_SEPARATORS = re.compile(r"\s*[›»>/|→]\s*")
_UNIVERSITY_DOMAIN = re.compile(r"(?:\.edu(?:\.[a-z]{2})?$|\.ac\.[a-z]{2}$|(?:^|\.)uni-|univ|"
                                r"universit|hochschule|(?:^|\.)tu-)", re.I)


def org_name(value: Any) -> str | None:
    """The name of an Organization/Person value, a list of them, or a plain string."""
    if isinstance(value, list):
        names = [n for n in (org_name(v) for v in value[:5]) if n]
        return " and ".join(dict.fromkeys(names)) if names else None
    if isinstance(value, dict):
        name = value.get("name") or value.get("legalName") or value.get("alternateName")
        if isinstance(name, list):
            name = next((n for n in name if isinstance(n, str)), None)
        return name.strip() if isinstance(name, str) and name.strip() else None
    if isinstance(value, str) and value.strip() and not value.strip().startswith("http"):
        return value.strip()
    return None


# "4TU.CEE organizes a national event", "De RUG organiseert": the organiser as subject.
# The verb is found first and the name read backwards from it: a pattern that starts
# with a name would try every capitalised word of the page.
_ORGANISES_VERB = re.compile(
    r"\s+(?:organi[sz]es|is\s+organi[sz]ing|hosts|is\s+hosting|invites\s+you|"
    r"organiseert|organisiert|organise|organiza|organizza)\b"
)
_NAME_BEFORE = re.compile(_NAME + r"$")
_VERB_LITERALS = ("organi", "host", "invite", "veranstalt", "verzorgd", "ausgerichtet",
                  "offered by", "presented by", "run by", "promosso")


def organiser_from_text(text: str) -> tuple[str, str] | None:
    """``(name, snippet)`` of an organiser named in a sentence, or ``None``."""
    lowered = text.lower()
    if not any(literal in lowered for literal in _VERB_LITERALS):
        return None
    match = _ORGANISED_BY.search(text) or _subject_organiser(text)
    if match is None:
        return None
    name = match.group("name").strip(" .,&-")
    if len(name) < 3 or len(name.split()) > 9:
        return None
    start = max(0, match.start() - 30)
    return name, text[start:match.end() + 20]


def _subject_organiser(text: str) -> re.Match[str] | None:
    for verb in _ORGANISES_VERB.finditer(text):
        start = max(0, verb.start() - 80)
        name = _NAME_BEFORE.search(text, start, verb.start())
        if name is not None:
            return name
    return None


def unit_from_breadcrumbs(crumbs: list[str]) -> str | None:
    """The first breadcrumb naming an organisational unit (library, school, ...)."""
    parts = [part for crumb in crumbs for part in _CRUMB_SEPARATORS.split(crumb) if part]
    for crumb in parts[:5]:
        if _EVENT_SCHOOLS.search(crumb):
            continue
        words = crumb.split()
        while words and words[0].lower() in _HOME_WORDS:
            words = words[1:]
        text = " ".join(words)
        if text and len(text) < 60 and _UNIT_WORDS.search(text):
            return text
    return None


def provider_category(name: str, url: str, cues: CueIndex) -> tuple[str, str] | None:
    """``(category, reason)`` from the provider's name and the page's domain."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    if cues.multilateral is not None and (cues.multilateral.search(host) or
                                          cues.multilateral.search(name)):
        return "multilateral", "multilateral name or domain"
    first = cues.first_cue("provider_categories", name)
    if first is not None:
        return first[0], f"cue '{first[1]}' in provider name"
    if _UNIVERSITY_DOMAIN.search(host):
        return "university", f"university domain {host}"
    if host.endswith((".gov", ".gouv.fr", ".gob.es", ".gov.it", ".overheid.nl", ".bund.de")):
        return "public_body", f"government domain {host}"
    return None
