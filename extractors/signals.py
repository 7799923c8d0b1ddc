"""The study's closing questions as booleans, and the EU project a training belongs to.

Signals: does the training target city staff, have a smart-city focus, use
participatory methods, combine theory with practice, belong to a series?  Each is
read from the record's own fields (audience tags, topics) and the main text, in
the seven languages, and each true signal keeps the words that made it true.
"""

from __future__ import annotations

import re

from extractors.cues import CueIndex, search_near

__all__ = ["SIGNAL_NAMES", "eu_project", "read_signals"]

SIGNAL_NAMES = ("targets_city_staff", "smart_city_focus", "participatory_methods",
                "theory_and_practice", "part_of_series")

_CITY_STAFF = re.compile(
    r"\b(?:city|municipal|local\s+government|public\s+sector)\s+(?:staff|officials?|officers?|"
    r"employees|administrators?|practitioners)|\bcivil\s+servants?|\bpublic\s+officials?"
    r"|\bgemeenteambtena\w+|\bambtena\w+|\bmedewerkers\s+van\s+gemeenten"
    r"|\bVerwaltungsmitarbeit\w+|\bkommunale\w*\s+(?:Mitarbeit\w+|Beschäftigte\w*|Verwaltung\w*)"
    r"|\bagents?\s+(?:territoriaux|municipaux|des\s+collectivités)|\bfonctionnaires?"
    r"|\bfuncionari[oa]s?\s+(?:públic|municipal)\w*|\btécnic[oa]s\s+municipales"
    r"|\bdipendenti\s+(?:pubblici|comunali)|\bfunzionari\s+(?:pubblici|comunali)"
    r"|\bservidores?\s+públicos?|\bfuncionários\s+(?:públicos|municipais)",
    re.I,
)
_SMART_CITY = re.compile(
    r"\bsmart[\s-]+(?:cit(?:y|ies)|region|urban)|\bciudades?\s+inteligentes?"
    r"|\bcittà\s+intelligent[ei]|\bvilles?\s+intelligentes?|\bslimme\s+steden?"
    r"|\bcidades?\s+inteligentes?|\burban\s+(?:data|digital\s+twin)|\bdigital\s+twins?",
    re.I,
)
_PARTICIPATORY = re.compile(
    r"\bparticipatory\s+(?:methods?|approach\w*|design|planning|budgeting|process\w*|mapping)"
    r"|\bco[\s-]?(?:creation|design|production)|\bcitizens?['’]?\s+(?:assembl\w+|panels?|juries)"
    r"|\bdeliberat\w+|\bworld\s+caf[eé]|\bdesign\s+thinking|\bliving\s+labs?"
    r"|\bmetodolog\w+\s+participativ\w+|\bm[ée]thodes?\s+participatives?"
    r"|\bpartizipative\w*\s+Method\w*|\bBürgerbeteiligung|\bparticipatieve?\s+method\w*"
    r"|\bco-?creatie|\bco-?creación|\bco-?creazione|\bco-?création|\bcocriação",
    re.I,
)
_THEORY = re.compile(
    r"\b(?:theor\w+|concepts?|lectures?|frameworks?|teor\w+|théor\w+|conceptos|concetti"
    r"|begrippen|Grundlagen|Vorlesung\w*)\b",
    re.I,
)
_PRACTICE = re.compile(
    r"\b(?:practi[cs]e|practical|hands[\s-]on|exercises?|case\s+stud\w+|field\s*work|"
    r"site\s+visits?|Praxis\w*|praktisch\w*|Übung\w*|práctic\w+|pratic\w+|pratique\w*|"
    r"praktijk\w*|oefening\w*|prátic\w+|exercícios|ejercicios|esercitazion\w+|"
    r"travaux\s+pratiques)\b",
    re.I,
)
_SERIES = re.compile(
    r"\b(?:part\s+(?:\d+|one|two|three|[ivx]+)\s+of|part\s+of\s+(?:a|the|our)\s+\w*\s*"
    r"(?:series|programme|program|cycle|track)|(?:webinar|lecture|seminar|workshop|training)"
    r"\s+series|series\s+of\s+(?:webinars|workshops|lectures|seminars|sessions|trainings)"
    r"|session\s+\d+\s+of\s+\d+|module\s+\d+\s+of\s+\d+|Teil\s+\d+\s+(?:von|der)"
    r"|(?:Veranstaltungs|Seminar|Vortrags|Webinar)reihe|ciclo\s+de\s+(?:webinars|seminarios|"
    r"talleres|formación)|ciclo\s+di\s+(?:webinar|seminari|incontri)|série\s+de\s+"
    r"(?:webinaires|séminaires|formations|ateliers)|webinarreeks|reeks\s+van|webinarserie"
    r"|lezingenreeks|série\s+de\s+webinários|\d+(?:st|nd|rd|th)\s+edition"
    r"|\d+(?:ª|a|e|ème)\s+edi(?:ción|zione|ção|tion))\b",
    re.I,
)

_PROGRAMMES = re.compile(
    r"\b(?:Horizon\s+2020|H2020|Horizon\s+Europe|HORIZON-[A-Z0-9-]+|Erasmus\+|Erasmus\s+Plus"
    r"|Interreg(?:\s+(?:Europe|NWE|North\s+Sea|Alpine\s+Space|MED|Euro-MED|[A-Z][\w-]*))?"
    r"|LIFE\s+programme|Creative\s+Europe|Digital\s+Europe|CERV|URBACT|European\s+Urban"
    r"\s+Initiative|EU\s+Mission\s+[\w-]+|Marie\s+Sk[łl]odowska-Curie)",
    re.I,
)
_FUNDED_BY_EU = re.compile(
    r"\b(?:(?:co-?)?funded|financed|supported)\s+by\s+the\s+European\s+(?:Union|Commission)"
    r"|\bgefördert\s+(?:durch|von)\s+der\s+Europäischen\s+Union|\bfinanciado\s+por\s+la\s+"
    r"Unión\s+Europea|\bfinanziato\s+dall['’]Unione\s+Europea|\bfinancé\s+par\s+l['’]Union\s+"
    r"européenne|\bgefinancierd\s+door\s+de\s+Europese\s+Unie|\bfinanciado\s+pela\s+União\s+"
    r"Europeia|\bcofinanciado\s+por\s+la\s+Unión\s+Europea",
    re.I,
)
_GRANT = re.compile(
    r"\b(?:grant\s+agreement|GA|project)\s*(?:No\.?|n[o°º]\.?|number|nr\.?|#)?\s*:?\s*"
    r"(?P<number>\d{6,9})\b",
    re.I,
)
# "The ACRONYM project" or "project ACRONYM": upper-case names of funded projects.
_ACRONYM = re.compile(
    r"\b(?:the\s+)?(?P<a>[A-Z][A-Z0-9-]{2,14}[A-Z0-9])\s+(?:project|projekt|proyecto|progetto|"
    r"projet|projeto)\b|\b(?:project|projekt|proyecto|progetto|projet|projeto)\s+"
    r"(?P<b>[A-Z][A-Z0-9-]{2,14}[A-Z0-9])\b"
)
_EU_LITERALS = ("horizon", "h2020", "erasmus", "interreg", "life programme", "creative europe",
                "digital europe", "cerv", "urbact", "europe", "europä", "europe", "unión",
                "unione", "union", "unie", "união", "grant", "marie sk")


# Literal parts of each pattern: a pattern only runs where one of them occurs, since
# substring tests over a page are far cheaper than scanning it with a large pattern.
_LITERALS: dict[str, tuple[str, ...]] = {
    "targets_city_staff": ("staff", "official", "officer", "employee", "administrator",
                           "practitioner", "servant", "ambtena", "gemeenten", "verwaltung",
                           "kommunal", "agent", "fonctionnaire", "funcionari", "municipal",
                           "dipendenti", "funzionari", "servidor"),
    "smart_city_focus": ("smart", "inteligente", "intelligent", "slimme", "urban data",
                         "digital twin"),
    "participatory_methods": ("participat", "co-", "co ", "cocrea", "cocria", "citizen",
                              "deliberat", "world caf", "design thinking", "living lab",
                              "partizipat", "bürgerbeteiligung", "participativ"),
    "theory": ("theor", "concept", "lecture", "framework", "teor", "théor", "concet",
               "begrip", "grundlagen", "vorlesung"),
    "practice": ("practi", "hands", "exercis", "case stud", "field", "site visit", "praxis",
                 "praktisch", "übung", "práctic", "pratic", "pratique", "praktijk", "oefening",
                 "prátic", "exercício", "ejercicio", "esercitazion", "travaux"),
    "part_of_series": ("part ", "series", "session ", "module ", "teil ", "reihe", "ciclo ",
                       "série", "reeks", "serie", "edition", "edici", "edizione", "edição"),
}


def read_signals(text: str, fields: dict[str, object], cues: CueIndex
                 ) -> tuple[dict[str, bool], dict[str, str]]:
    """The five signals and, for each true one, the words that made it true."""
    lowered = text.lower()
    audience_tags = fields.get("audience_tags") or []
    topics = fields.get("topics") or []
    why: dict[str, str] = {}
    if "city_staff" in audience_tags:
        why["targets_city_staff"] = "audience tag city_staff"
    _search(_CITY_STAFF, text, lowered, "targets_city_staff", why)
    if "smart_cities" in topics:
        why["smart_city_focus"] = "topic smart_cities"
    _search(_SMART_CITY, text, lowered, "smart_city_focus", why)
    participatory_topics = {"participation", "co_creation", "participatory_budgeting",
                            "deliberation"} & set(topics)
    if participatory_topics:
        why["participatory_methods"] = f"topic {sorted(participatory_topics)[0]}"
    _search(_PARTICIPATORY, text, lowered, "participatory_methods", why)
    theory = search_near(_THEORY, text, lowered, _LITERALS["theory"], width=40, earliest=False)
    practice = search_near(_PRACTICE, text, lowered, _LITERALS["practice"], width=40,
                           earliest=False) if theory else None
    if theory and practice:
        why["theory_and_practice"] = f"'{theory.group(0)}' and '{practice.group(0)}'"
    _search(_SERIES, text, lowered, "part_of_series", why)
    signals = {name: name in why for name in SIGNAL_NAMES}
    return signals, why


def _search(pattern: re.Pattern[str], text: str, lowered: str, name: str,
            why: dict[str, str]) -> None:
    if name in why:
        return
    # A signal is a yes/no: any match will do, so the search stops at the first.
    match = search_near(pattern, text, lowered, _LITERALS[name], width=80, earliest=False,
                        limit=12)
    if match is not None:
        why[name] = match.group(0)


def eu_project(text: str) -> tuple[str, str] | None:
    """``(value, snippet)``: programme, "funded by the EU", grant number and acronym."""
    lowered = text.lower()
    if not any(literal in lowered for literal in _EU_LITERALS):
        return None
    programme = _PROGRAMMES.search(text)
    funded = _FUNDED_BY_EU.search(text)
    anchor = programme or funded
    grant = _GRANT.search(text)
    if anchor is None and grant is None:
        return None
    if anchor is None and grant is not None and "grant" not in grant.group(0).lower():
        return None  # a bare "project 1234567" is no EU funding statement
    parts = []
    if programme is not None:
        parts.append(" ".join(programme.group(0).split()))
    elif funded is not None:
        parts.append("funded by the European Union")
    centre = (anchor or grant).start()  # type: ignore[union-attr]
    window = text[max(0, centre - 300):centre + 300]
    acronym = _ACRONYM.search(window)
    if acronym is not None:
        parts.append(f"project {acronym['a'] or acronym['b']}")
    if grant is not None:
        parts.append(f"grant agreement {grant['number']}")
    start = max(0, centre - 100)
    return "; ".join(parts), text[start:centre + 160].strip()
