"""The study's closing questions as booleans, and the EU project a training belongs to.

Signals: does the training target city staff, have a smart-city focus, use
participatory methods, combine theory with practice, belong to a series?  Each is
read from the record's own fields (audience tags, topics) and the main text, in
the seven languages, and each true signal keeps the words that made it true.

The EU project comes only from a funding statement ("funded by the European Union",
"grant agreement No ...", "gefördert durch", "financiado por", "an Erasmus+
project"): a page that merely names a programme ("funders like NWO and H2020") is
not part of an EU project.
"""

from __future__ import annotations

import re

from extractors.cues import CueIndex, finditer_near, search_near

__all__ = ["SIGNAL_NAMES", "city_staff_phrase", "eu_project", "read_signals"]

SIGNAL_NAMES = ("targets_city_staff", "smart_city_focus", "participatory_methods",
                "theory_and_practice", "part_of_series")

_CITY_STAFF = re.compile(
    r"\b(?:city|municipal|local\s+government|local\s+authority|public\s+sector)\s+(?:staff"
    r"|officials?|officers?|employees|administrators?|practitioners|workers)"
    r"|\bcivil\s+servants?|\bpublic\s+(?:officials?|servants?)|\b(?:staff|officers|employees)"
    r"\s+(?:of|from|in)\s+(?:local\s+authorities|municipalities|cities|city\s+halls?)"
    r"|\bgemeenteambtena\w+|\bambtena\w+|\bmedewerkers\s+van\s+(?:gemeenten|de\s+gemeente)"
    r"|\bgemeentemedewerkers|\bbeleidsmedewerkers\s+van\s+gemeenten"
    r"|\bVerwaltungsmitarbeit\w+|\bkommunale\w*\s+(?:Mitarbeit\w+|Beschäftigte\w*|Verwaltung\w*)"
    r"|\bKommunalverwaltung\w*|\bStadtverwaltung\w*|\b(?:Mitarbeitende|Mitarbeiter\w*"
    r"|Beschäftigte)\w*\s+(?:von|der|aus|in)\s+(?:Kommunen|Städten|Gemeinden|Verwaltungen)"
    r"|\bagents?\s+(?:territoriaux|municipaux|des\s+collectivités|publics)|\bfonctionnaires?"
    r"|\bcollectivités\s+(?:territoriales|locales)"
    r"|\bfuncionari[oa]s?\s+(?:públic|municipal)\w*|\btécnic[oa]s\s+municipales"
    r"|\bpersonal\s+(?:municipal|de\s+(?:los\s+)?ayuntamientos)|\bempleados\s+(?:públicos"
    r"|municipales)"
    r"|\bdipendenti\s+(?:pubblici|comunali)|\bfunzionari\s+(?:pubblici|comunali)"
    r"|\bpersonale\s+(?:comunale|degli\s+enti\s+locali)|\bamministrazioni\s+comunali"
    r"|\bservidores?\s+(?:públicos?|municipais)|\bfuncionários\s+(?:públicos|municipais)"
    r"|\b(?:técnicos|gestores)\s+municipais",
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
# The European Union (or its Commission) named in each language.
_EU_NAME = re.compile(
    r"\b(?:European\s+(?:Union|Commission)|EU|Europäische\w*\s+(?:Union|Kommission)"
    r"|Unión\s+Europea|Comisión\s+Europea|UE|Unione\s+[Ee]uropea|Commissione\s+[Ee]uropea"
    r"|Union\s+[Ee]uropéenne|Commission\s+[Ee]uropéenne|Europese\s+(?:Unie|Commissie)"
    r"|União\s+Europeia|Comissão\s+Europeia)\b"
)
# A statement that something is funded: "funded by", "has received funding from",
# "grant agreement", "gefördert durch", "financiado por", "finanziato da", "financé par",
# "gefinancierd door", "com o apoio de".  A programme merely named ("Funders like NWO
# and H2020 require ...") is no such statement.
_FUNDING = re.compile(
    r"\b(?:co-?)?funded\b|\b(?:has|have|had)\s+received\s+funding|\breceives\s+funding"
    r"|\bwith\s+funding\s+(?:from|by)|\bfunding\s+(?:was\s+|is\s+)?provided\s+by"
    r"|\bawarded\s+(?:an?\s+|the\s+)?(?:[\w+-]+\s+){0,3}?(?:grant|funding)\b"
    r"|\bgrant\s+agreement|\b(?:co-?)?financ(?:ed|é|ée|és|ées)\b|\bsupported\s+by"
    r"|\bwith\s+(?:the\s+)?(?:financial\s+)?support\s+(?:of|from)"
    r"|\bgefördert\b|\bFörder(?:ung|mitteln?)\s+(?:durch|von|aus|der|des|im\s+Rahmen)"
    r"|\b(?:ko|co)?finanziert\b"
    r"|\bmit\s+(?:finanzieller\s+)?Unterstützung|\bunterstützt\s+(?:durch|von)"
    r"|\b(?:co)?financiad[oa]s?\b|\bcon\s+(?:el\s+)?(?:apoyo|financiación)\s+de"
    r"|\bsubvencionad[oa]s?\b|\b(?:co)?finanziat[oaie]\b"
    r"|\bcon\s+il\s+(?:sostegno|contributo|supporto|cofinanziamento)\s+d"
    r"|\bsostenut[oaie]\s+da|\bavec\s+le\s+soutien\s+d|\bsoutenu\w*\s+par"
    r"|\bsubventionn\w+|\b(?:mede)?gefinancierd\b|\bgesubsidieerd\b"
    r"|\bmet\s+(?:de\s+)?(?:steun|financiering|subsidie)\s+van|\bmogelijk\s+gemaakt\s+door"
    r"|\bondersteund\s+door|\bcom\s+o\s+apoio\s+d|\bapoiad[oa]s?\s+pel[oa]",
    re.I,
)
_FUNDING_LITERALS = (
    "fund", "grant", "awarded", "financ", "support", "förder", "finanzi", "unterstützung",
    "unterstützt", "apoyo", "subvenc", "sostegno", "contributo", "supporto", "sostenut",
    "soutien", "soutenu", "subvention", "gefinancierd", "gesubsidieerd", "steun", "financiering",
    "subsidie", "mogelijk gemaakt", "ondersteund", "apoio", "apoiad",
)
# "an Erasmus+ project", "Interreg-Projekt", "H2020 project SMARTEES": the training
# belongs to a project of the programme - unless the project is being applied for.
_PROGRAMME_PROJECT = re.compile(
    r"\b(?:Horizon\s+2020|H2020|Horizon\s+Europe|Erasmus\+|Erasmus\s+Plus|Interreg(?:\s+\w+)?"
    r"|URBACT|Creative\s+Europe|Digital\s+Europe|(?-i:CERV|LIFE))[\s-]+(?:funded\s+)?"
    r"(?:project|projekt|proyecto|progetto|projet|projeto|partnership|network)\b"
    r"(?!\s*(?:proposals?|applications?|calls?|writing|submissions?|antr\w*|aanvra\w*))",
    re.I,
)
# Where a statement's programme, EU name and grant number are looked for.
_BEFORE, _AFTER = 150, 250
_GRANT = re.compile(
    r"\b(?:grant\s+agreement|GA|project)\s*(?:No\.?|n[o°º]\.?|number|nr\.?|#)?\s*:?\s*"
    r"(?P<number>\d{6,9})\b",
    re.I,
)
# "The ACRONYM project" or "project ACRONYM": upper-case names of funded projects.
_ACRONYM = re.compile(
    r"\b(?:the\s+)?(?P<a>[A-Z][A-Z0-9-]{2,14}[A-Z0-9])\s+(?:[Pp]roje[ck]t|[Pp]royecto|[Pp]rogetto"
    r"|[Pp]rojet|[Pp]rojeto)\b|\b(?:[Pp]roje[ck]t|[Pp]royecto|[Pp]rogetto|[Pp]rojet|[Pp]rojeto)\s+"
    r"(?P<b>[A-Z][A-Z0-9-]{2,14}[A-Z0-9])\b"
)
# Literal parts of each pattern: a pattern only runs where one of them occurs, since
# substring tests over a page are far cheaper than scanning it with a large pattern.
_LITERALS: dict[str, tuple[str, ...]] = {
    "targets_city_staff": ("staff", "official", "officer", "employee", "administrator",
                           "practitioner", "servant", "worker", "ambtena", "gemeente",
                           "verwaltung", "kommunal", "mitarbeit", "beschäftigte", "agent",
                           "fonctionnaire", "collectivités", "funcionari", "municipal",
                           "personal", "empleados", "dipendenti", "funzionari", "personale",
                           "amministrazioni", "servidor", "gestores", "técnicos"),
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


def city_staff_phrase(text: str) -> str | None:
    """The words of ``text`` that name city staff as the audience, in any language."""
    match = search_near(_CITY_STAFF, text, text.lower(), _LITERALS["targets_city_staff"],
                        width=80, earliest=False, limit=12)
    return match.group(0) if match else None


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
    """``(value, snippet)`` from a statement of EU funding; ``None`` without one.

    A statement is a funding phrase ("funded by", "grant agreement", "gefördert
    durch", "financiado por", ...) with the EU, an EU programme or a grant number near
    it, or a programme's project ("an Erasmus+ project").  The value names the
    programme (else "funded by the European Union"), the project acronym and the grant
    agreement number found around that statement.
    """
    lowered = text.lower()
    statement: tuple[int, str] | None = None
    if any(literal in lowered for literal in _FUNDING_LITERALS):
        for match in finditer_near(_FUNDING, text, _FUNDING_LITERALS, width=40):
            found = _funding_statement(text, match)
            if found is not None:
                statement = found
                break
    if statement is None and any(w in lowered for w in ("erasmus", "horizon", "h2020",
                                                         "interreg", "urbact", "europe",
                                                         "cerv", "life")):
        project = _PROGRAMME_PROJECT.search(text)
        if project is not None:
            programme = _PROGRAMMES.search(project.group(0))
            name = " ".join((programme.group(0) if programme else project.group(0)).split())
            statement = (project.start(), name)
    if statement is None:
        return None
    centre, programme_name = statement
    window = text[max(0, centre - _BEFORE):centre + _AFTER]
    parts = [programme_name]
    acronym = _ACRONYM.search(text[max(0, centre - 300):centre + 300])
    if acronym is not None:
        parts.append(f"project {acronym['a'] or acronym['b']}")
    grant = _GRANT.search(window)
    if grant is not None and not programme_name.startswith("grant agreement"):
        parts.append(f"grant agreement {grant['number']}")
    start = max(0, centre - 100)
    return "; ".join(parts), text[start:centre + 160].strip()


def _funding_statement(text: str, match: re.Match[str]) -> tuple[int, str] | None:
    """``(position, programme or "funded by the European Union")`` for a funding
    phrase whose own sentence names the EU, an EU programme or a grant agreement;
    ``None`` when the funder is someone else ("Funded by NWO.")."""
    low, high = _sentence_bounds(text, match.start(), match.end())
    sentence = text[low:high]
    if not (_PROGRAMMES.search(sentence) or _EU_NAME.search(sentence)
            or re.search(r"grant\s+agreement", sentence, re.I)):
        return None
    # The programme may follow in the next sentence ("Gefördert durch die Europäische
    # Union. Das Projekt wird von Erasmus+ getragen.").
    window_low, window_high = max(0, match.start() - _BEFORE), match.end() + _AFTER
    window = text[window_low:window_high]
    programmes = list(_PROGRAMMES.finditer(window))
    if programmes:
        nearest = min(programmes, key=lambda m: abs(window_low + m.start() - match.start()))
        return match.start(), " ".join(nearest.group(0).split())
    if _EU_NAME.search(sentence):
        return match.start(), "funded by the European Union"
    grant = _GRANT.search(sentence)
    if grant is not None:
        return match.start(), f"grant agreement {grant['number']}"
    return None


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-ZÀ-ÞÄÖÜ])|\n")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around ``text[start:end]``, at most 300 characters either side."""
    low = max(0, start - 300)
    before = [m.end() for m in _SENTENCE_END.finditer(text, low, start)]
    after = _SENTENCE_END.search(text, end, end + 300)
    return (before[-1] if before else low), (after.end() if after else min(len(text), end + 300))
