"""The demo provider sites: addresses, pages, robots.txt, the answer key, the access log."""

from __future__ import annotations

import gzip
import re
import socket
import unicodedata
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
import pytest

from pipeline.demo import DemoWeb
from pipeline.demo.catalog import SITES, load_expected, site_files

EXPECTED = load_expected()
ALL_PAGES = sorted(
    {page for training in EXPECTED["trainings"] for page in training["pages"]}
    | {page for key in ("not_trainings", "off_theme", "disallowed", "listings")
       for page in EXPECTED[key]}
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1.append(data)


def parse(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


# --- addresses and providers -------------------------------------------------------


def test_each_site_has_its_own_loopback_address(web: DemoWeb) -> None:
    hosts = [urlsplit(base).hostname for base in web.sites.values()]
    assert hosts == [f"127.0.0.{n}" for n in range(2, 2 + len(SITES))]
    assert urlsplit(web.search_url).hostname == "127.0.0.1"


def test_providers_are_the_walked_sites(web: DemoWeb, client: httpx.Client) -> None:
    providers = web.providers()
    assert [entry["name"] for entry in providers] == [s.name for s in SITES if s.walk]
    for entry in providers:
        assert set(entry) == {"name", "start_urls", "allowed_domains", "max_depth", "follow",
                              "deny"}
        assert entry["allowed_domains"] == [urlsplit(entry["start_urls"][0]).hostname]
        assert client.get(entry["start_urls"][0]).status_code == 200


def test_providers_fit_the_providers_config_model(web: DemoWeb) -> None:
    config = pytest.importorskip("pipeline.config")
    for entry in web.providers():
        config.ProviderSite(**entry)


def test_stop_releases_the_ports() -> None:
    web = DemoWeb().start()
    host, port = urlsplit(web.sites["civicnet-europe"]).hostname, urlsplit(
        web.sites["civicnet-europe"]).port
    web.stop()
    with socket.socket() as sock:
        sock.bind((host, port))  # would raise if the server still held it


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_in_the_answer_key_is_served(web: DemoWeb, client: httpx.Client,
                                                page: str) -> None:
    response = client.get(web.url(page))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert re.search(r'<html lang="[a-z]{2}">', response.text)
    assert "<h1>" in response.text


def test_every_site_page_is_in_the_answer_key() -> None:
    served = {f"{spec.name}{path}" if not path.endswith("/") else f"{spec.name}{path}index.html"
              for spec in SITES for path, file in site_files(spec).items()
              if file.suffix == ".html"}
    assert served == set(ALL_PAGES)


def test_each_training_is_listed_once() -> None:
    pages = [page for training in EXPECTED["trainings"] for page in training["pages"]]
    titles = [training["title"] for training in EXPECTED["trainings"]]
    assert len(pages) == len(set(pages))
    assert len(titles) == len(set(titles))
    assert {t["language"] for t in EXPECTED["trainings"]} >= {"en", "es", "it", "de"}
    assert {t["format"] for t in EXPECTED["trainings"]} == {
        "course", "training", "seminar", "webinar", "workshop", "summer_school", "mooc"}
    assert sum(t["start_date"] < "2027" for t in EXPECTED["trainings"]) == 1


def _normalised(title: str) -> str:
    """What a normalising fuzzy matcher sees: no prefix, suffix, case, dashes or punctuation."""
    title = re.sub(r"^\s*webinar\s*:\s*", "", title, flags=re.IGNORECASE)
    title = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", title).split())


@pytest.mark.parametrize("training", [t for t in EXPECTED["trainings"] if len(t["pages"]) > 1],
                         ids=lambda training: training["title"][:30])
def test_cross_published_pages_differ_only_cosmetically(web: DemoWeb, client: httpx.Client,
                                                        training: dict) -> None:
    sites = {page.split("/")[0] for page in training["pages"]}
    assert len(sites) == len(training["pages"])
    headings = ["".join(parse(client.get(web.url(page)).text).h1).strip()
                for page in training["pages"]]
    assert len(set(headings)) > 1, "the copies should not be byte-identical titles"
    assert {_normalised(heading) for heading in headings} == {_normalised(training["title"])}


def test_pages_link_to_loopback_not_to_public_origins(web: DemoWeb, client: httpx.Client) -> None:
    page = client.get(web.url("civicnet-europe/events/webinar-digital-tools-participatory-"
                              "budgeting.html")).text
    assert ".example/" not in page.replace("@civicnet-europe.example", "")
    assert web.url("agora-akademie/en/webinars/digital-tools-participatory-budgeting.html") in page


@pytest.mark.parametrize("page", EXPECTED["broken"])
def test_broken_links_are_linked_and_answer_404(web: DemoWeb, client: httpx.Client,
                                                page: str) -> None:
    site = page.split("/")[0]
    path = urlsplit(web.url(page)).path
    assert any(path in client.get(web.url(p)).text for p in ALL_PAGES if p.startswith(site + "/"))
    response = client.get(web.url(page))
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_directory_without_slash_redirects(web: DemoWeb, client: httpx.Client) -> None:
    response = client.get(web.sites["civicnet-europe"] + "/events")
    assert response.status_code == 301
    assert response.headers["location"] == "/events/"


def test_head_sends_headers_only(web: DemoWeb, client: httpx.Client) -> None:
    response = client.head(web.url("aldermoor-university/about.html"))
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 1000
    assert response.content == b""


def test_gzip_when_asked(web: DemoWeb, client: httpx.Client) -> None:
    url = web.url("aldermoor-university/about.html")
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert b"About the Centre" in gzip.decompress(raw)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


# --- robots.txt and the access log --------------------------------------------------


def test_robots_txt_disallows_the_private_area(web: DemoWeb, client: httpx.Client) -> None:
    base = web.sites["aldermoor-university"]
    response = client.get(base + "/robots.txt")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    robots = RobotFileParser()
    robots.parse(response.text.splitlines())
    assert not robots.can_fetch("offermap", web.url(EXPECTED["disallowed"][0]))
    assert robots.can_fetch("offermap", web.url("aldermoor-university/summer-school/2027.html"))


@pytest.mark.parametrize("site", [spec.name for spec in SITES])
def test_every_site_has_a_robots_txt(web: DemoWeb, client: httpx.Client, site: str) -> None:
    assert client.get(web.sites[site] + "/robots.txt").status_code == 200


def test_access_log_records_host_method_and_path(web: DemoWeb, client: httpx.Client) -> None:
    client.get(web.sites["iold-learning"] + "/learning/?ref=test")
    host = urlsplit(web.sites["iold-learning"]).netloc
    assert (host, "GET", "/learning/?ref=test") in web.requests
    assert web.fetched("/learning/?ref=", site="iold-learning")
    assert not web.fetched("/learning/?ref=", site="civicnet-europe")


def _walk(web: DemoWeb, client: httpx.Client) -> tuple[set[str], set[str]]:
    """A small polite site walker, as the providers spider would walk: robots.txt,
    allowed domains, follow/deny patterns and max_depth.  Returns (200 URLs, 404 URLs)."""
    found: set[str] = set()
    missing: set[str] = set()
    for provider in web.providers():
        robots = RobotFileParser()
        base = provider["start_urls"][0]
        robots.parse(client.get(urljoin(base, "/robots.txt")).text.splitlines())
        queue = deque((url, 0) for url in provider["start_urls"])
        seen = set(provider["start_urls"])
        while queue:
            url, depth = queue.popleft()
            if not robots.can_fetch("offermap", url):
                continue
            response = client.get(url)
            if response.status_code == 404:
                missing.add(url)
                continue
            found.add(url)
            if depth >= provider["max_depth"]:
                continue
            for href in parse(response.text).links:
                link = urldefrag(urljoin(url, href))[0]
                if (urlsplit(link).hostname in provider["allowed_domains"]
                        and any(re.search(p, link) for p in provider["follow"])
                        and not any(re.search(p, link) for p in provider["deny"])
                        and link not in seen):
                    seen.add(link)
                    queue.append((link, depth + 1))
    return found, missing


def test_a_polite_walker_finds_every_provider_page_and_never_the_private_one() -> None:
    with DemoWeb() as web, httpx.Client(trust_env=False, timeout=10) as client:
        found, missing = _walk(web, client)
        expected = web.expected()
        walked = {spec.name for spec in SITES if spec.walk}
        wanted = {web.url(page) for page in ALL_PAGES
                  if page.split("/")[0] in walked and page not in EXPECTED["disallowed"]}
        assert wanted <= found
        assert set(expected["broken"]) <= missing
        assert not web.fetched("/private/")
        assert not web.fetched("/downloads/")  # denied by the provider's pattern
        assert not any(urlsplit(url).hostname in ("127.0.0.6", "127.0.0.7") for url in found)
