"""Property tests: extract_page never raises, whatever the bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import extract_page
from extractors.types import PageExtraction

_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])

_COURSE_PAGE = (
    '<html lang="en"><head><meta charset="utf-8"><title>Co-design course - Example</title>'
    '<script type="application/ld+json">{"@context":"https://schema.org","@type":"Course",'
    '"name":"Co-design for cities","hasCourseInstance":{"@type":"CourseInstance",'
    '"startDate":"2025-05-06","courseMode":"online"},"offers":{"price":"0"}}</script></head>'
    '<body><nav>menu</nav><main><h1>Co-design for cities</h1><dl><dt>Date</dt>'
    "<dd>6–8 May 2025</dd><dt>Fee</dt><dd>Free of charge</dd></dl><p>Learn participatory "
    "methods with city staff.</p></main><footer>(c) Example</footer></body></html>"
).encode()


def _check(page: PageExtraction) -> None:
    assert isinstance(page, PageExtraction)
    assert isinstance(page.records, list)
    assert isinstance(page.warnings, list)
    # The catch-all in extract_page is a safety net; no input here should need it.
    assert not [w for w in page.warnings if w.startswith("extraction failed")]


@_SETTINGS
@given(body=st.binary(max_size=4096))
def test_arbitrary_bytes(taxonomy, body):
    _check(extract_page("https://x.example.org/", {"Content-Type": "text/html"}, body,
                        taxonomy=taxonomy))


@_SETTINGS
@given(cut=st.integers(min_value=0, max_value=len(_COURSE_PAGE)),
       charset=st.sampled_from(["utf-8", "iso-8859-1", "utf-16", "x-unknown", ""]))
def test_truncated_html(taxonomy, cut, charset):
    headers = [("Content-Type", f"text/html; charset={charset}")]
    _check(extract_page("https://x.example.org/", headers, _COURSE_PAGE[:cut],
                        taxonomy=taxonomy))


@_SETTINGS
@given(depth=st.integers(min_value=1, max_value=3000),
       tag=st.sampled_from(["div", "span", "aside", "article", "li", "table", "b"]),
       text=st.text(max_size=200))
def test_deeply_nested_html(taxonomy, depth, tag, text):
    html = f"<{tag} class='sidebar'>" * depth + text + f"</{tag}>" * depth
    page = extract_page("https://x.example.org/", {}, html.encode("utf-8", "surrogatepass"),
                        taxonomy=taxonomy)
    _check(page)


@_SETTINGS
@given(text=st.text(max_size=600))
def test_arbitrary_jsonld_text(taxonomy, text):
    html = f'<script type="application/ld+json">{text}</script><h1>{text[:40]}</h1>'
    _check(extract_page("https://x.example.org/", {}, html.encode("utf-8", "surrogatepass"),
                        taxonomy=taxonomy))


@_SETTINGS
@given(value=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["@type", "@graph", "@id", "name", "startDate",
                                       "location", "offers", "price", "organizer",
                                       "hasCourseInstance", "itemListElement", "item",
                                       "eventAttendanceMode", "courseMode", "address"]),
                      children, max_size=5),
    max_leaves=30))
def test_arbitrary_jsonld_structure(taxonomy, value):
    import json

    text = json.dumps({"@context": "https://schema.org", "@type": "Event", "x": value})
    html = f'<script type="application/ld+json">{text}</script>'
    _check(extract_page("https://x.example.org/", {}, html.encode(), taxonomy=taxonomy))


def test_bad_arguments_do_not_raise(taxonomy):
    for headers in (None, {}, [("Content-Type",)], 42, [(b"content-type", b"text/html")]):
        _check(extract_page("https://x.example.org/", headers,  # type: ignore[arg-type]
                            b"<h1>x</h1>", taxonomy=taxonomy))
    _check(extract_page(None, {}, None, taxonomy=taxonomy))  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=1, max_value=2_000_000),
       attribute=st.sampled_from(["class", "content", "itemprop", "datetime", "href", "lang"]),
       char=st.sampled_from(["a", "é", " ", "€", "1", "\u200b", ":"]))
def test_huge_attribute_values(taxonomy, size, attribute, char):
    value = char * size
    html = (f'<html lang="en"><head><meta property="og:title" {attribute}="{value}">'
            f'</head><body itemscope itemtype="https://schema.org/Event">'
            f'<h1 itemprop="name" {attribute}="{value}">Co-design</h1>'
            f'<time itemprop="startDate" {attribute}="{value}">3 May 2025</time></body></html>')
    _check(extract_page("https://x.example.org/", {}, html.encode(), taxonomy=taxonomy))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2048))
def test_pdf_reader_never_raises(taxonomy, body):
    from extractors.pdf import extract_pdf

    for data in (body, b"%PDF-1.4\n" + body):
        page = extract_pdf("https://x.example.org/a.pdf", {"content-type": "application/pdf"},
                           data, taxonomy=taxonomy)
        assert isinstance(page, PageExtraction)
