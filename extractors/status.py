"""Edition status said in words: cancelled, postponed, on demand.

Dates give upcoming / ongoing / past; schema.org gives ``eventStatus``.  Many pages
only say it in text: a title "CANCELLED: ..." or "[Abgesagt]", a line "This event
has been cancelled", "Die Veranstaltung wurde leider abgesagt", "La formation est
reportée", "Curso aplazado", "Evento annullato", "De lezing gaat niet door", "O
curso foi adiado"; or "available on demand", "self-paced", "im eigenen Tempo", "à
votre rythme", "a tu ritmo", "al tuo ritmo", "in je eigen tempo", "ao seu ritmo".

Cancellation policies use the same words ("if the course is cancelled you will be
refunded", "bei zu geringer Teilnehmerzahl wird der Kurs abgesagt"), so a
statement in a conditional or refund sentence does not count.
"""

from __future__ import annotations

import re

__all__ = ["status_from_text"]

_CANCELLED = (
    r"cancell?ed|called\s+off|abgesagt|annulé(?:e|s|es)?|annullat[oaie]|cancellat[oaie]"
    r"|cancelad[oa]s?|suspendid[oa]s?|sospes[oaie]|suspens[oa]s?|geannuleerd|afgelast"
)
_POSTPONED = (
    r"postponed|rescheduled|verschoben|reporté(?:e|s|es)?|aplazad[oa]s?|pospuest[oa]s?"
    r"|rinviat[oaie]|posticipat[oaie]|uitgesteld|adiad[oa]s?"
)
_WORD = rf"(?:{_CANCELLED}|{_POSTPONED})\b"
_EVENT_NOUNS = (
    r"event|course|workshop|webinar|training|seminar|lecture|session|meeting|conference|class"
    r"|Veranstaltung|Kurs|Seminar|Vortrag|Termin|Schulung|Tagung|Lesung|Fortbildung"
    r"|formation|événement|évènement|atelier|conférence|séminaire|webinaire|cours|rencontre"
    r"|curso|evento|taller|jornada|seminario|formación|conferencia|sesión|charla"
    r"|corso|incontro|convegno|laboratorio|lezione|cursus|lezing|bijeenkomst|cursusdag"
    r"|oficina|seminário|palestra|formação"
)
_STATEMENT = re.compile(
    # "has been cancelled", "wurde leider abgesagt", "a été annulée", "ha sido aplazado",
    # "è stato annullato", "is geannuleerd", "foi adiado"
    r"\b(?:has|have|had)\s+been\s+(?:\w+\s+)?" + _WORD
    + r"|\b(?:is|are|was|were)\s+(?:now\s+|unfortunately\s+|sadly\s+)?" + _WORD
    + r"|\b(?:wurde|wurden|wird|werden|ist|sind|muss|musste|müssen|mussten)\s+(?:\w+\s+){0,4}?"
    + _WORD
    + r"|\b(?:est|sont|a\s+été|ont\s+été|sera|seront)\s+(?:\w+\s+)?" + _WORD
    + r"|\b(?:ha|han)\s+sido\s+(?:\w+\s+)?" + _WORD
    + r"|\b(?:fue|fueron|queda|quedan|está|están|será)\s+(?:\w+\s+)?" + _WORD
    + r"|\b(?:è|sono)\s+(?:stat[oaie]\s+)?(?:\w+\s+)?" + _WORD
    + r"|\b(?:viene|vengono)\s+" + _WORD
    + r"|\b(?:wordt|werd|worden|zijn)\s+(?:\w+\s+){0,3}?" + _WORD
    + r"|\b(?:foi|foram|estão|serão)\s+(?:\w+\s+)?" + _WORD
    + rf"|\b(?:{_EVENT_NOUNS})s?\s+" + _WORD
    + r"|\bse\s+(?:cancela|suspende|aplaza|pospone)\b",
    re.I,
)
# Statements that need no participle: "entfällt", "fällt leider aus", "findet nicht
# statt", "gaat niet door", "komt te vervallen", "n'aura pas lieu", "non si terrà".
_CANCELLED_PHRASES = re.compile(
    r"\bentfällt\b|\bfällt\s+(?:\w+\s+){0,2}?aus\b|\bfindet\s+(?:\w+\s+){0,2}?nicht\s+statt\b"
    r"|\bgaat\s+(?:\w+\s+){0,2}?niet\s+door\b|\bkomt\s+te\s+vervallen\b"
    r"|\bn['’]aura\s+pas\s+lieu\b|\bnon\s+si\s+(?:terrà|svolgerà)\b"
    r"|\bno\s+se\s+(?:celebrará|realizará)\b"
    r"|\bnão\s+(?:se\s+)?realizará\b|\bwill\s+not\s+take\s+place\b|\bwon['’]t\s+take\s+place\b",
    re.I,
)
# A conditional or a refund rule: the words describe what may happen, not what did.
_CONDITIONAL = re.compile(
    r"\b(?:if|when|whenever|should|(?-i:may|might)|can|could|unless|in\s+case|policy|refund\w*"
    r"|wenn|falls|sofern|bei\s+(?:zu\s+)?(?:geringer|wenigen|ungenügender|nicht)|kann|können"
    r"|Rückerstattung|Stornierung|Storno\w*|en\s+cas|peut|peuvent|pourra|remboursement"
    r"|si\s+(?:le|la|les|l['’]|moins|pas|nous|vous|un|une|il|elle|no|hay|el|los|las|menos)"
    r"|en\s+caso|puede|pueden|podrá|reembolso|nel\s+caso|in\s+caso|può|possono|potrà|rimborso"
    r"|se\s+(?:il|la|le|i|gli|non|o|os|as|a|houver|não)|als|indien|wanneer|kan|kunnen"
    r"|terugbetaling|caso|pode|podem|poderá|reembolso|minimum|mindestens|minimo|mínimo)\b",
    re.I,
)
_ON_DEMAND = re.compile(
    r"\b(?:available|watch|view|access\w*|stream\w*|verfügbar|abrufbar|disponible|disponibile"
    r"|beschikbaar|disponível)\s+(?:\w+\s+){0,3}?on[\s-]demand\b"
    r"|\bon[\s-]demand\s+(?:webinar|course|training|video|recording|learning|session|module"
    r"|access|version|kurs|cursus|curso|corso)s?\b|\b(?:webinar|course|training|kurs|cursus"
    r"|curso|corso)s?\s+on[\s-]demand\b"
    r"|\bself[\s-]paced\s+(?:online\s+)?(?:course|training|module|mooc|e-?learning|programme"
    r"|program|tutorial|class)|\b(?:course|training|module|mooc|it)\s+is\s+(?:fully\s+|entirely\s+"
    r"|completely\s+)?self[\s-]paced\b|\b(?:start|begin|enrol+)\s+(?:at\s+)?any\s*time\b"
    r"|\bat\s+your\s+own\s+pace\b|\bin\s+your\s+own\s+(?:time|pace)\b"
    r"|\bim\s+eigenen\s+(?:Lern)?tempo\b|\bjederzeit\s+(?:starten|beginnen|abrufbar)\b"
    r"|\bauf\s+Abruf\b|\bà\s+(?:votre|ton|son)\s+(?:propre\s+)?rythme\b|\bà\s+la\s+demande\b"
    r"|\bdisponible\s+en\s+(?:différé|replay)\b|\ba\s+(?:tu|su)\s+(?:propio\s+)?ritmo\b"
    r"|\bbajo\s+demanda\b|\bempieza\s+cuando\s+quieras\b|\bal\s+(?:tuo|proprio)\s+ritmo\b"
    r"|\b(?:fruibile|disponibile|accessibile|iniziare|seguire)\s+in\s+qualsiasi\s+momento\b"
    r"|\bin\s+(?:je|jouw|uw)\s+eigen\s+tempo\b"
    r"|\bop\s+elk\s+(?:gewenst\s+)?moment\s+(?:starten|beginnen|volgen)\b"
    r"|\bao\s+seu\s+(?:próprio\s+)?ritmo\b|\bsob\s+demanda\b",
    re.I,
)
_TITLE_MARK = re.compile(
    rf"^\W*(?:{_CANCELLED}|{_POSTPONED})\b\s*[\]):!\-–—|]|[\[(]\s*(?:{_CANCELLED}|{_POSTPONED})"
    rf"\s*[\])]|[:\-–—|]\s*(?:{_CANCELLED}|{_POSTPONED})\s*!?\s*$",
    re.I,
)
_LITERALS = (
    "cancel", "called off", "abgesagt", "annul", "suspend", "sospes", "suspens", "afgelast",
    "postpon", "reschedul", "verschoben", "report", "aplaz", "pospuest", "rinviat",
    "posticipat", "uitgesteld", "adiad", "entfällt", "fällt", "findet", "gaat", "vervallen",
    "aura pas", "non si", "no se", "não", "take place", "demand", "paced", "any time",
    "anytime", "own pace", "own time", "tempo", "jederzeit", "abruf", "rythme", "ritmo",
    "qualsiasi momento", "elk moment", "elk gewenst", "différé", "replay", "demanda",
    "cuando quieras",
)


def status_from_text(title: str, text: str) -> tuple[str, str] | None:
    """``(status, evidence)``: ``cancelled``, ``postponed`` or ``on demand``, or ``None``.

    ``title`` is the training's title (a mark there is decisive); ``text`` is the main
    text of a page about that one training.
    """
    mark = _TITLE_MARK.search(title or "")
    if mark is not None:
        return _kind(mark.group(0)), title[:160]
    lowered = f"{title} {text}".lower()
    if not any(literal in lowered for literal in _LITERALS):
        return None
    for line in text.split(" \n ")[:150] if " \n " in text else [text]:
        found = _statement(line)
        if found is not None:
            return found
    for source in (title or "", text):
        demand = _ON_DEMAND.search(source)
        if demand is not None:
            return "on demand", _around(source, demand.start(), demand.end())
    return None


def _statement(text: str) -> tuple[str, str] | None:
    for pattern in (_STATEMENT, _CANCELLED_PHRASES):
        for match in pattern.finditer(text):
            sentence = _around(text, match.start(), match.end())
            if _CONDITIONAL.search(sentence):
                continue
            return _kind(match.group(0)), sentence
    return None


def _kind(words: str) -> str:
    lowered = words.lower()
    if re.search(_POSTPONED, lowered) or re.search(r"aplaza|pospone", lowered):
        return "postponed"
    return "cancelled"


def _around(text: str, start: int, end: int) -> str:
    """The sentence holding ``text[start:end]`` (bounded to 160 characters each side)."""
    low = max(0, start - 160)
    cut = max(text.rfind(". ", low, start), text.rfind("! ", low, start),
              text.rfind("? ", low, start))
    low = cut + 2 if cut >= 0 else low
    ends = [i for i in (text.find(". ", end), text.find("! ", end), text.find("? ", end))
            if 0 <= i < end + 160]
    high = min(ends) + 1 if ends else min(len(text), end + 160)
    return text[low:high].strip()
