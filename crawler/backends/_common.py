"""Small helpers the backend adapters share (pure: no network, no logging)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from pipeline.errors import BackendError

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(value: object) -> str | None:
    """Markup such as Brave's ``<strong>`` highlights removed, entities decoded."""
    if not isinstance(value, str):
        return None
    text = _SPACE.sub(" ", html.unescape(_TAG.sub("", value))).strip()
    return text or None


def json_body(body: bytes, who: str) -> Any:
    """The JSON document of an answer, or one readable BackendError."""
    try:
        return json.loads(body)
    except ValueError:
        raise BackendError(f"{who} did not answer JSON") from None


def try_json(body: bytes) -> Any:
    """The JSON document of an error answer, or None: error bodies are best-effort."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def header_pair(headers: dict[str, str], name: str) -> tuple[float, ...]:
    """Brave's comma-separated rate-limit values ("1, 15000") as numbers; () if absent
    or unreadable."""
    raw = headers.get(name.lower())
    if not raw:
        return ()
    try:
        return tuple(float(part) for part in raw.split(","))
    except ValueError:
        return ()
