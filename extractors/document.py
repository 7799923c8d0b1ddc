"""Parse a page once and read off everything the other extractors need.

One lexbor parse yields the head metadata (``<html lang>``, ``<title>``, OpenGraph,
canonical link), the raw JSON-LD texts, microdata items, the headings, and the main
visible text with navigation, footers, sidebars and "related events" blocks removed.
The main text is kept as lines (one per block of the page) so that labelled values
("Date" / "16 June 2023", "Location:" / "Online") can be read whatever the markup:
definition lists, tables, or divs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Document", "parse_document", "LABELS", "collapse"]

#: The cap on the main text kept for relevance and language detection.
MAIN_TEXT_CAP = 20_000
#: Raw text (with markup white space) read into lines: a margin over MAIN_TEXT_CAP.
_RAW_TEXT_CAP = 4 * MAIN_TEXT_CAP
#: Labelled fields ("Date", "Fee") sit in the first few hundred lines of a page.
_LABELLED_LINES = 600

_DROP_SELECTOR = (
    "script, style, noscript, template, svg, iframe, object, embed, select, button, dialog"
)
_CHROME_TAG_SELECTOR = "nav, footer, aside, header, form"
# Page chrome by class, id or role, matched in C by lexbor.  Each selector costs a pass
# over the tree, so the list is short: the words that real sidebars, breadcrumbs and
# "related events" boxes use, as substrings ("rug-breadcrumbs"), plus the class names
# of a post's byline, whose date is when a post was written - on blogs that announce
# an event it is easily mistaken for the event's date.
_CHROME_SELECTOR = ", ".join(
    [f'[class*="{w}"]' for w in ("sidebar", "breadcrumb", "cookie", "footer", "related",
                                  "widget", "navbar", "navigation", "share", "social",
                                  "menu", "skip", "other-events", "more-events")]
    + [f'[id*="{w}"]' for w in ("sidebar", "footer", "cookie", "menu", "nav")]
    + [f'[class~="{w}"]' for w in ("entry-date", "post-date", "post_date", "byline",
                                    "entry-meta", "post-meta", "posted-on", "dateline")]
    + [f'[role="{r}"]' for r in ("navigation", "banner", "contentinfo", "complementary")]
)
_KEEP_TAGS = frozenset({"html", "body", "main"})
_HEADING_SELECTOR = "h1, h2, h3, h4, h5, h6, [role=heading], dt, th, summary, legend"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\ufffe\uffff]")

#: Field labels of course and event pages, all supported languages, by meaning.
LABELS: dict[str, tuple[str, ...]] = {
    "date": ("date", "dates", "datum", "data", "fecha", "fechas", "when", "wann", "quand",
             "cuándo", "quando", "wanneer", "date and time", "datum en tijd", "start date",
             "startdatum", "begin", "period", "periode", "when and where", "termin",
             "termine", "date(s)", "datum/tijd", "date & time", "dag", "beginn", "start",
             "datum und uhrzeit", "fecha y hora", "data e ora", "date et heure", "data e hora"),
    "time": ("time", "tijd", "zeit", "uhrzeit", "heure", "horaire", "hora", "horario", "orario",
             "ora", "tijdstip"),
    "location": ("location", "locatie", "address", "adres", "venue", "where", "wo", "waar",
                 "lieu", "lugar", "luogo", "local", "ort", "veranstaltungsort", "place", "room",
                 "zaal", "when and where", "location and venue", "location & venue", "plaats",
                 "sede", "indirizzo", "dirección", "adresse", "anschrift", "veranstaltungsort"),
    "organiser": ("organiser", "organizer", "organisers", "organizers", "organised by",
                  "organized by", "event organiser", "event organizer", "organisator",
                  "organisatie", "veranstalter", "organisateur", "organizador", "organizzatore",
                  "organizzato da", "hosted by", "host", "provider", "offered by", "aanbieder",
                  "anbieter", "organização", "organizadores", "organisation"),
    "fee": ("price", "prices", "fee", "fees", "cost", "costs", "course fee", "registration fee",
            "participation fee", "tuition", "tuition fee", "admission", "tickets", "entrance",
            "kosten", "prijs", "cursusprijs", "deelnamekosten", "preis", "gebühr", "gebühren",
            "teilnahmegebühr", "prix", "tarif", "tarifs", "coût", "frais", "precio", "coste",
            "costo", "cuota", "matrícula", "prezzo", "quota", "costi", "preço", "custo",
            "price and availability", "target group and price", "fees and registration"),
    "audience": ("for whom", "target group", "target audience", "doelgroep", "zielgruppe",
                 "público", "destinatari", "voor wie", "audience", "who should attend",
                 "event intended for", "intended for", "public cible", "dirigido a",
                 "target group and price", "für wen", "pour qui", "para quién", "per chi"),
    "type": ("event type", "type", "category", "categorie", "categoría", "categoria",
             "kategorie", "format", "soort", "art", "type of event", "activity type"),
    "language": ("language", "languages", "taal", "voertaal", "sprache", "langue", "idioma",
                 "lingua", "língua", "course language"),
    "duration": ("duration", "duur", "dauer", "durée", "duración", "durata", "duração",
                 "workload", "study load", "studielast", "length"),
    "trainers": ("trainer", "trainers", "speaker", "speakers", "lecturer", "lecturers",
                 "teacher", "teachers", "instructor", "instructors", "docent", "docenten",
                 "referent", "referenten", "referentin", "sprecher", "intervenant",
                 "intervenants", "ponente", "ponentes", "relatore", "relatori", "spreker",
                 "sprekers", "coordinator", "coordinators", "course coordinator", "tutor",
                 "tutors", "facilitator", "facilitators", "moderator", "moderation"),
    "deadline": ("registration deadline", "deadline", "registration", "register",
                 "inschrijven", "aanmelden", "anmeldung", "anmeldeschluss", "inscription",
                 "inscripción", "iscrizione", "inscrição", "registration?", "sign up"),
}
_LABEL_INDEX: dict[str, tuple[str, ...]] = {}
for _kind, _words in LABELS.items():
    for _word in _words:
        _LABEL_INDEX[_word] = _LABEL_INDEX.get(_word, ()) + (_kind,)
_MULTILINE_KINDS = frozenset({"fee", "location", "audience", "trainers", "duration", "deadline"})
_INLINE_LABEL = re.compile(r"^\s*([^:]{2,32}?)\s*:\s*(\S.{0,300})$")


@dataclass(slots=True)
class Document:
    """What one parse of a page gives; every field is safe to read when empty."""

    html_lang: str | None = None
    title_tag: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    h1: str | None = None
    h1_all: list[str] = field(default_factory=list)
    jsonld_texts: list[str] = field(default_factory=list)
    microdata: list[dict[str, Any]] = field(default_factory=list)
    rdfa: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    text: str = ""
    labelled: list[tuple[str, str, str]] = field(default_factory=list)  # kind, label, value
    breadcrumbs: list[str] = field(default_factory=list)
    time_datetimes: list[str] = field(default_factory=list)
    n_article_blocks: int = 0
    n_item_links: int = 0  # distinct links in the main text whose anchor has 3+ words
    cache: dict[str, Any] = field(default_factory=dict)  # per-page memo for extractors


def collapse(text: str | None) -> str:
    """Collapse white space (any Unicode space) and drop control characters."""
    if not text:
        return ""
    return " ".join(_CONTROL.sub(" ", text).split())


def parse_document(html: str) -> Document:
    """Parse ``html`` once and collect metadata, structured data and main text."""
    # lexbor reads UTF-8 bytes about twice as fast as it reads a str.
    tree = LexborHTMLParser(html.encode("utf-8", "replace"))
    doc = Document()
    _read_head(tree, doc)
    doc.jsonld_texts = [node.text() or "" for node in tree.css("script")
                        if "ld+json" in (node.attributes.get("type") or "").lower()]
    # Substring gates: most pages carry neither syntax, and the selector walks cost.
    doc.microdata = _read_microdata(tree) if "itemscope" in html else []
    doc.rdfa = _read_rdfa(tree) if "typeof" in html else []
    doc.time_datetimes = [collapse(n.attributes.get("datetime"))
                          for n in tree.css("time[datetime]")]
    doc.h1_all = [t for t in (collapse(n.text()) for n in tree.css("h1")) if t]
    doc.breadcrumbs = _read_breadcrumbs(tree)
    _read_main_text(tree, doc)
    return doc


def _read_head(tree: LexborHTMLParser, doc: Document) -> None:
    root = tree.css_first("html")
    if root is not None:
        doc.html_lang = collapse(root.attributes.get("lang") or root.attributes.get("xml:lang"))
    title = tree.css_first("title")
    if title is not None:
        doc.title_tag = collapse(title.text())
    for node in tree.css("meta"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        content = attrs.get("content")
        if key and content and key not in doc.meta:
            doc.meta[key] = collapse(content)
        http_equiv = (attrs.get("http-equiv") or "").lower()
        if http_equiv == "content-language" and content and "content-language" not in doc.meta:
            doc.meta["content-language"] = collapse(content)
    for node in tree.css("link[rel]"):
        if (node.attributes.get("rel") or "").lower() == "canonical":
            doc.canonical = collapse(node.attributes.get("href")) or None
            break


def _read_breadcrumbs(tree: LexborHTMLParser) -> list[str]:
    for selector in ('[class*="breadcrumb"]', '[id*="breadcrumb"]', 'nav[aria-label*="readcrumb"]'):
        node = tree.css_first(selector)
        if node is not None:
            parts = [collapse(t) for t in node.text(separator="\n").split("\n")]
            return [p for p in parts if p and len(p) < 120][:10]
    return []


def _read_main_text(tree: LexborHTMLParser, doc: Document) -> None:
    """Strip page chrome, pick the main container, and keep its text as lines."""
    _remove(tree.css(_DROP_SELECTOR), set())
    heading = _main_heading(tree, doc)
    protected = _ancestors(heading)
    _remove(tree.css(_CHROME_TAG_SELECTOR), protected)
    container = _main_container(tree, heading)
    if container is None:
        return
    # Class-based chrome only inside the container: it is the costlier match and
    # what lies outside the container is not read anyway.
    _remove(container.css(_CHROME_SELECTOR), protected)
    # Headings (and definition terms, table headers) end a labelled value: "Fee" /
    # "EUR 200" / "What you will learn" is a fee of EUR 200, not "EUR 200 What you ...".
    headings = {collapse(node.text()) for node in container.css(_HEADING_SELECTOR)}
    headings.discard("")
    doc.n_article_blocks = len(container.css("article"))
    doc.n_item_links = len({
        link.attributes.get("href") for link in container.css("a[href]")
        if len(link.text().split()) >= 3
    })
    raw = container.text(separator="\n")
    if heading is not None and container.mem_id not in protected:
        # The heading sits in a page header above <main>; its block (subtitle, date)
        # describes the page too.
        block = heading.parent if heading.parent is not None else heading
        raw = "\n".join(block.text(separator="\n").split("\n")[:12]) + "\n" + raw
    # Only the head of the text is ever read (MAIN_TEXT_CAP, the heuristics' window);
    # cutting the raw text first keeps 300 KB pages as cheap as 30 KB ones.
    raw = raw[:_RAW_TEXT_CAP]
    lines = [" ".join(line.split()) for line in _CONTROL.sub(" ", raw).split("\n")]
    doc.lines = _join_broken_lines([line for line in lines if line])
    doc.text = " ".join(doc.lines)[:MAIN_TEXT_CAP]
    doc.labelled = _labelled_values(doc.lines[:_LABELLED_LINES], headings)


def _remove(nodes: list[LexborNode], protected: set[int]) -> None:
    """Decompose ``nodes`` except protected ones, children before their ancestors.

    Selector results come in document order; walking them backwards removes a node
    before any ancestor of it, so no removal touches a node already freed.
    """
    for node in reversed(nodes):
        if node.mem_id in protected or node.tag in _KEEP_TAGS:
            continue
        if node.tag == "aside" and _inside_article(node):
            continue
        node.decompose()


def _inside_article(node: LexborNode) -> bool:
    """An ``<aside>`` inside an ``<article>`` is that article's info box (price,
    registration), not the site's sidebar."""
    parent = node.parent
    depth = 0
    while parent is not None and depth < 200:
        if parent.tag == "article":
            return True
        parent = parent.parent
        depth += 1
    return False


def _main_heading(tree: LexborHTMLParser, doc: Document) -> LexborNode | None:
    """The h1 that names the page: the one closest to the title, else the first."""
    candidates = [n for n in tree.css("h1") if collapse(n.text())]
    if not candidates:
        return None
    reference = (doc.meta.get("og:title") or doc.title_tag or "").lower()
    for node in candidates:
        text = collapse(node.text()).lower()
        if reference and text and (text in reference or reference in text):
            doc.h1 = collapse(node.text())
            return node
    doc.h1 = collapse(candidates[0].text())
    return candidates[0]


def _ancestors(node: LexborNode | None) -> set[int]:
    found: set[int] = set()
    depth = 0
    while node is not None and depth < 400:
        found.add(node.mem_id)
        node = node.parent
        depth += 1
    return found


def _main_container(tree: LexborHTMLParser, heading: LexborNode | None) -> LexborNode | None:
    """``<main>``/``<article>``/``[role=main]`` holding the heading, else ``<body>``."""
    if heading is not None:
        node = heading.parent
        while node is not None and node.tag not in ("body", "html"):
            role = (node.attributes.get("role") or "").lower()
            if node.tag == "main" or role == "main":
                return node
            node = node.parent
    main = tree.css_first("main, [role=main]")
    if main is not None and len(main.text()) > 200:
        return main
    return tree.body


def _join_broken_lines(lines: list[str]) -> list[str]:
    """Re-attach fragments split by inline markup ("10:00", "- 12:00", "hour")."""
    joined: list[str] = []
    for line in lines:
        if joined and (line[0] in "-–—,.;:)" or joined[-1][-1:] in "-–—(,") and len(line) < 40:
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


def _labelled_values(lines: list[str], headings: frozenset[str] | set[str] = frozenset()
                     ) -> list[tuple[str, str, str]]:
    """``(kind, label, value)`` for label lines and "Label: value" lines, in order.

    A value is the line after its label; fields that are often spread over lines
    (an address, a fee table, an audience list) take up to three short lines more,
    never past a heading (a line in ``headings``) or the next label.
    """
    found: list[tuple[str, str, str]] = []
    for index, line in enumerate(lines):
        kinds = _label_kinds(line)
        if kinds:
            label = line.rstrip(": ").strip()
            followers: list[str] = []
            for follower in lines[index + 1:index + 5]:
                if followers and (follower in headings or _is_bare_label(follower)):
                    break
                if _label_kinds(follower) or _INLINE_LABEL.match(follower) and \
                        _label_kinds(_INLINE_LABEL.match(follower).group(1)):
                    break
                followers.append(follower)
            for kind in kinds:
                value = _value_for(kind, followers)
                if value:
                    found.append((kind, label, value))
            continue
        inline = _INLINE_LABEL.match(line)
        if inline and not _is_bare_label(inline.group(2)):
            for kind in _label_kinds(inline.group(1)):
                found.append((kind, inline.group(1), inline.group(2)))
    return found


def _is_bare_label(text: str) -> bool:
    """"Registration :" - a label with nothing after it is not a value."""
    return text.rstrip().endswith(":") and len(text) <= 34


def _value_for(kind: str, followers: list[str]) -> str:
    if not followers:
        return ""
    if kind not in _MULTILINE_KINDS:
        return followers[0]
    value = followers[0]
    for extra in followers[1:]:
        if len(extra) > 60 or len(value) + len(extra) > 200:
            break
        value = f"{value} {extra}"
    return value


def _label_kinds(line: str) -> tuple[str, ...]:
    if len(line) > 40:
        return ()
    key = line.lower().strip().rstrip(":?").strip().replace(" & ", " and ")
    return _LABEL_INDEX.get(key, ())


def _read_microdata(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """schema.org microdata items as JSON-LD-shaped dicts (top-level items only)."""
    items = []
    for node in tree.css("[itemscope][itemtype]"):
        # An item that is some property's value is reached through that property.
        if "itemprop" in node.attributes and _owner(node) is not None:
            continue
        items.append(_microdata_item(node, 0))
    return items


def _microdata_item(node: LexborNode, depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": (node.attributes.get("itemtype") or "").split()}
    if depth > 12:
        return item
    for prop in node.css("[itemprop]"):
        owner = _owner(prop)
        if owner is None or owner.mem_id != node.mem_id:
            continue
        name = (prop.attributes.get("itemprop") or "").strip()
        if not name:
            continue
        if "itemscope" in prop.attributes:
            value: Any = _microdata_item(prop, depth + 1)
        else:
            value = _microdata_value(prop)
        for key in name.split():
            item.setdefault(key, value)
    return item


def _owner(prop: LexborNode) -> LexborNode | None:
    """The nearest ancestor with ``itemscope``: the item this property belongs to."""
    parent = prop.parent
    depth = 0
    while parent is not None and depth < 400:
        if "itemscope" in parent.attributes:
            return parent
        parent = parent.parent
        depth += 1
    return None


def _microdata_value(prop: LexborNode) -> str:
    attrs = prop.attributes
    for key in ("content", "datetime"):
        if attrs.get(key):
            return collapse(attrs[key])
    if prop.tag in ("a", "link", "area") and attrs.get("href"):
        return collapse(attrs["href"])
    if prop.tag in ("img", "audio", "video", "source") and attrs.get("src"):
        return collapse(attrs["src"])
    if prop.tag == "meta":
        return collapse(attrs.get("content"))
    return collapse(prop.text())


# RDFa Lite, read cheaply: ``typeof`` items and their ``property`` values, schema.org
# names only (a vocabulary prefix such as "schema:" is dropped).  Full RDFa (prefix
# maps, chaining through ``rel``) is not needed for the Course/Event markup sites use.


def _read_rdfa(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """schema.org RDFa items as JSON-LD-shaped dicts (top-level items only)."""
    items = []
    for node in tree.css("[typeof]")[:400]:
        if "property" in node.attributes and _rdfa_owner(node) is not None:
            continue
        items.append(_rdfa_item(node, 0))
    return items


def _rdfa_name(raw: str | None) -> list[str]:
    return [word.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for word in (raw or "").split() if word]


def _rdfa_item(node: LexborNode, depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": _rdfa_name(node.attributes.get("typeof"))}
    if depth > 12:
        return item
    for prop in node.css("[property]")[:400]:
        owner = _rdfa_owner(prop)
        if owner is None or owner.mem_id != node.mem_id:
            continue
        value: Any = _rdfa_item(prop, depth + 1) if "typeof" in prop.attributes \
            else _rdfa_value(prop)
        for key in _rdfa_name(prop.attributes.get("property")):
            item.setdefault(key, value)
    return item


def _rdfa_owner(prop: LexborNode) -> LexborNode | None:
    parent = prop.parent
    depth = 0
    while parent is not None and depth < 400:
        if "typeof" in parent.attributes:
            return parent
        parent = parent.parent
        depth += 1
    return None


def _rdfa_value(prop: LexborNode) -> str:
    attrs = prop.attributes
    for key in ("content", "datetime", "resource", "href", "src"):
        if attrs.get(key):
            return collapse(attrs[key])
    return collapse(prop.text())
