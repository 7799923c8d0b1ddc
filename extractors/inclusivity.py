"""Whether a training covers diversity, inclusion or accessibility for people.

Many of the words are ambiguous.  Dutch "inclusief lunch" is "lunch included",
"an accessible introduction" is an easy one, German "Vielfalt an Themen" is a range
of topics, "inclusive of VAT" is a price.  So two kinds of cue are read, in
English, German, French, Spanish, Italian, Dutch and Portuguese:

* phrases that are about people by themselves ("social inclusion", "gender
  equality", "people with disabilities", "Chancengleichheit", "igualdad de
  género", "pari opportunità", "mensen met een beperking", ...), which count alone;
* ambiguous words (inclusion, inclusive, diversity, Vielfalt, diversidad,
  accessible, equity, gender, ...), which count only when their own sentence also
  names people or groups of people (women, migrants, backgrounds, Menschen,
  personas, ...) - and, for accessibility, people with a disability.

The result is the sentence that says so, kept as evidence.
"""

from __future__ import annotations

import re

from extractors.cues import finditer_near, search_near

__all__ = ["inclusivity_sentence"]

_STRONG = re.compile(
    # English
    r"\b(?:diversity|equity|equality)\s*(?:,|and|&)\s*(?:(?:equity|diversity)\s*(?:,|and|&)\s*)?"
    r"inclusion|\binclusion\s*(?:,|and|&)\s*(?:diversity|equity)"
    r"|\b(?:equity|equality)\s*(?:,|and|&)?\s+diversity"
    r"|\bdiversity\s*(?:,|and|&)\s*(?:equity|equality)"
    r"|\b(?:social|digital)\s+inclusion|\binclusive\s+(?:society|societies|cit(?:y|ies)|design"
    r"|participation|engagement|language|education|communit\w+|workplaces?|leadership"
    r"|governance|democracy|planning|growth|practices?|approach\w*|spaces?|teaching"
    r"|classrooms?|environments?|innovation|mobility)"
    r"|\bgender[\s-]+(?:equality|equity|balance|perspectives?|mainstreaming|sensitive|responsive"
    r"|inclusive|diversity|gap|identit\w+|based\s+violence|and\s+diversity)"
    r"|\bunder[\s-]?represented\s+(?:groups?|communities|people|students|minorities|voices)"
    r"|\bmarginali[sz]ed\s+(?:groups?|communities|people|youth|voices|neighbou?rhoods)"
    r"|\b(?:vulnerable|disadvantaged)\s+(?:groups?|people|communities|populations|citizens)"
    r"|\bhard[\s-]to[\s-]reach\s+(?:groups?|communities|citizens|people)"
    r"|\b(?:people|persons|participants|citizens|users|students|visitors)\s+with\s+(?:a\s+)?"
    r"(?:disabilit\w+|impairments?|special\s+needs|migrant\s+background|migration\s+background)"
    r"|\bdisabled\s+(?:people|persons|participants)|\bwheelchair[\s-]+(?:accessible|users?|access)"
    r"|\bbarrier[\s-]free|\bstep[\s-]free|\bsign\s+language|\bneurodiver\w+"
    r"|\bequal\s+opportunit\w+|\b(?:anti|non)[\s-]discrimination|\bdiverse\s+backgrounds"
    r"|\b(?:cultural|ethnic|social|gender)\s+diversity|\bdigital\s+divide"
    r"|\bleave\s+no\s+one\s+behind|\bdigitale[rn]?\s+(?:Kluft|Spaltung|Teilhabe)"
    r"|\bfracture\s+numérique|\bbrecha\s+digital|\bdivario\s+digitale|\bdigitale\s+kloof"
    r"|\bexclusão\s+digital"
    # German
    r"|\bInklusion\w*|\binklusive[nrms]?\s+(?:Gesellschaft|Stadt|Städte|Bildung|Sprache"
    r"|Beteiligung|Planung|Gestaltung|Teilhabe|Stadtentwicklung)|\bDiversität"
    r"|\b(?:kulturelle|gesellschaftliche|soziale|sexuelle|geschlechtliche|ethnische|religiöse)"
    r"[nr]?\s+Vielfalt|\bVielfalt\s+(?:und|&)\s+(?:Inklusion|Teilhabe|Chancengleichheit)"
    r"|\bGleichstellung\w*|\bChancengleichheit|\bGeschlechtergerechtigkeit"
    r"|\bgeschlechtergerecht\w*|\bgender(?:sensib|gerecht)\w*|\bbarrierefrei\w*"
    r"|\bBarrierefreiheit|\bMenschen\s+mit\s+(?:Behinderung\w*|Beeinträchtigung\w*"
    r"|Migrationshintergrund|Migrationsgeschichte|Fluchterfahrung)|\bAntidiskriminierung\w*"
    r"|\bbenachteiligte[nr]?\s+(?:Gruppen|Menschen|Jugendliche\w*)|\bmarginalisierte\w*"
    r"|\bsoziale\s+Teilhabe|\bGebärdensprache|\brollstuhl(?:gerecht|zugänglich)\w*"
    # French
    r"|\binclusion\s+(?:sociale|numérique|des\s+personnes)|\b(?:société|ville|démarche"
    r"|approche|écriture|participation|conception)\s+inclusive|\bdiversité\s+(?:culturelle"
    r"|sociale|et\s+(?:l['’])?inclusion)|\bégalité\s+(?:femmes[\s-]hommes|hommes[\s-]femmes"
    r"|des\s+chances|de\s+genre|entre\s+les\s+femmes)|\bpersonnes\s+(?:en\s+situation\s+de"
    r"\s+handicap|handicapées|à\s+mobilité\s+réduite|vulnérables|éloignées)"
    r"|\bsituation\s+de\s+handicap|\bpublics?\s+(?:vulnérables|éloignés|fragiles)"
    r"|\blangue\s+des\s+signes|\blutte\s+contre\s+les\s+discriminations"
    # Spanish
    r"|\binclusión\s+social|\b(?:sociedad|ciudad|ciudades|participación|diseño|lenguaje"
    r"|educación|enfoque)\s+inclusiv[oa]s?|\bdiversidad\s+(?:cultural|funcional|sexual"
    r"|de\s+género|étnica|e\s+inclusión|y\s+(?:la\s+)?inclusión)|\bigualdad\s+de\s+(?:género"
    r"|oportunidades)|\b(?:perspectiva|enfoque)\s+de\s+género|\bpersonas\s+con\s+discapacidad"
    r"|\bdiscapacidad\w*|\baccesibilidad\s+universal|\b(?:colectivos|grupos)\s+vulnerables"
    r"|\blengua\s+de\s+signos|\bno\s+discriminación"
    # Italian
    r"|\binclusione\s+sociale|\b(?:società|città|partecipazione|progettazione|linguaggio"
    r"|educazione|approccio|scuola)\s+inclusiv[aoie]|\bdiversità\s+(?:culturale|di\s+genere"
    r"|e\s+inclusione)|\bparità\s+di\s+genere|\bpari\s+opportunità|\buguaglianza\s+di\s+genere"
    r"|\bprospettiva\s+di\s+genere|\bpersone\s+con\s+disabilità|\bdisabilità"
    r"|\bsoggetti\s+(?:fragili|vulnerabili)|\bfasce\s+(?:deboli|fragili|vulnerabili)"
    r"|\bgruppi\s+vulnerabili|\bbarriere\s+architettoniche|\blingua\s+dei\s+segni"
    # Dutch ("inclusief" alone is "including": not a cue)
    r"|\binclusie\b|\binclusieve\s+(?:samenleving|stad|steden|participatie|aanpak|taal"
    r"|organisatie|communicatie|werkvloer|arbeidsmarkt|onderwijs|ontwerp|democratie|wijk)"
    r"|\bdiversiteit\s+(?:en|&)\s+inclusie|\bculturele\s+diversiteit|\bgelijke\s+kansen"
    r"|\bkansengelijkheid|\bgendergelijkheid|\bmensen\s+met\s+een\s+(?:\w+\s+)?(?:beperking"
    r"|handicap|migratieachtergrond)|\brolstoel(?:toegankelijk|vriendelijk)\w*"
    r"|\bkwetsbare\s+(?:groepen|burgers|mensen|doelgroepen)|\bgebarentaal|\blaaggeletterd\w*"
    r"|\banti-?discriminatie"
    # Portuguese
    r"|\binclusão\s+(?:social|digital|de\s+pessoas)|\b(?:sociedade|cidade|cidades|participação"
    r"|educação|linguagem|abordagem)\s+inclusiv[oa]s?|\bdiversidade\s+(?:cultural"
    r"|de\s+g[êé]nero|e\s+inclusão|sexual|étnica)|\bigualdade\s+de\s+(?:g[êé]nero"
    r"|oportunidades)|\bperspectiva\s+de\s+g[êé]nero|\bpessoas\s+com\s+deficiência"
    r"|\bdeficiência|\bacessibilidade\s+(?:universal|para\s+pessoas)|\bgrupos\s+vulneráveis"
    r"|\blíngua\s+(?:gestual|de\s+sinais)",
    re.I,
)
_STRONG_LITERALS = (
    "inclusi", "inklusi", "equity", "equality", "gender", "represented", "marginali",
    "vulnerable", "disadvantaged", "hard to reach", "hard-to-reach", "disab", "impairment",
    "special needs", "migra", "wheelchair", "barrier", "step", "sign language", "neurodiver",
    "opportunit", "discrimina", "diverse backgrounds", "diversity", "diversität", "vielfalt",
    "gleichstellung", "chancengleichheit", "geschlechtergerecht", "barrierefrei",
    "behinderung", "beeinträchtigung", "fluchterfahrung", "benachteiligt", "marginalisiert",
    "teilhabe", "gebärdensprache", "rollstuhl", "diversité", "égalité", "handicap",
    "mobilité réduite", "vulnérables", "éloignées", "éloignés", "fragiles", "langue des signes",
    "inclusión", "inclusiv", "diversidad", "igualdad", "género", "discapacidad", "accesibilidad",
    "lengua de signos", "inclusione", "diversità", "parità", "pari opportunità", "uguaglianza",
    "genere", "disabilità", "fragili", "vulnerabili", "deboli", "barriere", "lingua dei segni",
    "inclusie", "diversiteit", "gelijke kansen", "kansengelijkheid", "gendergelijkheid",
    "beperking", "rolstoel", "kwetsbare", "gebarentaal", "laaggeletterd", "inclusão",
    "diversidade", "igualdade", "gênero", "deficiência", "acessibilidade", "vulneráveis",
    "língua", "divide", "no one", "kluft", "spaltung", "fracture", "brecha", "divario",
    "kloof", "exclusão",
)
# Ambiguous words: they count only with people named in the same sentence.
_WEAK = re.compile(
    r"\b(?:inclusion|inclusive|inclusivity|inclusiveness|diversity|diverse|equality"
    r"|gender|inklusiv\w*|Vielfalt|Gleichberechtigung|inclusif|inclusive|diversité|égalité"
    r"|inclusión|inclusiv[oa]s?|diversidad|igualdad|inclusione|diversità|uguaglianza"
    r"|diversiteit|gelijkheid|gelijkwaardigheid|inclusão|diversidade|igualdade)\b",
    re.I,
)
_WEAK_LITERALS = (
    "inclusi", "diversi", "diverse", "equality", "gender", "inklusiv", "vielfalt",
    "gleichberechtigung", "égalité", "igualdad", "uguaglianza", "gelijkheid",
    "gelijkwaardigheid", "inclusão", "igualdade",
)
_PEOPLE = re.compile(
    r"\b(?:people|persons|women|girls|minorit\w+|migrants?|refugees?|newcomers|ethnic\w*"
    r"|backgrounds?|cultures|disab\w+|impair\w+|wheelchair|elderly|older\s+(?:people|adults)"
    r"|young\s+people|LGBT\w*|queer|communities|society|regardless\s+of|everyone|no\s+one"
    r"|nobody|nadie|nessuno|niemand|ninguém"
    r"|Menschen|Personen|Frauen|Mädchen|Minderheit\w*|Migrant\w*|Geflüchtete\w*|Herkunft"
    r"|Behinderung\w*|Beeinträchtigung\w*|Rollstuhl\w*|Senior\w*|Geschlecht\w*|Gesellschaft"
    r"|Teilhabe|personnes|femmes|filles|minorités|réfugié\w*|origines?|handicap\w*"
    r"|genre|société|publics|personas|mujeres|niñas|minorías|migrantes|refugiad\w*"
    r"|origen|discapacidad|mayores|género|sociedad|colectivos|persone|donne|ragazze"
    r"|minoranze|migranti|rifugiat\w*|disabilità|anziani|genere|società|mensen|personen"
    r"|vrouwen|meisjes|minderheden|migranten|vluchtelingen|nieuwkomers|achtergrond\w*"
    r"|beperking\w*|rolstoel\w*|ouderen|samenleving|doelgroepen|pessoas|mulheres"
    r"|meninas|minorias|refugiad\w*|origem|deficiência|idosos|gênero|sociedade)\b",
    re.I,
)
# Accessibility words count only with a disability or a physical barrier named.
_ACCESS = re.compile(
    r"\b(?:accessib\w+|zugänglich\w*|Zugänglichkeit|accessibilité|accesibilidad|accesible"
    r"|accessibilità|accessibile|toegankelijk\w*|acessibilidade|acessível)\b",
    re.I,
)
_ACCESS_LITERALS = ("accessib", "zugänglich", "accesib", "toegankelijk", "acessib", "acessív")
_DISABILITY = re.compile(
    r"\b(?:disab\w+|impair\w+|wheelchairs?|blind|deaf|hard\s+of\s+hearing|hearing\s+loops?"
    r"|visually|mobility|sign\s+language|step[\s-]free|lifts?|elevators?|Behinderung\w*"
    r"|Rollstuhl\w*|blinde?|gehörlos\w*|handicap\w*|PMR|malvoyant\w*|sourd\w*|discapacidad"
    r"|silla\s+de\s+ruedas|ciego\w*|sord[oa]s?|disabilità|sedia\s+a\s+rotelle|non\s+vedent\w+"
    r"|beperking\w*|rolstoel\w*|doof|doven|slechtziend\w*|deficiência|cadeira\s+de\s+rodas"
    r"|surd[oa]s?)\b",
    re.I,
)


def inclusivity_sentence(text: str) -> str | None:
    """The first sentence of ``text`` that says the training covers diversity,
    inclusion or accessibility for people; ``None`` when none does."""
    lowered = text.lower()
    best: int | None = None
    strong = search_near(_STRONG, text, lowered, _STRONG_LITERALS, width=80) \
        if any(literal in lowered for literal in _STRONG_LITERALS) else None
    if strong is not None:
        best = strong.start()
    for pattern, literals, context in ((_WEAK, _WEAK_LITERALS, _PEOPLE),
                                       (_ACCESS, _ACCESS_LITERALS, _DISABILITY)):
        if not any(literal in lowered for literal in literals):
            continue
        for match in finditer_near(pattern, text, literals, width=40, limit=40):
            if best is not None and match.start() >= best:
                break
            low, high = _sentence_bounds(text, match.start(), match.end())
            sentence = text[low:high]
            if context.search(sentence) or _two_cues(sentence, match.group(0)):
                best = match.start()
                break
    if best is None:
        return None
    low, high = _sentence_bounds(text, best, best + 1)
    return text[low:high].strip()[:400]


def _two_cues(sentence: str, word: str) -> bool:
    """Two different cue words make the point too: "inclusion and equality",
    "inclusion, accessibility and trust" (but not "a diversity of tools, accessible")."""
    stem = word.lower()[:5]
    weak = {m.group(0).lower()[:5] for m in _WEAK.finditer(sentence)} - {stem}
    if weak and not _ACCESS.fullmatch(word):
        return True
    inclusion = {"inclu", "inklu"}
    access = bool(_ACCESS.search(sentence))
    return (stem in inclusion and access) or (bool(_ACCESS.fullmatch(word)) and
                                              bool(inclusion & weak))


_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n| \n ")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around ``text[start:end]``, at most 250 characters either side."""
    low = max(0, start - 250)
    before = [m.end() for m in _SENTENCE_END.finditer(text, low, start)]
    after = _SENTENCE_END.search(text, end, end + 250)
    return (before[-1] if before else low), (after.end() if after else min(len(text), end + 250))
