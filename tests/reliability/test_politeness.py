"""Scenarios 14 and 18: retries for transient failures only, and per-host pushback.

Timings are protocol ones, measured from the server's own log.
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

from crawler.middlewares.politeness import retry_after_seconds
from tests.reliability.fakedns import TRANSIENT, FakeDns
from tests.reliability.harness import crawl, port_of, write_config
from tests.servers import LoopbackServer, Reply, html


class Script:
    """A route that answers from a script (the last answer repeats) and logs times."""

    def __init__(self, *answers: Reply, hold: float = 0.0) -> None:
        self.answers = list(answers)
        self.times: list[float] = []
        self.statuses: list[int] = []
        self.hold = hold
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def __call__(self, *_args: Any) -> Reply:
        with self._lock:
            self.times.append(time.monotonic())
            answer = self.answers[min(len(self.times) - 1, len(self.answers) - 1)]
            self.statuses.append(answer[0])
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(self.hold)
        with self._lock:
            self.active -= 1
        return answer


def status(code: int, **headers: str) -> Reply:
    return code, {"Content-Type": "text/html", **headers}, f"<h1>{code}</h1>".encode()


ROBOTS = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")


def provider(name: str, host: str, server: LoopbackServer, paths: list[str]) -> dict:
    base = f"http://{host}:{port_of(server)}"
    return {"name": name, "allowed_domains": [host], "max_depth": 0, "theme_filter": False,
            "start_urls": [base + path for path in paths]}


def test_scenario_14_retry_policy_and_retry_after(tmp_path: Path) -> None:
    flaky = Script(status(503), status(503), html("<h1>ok</h1>"))
    broken = Script(status(500))
    gone = Script(status(404))
    slow_down = Script(status(429, **{"Retry-After": "2"}), html("<h1>ok</h1>"))
    site_a = LoopbackServer({"/robots.txt": ROBOTS, "/flaky": flaky, "/broken": broken,
                             "/gone": gone}, host="127.0.0.41")
    site_b = LoopbackServer({"/robots.txt": ROBOTS, "/slow-down": slow_down},
                            host="127.0.0.42")
    with site_a, site_b:
        dns = FakeDns(names={"a.example.org": [["93.184.218.1"]],
                             "b.example.org": [["93.184.218.2"]]},
                      dial={"93.184.218.1": "127.0.0.41", "93.184.218.2": "127.0.0.42"})
        config = write_config(tmp_path / "config", providers=[
            provider("a", "a.example.org", site_a, ["/flaky", "/broken", "/gone"]),
            provider("b", "b.example.org", site_b, ["/slow-down"])])
        result = crawl(tmp_path, config, dns, spiders=("providers",),
                       overrides={"RETRY_TIMES": 2, "OFFERMAP_MIN_BACKOFF": 0.5})
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(flaky.times) == 3
    assert len(broken.times) == 2 + 1  # RETRY_TIMES + 1
    assert len(gone.times) == 1
    assert len(slow_down.times) == 2
    assert slow_down.times[1] - slow_down.times[0] >= 2.0  # Retry-After: 2
    pages = {page.url.rsplit("/", 1)[1]: page for page in result.pages()}
    assert pages["flaky"].status == 200 and pages["slow-down"].status == 200
    # The give-up is recorded with its reason: the last answer, and the retry stats.
    assert pages["broken"].status == 500 and pages["broken"].outcome == "http_error"
    assert result.stat("retry/max_reached") == 1
    assert pages["gone"].status == 404


def test_scenario_18_per_host_concurrency_delay_floor_and_no_shrinking(
        tmp_path: Path) -> None:
    pages = {f"/p{n}": Script(html(f"<h1>{n}</h1>"), hold=0.2) for n in range(8)}
    pages["/p3"] = Script(status(503), html("<h1>3</h1>"), hold=0.2)
    def all_times() -> list[float]:
        return sorted(t for script in pages.values() for t in script.times)
    site = LoopbackServer({"/robots.txt": ROBOTS, **pages}, host="127.0.0.43")
    with site:
        dns = FakeDns(names={"polite.example.org": [["93.184.218.3"]]},
                      dial={"93.184.218.3": "127.0.0.43"})
        config = write_config(tmp_path / "config", providers=[
            provider("polite", "polite.example.org", site, sorted(pages))])
        result = crawl(tmp_path, config, dns, spiders=("providers",),
                       overrides={"DOWNLOAD_DELAY": 0.5, "CONCURRENT_REQUESTS_PER_DOMAIN": 2})
    assert result.returncode == 0, result.stderr[-3000:]
    times = all_times()
    assert len(times) == 9
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.5 * 0.5, gaps
    assert max(script.most_active for script in pages.values()) <= 2
    # After the 503, the host's delay never shrinks: every later gap is at least the
    # backoff floor (max(1.0, 2 × 0.5) s, without jitter).
    pushed_back = pages["/p3"].times[0]
    later = [t for t in times if t >= pushed_back]
    later_gaps = [b - a for a, b in itertools.pairwise(later)]
    assert later_gaps and min(later_gaps) >= 0.95, later_gaps


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("Thu, 03 Dec 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None


def test_a_retry_after_too_long_to_wait_is_given_up_with_its_reason(tmp_path: Path) -> None:
    wait = Script(status(429, **{"Retry-After": "3600"}), html("<h1>ok</h1>"))
    site = LoopbackServer({"/robots.txt": ROBOTS, "/wait": wait}, host="127.0.0.44")
    with site:
        dns = FakeDns(names={"w.example.org": [["93.184.218.4"]]},
                      dial={"93.184.218.4": "127.0.0.44"})
        config = write_config(tmp_path / "config", providers=[
            provider("w", "w.example.org", site, ["/wait"])])
        started = time.monotonic()
        result = crawl(tmp_path, config, dns, spiders=("providers",),
                       overrides={"OFFERMAP_MAX_BACKOFF": 120})
        took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(wait.times) == 1 and took < 60  # asked once, not waited for, not retried
    (page,) = [page for page in result.pages() if page.url.endswith("/wait")]
    assert page.status == 429 and page.outcome == "fetch_error"
    assert "Retry-After 3600 s" in (page.error or "") and "OFFERMAP_MAX_BACKOFF" in page.error
    assert "given up for this run" in page.error
    assert result.stat("offermap/backoff/gave_up") == 1 and result.stat("retry/count") == 0


def test_a_transient_dns_failure_is_retried_and_nxdomain_is_not(tmp_path: Path) -> None:
    target = Script(html("<h1>ok</h1>"))
    site = LoopbackServer({"/robots.txt": ROBOTS, "/page": target}, host="127.0.0.45")
    with site:
        dns = FakeDns(names={"flaky.example.org": [[TRANSIENT], ["93.184.218.5"]]},
                      dial={"93.184.218.5": "127.0.0.45"})  # gone.example.org: NXDOMAIN
        port = port_of(site)
        config = write_config(tmp_path / "config", providers=[{
            "name": "dns", "allowed_domains": ["flaky.example.org", "gone.example.org"],
            "max_depth": 0, "theme_filter": False,
            "start_urls": [f"http://flaky.example.org:{port}/page",
                           f"http://gone.example.org:{port}/page"]}])
        result = crawl(tmp_path, config, dns, spiders=("providers",))
    assert result.returncode == 0, result.stderr[-3000:]
    pages = {page.url.split("//", 1)[1].split(".", 1)[0]: page for page in result.pages()}
    assert pages["flaky"].status == 200 and len(target.times) == 1
    assert (pages["gone"].error or "").startswith("dns_error: gone.example.org"), pages["gone"]
    assert result.stat("retry/count") == 1  # the EAI_AGAIN once; the NXDOMAIN never
    assert result.stat("retry/reason_count/twisted.internet.error.DNSLookupError") == 1
