"""The entry point: one fetched page in, its training records with evidence out.

:func:`extract_page` is pure (no network, no files, no database) and never raises:
whatever goes wrong - undecodable bytes, broken JSON-LD, a parser limit - is
recorded in ``PageExtraction.warnings`` and the rest of the page is still read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from extractors.cues import cue_index
from extractors.document import Document, collapse, parse_document
from extractors.encoding import decode_body, header_value
from extractors.jsonld import flatten, node_types, parse_blocks, walk_typed
from extractors.language import MIN_HITS, detect_language, normalise_lang_tag
from extractors.providers import unit_from_breadcrumbs
from extractors.records import (
    RECORD_TYPES,
    PageContext,
    fill_from_page,
    fill_minimal,
    finish_record,
    record_from_node,
    set_edition_status,
    set_signals,
)
from extractors.taxonomy import Taxonomy
from extractors.titles import (
    announced_title,
    domain_label,
    site_suffix,
    strip_date_parenthetical,
    strip_site_suffix,
)
from extractors.types import Evidence, PageExtraction, Record, Value

__all__ = ["extract_page"]

#: Bodies beyond this size are cut before parsing; no course page is near it, and it
#: bounds the time and memory one hostile response can cost.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Characters of main text that language detection reads: a few hundred function
#: words decide as well as a few thousand, at a fraction of the cost.
_LANGUAGE_SAMPLE = 3000
#: Listing pages with more structured items than this keep only the first ones.
MAX_RECORDS = 200

_ARTICLE_TYPES = frozenset(
    "Article NewsArticle BlogPosting Report ScholarlyArticle OpinionNewsArticle "
    "ReportageNewsArticle AnalysisNewsArticle LiveBlogPosting TechArticle".split()
)
_SITE_TYPES = ("WebSite", "Organization", "EducationalOrganization", "CollegeOrUniversity",
               "NGO", "GovernmentOrganization", "Corporation", "LocalBusiness")
# A headline rather than a course title: a question, an exclamation, or a long sentence.
_HEADLINE_LIKE = re.compile(r"[?!]|^(?:\S+\s+){10,}")

Headers = Mapping[str, str] | Iterable[tuple[str, str]] | None


def extract_page(
    url: str,
    headers: Headers,
    body: bytes,
    *,
    taxonomy: Taxonomy,
    fetched_at: dt.datetime | None = None,
) -> PageExtraction:
    """Read the training records a page describes; never raises.

    Missing fields are absent from ``Record.fields`` (never empty placeholders).
    Pages that cannot be decoded or parsed come back with no records and a warning.
    """
    url = url if isinstance(url, str) else ""
    try:
        return _extract(url, headers, body, taxonomy, fetched_at)
    except Exception as error:  # noqa: BLE001 - the contract is "never raises"
        page = PageExtraction(url=url, encoding="utf-8", encoding_source="default")
        page.warnings.append(f"extraction failed: {type(error).__name__}: {error}"[:300])
        return page


def _extract(url: str, headers: Headers, body: bytes, taxonomy: Taxonomy,
             fetched_at: dt.datetime | None) -> PageExtraction:
    if not isinstance(body, (bytes, bytearray, memoryview)):
        body = b""
    body = bytes(body)
    warnings: list[str] = []
    if len(body) > MAX_BODY_BYTES:
        warnings.append(f"body truncated from {len(body)} to {MAX_BODY_BYTES} bytes")
        body = body[:MAX_BODY_BYTES]
    decoded = decode_body(body, header_value(headers, "content-type"))
    warnings.extend(decoded.warnings)
    page = PageExtraction(url=url, encoding=decoded.encoding, encoding_source=decoded.source,
                          warnings=warnings)
    text = decoded.text.replace("\x00", "\ufffd") if "\x00" in decoded.text else decoded.text
    if _looks_binary(text):
        warnings.append("body does not look like HTML or text; not parsed")
        return page

    doc = parse_document(text)
    nodes = flatten(parse_blocks(doc.jsonld_texts, warnings))
    ctx = PageContext(url=url, doc=doc, cues=cue_index(taxonomy), fetched_at=fetched_at,
                      warnings=warnings)
    ctx.by_id = _ids(nodes)
    page.structured_types = _all_types(nodes, doc.microdata + doc.rdfa)
    candidates = _record_nodes(nodes, doc.microdata, doc.rdfa)
    ctx.is_listing = len({_name_key(n) for n, _p, _e in candidates}) >= 2
    _read_site(ctx, nodes)
    ctx.heuristic_title = _heuristic_title(ctx, page.structured_types)
    ctx.language = _page_language(doc)

    page.records = _build_records(ctx, candidates)
    page.title = ctx.heuristic_title.value if ctx.heuristic_title else None
    page.is_listing = ctx.is_listing or (not candidates and (
        doc.n_article_blocks >= 4
        or (doc.n_item_links >= 3 and _has_listing_title(page.title))))
    page_names = _page_names(doc)
    for record in page.records:
        if ctx.language is not None:
            record.set("language", ctx.language.value, ctx.language.evidence)
        # The page's words ("has been cancelled") are about this record only when the
        # page is about it alone, not a listing or a sidebar item.
        about_page = not page.is_listing and (len(page.records) == 1 or _describes_page(
            _name_key({"name": record.get("title")}), page_names))
        set_edition_status(record, fetched_at, ctx, page_text=about_page)
        set_signals(record, ctx)
    page.language = ctx.language
    page.text = doc.text
    return page


# A short heading that names a collection: "Events & training agenda",
# "Upcoming courses", "Evenementen", "Calendario eventi".  Such a page lists offers
# rather than describing one.
_LISTING_TITLE = re.compile(
    r"\b(?:events|agenda|calendar|calendario|kalender|eventi|eventos|evenementen|"
    r"veranstaltungen|termine|événements|evenements|upcoming|courses|trainings|cursos|"
    r"corsi|kurse|cursussen|formations|workshops|webinars|seminars|seminare|seminari|"
    r"catalog(?:ue)?|overview|archive|archief|archivio|programma|programme)\b",
    re.I,
)


def _has_listing_title(title: str | None) -> bool:
    if not title:
        return False
    words = title.split()
    return len(words) <= 6 and _LISTING_TITLE.search(title) is not None \
        and not re.search(r"\d", title)


_BINARY_CHARS = re.compile(r"[\ufffd\x00-\x08\x0b\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    """Mostly control or replacement characters in the first KB: not a web page."""
    head = text[:1024]
    if not head:
        return False
    return len(_BINARY_CHARS.findall(head)) > len(head) * 0.3


def _ids(nodes: list[Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for node in nodes:
        for item, _path in walk_typed(node.data, node.path):
            key = item.get("@id")
            if isinstance(key, str) and key not in found:
                found[key] = item
    return found


def _all_types(nodes: list[Any], microdata: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for node in nodes:
        for item, _path in walk_typed(node.data, node.path):
            for name in node_types(item):
                seen.setdefault(name, None)
    for item in microdata:
        for found, _path in walk_typed(item, "microdata"):
            for name in node_types(found):
                seen.setdefault(name, None)
    return list(seen)


def _record_nodes(nodes: list[Any], microdata: list[dict[str, Any]],
                  rdfa: list[dict[str, Any]] | None = None
                  ) -> list[tuple[dict[str, Any], str, str]]:
    """Course/Event nodes that each describe one offer: top-level, list items, main entities.

    Course instances and sub-events nested in another record are that record's
    details, not offers of their own; profile references such as Bioschemas'
    ``conformsTo: {"@type": "CourseInstance"}`` are never walked into.
    """
    found: list[tuple[dict[str, Any], str, str]] = []
    nested_ids = _nested_instance_ids(nodes)
    for node in nodes:
        for item, path in _entry_points(node.data, node.path):
            if set(node_types(item)) & RECORD_TYPES and str(item.get("@id")) not in nested_ids:
                found.append((item, path, "jsonld"))
    names = {_name_key(item) for item, _p, _e in found}
    for syntax, items in (("microdata", microdata), ("rdfa", rdfa or [])):
        for index, item in enumerate(items):
            for entry, path in _entry_points(item, f"{syntax}[{index}]"):
                if set(node_types(entry)) & RECORD_TYPES and _name_key(entry) not in names:
                    found.append((entry, path, syntax))
                    names.add(_name_key(entry))
    return found[:MAX_RECORDS]


def _entry_points(item: dict[str, Any], path: str):
    """The node itself, its ``mainEntity``, and ``ItemList`` members."""
    yield item, path
    main = item.get("mainEntity")
    if isinstance(main, dict):
        yield main, f"{path}.mainEntity"
    elif isinstance(main, list):
        for index, entry in enumerate(main):
            if isinstance(entry, dict):
                yield entry, f"{path}.mainEntity[{index}]"
    elements = item.get("itemListElement")
    if isinstance(elements, list):
        for index, element in enumerate(elements):
            if not isinstance(element, dict):
                continue
            inner = element.get("item")
            if isinstance(inner, dict):
                yield inner, f"{path}.itemListElement[{index}].item"
            else:
                yield element, f"{path}.itemListElement[{index}]"


def _nested_instance_ids(nodes: list[Any]) -> set[str]:
    ids: set[str] = set()
    for node in nodes:
        for item, _path in walk_typed(node.data, node.path):
            for prop in ("hasCourseInstance", "subEvent"):
                value = item.get(prop)
                for entry in value if isinstance(value, list) else [value]:
                    if isinstance(entry, dict) and isinstance(entry.get("@id"), str):
                        ids.add(entry["@id"])
    return ids


def _name_key(item: dict[str, Any]) -> str:
    name = item.get("name")
    return collapse(name).lower() if isinstance(name, str) else ""


def _read_site(ctx: PageContext, nodes: list[Any]) -> None:
    """The site's own name: og:site_name, schema.org WebSite/Organization, <title>."""
    doc = ctx.doc
    for node in nodes:
        types = set(node.types)
        name = node.data.get("name")
        if not isinstance(name, str) or not name.strip():
            continue
        if "WebSite" in types and ctx.site_name is None and not doc.meta.get("og:site_name"):
            ctx.site_name = collapse(name)
        elif types & set(_SITE_TYPES[1:]) and ctx.site_org is None:
            ctx.site_org = collapse(name)
    ctx.site_name = _without_tld(doc.meta.get("og:site_name")) or _without_tld(ctx.site_name)
    title = doc.title_tag or ""
    suffix = site_suffix(title)
    if (suffix and len(suffix.split()) <= 6 and not title.lower().endswith(
            (doc.h1 or "\0").lower()) or suffix and doc.h1 and suffix.lower() == doc.h1.lower()) \
            and _suffix_names_site(ctx, title, suffix):
        # "<page> - <site>": the last part names the site, even where the theme puts
        # the site's name in the h1 ("Historischer Markt › Verein e.V.").
        ctx.title_suffix = suffix
        if ctx.site_name is None:
            ctx.site_name = suffix
    ctx.site_unit = unit_from_breadcrumbs(doc.breadcrumbs)


def _suffix_names_site(ctx: PageContext, title: str, suffix: str) -> bool:
    """Whether the last part of "<A> – <B>" is the site's name rather than the title's.

    "Café – Einführung in GIS" is one title: with no h1 and no named site, nothing
    says "Einführung in GIS" is a site.  The suffix is taken for the site's name only
    when something backs it: an h1 (the page's own title is then known), a site name
    from og:site_name or schema.org, the domain ("SIB Training" on sib.swiss), an
    organisation word ("Leiden University", "Verein e.V."), or the suffix standing
    in the page's text outside the title (a logo, a footer).
    """
    doc = ctx.doc
    if doc.h1 or ctx.site_name or ctx.site_org:
        return True
    label = domain_label(ctx.url)
    squeezed = re.sub(r"[^a-z0-9]", "", suffix.lower())
    if len(label) >= 3 and len(squeezed) >= 3 and (label in squeezed or squeezed in label):
        return True
    cues = ctx.cues
    if any(pattern.search(suffix) for pattern in cues.provider_categories.values()) or (
            cues.multilateral is not None and cues.multilateral.search(suffix)):
        return True
    if re.search(r"\b(?:e\.\s?V\.|Inc\.?|Ltd\.?|GmbH|gGmbH|AG|SA|S\.A\.|BV|B\.V\.|vzw|asbl)$",
                 suffix):
        return True
    body = doc.text.replace(title, " ") if title else doc.text
    return suffix.lower() in body.lower()


def _without_tld(name: str | None) -> str | None:
    """"LCRDM.nl" -> "LCRDM": a site named by its domain is named by its label."""
    if not name:
        return None
    match = re.fullmatch(r"(?:www\.)?([\w-]{2,})\.[a-z]{2,6}", name.strip(), re.I)
    return match.group(1) if match else name


def _heuristic_title(ctx: PageContext, types: list[str]) -> Value | None:
    """h1, else og:title/<title> without the site name; announced name in articles."""
    doc = ctx.doc
    names = [n for n in (ctx.site_name, ctx.site_org, ctx.title_suffix) if n]
    og_title = doc.meta.get("og:title") or doc.meta.get("twitter:title")
    stripped = strip_site_suffix(og_title or doc.title_tag or "", names, ctx.url)
    is_article = doc.meta.get("og:type") == "article" or bool(set(types) & _ARTICLE_TYPES)
    headline = doc.h1 or stripped
    if is_article and headline and _HEADLINE_LIKE.search(headline):
        lead = f"{doc.meta.get('description', '')} {' '.join(doc.lines[:40])}"
        announced = announced_title(lead)
        if announced:
            ctx.announced_format = announced[1]
            return Value(announced[0], Evidence("text:announced", f"{announced[1]} on "
                                                f"{announced[0]}", 0.6))
    if doc.h1 and not _is_site_name(doc.h1, names, ctx.url):
        return Value(strip_date_parenthetical(doc.h1), Evidence("html:h1", doc.h1, 0.8))
    if stripped:
        source = "opengraph" if og_title else "html:title"
        return Value(strip_date_parenthetical(stripped),
                     Evidence(source, og_title or doc.title_tag or "", 0.7))
    return None


def _is_site_name(text: str, names: list[str], url: str) -> bool:
    lowered = text.lower()
    if any(lowered == n.lower() for n in names):
        return True
    label = domain_label(url)
    return bool(label) and re.sub(r"[^a-z0-9]", "", lowered) == label


def _page_language(doc: Document) -> Value | None:
    """``<html lang>`` unless the page's own text plainly says another language.

    Site templates often keep ``lang="nl"`` on pages whose content is English; the
    function-word count only overrides the declared language when it has plenty of
    evidence and a clear majority, so short pages keep their declared language.
    """
    declared = normalise_lang_tag(doc.html_lang) or normalise_lang_tag(
        doc.meta.get("content-language")) or normalise_lang_tag(doc.meta.get("og:locale"))
    sample = " ".join([doc.h1 or "", doc.meta.get("description", ""),
                       doc.text[:_LANGUAGE_SAMPLE]])
    guess = detect_language(sample)
    confident = guess.language is not None and guess.hits >= MIN_HITS * 2 and guess.share >= 0.6
    if declared and (not confident or guess.language == declared):
        return Value(declared, Evidence("html:lang", doc.html_lang or declared, 0.8))
    if guess.language and (confident or guess.hits >= 3):
        source = f"{guess.hits} function words, share {guess.share:.2f}"
        return Value(guess.language, Evidence("text:language", source, 0.7 if confident else 0.4))
    if declared:
        return Value(declared, Evidence("html:lang", doc.html_lang or declared, 0.6))
    return None


def _build_records(ctx: PageContext, candidates: list[tuple[dict[str, Any], str, str]]
                   ) -> list[Record]:
    """One record per structured node, or one from the page when there is none."""
    records: list[Record] = []
    if not candidates:
        record = Record()
        fill_from_page(record, ctx, structured=False)
        return [record]
    page_names = _page_names(ctx.doc)
    for node, path, extractor in candidates:
        record = record_from_node(ctx, node, path, extractor)
        # A lone node without a usable name is the page's own training: its h1 or
        # title names it (the next rung of the order of trust).
        nameless_alone = not _name_key(node) and len(candidates) == 1
        if not ctx.is_listing and (nameless_alone
                                   or _describes_page(_name_key(node), page_names)):
            fill_from_page(record, ctx, structured=True)
        else:
            fill_minimal(record, ctx)
        finish_record(record, ctx, node, path, extractor)
        records.append(record)
    return records


def _page_names(doc: Document) -> set[str]:
    """The page's own names (h1, og:title, <title>), normalised like node names."""
    return {_name_key({"name": n}) for n in (doc.h1, doc.meta.get("og:title"), doc.title_tag)
            if n}


def _describes_page(name: str, page_names: set[str]) -> bool:
    """Whether a node's name is the page's own title (not a sidebar item)."""
    if not name:
        return False
    return any(name == other or (len(name) > 8 and name in other) or
               (len(other) > 8 and other in name) for other in page_names)
