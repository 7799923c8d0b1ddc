"""Online, in presence or hybrid: from schema.org attendance data, then from text.

Online events often arrive as a ``Place`` named "Online event" whose address fields
are all null or empty (hackgvl/events-api#55); such a place is not a venue.  Events
may also carry a ``Place`` and a ``VirtualLocation`` together, which is hybrid.  In
text, "online registration" says how to register, not how the course is held, so
it is never evidence of an online course.
"""

from __future__ import annotations

import re
from typing import Any

from extractors.cues import search_near

__all__ = [
    "modality_from_attendance_mode",
    "modality_from_course_mode",
    "modality_from_locations",
    "modality_from_text",
    "location_is_online",
]

_ONLINE_WORDS = re.compile(
    r"(?<!\w)(?:online|on-line|virtual|virtueel|virtuell|virtuel|zoom|ms teams|microsoft teams|"
    r"(?:via|on|in|through) teams|webex|google meet|livestream|live stream|live-stream|streamed|"
    r"webinar|e-learning|en ligne|en línea|in linea|a distancia|a distanza|op afstand|"
    r"à distance|à distância)(?!\w)",
    re.I,
)
# "online" that is about registering, paying or reading, not about attending.
_NOT_ATTENDANCE = re.compile(
    r"(?:online|on-line)[\s-]+(?:registration|register|form|application|payment|shop|store|"
    r"booking|sign[\s-]?up|enrol\w*|anmeldung|registrierung|inschrijving|aanmelding|"
    r"inscription|inscripción|iscrizione|inscrição|catalogue|catalog|access|version)"
    r"|(?:register|registration|apply|book|sign up|enrol\w*|anmelden|inschrijven|aanmelden|"
    r"s'inscrire|inscribirse|iscriversi|inscrever-se|available|published|read)[\s-]+online",
    re.I,
)
# "Hybrid cloud", "hybrid vehicles", "blended learning materials": the word is about a
# technology or a product, not about how an event is attended.
_NOT_ATTENDANCE_HYBRID = (
    r"(?![\s-]+(?:cloud|clouds|car|cars|vehicles?|engines?|work|working|models?|systems?|"
    r"architecture|architektur|apps?|rice|seeds?|energy|power|fahrzeug\w*|antrieb\w*|"
    r"infrastructure|infrastruktur)\b)"
)
# Hybrid in every supported language, all genders and numbers ("híbrida", "ibride",
# "hybrides"), and "in person and online" said in each language.
_BOTH = (
    r"in[\s-]person|on[\s-]?site|presencial(?:mente)?|in\s+presenza|(?:in\s+)?präsenz|vor\s+ort"
    r"|(?:en\s+)?présentiel|fysiek|op\s+locatie"
)
_REMOTE = (
    r"online|on-line|en\s+línea|a\s+distancia|a\s+distanza|à\s+distance|en\s+ligne"
    r"|à\s+distância|op\s+afstand|virtual|virtuell|virtueel|livestream"
    # "vor Ort und digital statt", but not "in person and digital tools"
    r"|digital(?![\s-]+(?:tools?|platforms?|media|skills|methods|transformation|services"
    r"|participation|solutions|technolog\w*|Werkzeuge|Medien|Methoden|Beteiligung))"
)
_HYBRID_WORDS = re.compile(
    r"(?<!\w)(?:hybrid(?:e[nrs]?)?|h[ií]brid[oa]s?|ibrid[oaie]|blended|semi-?presencial"
    r"|(?:modalidad|modalidade|modalità|formato)\s+mist[aoe]|modalidad\s+mixta|mixed[\s-]mode"
    rf"|(?:{_BOTH})\s+(?:and|or|und|oder|et|ou|y|o|e|en|of|\+|&|/)\s+(?:{_REMOTE})"
    rf"|(?:{_REMOTE})\s+(?:and|or|und|oder|et|ou|y|o|e|en|of|\+|&|/)\s+(?:{_BOTH})"
    r"|live\s+and\s+online)(?!\w)"
    + _NOT_ATTENDANCE_HYBRID,
    re.I,
)
_PRESENCE_WORDS = re.compile(
    r"(?<!\w)(?:in person|in-person|on site|on-site|on campus|campus|venue|room [A-Z]?\d|zaal|"
    r"lokaal|building|gebouw|gebäude|aula|auditorium|hörsaal|salle|presencial|presencialmente|"
    r"in presenza|präsenz|vor ort|présentiel|op locatie|ter plaatse)(?!\w)"
    r"|\b(?:takes?|taking|will\s+take)\s+place\s+(?:at|in)\s+(?:the\s+)?[A-Z]"
    # "will take place from 2 to 4 October at the University of Twente"
    r"|\b(?:takes?|taking|will\s+take)\s+place\b[^.;]{0,60}?\sat\s+the\s+"
    r"(?:University|Universit\w+|Hochschule|Town\s+Hall|City\s+Hall|Campus)\b"
    r"|\bvindt\s+plaats\s+(?:in|op|bij)\s+[A-Z]|\bim\s+[A-ZÄÖÜ]\w+\s+(?:Rathaus|Saal|Haus)\b"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straat|strasse|straße|weg|laan|plein|gracht|singel|markt|platz|"
    r"street|road|avenue|lane)\s+\d{1,4}\b",
    re.I,
)
# Literal parts of the patterns above, to skip the scan where none can match.
_HYBRID_LITERALS = (
    "hybrid", "hibrid", "híbrid", "ibrid", "blended", "presencial", "mist", "mixed", "online",
    "on-line", "en línea", "distan", "en ligne", "op afstand", "virtu", "digital", "livestream",
)
_ONLINE_LITERALS = (
    "online", "on-line", "virtu", "zoom", "teams", "webex", "meet", "stream", "webinar",
    "e-learning", "en ligne", "en línea", "in linea", "distan", "op afstand",
)
_PRESENCE_LITERALS = (
    "person", "site", "campus", "venue", "room", "zaal", "lokaal", "building", "gebouw",
    "gebäude", "aula", "auditorium", "hörsaal", "salle", "presencial", "presenza", "präsenz",
    "vor ort", "présentiel", "op locatie", "ter plaatse", "place", "plaats", "straat", "stra",
    "weg ", "laan", "plein", "gracht", "singel", "markt", "platz", "street", "road", "avenue",
    "lane", " im ",
)
_POSTCODE = re.compile(
    # Dutch "2311 BG", German/Swiss "8200 Schaffhausen" (not a year), British "SW1A 1AA".
    r"\b\d{4}\s?[A-Z]{2}\b|\b(?!(?:19|20)\d\d\b)\d{4,5}\s+[A-ZÄÖÜ][a-zäöüß]{2,}\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"
)


def modality_from_attendance_mode(value: Any) -> str | None:
    """schema.org ``eventAttendanceMode`` to ``online``/``in_presence``/``hybrid``."""
    text = " ".join(value) if isinstance(value, list) else str(value or "")
    lowered = text.lower()
    if "mixed" in lowered:
        return "hybrid"
    if "online" in lowered:
        return "online"
    if "offline" in lowered:
        return "in_presence"
    return None


def modality_from_course_mode(value: Any) -> str | None:
    """Bioschemas/schema.org ``courseMode`` ("online", "onsite", "blended", ...)."""
    modes = value if isinstance(value, list) else [value]
    words = " ".join(str(m).lower() for m in modes if isinstance(m, str))
    if not words:
        return None
    if re.search(r"blended|hybrid|mixed", words):
        return "hybrid"
    online = re.search(r"online|virtual|distance|remote", words)
    onsite = re.search(r"onsite|on-site|offline|in[\s-]person|face[\s-]to[\s-]face|classroom|"
                       r"presential", words)
    if online and onsite:
        return "hybrid"
    if online:
        return "online"
    if onsite:
        return "in_presence"
    return None


def location_is_online(location: Any) -> bool | None:
    """``True`` for a virtual location, ``False`` for a venue, ``None`` when unknown."""
    if isinstance(location, str):
        text = location.strip()
        if not text:
            return None
        if _ONLINE_WORDS.search(text) and not _PRESENCE_WORDS.search(text) \
                and not _POSTCODE.search(text):
            return True
        return False
    if not isinstance(location, dict):
        return None
    types = location.get("@type")
    type_text = " ".join(types) if isinstance(types, list) else str(types or "")
    if "VirtualLocation" in type_text:
        return True
    if _address_is_empty(location.get("address")):
        name = location.get("name")
        if isinstance(name, str) and _ONLINE_WORDS.search(name):
            return True
        if not (isinstance(name, str) and name.strip()):
            return None
    return False


def modality_from_locations(locations: Any) -> str | None:
    """Combine one or several locations: venue + virtual location is hybrid."""
    items = locations if isinstance(locations, list) else [locations]
    online = presence = False
    for item in items:
        verdict = location_is_online(item)
        if verdict is True:
            online = True
        elif verdict is False:
            presence = True
    if online and presence:
        return "hybrid"
    if online:
        return "online"
    if presence:
        return "in_presence"
    return None


def _address_is_empty(address: Any) -> bool:
    """An address whose every field is null or blank is no address at all."""
    if address is None:
        return True
    if isinstance(address, str):
        return not address.strip()
    if isinstance(address, dict):
        return all(
            not (isinstance(v, str) and v.strip()) and not isinstance(v, (dict, list))
            for k, v in address.items()
            if not k.startswith("@")
        )
    return False


def modality_from_text(text: str, *, location_value: str | None = None) -> tuple[str, str] | None:
    """``(modality, evidence)`` from a location field and free text, or ``None``.

    A labelled location value is read first: "Online", "MS Teams" or "Zoom" there is
    decisive, as is a street address.  Free text is read for explicit hybrid wording,
    then online words that are about attending (not registering), then venue words.
    """
    if location_value:
        verdict = _location_value_modality(location_value)
        if verdict:
            return verdict, location_value
    lowered = text.lower()
    hybrid = _search_if(_HYBRID_WORDS, text, lowered, _HYBRID_LITERALS)
    if hybrid and not _is_registration_channel(text, hybrid):
        return "hybrid", _snippet(text, hybrid)
    cleaned = _NOT_ATTENDANCE.sub(" ", text) if "online" in lowered else text
    online = _search_if(_ONLINE_WORDS, cleaned, lowered, _ONLINE_LITERALS)
    presence = _search_if(_PRESENCE_WORDS, cleaned, lowered, _PRESENCE_LITERALS) \
        or _POSTCODE.search(cleaned)
    if online and not presence:
        return "online", _snippet(cleaned, online)
    if presence and not online:
        return "in_presence", _snippet(cleaned, presence)
    if online and presence:
        # Both kinds of words: whichever comes first describes the course itself more
        # often than not (the venue or platform line precedes the programme).
        first = online if online.start() < presence.start() else presence
        return ("online" if first is online else "in_presence"), _snippet(cleaned, first)
    return None


# "Register on site or online", "Tickets vor Ort oder online": how to book, not how
# the course is held.
_BOOKING_BEFORE = re.compile(
    r"(?:regist\w*|sign\s+up|book\w*|pay\w*|tickets?|anmeld\w*|inscri\w*|iscri\w*|aanmeld\w*"
    r"|inschrijv\w*|apply|application|kaarten|billets?|entradas|biglietti|bilhetes)\W+"
    r"(?:\w+\W+){0,2}$",
    re.I,
)


def _is_registration_channel(text: str, match: re.Match[str]) -> bool:
    """A "both ways" phrase right after a booking word; hybrid words always count."""
    if re.search(r"hybrid|h[ií]brid|ibrid|blended|semi|mist|mixt|mixed", match.group(0), re.I):
        return False
    return bool(_BOOKING_BEFORE.search(text[max(0, match.start() - 40):match.start()]))


def _search_if(pattern: re.Pattern[str], text: str, lowered: str,
               literals: tuple[str, ...]) -> re.Match[str] | None:
    """Run ``pattern`` only around its literal parts: substring tests are much cheaper
    than a regular expression scan of a long page."""
    if not any(literal in lowered for literal in literals):
        return None
    return search_near(pattern, text, text.lower(), literals)


def _location_value_modality(value: str) -> str | None:
    cleaned = _NOT_ATTENDANCE.sub(" ", value)
    online = _ONLINE_WORDS.search(cleaned)
    presence = _PRESENCE_WORDS.search(cleaned) or _POSTCODE.search(cleaned)
    either = re.search(r"\b(?:or|of|oder|ou|o)\b", cleaned)
    if _HYBRID_WORDS.search(cleaned) or (online and either and len(cleaned) > len(online[0]) + 6):
        return "hybrid"
    if online and not presence:
        return "online"
    if online and presence:
        return "hybrid"
    return "in_presence" if value.strip() else None


def _snippet(text: str, match: re.Match[str], width: int = 60) -> str:
    start = max(0, match.start() - width)
    return text[start:match.end() + width].strip()
