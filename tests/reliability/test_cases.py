"""The `crawl` and `search` cases of ../shared/cases that are not crawls of their own.

B17 (robots), B18 (bombs), B19 (calendar) and B20 (SSRF) are crawled in
test_robots.py, test_limits.py, test_traps.py and test_ssrf.py.  B21 and B22 are
URL rules, checked here against the case file itself.
"""

from __future__ import annotations

import html
import json
from typing import Any

import pytest

from tests.conftest import REPO, need

CASES = REPO.parent / "shared" / "cases" / "cases.jsonl"


def case(case_id: str) -> dict[str, Any]:
    need(CASES.is_file(), f"the cases file is not at {CASES}")
    for line in CASES.read_text().splitlines():
        if line.strip() and json.loads(line)["id"] == case_id:
            return json.loads(line)
    pytest.fail(f"case {case_id} not in {CASES}")


def test_b21_duckduckgo_links_are_unwrapped_only_when_they_are_duckduckgo_links() -> None:
    from crawler.backends.duckduckgo import unwrap

    spec = case("B21")
    hrefs = spec["input"]["result_hrefs_as_in_html_source"]
    # As an HTML parser hands the attribute over: entities decoded.
    got = [unwrap(html.unescape(href)) for href in hrefs]
    expected = spec["expected"]
    assert got[0] == expected["hit_1"] and got[1] == expected["hit_2"]
    assert got[2] == expected["hit_3"].split(" (", 1)[0]


def test_b22_dedup_key_and_crawl_key() -> None:
    from pipeline.urls import canonical_url, crawl_key

    spec = case("B22")
    urls = spec["input"]["urls"]
    expected = spec["expected"]
    entry = {name: canonical_url(urls[name]) for name in urls}
    assert len({entry[name] for name in expected["entry_dedup_key"]["equal"]}) == 1
    assert entry["c"] != entry["a"]
    crawl = {name: crawl_key(urls[name]) for name in urls}
    assert len({crawl[name] for name in expected["crawl_dupefilter_key"]["equal"]}) == 1
    distinct = expected["crawl_dupefilter_key"]["each_distinct"]
    assert len({crawl[name] for name in [*distinct, "a"]}) == len(distinct) + 1
