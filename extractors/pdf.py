"""PDF course brochures and programmes, read with pypdf.

The text of the first pages is laid out as a plain HTML page (the document title
or first line as the heading, one paragraph per line) and read by the same
extractors as any page, so a brochure yields the same record fields.  Every value's
evidence is then marked ``pdf:<extractor>`` so reviewers see it came from the PDF.
Like :func:`extract_page`, :func:`extract_pdf` is pure and never raises.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from dataclasses import replace

from extractors.page import Headers, extract_page
from extractors.taxonomy import Taxonomy
from extractors.types import PageExtraction, Value

__all__ = ["extract_pdf", "looks_like_pdf"]

#: Brochures state their facts on the first pages; the rest is programme detail.
MAX_PDF_PAGES = 12
MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_PDF_CHARS = 60_000


def looks_like_pdf(content_type: str, body: bytes) -> bool:
    """A PDF by its Content-Type or by its magic bytes."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind == "application/pdf" or bytes(body[:1024]).lstrip().startswith(b"%PDF-")


def extract_pdf(url: str, headers: Headers, body: bytes, *, taxonomy: Taxonomy,
                fetched_at: dt.datetime | None = None) -> PageExtraction:
    """Read a PDF brochure's training records; never raises."""
    try:
        title, lines, language = _pdf_text(bytes(body[:MAX_PDF_BYTES]))
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds on broken files
        page = PageExtraction(url=url, encoding="pdf", encoding_source="pdf")
        page.warnings.append(f"pdf could not be read: {type(error).__name__}: {error}"[:300])
        return page
    markup = _as_html(title, lines, language)
    page = extract_page(url, {"content-type": "text/html; charset=utf-8"},
                        markup.encode("utf-8"), taxonomy=taxonomy, fetched_at=fetched_at)
    page.encoding, page.encoding_source = "pdf", "pdf"
    for record in page.records:
        record.fields = {name: _marked(value) for name, value in record.fields.items()}
    if page.language is not None:
        page.language = _marked(page.language)
    return page


def _marked(value: Value) -> Value:
    evidence = value.evidence
    if evidence.extractor.startswith("pdf:"):
        return value
    return Value(value.value, replace(evidence, extractor=f"pdf:{evidence.extractor}"))


def _pdf_text(body: bytes) -> tuple[str, list[str], str]:
    from pypdf import PdfReader  # imported here: HTML-only runs never pay for it

    reader = PdfReader(io.BytesIO(body), strict=False)
    meta_title = ""
    language = ""
    try:
        metadata = reader.metadata
        meta_title = str(metadata.title or "") if metadata else ""
    except Exception:  # noqa: BLE001 - broken info dictionaries are common
        meta_title = ""
    try:
        raw_lang = reader.trailer["/Root"].get("/Lang")
        language = str(raw_lang or "")
    except Exception:  # noqa: BLE001
        language = ""
    chunks: list[str] = []
    size = 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        text = page.extract_text() or ""
        chunks.append(text)
        size += len(text)
        if size > MAX_PDF_CHARS:
            break
    lines = [" ".join(line.split()) for chunk in chunks for line in chunk.splitlines()]
    lines = [line for line in lines if line][:2000]
    title = meta_title.strip() if len(meta_title.strip()) > 3 else (lines[0] if lines else "")
    return title, lines, language


def _as_html(title: str, lines: list[str], language: str) -> str:
    lang = f' lang="{html.escape(language[:12])}"' if language else ""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines
                   if line != title)
    heading = html.escape(title)
    return (f"<html{lang}><head><meta charset='utf-8'><title>{heading}</title></head>"
            f"<body><main><h1>{heading}</h1>{body}</main></body></html>")
