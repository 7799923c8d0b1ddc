"""HTML output: one Jinja2 environment with autoescaping always on, and the only two
ways scraped data may become markup or a link.

Scraped text is hostile (RELIABILITY.md scenario 24, case B28).  Templates print
every value escaped; the description's HTML goes through nh3 (bleach is archived)
with a short tag list and http(s)-only links; a URL becomes a link only when it is
an absolute http(s) URL, otherwise it is shown as text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nh3
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from review.fields import display

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

# Absolute http(s) with a host, and nothing a browser would strip or reinterpret
# (whitespace, control characters, backslashes, quotes, angle brackets).
_HTTP_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f\\\"'<>`/?#][^\s\x00-\x1f\x7f\\\"'<>`]*$",
                       re.IGNORECASE)
_ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "a", "h3", "h4",
                 "blockquote"}


def http_url(value: Any) -> str | None:
    """``value`` if it may be a link target, else None (shown as plain text)."""
    if not isinstance(value, str) or len(value) > 4000:
        return None
    return value if _HTTP_URL.match(value) else None


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        return http_url(value)
    return value


def safe_html(value: Any) -> Markup:
    """Scraped HTML with only harmless tags and http(s) links left."""
    if not value:
        return Markup("")
    cleaned = nh3.clean(str(value), tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                        url_schemes={"http", "https"}, attribute_filter=_keep_attribute,
                        link_rel="noopener noreferrer nofollow", strip_comments=True)
    return Markup(cleaned)  # nh3's output: sanitised above


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["http_url"] = http_url
    env.filters["safe_html"] = safe_html
    env.filters["show"] = display
    env.filters["when"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M") if moment else ""
    return env
