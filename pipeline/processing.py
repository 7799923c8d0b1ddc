"""From a fetched page to judged records: decode, extract, score.

This is the step between the crawler and the store, kept free of both so that
the same code serves crawls, re-extraction of archived pages and evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.items import FetchedPage
from extractors import PageExtraction, Record, Taxonomy, extract_page
from extractors.pdf import extract_pdf, looks_like_pdf
from pipeline.relevance import Relevance, assess

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(slots=True)
class ProcessedPage:
    """A fetched page with what extraction and relevance made of it.

    ``outcome`` says what became of the page: ``candidate`` (at least one record
    kept), ``not_offer``, ``off_theme``, ``not_html``, ``http_error``,
    ``fetch_error``, ``robots`` or ``extract_error``.
    """

    fetched: FetchedPage
    outcome: str
    extraction: PageExtraction | None = None
    judged: list[tuple[Record, Relevance]] = field(default_factory=list)
    error: str | None = None

    @property
    def kept(self) -> list[tuple[Record, Relevance]]:
        return [(record, relevance) for record, relevance in self.judged if relevance.keep]


def process_page(page: FetchedPage, taxonomy: Taxonomy) -> ProcessedPage:
    """Decide what a fetched page yields.  Never raises: problems become outcomes."""
    if page.error is not None:
        outcome = "robots" if "robots.txt" in page.error else "fetch_error"
        return ProcessedPage(page, outcome, error=page.error)
    if page.status is None or page.status >= 400:
        return ProcessedPage(page, "http_error", error=f"HTTP {page.status}")
    # PDF brochures and programmes are read too; their evidence is marked "pdf:".
    is_pdf = is_pdf_page(page)
    if not is_pdf and not is_html(page):
        content_type = page.headers.get("content-type", "unknown")
        return ProcessedPage(page, "not_html", error=f"content type {content_type}")

    try:
        reader = extract_pdf if is_pdf else extract_page
        extraction = reader(page.final_url or page.url, page.headers, page.body,
                            taxonomy=taxonomy, fetched_at=page.fetched_at)
        judged = [(record, assess(extraction, record, taxonomy,
                                  require_theme=page.theme_filter))
                  for record in extraction.records]
    except Exception as error:  # noqa: BLE001 - one bad page must never stop a run
        return ProcessedPage(page, "extract_error", error=f"{type(error).__name__}: {error}")

    if any(relevance.keep for _, relevance in judged):
        outcome = "candidate"
    elif any(relevance.is_offer for _, relevance in judged):
        outcome = "off_theme"
    else:
        outcome = "not_offer"
    return ProcessedPage(page, outcome, extraction, judged)


def is_pdf_page(page: FetchedPage) -> bool:
    """A PDF by Content-Type, or by its magic bytes when the type is missing or generic."""
    content_type = page.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in ("application/pdf", "application/octet-stream",
                                             "binary/octet-stream"):
        return False
    return looks_like_pdf(content_type, page.body or b"")


def is_html(page: FetchedPage) -> bool:
    content_type = page.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type:
        return content_type in HTML_TYPES
    # No Content-Type: sniff the start of the body, as browsers do.
    head = page.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head
