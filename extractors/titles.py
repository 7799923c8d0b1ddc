"""The title of a training from page markup: h1, og:title or <title>, minus the site.

``<title>`` and ``og:title`` usually carry the site name as a suffix ("Programming
in Python - Leiden University"); the h1 usually does not, but some themes use the
h1 for the logo.  News articles that announce a training have a headline about the
training ("Do You Know How To Read Jamaican? First-Ever Webinar ...") while the
training's own name sits in the lead sentence ("... will be hosting a Webinar on How
to Read Jamaican (Patwa): Basic Guidelines with Stories & Songs."), so for articles
that lead sentence is read too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from extractors.dates import find_dates

__all__ = [
    "announced_title",
    "domain_label",
    "site_suffix",
    "strip_date_parenthetical",
    "strip_site_suffix",
]

_SEPARATORS = re.compile(r"\s+(?:[-|–—·»›:]{1,2}|::)\s+")
_FORMAT_NOUNS = (
    r"webinar|webinars|workshop|course|training|seminar|masterclass|master class|"
    r"summer school|winter school|bootcamp|mooc|lecture series|class|webinario|taller|curso|"
    r"corso|seminario|kurs|cursus|formation|atelier"
)
_ANNOUNCED = re.compile(
    rf"\b(?P<noun>(?i:{_FORMAT_NOUNS}))\s+(?i:on|about|titled|entitled|called|named|:)\s*[“\"‘']?"
    r"(?P<title>[A-Z0-9][^.!?\n“”\"]{8,160}?)[”\"’']?"
    r"(?=\.\s|\.$|\s+(?:it|which|that)\s|\s+will\s|\s+on\s+\w+day|,\s|$)",
)


def domain_label(url: str) -> str:
    """The registrable name of a URL's host: ``www.library.leiden.nl`` -> ``leiden``."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    parts = [p for p in host.split(".") if p and p not in ("www", "m")]
    if len(parts) >= 3 and parts[-2] in ("co", "ac", "gov", "edu", "org", "com"):
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else (parts[0] if parts else "")


def site_suffix(title: str) -> str | None:
    """The last separator-delimited part of a title, when there are several."""
    parts = _SEPARATORS.split(title)
    return parts[-1].strip() if len(parts) > 1 else None


def strip_site_suffix(title: str, site_names: list[str], url: str = "") -> str:
    """Remove leading or trailing parts that name the site ("... - Leiden University")."""
    names = [n.lower() for n in site_names if n]
    label = domain_label(url)
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title.strip()
    while len(parts) > 1 and _names_site(parts[-1], names, label):
        parts.pop()
    while len(parts) > 1 and _names_site(parts[0], names, label):
        parts.pop(0)
    # Rebuild with the original separators by slicing the title itself.
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip() if start >= 0 and end > start else " ".join(parts)


def _names_site(part: str, names: list[str], label: str) -> bool:
    lowered = part.lower().strip()
    if not lowered:
        return True
    squeezed = re.sub(r"[^a-z0-9]", "", lowered)
    if label and len(label) >= 3 and (squeezed == label or squeezed.startswith(label)
                                      or label.startswith(squeezed) and len(squeezed) >= 3):
        return True
    return any(lowered == name or (len(name) >= 4 and name in lowered and len(lowered) < 60)
               for name in names)


def announced_title(text: str) -> tuple[str, str] | None:
    """``(name, format noun)`` of a training announced in a sentence ("a Webinar on X")."""
    for match in _ANNOUNCED.finditer(text[:3000]):
        title = match.group("title").strip(" :-–")
        if _looks_like_title(title):
            return title, match.group("noun")
    return None


def _looks_like_title(text: str) -> bool:
    """Title Case: most longer words start with a capital letter."""
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", text) if len(w) >= 4]
    if len(words) < 2:
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised / len(words) >= 0.6


def strip_date_parenthetical(title: str) -> str:
    """Drop a trailing "(26. und 27. 2. 2015, Eichstätt)": when and where, not the name."""
    match = re.search(r"\s*\(([^()]{4,80})\)\s*$", title)
    if match is None or not find_dates(match.group(1)):
        return title
    rest = title[:match.start()].strip()
    return rest if len(rest.split()) >= 3 else title
