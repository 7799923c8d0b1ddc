"""DuckDuckGo's HTML page (unofficial: no contract; opt-in and low-rate).

Protocol notes (BACKENDS.md 1e, from SearXNG's ``searx/engines/duckduckgo.py``):

* ``POST https://html.duckduckgo.com/html/`` with form data ``q`` (and ``b=""`` on
  page 1), ``kl`` for the region and ``df`` for the time; a stable browser
  User-Agent, ``Referer: https://html.duckduckgo.com/`` and Accept-Language.
  Queries of 500 characters or more are refused.
* Page 2 and later are asked by posting back the hidden inputs of the page's
  ``div.nav-link`` form, ``vqd`` included.  A page ≥ 2 without the ``vqd`` of
  page 1 looks like a bot and earns CAPTCHAs, so this backend cannot build such a
  request at all (:meth:`DuckDuckGoBackend.request` refuses).
* Organic results are ``div#links > div.result`` (``web-result``); ads are
  ``result--ad`` and link through ``y.js``.  Links may be the target itself,
  protocol-relative, or a ``/l/?uddg=<encoded target>`` redirect (case B21).
* "Blocked" is never "0 results": HTTP 202, a 3xx, a 403, or a 200 anomaly page
  with ``form#challenge-form``.  Zero results is ``div.no-results``; a page that is
  neither results, no-results nor a block (the JavaScript shell) is unrecognised.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from parsel import Selector

from crawler.backends.base import BackendBlocked, BackendPage, GridQuery, RequestSpec, SearchHit
from pipeline.errors import BackendError

MAX_QUERY_CHARS = 499  # 500 characters or more are refused
TIME = {"day": "d", "week": "w", "month": "m", "year": "y"}
DDG_HOSTS = {"", "duckduckgo.com", "html.duckduckgo.com", "www.duckduckgo.com"}


class PageUnrecognised(BackendError):
    """The answer is neither results, nor "no results", nor a known block page."""


class DuckDuckGoBackend:
    name = "duckduckgo"
    operators = frozenset({"quotes", "exclude", "site", "filetype"})
    max_pages = 5  # no documented cap; a few pages is all a low-rate client should ask

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        self.url: str = settings.url.rstrip("/") + "/"
        self.region: str = settings.region
        self.user_agent: str = settings.user_agent
        self.max_requests: int = settings.max_requests
        self.timeout: float = settings.timeout
        self.delay: float = settings.delay
        self.cooldown: float = settings.cooldown

    def secrets(self) -> tuple[str, ...]:
        return ()

    def request(self, query: GridQuery, page: int,
                state: dict[str, str] | None = None) -> RequestSpec:
        if len(query.text) > MAX_QUERY_CHARS:
            raise ValueError(f"DuckDuckGo refuses queries of 500 characters or more: "
                             f"{query.text[:40]!r}…")
        if page == 1:
            form = {"q": query.text, "b": "", "kl": self.region}
            if query.time_range:
                form["df"] = TIME[query.time_range]
        elif state and state.get("vqd"):
            form = dict(state)
        else:
            raise ValueError("DuckDuckGo pages after the first need the vqd token of page 1")
        cookies = "; ".join(f"{name}={form[name]}" for name in ("kl", "df") if form.get(name))
        headers = {
            "User-Agent": self.user_agent,
            "Referer": "https://html.duckduckgo.com/",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": f"{query.language},en;q=0.8",
            "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Site": "same-origin", "Sec-Fetch-User": "?1",
        }
        if cookies:
            headers["Cookie"] = cookies
        return RequestSpec(self.url, method="POST", headers=headers,
                           body=urlencode(form).encode())

    def parse(self, status: int, headers: dict[str, str], body: bytes) -> BackendPage:
        if status == 202 or 300 <= status < 400 or status == 403 or status == 429:
            raise BackendBlocked(f"DuckDuckGo refused the query (HTTP {status}): blocked, "
                                 f"not empty; leaving it alone for {self.cooldown:g} s",
                                 cooldown=self.cooldown)
        if status != 200:
            raise BackendError(f"DuckDuckGo answered HTTP {status}")
        page = Selector(text=body.decode("utf-8", "replace"))
        if page.css("form#challenge-form") or page.css("[class*='anomaly-modal']"):
            raise BackendBlocked("DuckDuckGo served its anomaly (bot challenge) page: "
                                 f"blocked, not empty; leaving it alone for "
                                 f"{self.cooldown:g} s", cooldown=self.cooldown)
        results = page.css("#links > div.result, #links > div.web-result")
        if not results:
            if page.css("div.no-results"):
                return BackendPage(hits=[], has_more=False)
            raise PageUnrecognised("DuckDuckGo answered a page that is neither results nor "
                                   "'no results' (unrecognised; the JavaScript page?)")
        hits = _hits(results)
        state = next_page_state(page)
        return BackendPage(hits=hits, has_more=state is not None, next_state=state)


def _hits(results: list[Selector]) -> list[SearchHit]:  # type: ignore[type-arg]
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for result in results:
        classes = result.attrib.get("class", "")
        link = result.css("h2 a.result__a, a.result__a")
        href = link.attrib.get("href", "") if link else ""
        if "result--ad" in classes or not href or _is_ad(href):
            continue
        url = unwrap(href)
        if url in seen:
            continue
        seen.add(url)
        title = " ".join(" ".join(link.css("::text").getall()).split())
        snippet = " ".join(" ".join(result.css(".result__snippet ::text").getall()).split())
        hits.append(SearchHit(rank=len(hits) + 1, url=url, title=title or None,
                              snippet=snippet or None))
    return hits


def _is_ad(href: str) -> bool:
    parts = urlsplit(href if not href.startswith("//") else "https:" + href)
    return parts.hostname in DDG_HOSTS - {""} and parts.path.startswith("/y.js") or \
        (not parts.hostname and parts.path.startswith("/y.js"))


def unwrap(href: str) -> str:
    """The target of a result link (case B21).

    ``href`` is the attribute value as the HTML parser gives it, so ``&amp;`` is
    already ``&``.  Only a DuckDuckGo ``/l/`` redirect (host duckduckgo.com or none)
    is unwrapped, with a real query parser, so the target keeps its own query
    string; any other URL, even one carrying a ``uddg`` parameter, is left alone.
    """
    url = "https:" + href if href.startswith("//") else href
    parts = urlsplit(url)
    if (parts.hostname or "") in DDG_HOSTS and parts.path == "/l/":
        target = parse_qs(parts.query).get("uddg")
        if target:
            return target[0]
    if not parts.scheme and url.startswith("/"):
        return "https://duckduckgo.com" + url
    return url


def next_page_state(page: Selector) -> dict[str, str] | None:  # type: ignore[type-arg]
    """The hidden inputs of the "next" form, to post back; None without a vqd."""
    forms = page.css("div.nav-link form")
    for form in reversed(forms):
        submit = form.css("input[type=submit]::attr(value)").get("")
        if submit and "next" not in submit.lower():
            continue
        fields = {field.attrib["name"]: field.attrib.get("value", "")
                  for field in form.css("input[type=hidden]") if field.attrib.get("name")}
        if fields.get("vqd"):
            return fields
    return None
