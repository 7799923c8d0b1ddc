"""Loopback servers that speak each search backend's protocol as BACKENDS.md records
it, with every error and throttle signal listed there.  Each server logs every
request with the time it arrived and the status it got, so tests can check the
protocol's own timing rules ("the next request at least 1 s after the 429")."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Logged:
    at: float  # time.monotonic()
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0


class ProtocolServer:
    """A threaded HTTP server on 127.0.0.1 whose ``answer`` method builds each reply."""

    def __init__(self) -> None:
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                params = {k: v[-1] for k, v in query.items()}
                if method == "POST" and body:
                    params.update({k: v[-1] for k, v in
                                   parse_qs(body.decode(), keep_blank_values=True).items()})
                entry = Logged(time.monotonic(), method, parts.path, params,
                               {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.log.append(entry)
                    status, headers, payload = server.answer(entry)
                    entry.status = status
                if status < 0:  # hang: never answer (a timeout for the client)
                    time.sleep(-status)
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def answer(self, request: Logged) -> Reply:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> ProtocolServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json", **(headers or {})}, \
        json.dumps(payload).encode()


def result_urls(site: str, query: str, total: int) -> list[str]:
    """Deterministic result URLs for a query: ``total`` pages on ``site``."""
    slug = re.sub(r"\W+", "-", query.lower()).strip("-")
    return [f"{site}/{slug}/{n}" for n in range(1, total + 1)]


# --- SearXNG -----------------------------------------------------------------------

#: searx/botdetection/http_user_agent.py: the bot regex (abridged to what matters).
SEARXNG_BOT_UA = re.compile(
    r"unknown|[Cc][Uu][Rr][Ll]|[wW]get|Scrapy|splash|JavaFX|FeedFetcher|python-requests|"
    r"Go-http-client|Java|Jakarta|okhttp|HttpClient|Jersey|Python|libwww-perl|Ruby|"
    r"SynHttpClient|UniversalFeedParser|Googlebot|GoogleImageProxy|bingbot|Baiduspider|"
    r"yacybot|YandexMobileBot|YandexBot|Yahoo! Slurp|MJ12bot|AhrefsBot|archive.org_bot|"
    r"msnbot|MJ12bot|SeznamBot|linkdexbot|Netvibes|SMTBot|zgrab|James BOT|Sogou|Abonti|"
    r"Pixray|Spinn3r|SemrushBot|Exabot|ZmEu|BLEXBot|bitlybot|HeadlessChrome|Mediapartners")


class FakeSearxng(ProtocolServer):
    """SearXNG's /search: formats, parameter checks, limiter, unresponsive engines."""

    def __init__(self, *, results: int = 25, json_enabled: bool = True, limiter: bool = False,
                 with_count: bool = True, unresponsive: list[list[str]] | None = None,
                 site: str = "https://courses.example.org", per_page: int = 10) -> None:
        super().__init__()
        self.results, self.json_enabled, self.limiter = results, json_enabled, limiter
        self.with_count, self.unresponsive, self.site = with_count, unresponsive, site
        self.per_page = per_page
        self.api_calls = 0

    def answer(self, request: Logged) -> Reply:
        if request.method == "POST" and request.path == "/":
            return 308, {"Location": "/search"}, b""
        if request.path != "/search":
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        p = request.params
        fmt = p.get("format", "html")
        if fmt in ("json", "csv", "rss") and not (self.json_enabled or fmt == "html"):
            return 403, {"Content-Type": "text/html"}, b"<h1>Forbidden</h1>"
        if self.limiter and (blocked := self._limited(request, fmt)):
            return 429, {"Content-Type": "text/plain"}, blocked.encode()
        if not p.get("q"):
            return _json(400, {"error": "No query"})
        if not p.get("pageno", "1").isdigit() or int(p.get("pageno", "1")) < 1:
            return _json(400, {"error": "Invalid value for pageno"})
        if p.get("time_range", "") not in ("", "day", "week", "month", "year"):
            return _json(400, {"error": "Invalid value for time_range"})
        return self._page(p["q"], int(p.get("pageno", "1")))

    def _limited(self, request: Logged, fmt: str) -> str | None:
        headers = request.headers
        if SEARXNG_BOT_UA.search(headers.get("user-agent", "unknown")):
            return "Too Many Requests"
        accept = headers.get("accept", "")
        if "text/html" not in accept and "*/*" not in accept:
            return "Too Many Requests"
        if not re.search(r"gzip|deflate", headers.get("accept-encoding", "")):
            return "Too Many Requests"
        if not headers.get("accept-language"):
            return "Too Many Requests"
        if fmt != "html":
            self.api_calls += 1
            if self.api_calls > 4:  # API_MAX per API_WINDOW (3600 s)
                return "Too Many Requests"
        return None

    def _page(self, query: str, page: int) -> Reply:
        urls = result_urls(self.site, query, self.results)
        chunk = urls[(page - 1) * self.per_page: page * self.per_page]
        payload: dict[str, Any] = {
            "query": query, "answers": [], "corrections": [], "infoboxes": [],
            "suggestions": [], "unresponsive_engines": self.unresponsive or [],
            "results": [], "extra_unknown_key": {"nested": True},
        }
        if self.with_count:
            payload["number_of_results"] = len(urls)
        for position, url in enumerate(chunk, 1):
            parts = urlsplit(url)
            payload["results"].append({
                "url": url, "title": f"Result {url.rsplit('/', 1)[-1]}", "content": "snippet",
                "engine": "brave", "engines": ["brave", "mojeek"], "positions": [position],
                "score": 1.0, "category": "general", "priority": "", "template": "default.html",
                "publishedDate": None if position % 2 else "2026-11-02T00:00:00",
                "pubdate": "", "parsed_url": [parts.scheme, parts.netloc, parts.path, "", "", ""],
                "thumbnail": "", "open_group": False, "close_group": False, "new_field": 1,
            })
        return _json(200, payload)


# --- Brave Search API ---------------------------------------------------------------


@dataclass
class BraveLimits:
    per_second: int = 1
    monthly: int = 15000
    used_month: int = 0
    # Scripted: request number (1-based) -> "rate" (429 per-second) or "month" (429,
    # quota spent), or "headers-month" (200 whose headers say the month is spent).
    script: dict[int, str] = field(default_factory=dict)


class FakeBrave(ProtocolServer):
    """Brave's /res/v1/web/search: token, count/offset bounds, paging with overlap,
    X-RateLimit-* pairs and 429 ErrorResponse."""

    def __init__(self, *, token: str, results: int = 45, limits: BraveLimits | None = None,
                 site: str = "https://brave.example.org") -> None:
        super().__init__()
        self.token, self.results, self.site = token, results, site
        self.limits = limits or BraveLimits()
        self.count = 0
        self.last_second: list[float] = []

    def answer(self, request: Logged) -> Reply:
        self.count += 1
        if request.path != "/res/v1/web/search":
            return _json(404, {"type": "ErrorResponse", "error": {"code": "NOT_FOUND"}})
        if request.headers.get("x-subscription-token") != self.token:
            return _json(401, _brave_error(401, "SUBSCRIPTION_TOKEN_INVALID",
                                           "The provided subscription token is invalid."))
        p = request.params
        q, count, offset = p.get("q", ""), int(p.get("count", "20")), int(p.get("offset", "0"))
        if not q or len(q) > 400 or len(q.split()) > 50 or not 1 <= count <= 20 \
                or not 0 <= offset <= 9:
            return _json(422, _brave_error(422, "VALIDATION", "Unable to validate request"))
        scripted = self.limits.script.get(self.count)
        if scripted == "rate":
            return _json(429, _brave_error(429, "RATE_LIMITED", "Request rate limit exceeded "
                                           "for plan"), self._headers(0, self._left()))
        if scripted == "month" or self._left() <= 0:
            return _json(429, _brave_error(429, "RATE_LIMITED", "Request rate limit exceeded "
                                           "for plan"), self._headers(0, 0))
        self.limits.used_month += 1  # only successful requests are counted and billed
        month_left = 0 if scripted == "headers-month" else self._left()
        urls = result_urls(self.site, q, self.results)
        start = max(0, offset * count - 2 * offset)  # pages overlap by two results
        chunk = urls[start:start + count]
        payload = {
            "type": "search",
            "query": {"original": q, "more_results_available": start + count < len(urls)},
            "web": {"type": "search", "results": [
                {"title": f"<strong>Course</strong> {u.rsplit('/', 1)[-1]}", "url": u,
                 "description": f"An <strong>online</strong> course &amp; workshop {i}",
                 "age": "3 days ago", "page_age": "2026-11-30T00:00:00", "language": "en",
                 "family_friendly": True, "type": "search_result", "subtype": "generic",
                 "is_live": False, "meta_url": {"scheme": "https", "hostname": "x"},
                 "profile": {"name": "x"}} for i, u in enumerate(chunk)]},
        }
        return _json(200, payload, self._headers(max(0, self.limits.per_second - 1), month_left))

    def _left(self) -> int:
        return self.limits.monthly - self.limits.used_month

    def _headers(self, second_left: int, month_left: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": f"{self.limits.per_second}, {self.limits.monthly}",
            "X-RateLimit-Policy": f"{self.limits.per_second};w=1, {self.limits.monthly};w=2592000",
            "X-RateLimit-Remaining": f"{second_left}, {month_left}",
            "X-RateLimit-Reset": "1, 3600",
        }


def _brave_error(status: int, code: str, detail: str) -> dict[str, Any]:
    return {"type": "ErrorResponse", "time": 1764000000,
            "error": {"id": "c0ffee", "status": status, "code": code, "detail": detail,
                      "meta": {"plan": "Free", "rate_limit": 1, "rate_current": 1,
                               "quota_limit": 15000, "quota_current": 1,
                               "component": "rate_limiter"}}}


# --- Google Programmable Search ------------------------------------------------------


class FakeGoogle(ProtocolServer):
    """/customsearch/v1: key and cx, num/start bounds, missing ``items`` on zero
    results, ``nextPage`` absent on the last page, the daily quota as 429."""

    def __init__(self, *, key: str, cx: str, results: int = 35, daily_quota: int = 100,
                 hang: float = 0.0, site: str = "https://google.example.org") -> None:
        super().__init__()
        self.key, self.cx, self.results, self.site = key, cx, results, site
        self.daily_quota, self.used, self.hang = daily_quota, 0, hang

    def answer(self, request: Logged) -> Reply:
        if self.hang:
            return int(-self.hang), {}, b""
        if request.path != "/customsearch/v1":
            return _json(404, _google_error(404, "NOT_FOUND", "notFound", "Not Found"))
        p = request.params
        if p.get("key") != self.key:
            return _json(400, _google_error(400, "INVALID_ARGUMENT", "badRequest",
                                            "API key not valid. Please pass a valid API key."))
        if not p.get("cx"):
            return _json(400, _google_error(400, "INVALID_ARGUMENT", "badRequest",
                                            "Request contains an invalid argument."))
        num, start = int(p.get("num", "10")), int(p.get("start", "1"))
        if not 1 <= num <= 10 or start < 1 or start + num > 100:
            return _json(400, _google_error(400, "INVALID_ARGUMENT", "invalid",
                                            "Request contains an invalid argument."))
        if self.used >= self.daily_quota:
            return _json(429, _google_error(
                429, "RESOURCE_EXHAUSTED", "rateLimitExceeded",
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of "
                "service 'customsearch.googleapis.com' for consumer 'project_number:1'."))
        self.used += 1
        q = p.get("q", "")
        urls = result_urls(self.site, q, self.results) if "nothing" not in q else []
        chunk = urls[start - 1:start - 1 + num]
        payload: dict[str, Any] = {
            "kind": "customsearch#search",
            "url": {"type": "application/json", "template": "https://www.googleapis.com/..."},
            "queries": {"request": [{"startIndex": start, "count": num,
                                     "totalResults": str(len(urls)), "searchTerms": q}]},
            "context": {"title": "offermap"},
            "searchInformation": {"searchTime": 0.2, "formattedSearchTime": "0.20",
                                  "totalResults": str(len(urls)),
                                  "formattedTotalResults": f"{len(urls):,}"},
        }
        if start + num - 1 < len(urls):
            payload["queries"]["nextPage"] = [{"startIndex": start + num, "count": num,
                                               "totalResults": str(len(urls))}]
        if chunk:  # with zero results the key is absent
            payload["items"] = [{"kind": "customsearch#result", "title": f"Seminar {u[-2:]}",
                                 "htmlTitle": f"<b>Seminar</b> {u[-2:]}", "link": u,
                                 "displayLink": "google.example.org", "snippet": "A seminar\non x",
                                 "htmlSnippet": "A <b>seminar</b>", "formattedUrl": u,
                                 "pagemap": {"metatags": [{}]}} for u in chunk]
        return _json(200, payload)


def _google_error(code: int, status: str, reason: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status,
                      "errors": [{"message": message, "domain": "global", "reason": reason}]}}


def requests_with(server: ProtocolServer, predicate: Callable[[Logged], bool]) -> list[Logged]:
    return [entry for entry in server.log if predicate(entry)]


# --- DuckDuckGo HTML ------------------------------------------------------------------

DDG_VQD = "4-123456789012345678901234567890"


def ddg_result(href: str, title: str, snippet: str, *, ad: bool = False) -> str:
    kind = "result results_links results_links_deep result--ad" if ad else \
        "result results_links results_links_deep web-result"
    return (f'<div class="{kind}"><div class="links_main links_deep result__body">'
            f'<h2 class="result__title"><a rel="nofollow" class="result__a" href="{href}">'
            f'{title}</a></h2><a class="result__url" href="{href}">x</a>'
            f'<a class="result__snippet" href="{href}">{snippet}</a></div></div>')


def ddg_page(results: list[str], *, next_form: dict[str, str] | None = None) -> bytes:
    nav = ""
    if next_form is not None:
        inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">'
                         for k, v in next_form.items())
        nav = (f'<div class="nav-link"><form action="/html/" method="post">'
               f'<input type="submit" class="btn btn--alt" value="Next">{inputs}</form></div>')
    return (f'<!DOCTYPE html><html><head><title>q at DuckDuckGo</title></head><body>'
            f'<div id="links" class="results">{"".join(results)}{nav}</div>'
            f'</body></html>').encode()


DDG_ANOMALY = (b'<html><body><div class="anomaly-modal__mask"><div class="anomaly-modal__title">'
               b'Unfortunately, bots use DuckDuckGo too.</div><form id="challenge-form" '
               b'action="/anomaly.js" method="POST"></form></div></body></html>')
DDG_NO_RESULTS = (b'<html><body><div id="links" class="results"><div class="no-results">'
                  b'No results.</div></div></body></html>')


class FakeDuckDuckGo(ProtocolServer):
    """html.duckduckgo.com/html/: form posts, post-back paging with vqd (a page ≥ 2
    without the right vqd earns the anomaly page), ads, uddg links, and the blocks."""

    def __init__(self, *, mode: str = "results", pages: int = 3,
                 site: str = "https://ddg.example.org") -> None:
        super().__init__()
        self.mode, self.pages, self.site = mode, pages, site

    def answer(self, request: Logged) -> Reply:
        html_type = {"Content-Type": "text/html; charset=UTF-8"}
        if request.method == "GET" or request.path != "/html/":
            return 405, html_type, b"<h1>Method not allowed</h1>"
        p = request.params
        if len(p.get("q", "")) >= 500:
            return 400, html_type, b"<h1>query too long</h1>"
        if self.mode == "202":
            return 202, html_type, b""
        if self.mode == "anomaly":
            return 200, html_type, DDG_ANOMALY
        if self.mode == "no-results":
            return 200, html_type, DDG_NO_RESULTS
        offset = int(p.get("s", "0") or 0)
        if offset and p.get("vqd") != DDG_VQD:
            return 200, html_type, DDG_ANOMALY  # paging without the token: a bot
        number = 1 if not offset else 2 + (offset - 10) // 15
        links = [self._link(n, number) for n in range(1, 4)]
        links.insert(1, ddg_result("https://duckduckgo.com/y.js?ad_domain=ads.example&u3=x",
                                   "Sponsored course", "An ad", ad=True))
        form = None
        if number < self.pages:
            next_offset = 10 if number == 1 else offset + 15
            form = {"q": p.get("q", ""), "s": str(next_offset), "nextParams": "", "v": "l",
                    "o": "json", "dc": str(next_offset + 1), "api": "d.js",
                    "kl": p.get("kl", "wt-wt"), "vqd": DDG_VQD}
        return 200, html_type, ddg_page(links, next_form=form)

    def _link(self, n: int, page: int) -> str:
        from urllib.parse import quote

        target = f"{self.site}/p{page}/r{n}?id={n}&lang=en"
        forms = {1: f"//duckduckgo.com/l/?uddg={quote(target, safe='')}&amp;rut=abc{n}",
                 2: f"/l/?kh=-1&amp;uddg={quote(target, safe='')}&amp;rut=abc{n}",
                 3: target.replace("&", "&amp;")}
        return ddg_result(forms[n], f"Workshop <b>{page}.{n}</b>", f"Snippet {page}.{n}")


# --- Common Crawl CDX index ------------------------------------------------------------


class FakeCommonCrawl(ProtocolServer):
    """index.commoncrawl.org: /collinfo.json and one collection's CDX API answering
    NDJSON captures by domain, 404 "No Captures found", and the fail2ban 503."""

    collection = "CC-MAIN-2026-40"

    def __init__(self, captures: dict[str, list[str]], *, mode: str = "ok") -> None:
        super().__init__()
        self.captures, self.mode = captures, mode

    def answer(self, request: Logged) -> Reply:
        if request.path == "/collinfo.json":
            return _json(200, [
                {"id": "CC-MAIN-2026-33", "cdx-api": f"{self.url}/CC-MAIN-2026-33-index"},
                {"id": self.collection, "cdx-api": f"{self.url}/{self.collection}-index"}])
        if not request.path.endswith("-index"):
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        if self.mode == "throttle":
            return 503, {"Content-Type": "text/plain"}, b"Slow Down"
        p = request.params
        urls = self.captures.get(p.get("url", ""), [])
        if p.get("matchType") != "domain" or p.get("output") != "json":
            return 400, {"Content-Type": "text/plain"}, b"unsupported query"
        if not urls:
            return _json(404, {"error": f"No Captures found for: {p.get('url')}"})
        limit = int(p.get("limit", len(urls)))
        lines = [json.dumps({"urlkey": u, "timestamp": "20261001000000", "url": u,
                             "mime": "text/html", "status": "200"}) for u in urls[:limit]]
        return 200, {"Content-Type": "text/x-ndjson"}, "\n".join(lines).encode()
