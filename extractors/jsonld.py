"""Read schema.org JSON-LD blocks, tolerating what real sites publish.

Sites wrap their JSON-LD in HTML comments or CDATA, end it with a stray ``;``
(scrapinghub/extruct#109), concatenate several objects in one script, leave raw
control characters inside strings, or add trailing commas.  Each block is repaired
on its own, so one broken block never loses the others.

Whatever the layout - one ``@graph``, several scripts, a top-level array - the
result is the same flat list of top-level nodes (eliasdabbas/advertools#255), each
with a JSON path that evidence can quote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JsonLdNode", "parse_blocks", "flatten", "node_types", "walk_typed", "resolve"]

#: Depth beyond which nested JSON is not walked; real markup is rarely past 10.
_MAX_DEPTH = 40

_COMMENT_WRAPPER = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|/\*\s*<!\[CDATA\[\s*\*/|<!\[CDATA\[)")
_COMMENT_TAIL = re.compile(r"(?:-->|//\s*\]\]>|/\*\s*\]\]>\s*\*/|\]\]>)\s*$")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"(?m)^\s*//[^\n]*$")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(slots=True)
class JsonLdNode:
    """One top-level schema.org node and the path evidence can quote."""

    data: dict[str, Any]
    path: str
    context: Any = None
    types: tuple[str, ...] = field(default_factory=tuple)


def parse_blocks(texts: list[str], warnings: list[str]) -> list[Any]:
    """Parse each script's text into JSON values; broken blocks add a warning."""
    values: list[Any] = []
    for index, text in enumerate(texts):
        parsed = _parse_block(text)
        if parsed is None:
            if text.strip():
                warnings.append(f"json-ld block {index} could not be parsed")
            continue
        values.extend(parsed)
    return values


def _parse_block(text: str) -> list[Any] | None:
    """One script's JSON values, trying the cheap parse before any repair."""
    try:
        return [json.loads(text, strict=False)]
    except (ValueError, RecursionError):
        pass
    cleaned = _repair(text)
    values = _decode_sequence(cleaned)
    if values is None:
        values = _decode_sequence(_TRAILING_COMMA.sub(r"\1", cleaned))
    return values


def _repair(text: str) -> str:
    """Strip comment/CDATA wrappers, JS comments and control characters."""
    text = _COMMENT_WRAPPER.sub("", text)
    text = _COMMENT_TAIL.sub("", text)
    text = _BLOCK_COMMENT.sub("", text)
    text = _LINE_COMMENT.sub("", text)
    return _CONTROL_CHARS.sub(" ", text).strip()


def _decode_sequence(text: str) -> list[Any] | None:
    """Decode one or more concatenated JSON values separated by ``;``/``,``/space."""
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n;,":
            position += 1
        if position >= len(text):
            return values or None
        try:
            value, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            return values or None
        values.append(value)


def flatten(values: list[Any]) -> list[JsonLdNode]:
    """Top-level nodes of all blocks, with ``@graph`` members lifted up.

    Graph members inherit the wrapper's ``@context``, so the three layouts of the
    same data give identical node lists.
    """
    nodes: list[JsonLdNode] = []
    for value in values:
        _collect(value, None, nodes)
    for index, node in enumerate(nodes):
        node.path = f"$[{index}]"
    return nodes


def _collect(value: Any, context: Any, out: list[JsonLdNode]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, context, out)
        return
    if not isinstance(value, dict):
        return
    context = value.get("@context", context)
    graph = value.get("@graph")
    if graph is not None:
        _collect(graph, context, out)
        rest = {k: v for k, v in value.items() if k not in ("@graph", "@context")}
        if "@type" not in rest:
            return
        value = rest
    out.append(JsonLdNode(value, "", context, node_types(value)))


def node_types(value: Any) -> tuple[str, ...]:
    """The schema.org type names of a node, without vocabulary prefixes."""
    if not isinstance(value, dict):
        return ()
    raw = value.get("@type", ())
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return ()
    names = []
    for item in raw:
        if isinstance(item, str) and item:
            names.append(item.rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit("#", 1)[-1])
    return tuple(names)


def walk_typed(value: Any, path: str, depth: int = 0) -> Iterator[tuple[dict[str, Any], str]]:
    """Every dict with an ``@type`` inside ``value`` (itself included), with paths."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        if "@type" in value:
            yield value, path
        for key, child in value.items():
            if isinstance(child, (dict, list)):
                yield from walk_typed(child, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk_typed(child, f"{path}[{index}]", depth + 1)


def resolve(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    """Replace a bare ``{"@id": ...}`` reference by the node it names."""
    if isinstance(value, dict) and "@id" in value and len(value) == 1:
        target = by_id.get(str(value["@id"]))
        if target is not None:
            return target
    return value
