"""A SearXNG look-alike over the demo pages: the ranking and the wire protocol.

The protocol follows SearXNG's ``searx/webapp.py`` and ``searx/webadapter.py`` as
summarised in BACKENDS.md (1a): the order of the checks (format before query),
the status codes (403 for a format that is not enabled, 400 with a JSON ``error``
body for a missing query or a bad parameter), the result fields as ``as_dict()``
writes them (``parsed_url`` as a 6-element list, ``engines`` as a list), and an
empty ``results`` list past the last page.  The ranking is deliberately simple and
deterministic: the demo needs stable answers, not a good search engine.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from itertools import pairwise
from typing import ClassVar
from urllib.parse import urlparse

RESULTS_PER_PAGE = 10

# SearXNG's OUTPUT_FORMATS.  A value outside it falls back to html (as upstream);
# a known one that the instance does not enable is refused with 403.
OUTPUT_FORMATS = ("html", "csv", "json", "rss")
ENABLED_FORMATS = ("html", "json")

VALID_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-zA-Z]{2})?$")  # searx/webutils.py
TIME_RANGES = ("day", "week", "month", "year")

# The robots.txt that current SearXNG serves (searx/webapp.py, ``robots()``): it
# forbids every crawler, searches included.  A client of the JSON API has to skip
# robots for its own backend, exactly as it must against a real instance.
SEARXNG_ROBOTS_TXT = """User-agent: *
Disallow: /
Disallow: /stats
Disallow: /metrics
Disallow: /image_proxy
Disallow: /preferences
Disallow: /*?*q=*
"""

# Engines that "found" a result.  Chosen per URL by a checksum, so a result keeps
# its engines from run to run.
ENGINES = ("brave", "duckduckgo", "google", "mojeek", "qwant", "startpage")

_WORD = re.compile(r"\w+")
_SNIPPET_CHARS = 240


@dataclass(frozen=True, slots=True)
class Document:
    """What the index knows about one page."""

    url: str
    title: str
    text: str
    description: str = ""
    published: datetime | None = None
    tokens: tuple[str, ...] = field(default=(), repr=False)
    title_tokens: frozenset[str] = field(default=frozenset(), repr=False)


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer, independent of any server class."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Participación" matches "participacion"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def tokenize(text: str) -> list[str]:
    return [stem(word) for word in _WORD.findall(fold(text))]


def stem(word: str) -> str:
    """A crude English plural stemmer, enough for "cities" to find "city".

    Every engine behind a real SearXNG stems; without it the grid's "citizens
    engagement" would miss every page that says "citizen engagement".
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class _PageText(HTMLParser):
    """Collects the <title>, the text of <main> and the publication date.

    Only <main> is indexed: navigation and footers repeat the same words on every
    page ("Summer School" is in the university's menu), and a search engine that
    counted them would rank the whole site alike.
    """

    _SKIP: ClassVar[frozenset[str]] = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.main_parts: list[str] = []
        self.body_parts: list[str] = []
        self.published: str | None = None
        self.description = ""
        self._in_title = False
        self._main_depth = 0
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "main":
            self._main_depth += 1
        elif tag == "meta":
            values = dict(attrs)
            if values.get("property") == "article:published_time" and values.get("content"):
                self.published = values["content"]
            elif values.get("name") == "description" and values.get("content"):
                self.description = " ".join((values["content"] or "").split())
        if tag in {"p", "br", "li", "h1", "h2", "h3", "div", "td", "dd", "dt"}:
            self._emit(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP and self._skip_depth:
            self._skip_depth -= 1
        elif tag == "main" and self._main_depth:
            self._main_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip_depth:
            self._emit(data)

    def _emit(self, data: str) -> None:
        self.body_parts.append(data)
        if self._main_depth:
            self.main_parts.append(data)


def parse_document(url: str, page: str) -> Document:
    parser = _PageText()
    parser.feed(page)
    parser.close()
    title = " ".join("".join(parser.title_parts).split())
    text = " ".join("".join(parser.main_parts or parser.body_parts).split())
    return Document(
        url=url,
        title=title,
        text=text,
        description=parser.description,
        published=_parse_datetime(parser.published),
        tokens=tuple(tokenize(title + " " + text)),
        title_tokens=frozenset(tokenize(title)),
    )


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    # SearXNG's JSON encoder writes naive datetimes; engines hand it local times.
    return stamp.replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Query:
    words: tuple[str, ...]
    excluded: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Query:
        words: list[str] = []
        excluded: set[str] = set()
        for raw in text.split():
            # "-word" is how offermap sends its exclusions; engines honour it.
            if raw.startswith("-") and len(raw) > 1:
                excluded.update(tokenize(raw[1:]))
            else:
                words.extend(token for token in tokenize(raw) if token not in words)
        return cls(tuple(words), frozenset(excluded))


class SearchIndex:
    """Ranks documents by how many query words they contain.

    The sort key, most important first: distinct query words in the page, query
    word pairs that occur next to each other ("summer school" as a phrase), query
    words in the title, then total occurrences (capped, so one long page cannot
    win on repetition).  Ties go to the URL, so the order never changes.
    """

    def __init__(self, documents: Iterable[Document]) -> None:
        self.documents = sorted(documents, key=lambda doc: doc.url)

    def search(self, text: str) -> list[tuple[Document, float]]:
        query = Query.parse(text)
        if not query.words:
            return []
        scored: list[tuple[tuple[int, int, int, int], Document]] = []
        for doc in self.documents:
            if query.excluded.intersection(doc.tokens):
                continue
            key = self._key(query.words, doc)
            if key[0]:
                scored.append((key, doc))
        scored.sort(key=lambda item: (tuple(-part for part in item[0]), item[1].url))
        return [(doc, _score(key)) for key, doc in scored]

    @staticmethod
    def _key(words: tuple[str, ...], doc: Document) -> tuple[int, int, int, int]:
        tokens = doc.tokens
        present = [word for word in words if word in tokens]
        pairs = set(pairwise(tokens))
        adjacent = sum(1 for pair in pairwise(words) if pair in pairs)
        in_title = sum(1 for word in words if word in doc.title_tokens)
        occurrences = sum(min(tokens.count(word), 5) for word in present)
        return len(present), adjacent, in_title, occurrences


def _score(key: tuple[int, int, int, int]) -> float:
    present, adjacent, in_title, occurrences = key
    return round(present + 0.5 * adjacent + 0.25 * in_title + 0.01 * occurrences, 4)


# --- the protocol ------------------------------------------------------------------


def answer(index: SearchIndex, params: Mapping[str, str], *, with_number_of_results: bool = True,
           unresponsive_engines: Iterable[tuple[str, str]] = ()) -> Reply:
    """Answer ``/search`` the way SearXNG does, checks in SearXNG's order."""
    output_format = params.get("format", "html")
    if output_format not in OUTPUT_FORMATS:
        output_format = "html"
    if output_format not in ENABLED_FORMATS:
        return Reply(403, _FORBIDDEN_PAGE, "text/html; charset=utf-8")

    query = params.get("q", "")
    if not query:
        if output_format == "html":
            return Reply(200, _HOME_PAGE, "text/html; charset=utf-8")
        return _error("No query")

    problem = _check_parameters(params)
    if problem:
        return _error(problem)

    pageno = int(params.get("pageno", "1"))
    ranked = index.search(query)
    start = (pageno - 1) * RESULTS_PER_PAGE
    page = ranked[start:start + RESULTS_PER_PAGE]
    results = [_result(doc, score, start + offset + 1, query)
               for offset, (doc, score) in enumerate(page)]

    if output_format == "html":
        return Reply(200, _html_results(query, results), "text/html; charset=utf-8")

    payload: dict[str, object] = {"query": query}
    if with_number_of_results:
        # Dropped upstream in 2026 (searxng#6130); older images still send it.
        payload["number_of_results"] = len(ranked)
    payload.update({
        "results": results,
        "answers": [],
        "corrections": [],
        "infoboxes": [],
        "suggestions": [],
        "unresponsive_engines": sorted([list(pair) for pair in unresponsive_engines]),
    })
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Reply(200, body, "application/json; charset=utf-8")


def _check_parameters(params: Mapping[str, str]) -> str | None:
    """The message of SearXNG's SearxParameterException, or None when all is well."""
    pageno = params.get("pageno", "1")
    if not pageno.isdecimal() or not pageno.isascii() or int(pageno) < 1:
        return _invalid("pageno", pageno)
    language = params.get("language", "all")
    if language not in ("auto", "all") and not VALID_LANGUAGE.match(language):
        return _invalid("language", language)
    time_range = params.get("time_range", "")
    if time_range and time_range not in TIME_RANGES:
        return _invalid("time_range", time_range)
    safesearch = params.get("safesearch", "0")
    if safesearch not in ("0", "1", "2"):
        return _invalid("safesearch", safesearch)
    timeout = params.get("timeout_limit")
    if timeout:
        try:
            float(timeout)
        except ValueError:
            return _invalid("timeout_limit", timeout)
    return None


def _invalid(name: str, value: str) -> str:
    return f'Invalid value "{value}" for parameter {name}'


def _error(message: str) -> Reply:
    body = json.dumps({"error": message}).encode("utf-8")
    return Reply(400, body, "application/json; charset=utf-8")


def _result(doc: Document, score: float, position: int, query: str) -> dict[str, object]:
    engines = _engines_for(doc.url)
    return {
        "url": doc.url,
        "title": doc.title,
        "content": _content(doc, query),
        "thumbnail": "",
        "img_src": "",
        "iframe_src": "",
        "audio_src": "",
        "engine": engines[0],
        "engines": engines,
        "positions": [position] * len(engines),
        "score": score,
        "category": "general",
        "parsed_url": list(urlparse(doc.url)),
        "publishedDate": doc.published.isoformat() if doc.published else None,
        "pubdate": doc.published.strftime("%Y-%m-%d %H:%M:%S") if doc.published else "",
        "length": "",
        "views": "",
        "author": "",
        "metadata": "",
        "template": "default.html",
        "priority": "",
        "open_group": False,
        "close_group": False,
    }


def _engines_for(url: str) -> list[str]:
    checksum = zlib.crc32(url.encode("utf-8"))
    first = ENGINES[checksum % len(ENGINES)]
    second = ENGINES[(checksum // len(ENGINES)) % len(ENGINES)]
    return [first] if first == second else [first, second]


def _content(doc: Document, query: str) -> str:
    # Engines show the page's meta description when it fits the query, and a
    # passage of the text around the query words otherwise.
    words = Query.parse(query).words
    if doc.description and set(words).intersection(tokenize(doc.description)):
        return doc.description
    return snippet(doc.text, query)


def snippet(text: str, query: str) -> str:
    """About 240 characters of text around the first query word, on word bounds."""
    folded = fold(text)
    # Query words are stems, so match them as word prefixes ("citizen" in "citizens").
    starts = [match.start() for word in Query.parse(query).words
              if (match := re.search(rf"\b{re.escape(word)}", folded))]
    # fold() can change the length of a few characters; clamp to the real text.
    begin = max(0, min(starts, default=0) - 60)
    begin = min(begin, max(0, len(text) - _SNIPPET_CHARS))
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < begin + 20 else begin
    piece = text[begin:begin + _SNIPPET_CHARS]
    if begin + _SNIPPET_CHARS < len(text):
        piece = piece.rsplit(" ", 1)[0] + " …"
    return ("… " if begin else "") + piece


def _html_results(query: str, results: list[dict[str, object]]) -> bytes:
    articles = "\n".join(
        '<article class="result result-default category-general">'
        f'<a href="{html.escape(str(item["url"]))}" class="url_header">'
        f'{html.escape(str(item["url"]))}</a>'
        f'<h3><a href="{html.escape(str(item["url"]))}">{html.escape(str(item["title"]))}</a></h3>'
        f'<p class="content">{html.escape(str(item["content"]))}</p></article>'
        for item in results
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(query)} - SearXNG</title></head><body>"
        f'<main id="main_results"><div id="urls" role="main">{articles}</div></main>'
        "</body></html>"
    )
    return page.encode("utf-8")


_FORBIDDEN_PAGE = (
    b"<!doctype html>\n<html lang=en>\n<title>403 Forbidden</title>\n<h1>Forbidden</h1>\n"
    b"<p>You don't have the permission to access the requested resource. "
    b"It is either read-protected or not readable by the server "
    b"(format not enabled in search.formats).</p>\n"
)

_HOME_PAGE = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>SearXNG</title>'
    b'</head><body><form id="search" method="POST" action="/search">'
    b'<input name="q" type="text"><button type="submit">search</button></form>'
    b"</body></html>"
)
