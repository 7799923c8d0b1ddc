"""The demo sites: who they are, where their files live, what they may be asked.

The static pages are written as their publishers would write them, with absolute
links on made-up public origins (``https://www.civicnet-europe.example/...``).  The
server rewrites those origins to the loopback address each site is served on, so
cross-site links (a network's event page pointing to the provider's own page) work
without the files knowing any port.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.robotparser import RobotFileParser

PACKAGE_DIR = Path(__file__).resolve().parent
SITES_DIR = PACKAGE_DIR / "sites"
EXPECTED_PATH = PACKAGE_DIR / "expected.json"

# Any files served with these suffixes are text, get their origins rewritten and
# carry a charset; anything else is served as bytes.
TEXT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One demo site.

    ``walk`` says whether the site is a provider the site walker starts from; the
    others are reachable only through search results.  ``follow`` and ``deny`` are
    the link patterns of its providers.yaml entry.
    """

    name: str
    origin: str
    label: str
    category: str
    walk: bool
    follow: tuple[str, ...] = (r"\.html$", r"/$")
    deny: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return SITES_DIR / self.name


# The order fixes the loopback addresses: the first site is 127.0.0.2, the next
# 127.0.0.3, and so on, so logs and reports read the same from run to run.
SITES: tuple[SiteSpec, ...] = (
    SiteSpec(
        name="aldermoor-university",
        origin="https://www.aldermoor-university.example",
        label="Aldermoor University, Centre for Democratic Innovation",
        category="university",
        walk=True,
        # The prospectus PDF link is real-looking but not a page; the walker must
        # not fetch it.  /private/ is deliberately NOT denied here: robots.txt
        # alone has to keep the walker out of it.
        deny=(r"\.pdf$", r"/login"),
    ),
    SiteSpec(
        name="civicnet-europe",
        origin="https://www.civicnet-europe.example",
        label="CivicNet Europe",
        category="network_ngo",
        walk=True,
        deny=(r"/(login|members-area)/",),
    ),
    SiteSpec(
        name="iold-learning",
        origin="https://learning.iold.example",
        label="IOLD Learning (International Organisation for Local Development)",
        category="multilateral",
        walk=True,
        deny=(r"/search",),
    ),
    SiteSpec(
        name="agora-akademie",
        origin="https://www.agora-akademie.example",
        label="Agora Beteiligungsakademie GmbH",
        category="company",
        walk=True,
        deny=(r"/(warenkorb|cart)",),
    ),
    SiteSpec(
        name="comune-valdora",
        origin="https://www.comune.valdora.example",
        label="Comune di Valdora, Ufficio Partecipazione",
        category="public_body",
        walk=False,
    ),
    SiteSpec(
        name="buurtkracht",
        origin="https://www.buurtkracht.example",
        label="Stichting Buurtkracht",
        category="network_ngo",
        walk=False,
    ),
)

SITES_BY_NAME: dict[str, SiteSpec] = {spec.name: spec for spec in SITES}


def url_path(relative: str) -> str:
    """The URL path under which a site file is published.

    ``index.html`` files are published as their directory (``events/index.html``
    is ``/events/``), because that is how every page links to them; a crawler
    that met ``/events/index.html`` as well would see two URLs for one page.
    """
    relative = relative.lstrip("/")
    if relative == "index.html" or relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return "/" + relative


def site_files(spec: SiteSpec) -> dict[str, Path]:
    """URL path → file for every file of a site, except its custom 404 page."""
    files: dict[str, Path] = {}
    for path in sorted(spec.root.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(spec.root).as_posix()
        if relative == "404.html":
            continue
        files[url_path(relative)] = path
    return files


def robots_for(spec: SiteSpec) -> RobotFileParser:
    """The site's own robots.txt, parsed (an absent file allows everything)."""
    parser = RobotFileParser()
    robots = spec.root / "robots.txt"
    parser.parse(robots.read_text("utf-8").splitlines() if robots.exists() else [])
    return parser


def rewrite_origins(text: str, bases: dict[str, str]) -> str:
    """Replace every site's public origin with its loopback base URL."""
    for name, base in bases.items():
        text = text.replace(SITES_BY_NAME[name].origin, base)
    return text


def load_expected() -> dict[str, Any]:
    """The answer key with site-relative paths (``site-name/path.html``)."""
    with EXPECTED_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def absolute(relative: str, bases: dict[str, str]) -> str:
    """``"civicnet-europe/events/x.html"`` → ``"http://127.0.0.3:40411/events/x.html"``."""
    site, _, path = relative.partition("/")
    if site not in bases:
        raise KeyError(f"Unknown demo site {site!r} in {relative!r}.")
    return bases[site] + url_path(path)
