"""Decode a fetched body into text the way browsers do, but never into mojibake.

The order follows the HTML Standard's encoding sniffing: a byte-order mark wins,
then the charset of the ``Content-Type`` header, then the ``<meta>`` declaration in
the first bytes, then detection.  One deviation is deliberate: a declared charset is
used only when the body decodes *cleanly* with it.  Servers often send a blanket
``charset=utf-8`` for pages whose bytes and own meta tag say windows-1252
(scrapy/scrapy#4933); trusting the header there fills every field with U+FFFD.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

__all__ = ["Decoded", "decode_body", "header_value"]

#: The HTML Standard's prescan looks at the first 1024 bytes; real pages put long
#: comments or scripts before the meta tag, so we look a little further.
_META_SCAN_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Decoded:
    """The decoded text, the codec used and which rule chose it."""

    text: str
    encoding: str
    source: str  # "bom" | "header" | "meta" | "detected" | "default"
    warnings: tuple[str, ...] = ()


def header_value(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None, name: str) -> str:
    """The first value of header ``name`` (case-insensitive), or ``""``."""
    if not headers:
        return ""
    items = headers.items() if isinstance(headers, Mapping) else headers
    wanted = name.lower()
    try:
        for key, value in items:
            if str(key).lower() == wanted:
                return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    except (TypeError, ValueError):
        # Malformed header containers (not pairs) are treated as absent.
        return ""
    return ""


def decode_body(body: bytes, content_type: str = "") -> Decoded:
    """Decode ``body`` by BOM, clean header charset, clean meta charset, detection."""
    if not body:
        return Decoded("", "utf-8", "default")

    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        codec = resolve_encoding(bom_encoding) or "utf-8"
        return Decoded(body[len(bom):].decode(codec, errors="replace"), codec, "bom")

    warnings: list[str] = []
    header_codec = _resolve(http_content_type_encoding(content_type) if content_type else None)
    decoded = _try_declared(body, header_codec, "header", warnings)
    if decoded is not None:
        return decoded

    meta_codec = _resolve(_meta_declared(body))
    if meta_codec != header_codec:
        decoded = _try_declared(body, meta_codec, "meta", warnings)
        if decoded is not None:
            return decoded

    return _detect(body, warnings)


def _resolve(label: str | None) -> str | None:
    """Map a charset label to a Python codec, honouring WHATWG aliases."""
    if not label:
        return None
    codec = resolve_encoding(label)
    if codec is None:
        return None
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return None


def _meta_declared(body: bytes) -> str | None:
    """The charset named by ``<meta charset>`` or ``http-equiv`` near the top."""
    try:
        return html_body_declared_encoding(body[:_META_SCAN_BYTES])
    except (ValueError, TypeError, LookupError):
        return None


def _try_declared(body: bytes, codec: str | None, source: str,
                  warnings: list[str]) -> Decoded | None:
    """Decode with a declared codec only if every byte is valid in it."""
    if codec is None:
        return None
    text = _clean_decode(body, codec)
    if text is None:
        warnings.append(f"{source} charset {codec} does not decode the body cleanly")
        return None
    return Decoded(text, codec, source, tuple(warnings))


def _clean_decode(body: bytes, codec: str) -> str | None:
    """Strict decode; a multi-byte sequence cut off at the very end is forgiven.

    Truncated downloads often end mid-character, which says nothing about the
    encoding being wrong, so the incomplete tail is dropped instead of failing.
    """
    try:
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        return decoder.decode(body, final=False)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def _detect(body: bytes, warnings: list[str]) -> Decoded:
    """Pick UTF-8 if it decodes cleanly, else windows-1252, else Latin-1.

    Pages that neither declare nor decode as UTF-8 are in practice legacy Western
    European pages (our corpus languages), for which windows-1252 is the web's
    default; Latin-1 never fails and catches the five bytes cp1252 leaves undefined.
    """
    for codec in ("utf-8", "cp1252"):
        text = _clean_decode(body, codec)
        if text is not None:
            return Decoded(text, codec, "detected", tuple(warnings))
    warnings.append("no codec decodes the body cleanly; decoded as latin-1")
    return Decoded(body.decode("latin-1"), "latin-1", "detected", tuple(warnings))
