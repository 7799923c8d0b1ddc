"""Scenario 19 and case B19: endless calendars, session ids and query variants."""

from __future__ import annotations

import calendar
from pathlib import Path
from typing import Any

from crawler.spiders._common import DateWindow, QueryVariants, strip_session_ids, trap_reason
from tests.reliability.fakedns import FakeDns
from tests.reliability.harness import crawl, port_of, write_config
from tests.servers import LoopbackServer, Reply, html

COURSE_MONTHS = [(2024, 5), (2024, 6), (2024, 7), (2024, 8)]


def month_shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def calendar_page(path: str, query: dict[str, list[str]], _headers: Any) -> Reply:
    parts = path.strip("/").split("/")
    if path == "/cal":  # the query-string form (crawler4j#31)
        year, month = int(query["year"][0]), int(query["month"][0])
        links = [f"/cal?year={y}&month={m}" for y, m in
                 (month_shift(year, month, -1), month_shift(year, month, 1))]
        links.append("/cal?statisticsYear=7749")
        return html("".join(f'<a href="{link}">x</a>' for link in links))
    if parts[:2] == ["events", "calendar"]:
        year, month = int(parts[2]), int(parts[3])
        links = [f"/events/calendar/{y}/{m:02d}" for y, m in
                 (month_shift(year, month, -1), month_shift(year, month, 1))]
        days = calendar.monthrange(year, month)[1]
        links += [f"/events/day/{year}-{month:02d}-{day:02d}" for day in range(1, days + 1)]
        links += ["https://elsewhere.example.net/calendar", f"/search?page={year}{month}"]
        return html("".join(f'<a href="{link}">x</a>' for link in links))
    if parts[:2] == ["events", "day"]:
        year, month, day = (int(x) for x in parts[2].split("-"))
        links = []
        if (year, month) in COURSE_MONTHS and day == 10:
            number = COURSE_MONTHS.index((year, month))
            links = [f"/courses/{number}?sessionid=a{day}", f"/courses/{number};jsessionid=b"]
        return html("".join(f'<a href="{link}">x</a>' for link in links) or "<p>nothing</p>")
    if path == "/search":  # endless "next page" links
        page = int(query.get("page", ["1"])[0])
        return html(f'<a href="/search?page={page + 1}">next</a>')
    if parts[0] == "courses":
        return html(f"<h1>Course {parts[1]}</h1>")
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
    return html("<h1>404</h1>", status=404)


class Everything(dict):  # type: ignore[type-arg]
    """A route table that answers every path with one function."""

    def get(self, key: str, default: Any = None) -> Any:
        return calendar_page


def test_b19_endless_calendar_ends_by_rule(tmp_path: Path) -> None:
    site = LoopbackServer(Everything(), host="127.0.0.51")
    with site:
        base = f"http://uni.example.org:{port_of(site)}"
        dns = FakeDns(names={"uni.example.org": [["93.184.219.1"]]},
                      dial={"93.184.219.1": "127.0.0.51"})
        config = write_config(tmp_path / "config", providers=[{
            "name": "uni", "allowed_domains": ["uni.example.org"], "max_depth": 10,
            "max_pages": 500, "theme_filter": False,
            "start_urls": [f"{base}/events/calendar/2024/05", f"{base}/cal?year=2024&month=5"]}])
        result = crawl(tmp_path, config, dns, spiders=("providers",), timeout=300,
                       overrides={"OFFERMAP_TODAY": "2024-04-15", "DEPTH_LIMIT": 0})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.out["status"] == "finished"
    paths = site.paths()
    months = [p for p in paths if p.startswith("/events/calendar/")]
    query_months = [p for p in paths if p.startswith("/cal?year=")]
    assert len(months) <= 14 and len(query_months) <= 14, (months, query_months)
    assert len(paths) <= 500
    assert not [p for p in paths if "statisticsYear" in p]
    courses = sorted(p for p in paths if p.startswith("/courses/"))
    assert courses == [f"/courses/{n}" for n in range(4)]  # session ids stripped: once each
    assert len([p for p in paths if p.startswith("/search")]) <= 20 + 1
    # Nothing left the allowed domain.
    assert all("elsewhere" not in page.url for page in result.pages())


def test_trap_rules() -> None:
    window = DateWindow.around(__import__("datetime").date(2024, 4, 15))
    assert trap_reason("https://x/events/calendar/2024/03", window) is None
    assert trap_reason("https://x/events/calendar/2025/04", window) is None
    assert trap_reason("https://x/events/calendar/2025/05", window) == "date_outside_window"
    assert trap_reason("https://x/events/day/1999-12-31", window) == "date_outside_window"
    assert trap_reason("https://x/stats?statisticsYear=7749", window) == "date_outside_window"
    assert trap_reason("https://x/a/b/a/b/a/b/a/b", window) == "repeated_path_segments"
    assert trap_reason("https://x/courses/gis-2019-2020", window) is None
    assert trap_reason("https://x/pages/workshop-dmp-2023-07.html", window) is None
    assert trap_reason("https://x/events?from=2031-01-01", window) == "date_outside_window"
    assert strip_session_ids("https://x/c;jsessionid=1?id=3&PHPSESSID=2") == "https://x/c?id=3"
    variants = QueryVariants(2)
    assert variants.admit("https://x/s?p=1") and variants.admit("https://x/s?p=2")
    assert not variants.admit("https://x/s?p=3") and variants.admit("https://x/s?p=1")
