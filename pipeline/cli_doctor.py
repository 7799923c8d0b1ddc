"""``offermap doctor``: check a deployment and say in plain words what is wrong.

Checks the configuration files, the database (reachable, schema current), the
search backends (reachable; SearXNG with JSON output on, RELIABILITY.md finding 4),
the crawler's safety settings (robots.txt policy, user agent, SSRF resolver, schemes)
and the network allowlist.  Exits 1 when something is wrong; warnings alone exit 0.
It only looks: a database file that does not exist is reported, not created.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.cli import clean, config_option, console, database_option, main

#: The contact in the User-Agent when OFFERMAP_CONTACT is not set (crawler/settings.py).
DEFAULT_CONTACT = "https://github.com/offermap/offermap"


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning" or "problem"
    topic: str
    text: str


# --- configuration -------------------------------------------------------------------


def check_config(config_dir: Path | None) -> tuple[list[Finding], Any]:
    from pipeline.config import load_config
    from pipeline.errors import OfferMapError

    try:
        config = load_config(config_dir)
    except OfferMapError as error:
        return [Finding("problem", "configuration", str(error))], None
    return [Finding("ok", "configuration", f"{config.directory} is valid")], config


# --- database ------------------------------------------------------------------------


def check_database(db_url: str | None) -> list[Finding]:
    from db.schema import head_revision
    from db.session import Database, default_database_url, normalise_url

    missing = _missing_sqlite_file(normalise_url(db_url or default_database_url()))
    if missing is not None:
        # Opening it would create the file (and its folders): the doctor only looks.
        return [Finding("problem", "database", f"{missing} does not exist: check --db "
                        "(or OFFERMAP_DATABASE_URL), or create it with `offermap db "
                        "upgrade`")]
    try:
        database = Database(db_url, create=False)
        has_schema = database.has_schema()
        revision = database.schema_revision() if has_schema else None
    except Exception as error:  # noqa: BLE001 - any failure here is the finding
        return [Finding("problem", "database", f"cannot open the database: {error}")]
    where = database.display_url
    if not has_schema:
        return [Finding("problem", "database", f"{where} has no offermap tables: run "
                        "`offermap db upgrade` (or any crawl) to create them")]
    if revision != head_revision():
        return [Finding("problem", "database", f"{where} is at schema {revision}, this "
                        f"offermap needs {head_revision()}: back it up, then run "
                        "`offermap db upgrade`")]
    return [Finding("ok", "database", f"{where} is reachable, schema {revision} is current")]


def _missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file that does not exist yet, else None."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # Database() says what is wrong with it
    if parsed.get_backend_name() != "sqlite":
        return None
    path = parsed.database or ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return None if Path(path).expanduser().exists() else path


# --- search backends -----------------------------------------------------------------


def check_backends(config: Any, probe: Callable[[str], tuple[int, bytes]]) -> list[Finding]:
    from crawler.backends import make_backend
    from pipeline.errors import BackendMisconfigured

    findings = []
    for name in config.keywords.use_backends:
        settings = getattr(config.keywords.backends, name, None)
        url = getattr(settings, "url", None)
        try:
            # Builds the adapter without sending anything: a keyed backend without
            # its key in the environment is refused here, as the crawl would.
            make_backend(name, config.keywords)
        except (BackendMisconfigured, ValueError) as error:
            findings.append(Finding("problem", f"backend {name}", f"{error}: a crawl would "
                                    "stop this backend as misconfigured"))
            continue
        if name != "searxng" or url is None:
            # Keyed APIs count every request against a quota: not probed here.
            findings.append(Finding("ok", f"backend {name}", f"configured ({url}), its "
                                    "credentials are set; not probed, to spare its quota"))
            continue
        findings.append(_check_searxng(url, probe))
    return findings


def _check_searxng(url: str, probe: Callable[[str], tuple[int, bytes]]) -> Finding:
    topic = "backend searxng"
    try:
        status, body = probe(f"{url}/search?q=offermap&format=json")
    except Exception as error:  # noqa: BLE001
        return Finding("problem", topic, f"{url} is unreachable ({error}): is SearXNG "
                       "running, and is the url in keywords.yaml right?")
    if status == 403:
        return Finding("problem", topic, f"{url} refuses JSON (HTTP 403): add `json` to "
                       "search.formats in SearXNG's settings.yml")
    if status == 429:
        return Finding("problem", topic, f"{url} rate-limits us (HTTP 429): turn "
                       "server.limiter off in settings.yml, or list the crawler's IP "
                       "in pass_ip")
    if status != 200:
        return Finding("problem", topic, f"{url} answered HTTP {status}")
    try:
        payload = json.loads(body)
    except ValueError:
        return Finding("problem", topic, f"{url} did not answer JSON")
    if not isinstance(payload, dict) or "results" not in payload:
        return Finding("problem", topic, f"{url} answered JSON without `results`")
    return Finding("ok", topic, f"{url} answers JSON")


def operator_probe(url: str) -> tuple[int, bytes]:
    """GET an operator-configured endpoint (trusted: any network, it is our own)."""
    from crawler.safety import AddressPolicy, Guard
    from pipeline.fetch import fetch_url

    anything = AddressPolicy(tuple(ipaddress.ip_network(n) for n in ("0.0.0.0/0", "::/0")))
    result = fetch_url(url, timeout=10, max_bytes=2 * 1024 * 1024, guard=Guard(policy=anything),
                       obey_robots=False)
    return result.status, result.body


# --- crawler safety ------------------------------------------------------------------


def check_crawler(settings: Any) -> list[Finding]:
    findings = []
    agent = str(settings.get("USER_AGENT") or "")
    if "offermap" not in agent.lower() or "http" not in agent:
        findings.append(Finding("problem", "user agent", f"{agent!r} must name offermap and "
                                "a contact URL (set OFFERMAP_CONTACT)"))
    elif "scrapy" in agent.lower():
        findings.append(Finding("problem", "user agent", f"{agent!r} contains 'Scrapy', "
                                "which SearXNG's bot detection refuses"))
    elif DEFAULT_CONTACT in agent:
        findings.append(Finding("warning", "user agent", f"{agent!r} names offermap's own "
                                "project page: set OFFERMAP_CONTACT to a URL where site "
                                "owners reach you"))
    else:
        findings.append(Finding("ok", "user agent", agent))
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    robots_ok = (settings.getbool("ROBOTSTXT_OBEY")
                 and "crawler.middlewares.robots.RobotsPolicyMiddleware" in middlewares)
    findings.append(Finding("ok", "robots.txt", "obeyed, failing closed on errors, "
                            "Crawl-delay honoured") if robots_ok else
                    Finding("problem", "robots.txt", "ROBOTSTXT_OBEY is off or the "
                            "fail-closed robots middleware is not enabled"))
    guarded = (settings.get("TWISTED_DNS_RESOLVER") == "crawler.resolver.GuardedResolver"
               and "crawler.middlewares.safety.SsrfGuardMiddleware" in middlewares)
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    schemes_off = all(handlers.get(s, "on") is None for s in ("file", "data", "ftp", "s3"))
    findings.append(Finding("ok", "SSRF guard", "every host is checked and pinned; only "
                            "http(s) is fetched") if guarded and schemes_off else
                    Finding("problem", "SSRF guard", "the guarded resolver, the SSRF "
                            "middleware or the scheme switches are not set in "
                            "crawler/settings.py"))
    return findings


def check_allowlist(settings: Any) -> list[Finding]:
    from crawler.safety import InvalidAllowlist, allow_networks

    raw = settings.get("OFFERMAP_ALLOW_NETWORKS") or ""
    try:
        # The same check `offermap crawl` and `offermap extract` make before starting.
        networks = allow_networks(raw)
    except InvalidAllowlist as error:
        return [Finding("problem", "allowlist", f"{error}; crawl and extract refuse to "
                        "start with it")]
    if not networks:
        return [Finding("ok", "allowlist", "empty: loopback and private networks are "
                        "refused")]
    listed = ", ".join(str(n) for n in networks)
    return [Finding("warning", "allowlist", f"{listed} opened on purpose: links from the "
                    "web may reach these networks (fine for the demo and tests)")]


# --- the command ---------------------------------------------------------------------


@main.command()
@database_option
@config_option
def doctor(db_url: str | None, config_dir: Path | None) -> None:
    """Check the configuration, database, backends and crawler safety settings.

    \b
    Example:
      offermap doctor --db postgresql://user@db/offermap
    """
    from scrapy.settings import Settings

    findings, config = check_config(config_dir)
    findings += check_database(db_url)
    if config is not None:
        findings += check_backends(config, operator_probe)
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    findings += check_crawler(settings)
    findings += check_allowlist(settings)

    marks = {"ok": "[green]ok[/green]     ", "warning": "[yellow]warning[/yellow]",
             "problem": "[red]PROBLEM[/red]"}
    for finding in findings:
        console.print(f"{marks[finding.level]}  {finding.topic}: {clean(finding.text)}",
                      soft_wrap=True)
    problems = sum(finding.level == "problem" for finding in findings)
    if problems:
        console.print(f"\n{problems} problem(s) to fix.")
        raise SystemExit(1)
    console.print("\nNothing to fix.")
