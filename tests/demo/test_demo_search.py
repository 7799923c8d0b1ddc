"""The demo's SearXNG look-alike, checked against what SearXNG says on the wire."""

from __future__ import annotations

import itertools
from datetime import datetime
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx
import pytest

from pipeline.demo import DemoWeb
from pipeline.demo.search import RESULTS_PER_PAGE

KEYWORDS = ["citizens engagement", "citizens participation", "co-creation", "capacity building",
            "smart cities", "participatory budgeting"]
FORMATS = ["course", "training", "seminar", "workshop", "summer school", "MOOC"]
GRID = [f"{keyword} {fmt}" for keyword, fmt in itertools.product(KEYWORDS, FORMATS)]

RESULT_KEYS = {"url", "title", "content", "engine", "engines", "positions", "score", "category",
               "parsed_url", "publishedDate", "template", "priority"}


def search(web: DemoWeb, client: httpx.Client, **params: str) -> httpx.Response:
    return client.get(web.search_url + "/search", params={"format": "json", **params})


def urls(response: httpx.Response) -> list[str]:
    return [result["url"] for result in response.json()["results"]]


def test_grid_query_puts_the_summer_school_near_the_top(web: DemoWeb,
                                                        client: httpx.Client) -> None:
    response = search(web, client, q="participatory budgeting summer school", pageno="1",
                      language="en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    found = urls(response)
    assert web.url("aldermoor-university/summer-school/2027.html") in found[:3]
    assert web.url("civicnet-europe/events/summer-school-participatory-budgeting-2027.html") \
        in found[:5]


def test_json_has_searxng_shape(web: DemoWeb, client: httpx.Client) -> None:
    data = search(web, client, q="co-creation course").json()
    assert set(data) == {"query", "number_of_results", "results", "answers", "corrections",
                         "infoboxes", "suggestions", "unresponsive_engines"}
    assert data["query"] == "co-creation course"
    assert len(data["results"]) == RESULTS_PER_PAGE
    for position, result in enumerate(data["results"], start=1):
        assert set(result) >= RESULT_KEYS
        parts = urlsplit(result["url"])
        assert result["parsed_url"] == [parts.scheme, parts.netloc, parts.path, "", "", ""]
        assert result["engine"] == result["engines"][0]
        assert result["positions"] and all(p == position for p in result["positions"])
        assert isinstance(result["score"], float)
        assert result["content"]
        if result["publishedDate"] is not None:
            datetime.fromisoformat(result["publishedDate"])
    scores = [result["score"] for result in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_some_results_carry_a_published_date(web: DemoWeb, client: httpx.Client) -> None:
    results = search(web, client, q="new member cities join").json()["results"]
    dated = [r for r in results if r["publishedDate"]]
    assert dated and dated[0]["publishedDate"] == "2027-01-20T09:00:00"


def test_post_form_gives_the_same_answer_as_get(web: DemoWeb, client: httpx.Client) -> None:
    form = {"q": "smart cities MOOC", "format": "json", "pageno": "1"}
    posted = client.post(web.search_url + "/search", data=form)
    assert posted.status_code == 200
    assert posted.json() == search(web, client, q="smart cities MOOC", pageno="1").json()


def test_a_query_on_root_redirects_to_search(web: DemoWeb, client: httpx.Client) -> None:
    posted = client.post(web.search_url + "/", data={"q": "x", "format": "json"})
    assert posted.status_code == 308
    assert posted.headers["location"] == "/search"
    got = client.get(web.search_url + "/", params={"q": "x", "format": "json"})
    assert got.status_code == 308
    assert got.headers["location"] == "/search?q=x&format=json"
    followed = client.post(web.search_url + "/", data={"q": "co-creation", "format": "json"},
                           follow_redirects=True)
    assert followed.status_code == 200
    assert followed.json()["query"] == "co-creation"


def test_empty_query_is_a_400_with_json_error(web: DemoWeb, client: httpx.Client) -> None:
    for params in ({"q": ""}, {}):
        response = search(web, client, **params)
        assert response.status_code == 400
        assert response.json() == {"error": "No query"}


@pytest.mark.parametrize("pageno", ["0", "abc", "-1", "1.5", ""])
def test_bad_pageno_is_a_400(web: DemoWeb, client: httpx.Client, pageno: str) -> None:
    response = search(web, client, q="co-creation", pageno=pageno)
    assert response.status_code == 400
    assert "pageno" in response.json()["error"]


@pytest.mark.parametrize(("name", "value"), [("language", "English"), ("time_range", "decade"),
                                             ("safesearch", "3"), ("timeout_limit", "soon")])
def test_other_bad_parameters_are_400s(web: DemoWeb, client: httpx.Client, name: str,
                                       value: str) -> None:
    response = search(web, client, q="co-creation", **{name: value})
    assert response.status_code == 400
    assert name in response.json()["error"]


@pytest.mark.parametrize("output_format", ["csv", "rss"])
def test_format_not_enabled_is_a_403(web: DemoWeb, client: httpx.Client,
                                     output_format: str) -> None:
    response = client.get(web.search_url + "/search",
                          params={"q": "co-creation", "format": output_format})
    assert response.status_code == 403
    assert "format not enabled" in response.text


def test_format_is_checked_before_the_query(web: DemoWeb, client: httpx.Client) -> None:
    assert client.get(web.search_url + "/search", params={"format": "csv"}).status_code == 403


def test_html_format_answers_a_results_page(web: DemoWeb, client: httpx.Client) -> None:
    response = client.get(web.search_url + "/search", params={"q": "summer school"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert 'class="result' in response.text


def test_paging_past_the_end_is_an_empty_list(web: DemoWeb, client: httpx.Client) -> None:
    total = search(web, client, q="co-creation workshop").json()["number_of_results"]
    last = -(-total // RESULTS_PER_PAGE)
    assert len(urls(search(web, client, q="co-creation workshop", pageno=str(last)))) \
        == total - (last - 1) * RESULTS_PER_PAGE
    beyond = search(web, client, q="co-creation workshop", pageno=str(last + 1))
    assert beyond.status_code == 200
    assert beyond.json()["results"] == []


def test_pages_do_not_overlap_and_order_is_stable(web: DemoWeb, client: httpx.Client) -> None:
    first = urls(search(web, client, q="citizens participation course", pageno="1"))
    second = urls(search(web, client, q="citizens participation course", pageno="2"))
    assert not set(first) & set(second)
    assert first == urls(search(web, client, q="citizens participation course", pageno="1"))


def test_excluded_words_remove_results(web: DemoWeb, client: httpx.Client) -> None:
    found = urls(search(web, client, q="summer school -lisbon"))
    assert web.url("aldermoor-university/summer-school/2025.html") not in found
    assert web.url("aldermoor-university/summer-school/2027.html") in found


def test_robots_disallowed_pages_are_never_results(web: DemoWeb, client: httpx.Client) -> None:
    for query in ("winter school co-creation climate", "draft winter school 2028"):
        assert not [url for url in urls(search(web, client, q=query)) if "/private/" in url]


def test_search_only_pages_are_found_by_the_grid(web: DemoWeb, client: httpx.Client) -> None:
    walked = {urlsplit(entry["start_urls"][0]).netloc for entry in web.providers()}
    only_by_search = [url for training in web.expected()["trainings"]
                      for url in training["pages"] if urlsplit(url).netloc not in walked]
    assert len(only_by_search) >= 2
    first_pages = {url for query in GRID for url in urls(search(web, client, q=query))}
    assert set(only_by_search) <= first_pages


def test_search_robots_txt_is_searxngs(web: DemoWeb, client: httpx.Client) -> None:
    robots = RobotFileParser()
    robots.parse(client.get(web.search_url + "/robots.txt").text.splitlines())
    assert not robots.can_fetch("offermap", web.search_url + "/search?q=x&format=json")
    assert client.get(web.search_url + "/healthz").text == "OK"


def test_search_requests_are_in_the_access_log(web: DemoWeb, client: httpx.Client) -> None:
    search(web, client, q="logged query")
    host = urlsplit(web.search_url).netloc
    assert any(entry[0] == host and entry[1] == "GET" and "q=logged+query" in entry[2]
               for entry in web.requests)


def test_newer_searxng_without_number_of_results() -> None:
    with DemoWeb(with_number_of_results=False,
                 unresponsive_engines=[("qwant", "Suspended: access denied"),
                                       ("brave", "timeout")]) as web, \
            httpx.Client(trust_env=False) as client:
        data = search(web, client, q="co-creation").json()
    assert "number_of_results" not in data
    assert data["unresponsive_engines"] == [["brave", "timeout"],
                                            ["qwant", "Suspended: access denied"]]
