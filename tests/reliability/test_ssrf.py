"""Scenario 21 and case B20: no link, redirect or meta refresh reaches an internal address.

Real crawls, real HTTP, on loopback only: the fake DNS (fakedns.py) lets the guard
judge the addresses a real resolver would return while every socket goes to
127.0.0.x, and canaries listen where a broken guard would connect.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from crawler.safety import (
    BLOCKED_INVALID_URL,
    BLOCKED_PRIVATE,
    BLOCKED_SCHEME,
    AddressPolicy,
    Blocked,
    Guard,
    InvalidAllowlist,
    allow_networks,
    literal_address,
    parse_networks,
)
from tests.conftest import run_offermap
from tests.reliability.fakedns import FakeDns
from tests.reliability.harness import PUBLIC, canaries, crawl, port_of, write_config
from tests.servers import LoopbackServer, html, searxng_json

FORBIDDEN_SPELLINGS = [
    "127.0.0.1", "localhost", "localhost.", "10.0.0.5", "172.16.3.4", "192.168.1.10",
    "100.64.0.1", "169.254.169.254", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]", "[fd00::1]", "[fe80::1]", "[::]", "224.0.0.1", "2130706433",
    "0177.0.0.1", "0x7f.1", "0x7f.0.0.1", "127.1", "[64:ff9b::a00:5]", "[2002:a00:5::]",
    # Not global, though Python 3.11's ipaddress lets the first two through.
    "[fec0::1]", "192.0.0.8", "198.18.0.1", "192.0.2.1", "240.0.0.1", "[2001:db8::1]",
    "[64:ff9b:1::a00:5]", "[fd00:ec2::254]",
]


@pytest.mark.parametrize("host", FORBIDDEN_SPELLINGS)
def test_guard_refuses_every_spelling_of_an_internal_address(host: str) -> None:
    # The lookup is a stub: this test never opens a socket.
    guard = Guard(lookup=lambda name: {"localhost": ["127.0.0.1", "::1"]}[name])
    with pytest.raises(Blocked) as refused:
        guard.check_url(f"http://{host}:8080/admin")
    assert refused.value.reason == BLOCKED_PRIVATE


def test_legacy_ipv4_spellings_are_read_as_addresses_and_names_are_not() -> None:
    assert literal_address("2130706433") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("0177.0.0.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("0x7f.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("0xfeed.example") is None
    assert literal_address("uni.example.org") is None


def test_a_name_with_one_private_answer_among_public_ones_is_refused() -> None:
    guard = Guard(lookup=lambda name: ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(Blocked):
        guard.check_url("https://internal-mirror.example.org/")


def test_the_checked_address_is_pinned_against_rebinding() -> None:
    answers = iter([["93.184.216.34"], ["10.0.0.7"]])
    guard = Guard(lookup=lambda name: next(answers))
    assert guard.check_url("https://rebind.example.org/a") == ("93.184.216.34",)
    assert guard.check_url("https://rebind.example.org/b") == ("93.184.216.34",)
    assert guard.connect_addresses("rebind.example.org") == ("93.184.216.34",)


def test_the_allowlist_opens_only_the_networks_it_names() -> None:
    policy = AddressPolicy(parse_networks("127.0.0.0/8, ::1/128"))
    assert policy.refusal(ipaddress.ip_address("127.0.0.2")) is None
    assert policy.refusal(ipaddress.ip_address("::1")) is None
    assert policy.refusal(ipaddress.ip_address("10.0.0.5")) == BLOCKED_PRIVATE
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) == BLOCKED_PRIVATE


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111",
                                     "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_not_even_an_allowlist_opens_the_metadata_service() -> None:
    everything = AddressPolicy(parse_networks("0.0.0.0/0, ::/0"))
    assert everything.refusal(ipaddress.ip_address("10.0.0.5")) is None
    assert everything.refusal(ipaddress.ip_address("169.254.169.254")) == BLOCKED_PRIVATE
    assert everything.refusal(ipaddress.ip_address("fd00:ec2::254")) == BLOCKED_PRIVATE


@pytest.mark.parametrize(("value", "named"), [
    ("garbage", "'garbage' is not a network"),
    ("127.0.0.0/8, 10.0.0.0/33", "'10.0.0.0/33' is not a network"),
    ("0.0.0.0/1,128.0.0.0/1", "covers the cloud metadata address 169.254.169.254"),
    ("169.254.0.0/16", "covers the cloud metadata address 169.254.169.254"),
    ("fd00::/8", "covers the cloud metadata address fd00:ec2::254"),
    ("::/0", "opens every address"),
])
def test_an_invalid_or_unsafe_allowlist_is_refused_in_one_line(value: str, named: str) -> None:
    with pytest.raises(InvalidAllowlist) as refused:
        allow_networks(value)
    message = str(refused.value)
    assert message.startswith(f"OFFERMAP_ALLOW_NETWORKS={value!r}: ") and named in message
    assert "\n" not in message and refused.value.exit_code == 2
    assert allow_networks("127.0.0.0/8, ::1/128") == parse_networks("127.0.0.0/8 ::1/128")


@pytest.mark.parametrize("url", ["http://[::1/", "http://93.184.216.34:99999/",
                                 "http://[not-an-address]/"])
def test_a_malformed_url_is_refused_not_raised(url: str) -> None:
    with pytest.raises(Blocked) as refused:
        Guard(lookup=lambda name: ["93.184.216.34"]).check_url(url)
    assert refused.value.reason == BLOCKED_INVALID_URL


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html,<h1>x</h1>",
                                 "ftp://ftp.example.org/", "gopher://example.org/",
                                 "javascript:alert(1)"])
def test_guard_refuses_schemes_other_than_http(url: str) -> None:
    with pytest.raises(Blocked) as refused:
        Guard(lookup=lambda name: ["93.184.216.34"]).check_url(url)
    assert refused.value.reason == BLOCKED_SCHEME


def test_trusted_backend_on_loopback_is_pinned_without_the_policy() -> None:
    guard = Guard()
    assert guard.check_url("http://127.0.0.1:8080/search", trusted=True) == ("127.0.0.1",)
    with pytest.raises(Blocked):
        guard.check_url("http://127.0.0.1:8080/admin")


def test_search_results_redirects_and_refreshes_never_reach_internal_addresses(
        tmp_path: Path) -> None:
    with canaries("127.0.0.1") as (port, listening):
        forbidden = [
            f"http://169.254.169.254:{port}/latest/meta-data/",
            f"http://127.0.0.1:{port}/admin", f"http://localhost:{port}/",
            f"http://localhost.:{port}/", f"http://[::1]:{port}/",
            f"http://[::ffff:127.0.0.1]:{port}/", f"http://[fd00::1]:{port}/",
            f"http://10.0.0.5:{port}/intranet", f"http://172.16.0.1:{port}/",
            f"http://192.168.0.1:{port}/", f"http://100.64.0.1:{port}/",
            f"http://0.0.0.0:{port}/", f"http://2130706433:{port}/",
            f"http://0177.0.0.1:{port}/", f"http://0x7f.1:{port}/",
            f"http://internal-mirror.example.org:{port}/",
        ]
        site = LoopbackServer({}, host="127.0.0.2")
        site.routes.update({
            "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
            "/course": (302, {"Location": f"http://192.168.1.10:{port}/"}, b""),
            "/refresh": html(f'<meta http-equiv="refresh" content="0; url=http://10.0.0.6:'
                             f'{port}/">'),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/ok": html("<h1>A public page</h1>"),
            "/a": html("<h1>a</h1>"), "/b": html("<h1>b</h1>"),
        })
        with site:
            public = [f"http://gis.example.org:{port_of(site)}/course",
                      f"http://gis.example.org:{port_of(site)}/refresh",
                      f"http://gis.example.org:{port_of(site)}/to-file",
                      f"http://gis.example.org:{port_of(site)}/ok",
                      f"http://rebind.example.org:{port_of(site)}/a",
                      f"http://rebind.example.org:{port_of(site)}/b"]
            results = [{"url": url} for url in [*forbidden, *public]]
            with LoopbackServer({"/search": searxng_json(results)}) as search:
                dns = FakeDns(
                    names={"localhost": [["127.0.0.1", "::1"]],
                           "internal-mirror.example.org": [["10.1.2.3"]],
                           "gis.example.org": [[PUBLIC[0]]],
                           "rebind.example.org": [[PUBLIC[1]], ["10.0.0.7"]]},
                    dial={PUBLIC[0]: "127.0.0.2", PUBLIC[1]: "127.0.0.2"})
                config = write_config(tmp_path / "config", search_url=search.url)
                result = crawl(tmp_path, config, dns, spiders=("search",))
        assert result.returncode == 0, result.stderr[-3000:]
        assert [canary.accepted for canary in listening] == [0] * len(listening)

    pages = {page.url: page for page in result.pages()}
    stored = {hit.url for hit in result.hits()}
    for url in forbidden:
        if url not in stored:  # not even a hit: refused before it became one
            continue
        page = pages[url]
        assert page.status is None and (page.error or "").startswith(
            f"blocked: {BLOCKED_PRIVATE}"), (url, page.error)
    assert len([url for url in forbidden if url in stored]) >= len(forbidden) - 3
    # The 302 and the meta refresh reached our public stand-in; their targets did not.
    assert site.paths().count("/course") == 1 and site.paths().count("/refresh") == 1
    assert site.paths().count("/a") == 1 and site.paths().count("/b") == 1
    assert pages[public[3]].status == 200
    assert (pages[public[0]].error or "").startswith(f"blocked: {BLOCKED_PRIVATE}")
    # Scrapy does not follow a redirect to file://: the 302 itself is all that is kept.
    assert pages[public[2]].status == 302 and not pages[public[2]].content_hash
    # Refused, never retried.
    assert result.stat("retry/count") == 0
    assert result.stat(f"offermap/blocked/{BLOCKED_PRIVATE}") >= len(forbidden) - 3


def test_crawl_refuses_an_invalid_allowlist_before_it_starts(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config")
    db = tmp_path / "never.sqlite"
    result = run_offermap("crawl", "--db", str(db), "--config-dir", str(config), "--quiet",
                          env={"OFFERMAP_ALLOW_NETWORKS": "garbage"})
    assert result.returncode == 2, result.stdout + result.stderr
    said = " ".join(result.stderr.split())
    assert said.startswith("Error: OFFERMAP_ALLOW_NETWORKS='garbage': 'garbage' is not a "
                           "network"), said
    assert "Traceback" not in result.stderr and not db.exists()


def test_backend_trust_does_not_follow_a_redirect_to_another_host() -> None:
    from scrapy.http import Request

    from crawler.middlewares.safety import TRUSTED, is_trusted

    search = "http://127.0.0.1:8888/search?q=x"
    assert is_trusted(Request(search, meta={TRUSTED: True}))
    assert not is_trusted(Request(search))
    same_host = Request("http://127.0.0.1:8888/search?q=x&p=2",
                        meta={TRUSTED: True, "redirect_urls": [search]})
    assert is_trusted(same_host)
    elsewhere = Request("http://10.0.0.5/admin", meta={TRUSTED: True, "redirect_urls": [search]})
    assert not is_trusted(elsewhere)
