"""DuckDuckGo HTML: link decoding (B21, scenario 8), blocking is not emptiness
(scenario 7), post-back paging with vqd, and the real JavaScript pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.backends.base import BackendBlocked, GridQuery
from crawler.backends.duckduckgo import DuckDuckGoBackend, PageUnrecognised, unwrap
from db.models import Query
from db.session import Database
from pipeline.config import DuckDuckGoSettings
from tests.backends.conftest import DEAD_SITE, search
from tests.backends.fakes import DDG_ANOMALY, DDG_NO_RESULTS, DDG_VQD, FakeDuckDuckGo, ddg_page, \
    ddg_result

QUERY = GridQuery("co-creation", "atelier", "fr", "co-création atelier")
B21_TARGET = "https://courses.example.org/gis?id=7&lang=en"


def backend() -> DuckDuckGoBackend:
    return DuckDuckGoBackend(DuckDuckGoSettings(cooldown=30))


@pytest.mark.parametrize("href, expected", [
    ("/l/?kh=-1&uddg=https%3A%2F%2Fcourses.example.org%2Fgis%3Fid%3D7%26lang%3Den&rut=abc123",
     B21_TARGET),
    ("//duckduckgo.com/l/?uddg=https%3A%2F%2Fcourses.example.org%2Fgis%3Fid%3D7%26lang%3Den"
     "&rut=abc123", B21_TARGET),
    ("https://docs.example.net/tracking?uddg=https%3A%2F%2Fother.example%2F",
     "https://docs.example.net/tracking?uddg=https%3A%2F%2Fother.example%2F"),
    ("//example.org/direct", "https://example.org/direct"),
], ids=["relative-l", "protocol-relative-l", "not-a-ddg-link", "protocol-relative"])
def test_unwrap_b21(href: str, expected: str) -> None:
    assert unwrap(href) == expected


def test_b21_html_escaped_hrefs_merge_into_one_hit() -> None:
    encoded = "https%3A%2F%2Fcourses.example.org%2Fgis%3Fid%3D7%26lang%3Den"
    body = ddg_page([
        ddg_result(f"/l/?kh=-1&amp;uddg={encoded}&amp;rut=abc123", "GIS", "one"),
        ddg_result(f"//duckduckgo.com/l/?uddg={encoded}&amp;rut=abc123", "GIS", "two"),
        ddg_result("https://docs.example.net/tracking?uddg=https%3A%2F%2Fother.example%2F",
                   "Docs", "three"),
        ddg_result("https://duckduckgo.com/y.js?ad_domain=x", "Ad", "ad", ad=True),
    ])
    page = backend().parse(200, {}, body)
    assert [hit.url for hit in page.hits] == [
        B21_TARGET, "https://docs.example.net/tracking?uddg=https%3A%2F%2Fother.example%2F"]
    assert not page.has_more


def test_next_page_posts_back_the_hidden_fields() -> None:
    form = {"q": "x", "s": "10", "dc": "11", "nextParams": "", "v": "l", "o": "json",
            "api": "d.js", "kl": "wt-wt", "vqd": DDG_VQD}
    page = backend().parse(200, {}, ddg_page([ddg_result("https://a.example/", "A", "a")],
                                             next_form=form))
    assert page.has_more and page.next_state == form
    spec = backend().request(QUERY, 2, page.next_state)
    assert spec.method == "POST" and f"vqd={DDG_VQD}".encode() in (spec.body or b"")


def test_no_page_two_without_vqd() -> None:
    with pytest.raises(ValueError, match="vqd"):
        backend().request(QUERY, 2, None)


@pytest.mark.parametrize("status, body", [(202, b""), (200, DDG_ANOMALY), (303, b""),
                                          (403, b"")], ids=["202", "anomaly", "303", "403"])
def test_blocks_are_blocked_not_empty(status: int, body: bytes) -> None:
    with pytest.raises(BackendBlocked, match="blocked, not empty"):
        backend().parse(status, {}, body)


def test_no_results_is_zero_hits() -> None:
    page = backend().parse(200, {}, DDG_NO_RESULTS)
    assert page.hits == [] and not page.has_more


def test_realworld_javascript_pages_are_unrecognised(realworld: Path) -> None:
    answers = [json.loads(line) for line in (realworld / "answers.jsonl").open()]
    pages = [a for a in answers if a.get("backend") == "duckduckgo_js"]
    assert pages
    for answer in pages:
        assert answer["status"] == "unrecognised"
        with pytest.raises(PageUnrecognised, match="unrecognised"):
            backend().parse(200, {}, (realworld / answer["file"]).read_bytes())


def grid(url: str, *, pages: int = 3, keywords: str = "[a]", cooldown: float = 600) -> str:
    return f"""
        keywords: {keywords}
        formats: [course]
        pages_per_query: {pages}
        use_backends: [duckduckgo]
        backends:
          duckduckgo: {{url: "{url}/html/", delay: 0, cooldown: {cooldown}}}
        """


def test_ddg_pages_with_vqd_and_skips_ads(tmp_path: Path) -> None:
    with FakeDuckDuckGo(site=DEAD_SITE, pages=2) as ddg:
        result = search(tmp_path, grid(ddg.url, pages=5))
    assert result.returncode == 0, result.stderr
    assert [e.params.get("s", "") for e in ddg.log] == ["", "10"]
    assert all(e.params.get("vqd") == DDG_VQD for e in ddg.log[1:])
    assert all(e.method == "POST" and e.headers["referer"] == "https://html.duckduckgo.com/"
               for e in ddg.log)
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        hits = [h.url for q in session.scalars(select(Query).order_by(Query.page))
                for h in q.hits]
    assert hits == [f"{DEAD_SITE}/p{p}/r{n}?id={n}&lang=en" for p in (1, 2) for n in (1, 2, 3)]


@pytest.mark.parametrize("mode", ["202", "anomaly"])
def test_ddg_block_is_recorded_blocked_and_ends_the_lane(tmp_path: Path, mode: str) -> None:
    with FakeDuckDuckGo(site=DEAD_SITE, mode=mode) as ddg:
        result = search(tmp_path, grid(ddg.url, keywords="[a, b]"))
    assert result.returncode == 0, result.stderr
    assert len(ddg.log) == 1  # a 600 s cooldown is longer than a run waits
    assert not [e for e in ddg.log if e.params.get("s") and not e.params.get("vqd")]
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        statuses = sorted(q.status for q in session.scalars(select(Query)))
    assert statuses == ["blocked", "unsent"]


def test_ddg_short_cooldown_is_waited_before_the_next_call(tmp_path: Path) -> None:
    with FakeDuckDuckGo(site=DEAD_SITE, mode="202") as ddg:
        result = search(tmp_path, grid(ddg.url, keywords="[a]", cooldown=1.5))
    assert result.returncode == 0, result.stderr
    assert len(ddg.log) == 2 and ddg.log[1].at - ddg.log[0].at >= 1.5
    with Database(str(tmp_path / "s.sqlite")).session() as session:
        assert [q.status for q in session.scalars(select(Query))] == ["blocked"]
