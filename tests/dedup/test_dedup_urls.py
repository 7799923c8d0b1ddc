"""URL keys (B22): what folds into one key and what must stay apart."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.urls import (
    canonical_url,
    crawl_key,
    is_http_url,
    preferred_url,
    registered_domain,
)

# B22, written fresh: one training page in the forms several engines return it.
FORMS = {
    "tracking": "https://Academy.Example.NET/Training/Urban-Lab?utm_campaign=spring"
    "&utm_content=btn&edition=3&fbclid=XyZ",
    "plain": "https://academy.example.net/Training/Urban-Lab?edition=3",
    "lowercased-path": "https://academy.example.net/training/urban-lab?edition=3",
    "fragment": "https://academy.example.net/Training/Urban-Lab?edition=3#programme",
    "http-www": "http://www.academy.example.net/Training/Urban-Lab?edition=3",
    "trailing-slash": "https://academy.example.net/Training/Urban-Lab/?edition=3",
}
STORED = "https://academy.example.net/Training/Urban-Lab?edition=3"
ENTRY_SAME = ["tracking", "plain", "fragment", "http-www", "trailing-slash"]
CRAWL_SAME = ["tracking", "plain", "fragment"]


@pytest.mark.parametrize("form", ENTRY_SAME)
def test_b22_entry_key_folds_the_same_page(form: str) -> None:
    assert canonical_url(FORMS[form]) == STORED


def test_b22_entry_key_keeps_path_case() -> None:
    assert canonical_url(FORMS["lowercased-path"]) != STORED
    assert canonical_url(FORMS["lowercased-path"]).endswith("/training/urban-lab?edition=3")


@pytest.mark.parametrize("form", CRAWL_SAME)
def test_b22_crawl_key_folds_only_what_cannot_change_the_response(form: str) -> None:
    assert crawl_key(FORMS[form]) == STORED


def test_b22_crawl_key_keeps_path_case_scheme_www_and_slash() -> None:
    keys = {name: crawl_key(url) for name, url in FORMS.items()}
    distinct = [keys["plain"], keys["lowercased-path"], keys["http-www"], keys["trailing-slash"]]
    assert len(set(distinct)) == 4
    assert keys["http-www"] == "http://www.academy.example.net/Training/Urban-Lab?edition=3"
    assert keys["trailing-slash"] == "https://academy.example.net/Training/Urban-Lab/?edition=3"


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=x", "UTM_Medium=x", "utm_term=x", "gclid=x", "fbclid=x", "mc_cid=x",
        "mc_eid=x", "_ga=2.1", "yclid=9", "msclkid=9", "igshid=9", "jsessionid=AB12",
        "PHPSESSID=ab12", "sid=77", "sessionid=77", "mtm_campaign=x", "pk_campaign=x",
    ],
)
@pytest.mark.parametrize("key", [canonical_url, crawl_key], ids=["entry", "crawl"])
def test_tracking_and_session_parameters_are_dropped(key, param: str) -> None:
    url = f"https://example.org/course?{param}&id=4"
    assert key(url) == "https://example.org/course?id=4"


@pytest.mark.parametrize("key", [canonical_url, crawl_key], ids=["entry", "crawl"])
def test_jsessionid_path_parameter_is_dropped(key) -> None:
    assert key("https://example.org/c/12;jsessionid=0A1B2C?x=1") == "https://example.org/c/12?x=1"
    # other matrix parameters are content
    assert key("https://example.org/c/12;lang=de") == "https://example.org/c/12;lang=de"


def test_parameters_sorted_stably_by_name() -> None:
    # Repeated names keep their order: "?tag=b&tag=a" may be an ordered list.
    url = "https://example.org/list?tag=zeta&lang=en&tag=alpha&Page=2"
    assert crawl_key(url) == "https://example.org/list?Page=2&lang=en&tag=zeta&tag=alpha"
    assert crawl_key("https://example.org/l?b=1&a=2") == crawl_key("https://example.org/l?a=2&b=1")


def test_query_values_and_names_keep_their_case_and_bytes() -> None:
    url = "https://example.org/s?Q=Urban%20Data;Lab&x=%7e%2f"
    assert crawl_key(url) == "https://example.org/s?Q=Urban%20Data;Lab&x=~%2F"


@pytest.mark.parametrize(
    ("url", "entry", "crawl"),
    [
        ("HTTPS://EXAMPLE.ORG:443/A", "https://example.org/A", "https://example.org/A"),
        ("http://example.org:80/A", "https://example.org/A", "http://example.org/A"),
        ("https://example.org:8443/A", "https://example.org:8443/A", "https://example.org:8443/A"),
        ("https://example.org", "https://example.org/", "https://example.org/"),
        ("https://example.org/?", "https://example.org/", "https://example.org/"),
        ("https://example.org/a//", "https://example.org/a//", "https://example.org/a//"),
        ("https://www.example.org/", "https://example.org/", "https://www.example.org/"),
        ("https://www2.example.org/x", "https://www2.example.org/x", "https://www2.example.org/x"),
        ("https://example.org/a/./b/../c", "https://example.org/a/c", "https://example.org/a/c"),
        ("https://Bücher.example/Kurs", "https://xn--bcher-kva.example/Kurs",
         "https://xn--bcher-kva.example/Kurs"),
        ("https://[::0:1]:443/x", "https://[::1]/x", "https://[::1]/x"),
        ("https://example.org./x", "https://example.org/x", "https://example.org/x"),
        ("  https://example.org/x#top  ", "https://example.org/x", "https://example.org/x"),
    ],
    ids=[
        "upper-case-default-port", "http-default-port", "other-port", "empty-path",
        "empty-query", "double-slash-is-not-a-trailing-slash", "www", "www2-is-a-host",
        "dot-segments", "idn", "ipv6", "trailing-dot", "whitespace",
    ],
)
def test_key_details(url: str, entry: str, crawl: str) -> None:
    assert canonical_url(url) == entry
    assert crawl_key(url) == crawl


@pytest.mark.parametrize("url", list(FORMS.values()) + ["http://www.example.org/a/?b=1&a=2#f"])
def test_keys_are_idempotent(url: str) -> None:
    assert canonical_url(canonical_url(url)) == canonical_url(url)
    assert crawl_key(crawl_key(url)) == crawl_key(url)
    assert canonical_url(crawl_key(url)) == canonical_url(url)


@pytest.mark.parametrize("url", ["mailto:a@example.org", "ftp://example.org/x", "/relative",
                                 "https://", "javascript:alert(1)", "https://example.org:99999/"])
def test_non_http_urls_are_rejected(url: str) -> None:
    assert not is_http_url(url)
    with pytest.raises(ValueError):
        canonical_url(url)
    with pytest.raises(ValueError):
        crawl_key(url)


def test_is_http_url() -> None:
    assert is_http_url("http://127.0.0.2:8080/x")
    assert is_http_url("HTTPS://example.org")
    assert not is_http_url(None)
    assert not is_http_url(b"https://example.org")


def test_b22_stored_url_is_a_form_that_was_found() -> None:
    merged = [FORMS[name] for name in ("tracking", "plain", "fragment", "http-www")]
    assert preferred_url(merged) == STORED
    assert preferred_url(list(reversed(merged))) == STORED
    # Only the slash form was returned: it is stored as found, never slash-stripped
    # (searxng#4602: that link only worked with its slash).
    assert preferred_url([FORMS["trailing-slash"]]) == FORMS["trailing-slash"]
    assert preferred_url([FORMS["http-www"]]) == FORMS["http-www"]
    # Tracking parameters are removed even then.
    assert preferred_url([FORMS["tracking"], "mailto:x@example.org"]) == STORED
    with pytest.raises(ValueError):
        preferred_url(["mailto:x@example.org"])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("www.cs.uni-example.de", "uni-example.de"),
        ("https://www.cs.uni-example.de:8443/path?q=1", "uni-example.de"),
        ("WWW.Uni-Example.DE.", "uni-example.de"),
        ("news.city.example.co.uk", "example.co.uk"),
        ("cs.uni-example.de:8080", "uni-example.de"),
        ("127.0.0.2", "127.0.0.2"),
        ("127.0.0.2:8080", "127.0.0.2"),
        ("http://127.0.0.2:8080/courses", "127.0.0.2"),
        ("http://[::0:1]:8080/", "::1"),
        ("alice.github.io", "alice.github.io"),
        ("provider-a.test", "provider-a.test"),
        ("www.provider-a.test", "provider-a.test"),
        ("localhost", "localhost"),
        ("kurse.bücher.de", "xn--bcher-kva.de"),
    ],
    ids=lambda value: value,
)
def test_registered_domain(given: str, expected: str) -> None:
    assert registered_domain(given) == expected


@pytest.mark.parametrize("given", ["", "   ", "https:///path"])
def test_registered_domain_needs_a_host(given: str) -> None:
    with pytest.raises(ValueError):
        registered_domain(given)


_PIECES = st.sampled_from(
    list("aZ09-._~/;=&?#:@+ ") + ["é", "\u00a0", "%7e", "%2f", "%zz", "www.", "utm_source=1",
                                  "jsessionid=1", "sid=2", "//", ".."]
)
_PART = st.lists(_PIECES, max_size=10).map("".join)


@settings(max_examples=500, deadline=None, database=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    host=st.sampled_from(["Example.org", "www.example.org", "127.0.0.2", "[::0:1]",
                          "Bücher.example", "ex.org:8080", "ex.org:80", "user@ex.org"]),
    path=_PART, query=_PART, fragment=_PART,
)
def test_keys_are_valid_idempotent_urls(
    scheme: str, host: str, path: str, query: str, fragment: str
) -> None:
    url = f"{scheme}://{host}/{path}?{query}#{fragment}"
    assume(is_http_url(url))
    for key in (canonical_url, crawl_key):
        value = key(url)
        assert is_http_url(value)
        assert key(value) == value
        assert "#" not in value
        names = [piece.split("=")[0].lower() for piece in urlsplit(value).query.split("&")]
        assert not any(n.startswith("utm_") or n in {"sid", "jsessionid"} for n in names)
        assert ";jsessionid=" not in urlsplit(value).path
    assert canonical_url(crawl_key(url)) == canonical_url(url)
