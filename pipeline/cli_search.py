"""``offermap queries``: the search grid a run would send, and how saturated it is.

Without options it prints, per backend and per language, every query text a run
would send, the grid's size, the requests it may take (pages per query, capped by
each backend's depth and budget) and what that costs against each keyed backend's
quota.  It sends nothing and needs no key (it only says whether one is set).

With ``--stats`` it reads a stored run and shows, per grid cell (keyword × format ×
language), the requests sent, the hits, the new candidates the cell led to (and
how many of them no other cell found), the overlap of its hits with other cells,
and the depth reached: the cells that stopped finding new trainings are the ones
where more searching no longer pays.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
from rich import box
from rich.table import Table
from sqlalchemy import func, select

from crawler.backends.brave import MAX_PAGES as BRAVE_MAX_PAGES
from crawler.backends.brave import BraveBackend
from crawler.backends.google import MAX_RESULTS as GOOGLE_MAX_RESULTS
from crawler.backends.google import GoogleBackend
from crawler.backends.searxng import API_MAX, SearxngBackend
from crawler.backends.base import request_count
from crawler.grid import build_grid, resolve_time_range
from db.models import Candidate, Hit, Page, Query, SearchExchange, Source
from db.session import Database, default_database_url, normalise_url
from pipeline.cli import (
    _open,
    clean,
    config_option,
    console,
    database_option,
    friendly_errors,
    main,
)
from pipeline.config import KeywordsConfig, load_config
from pipeline.errors import OfferMapError
from pipeline.store import Store

Cell = tuple[str, str, str]  # keyword, format, language
#: Result pages that got an answer with results (failed, blocked, unsent did not).
ANSWERED = ("done", "partial")

#: Published prices, for the estimate only (BACKENDS.md 1b and 1c, 2026).
GOOGLE_PRICE_PER_1000 = 5.0  # USD beyond the free daily 100, up to 10,000 a day
BRAVE_PRICE_PER_1000 = 5.0  # USD, the "Search" plan


@dataclass(frozen=True)
class Profile:
    """What `queries` needs to know of a backend without constructing it (no keys)."""

    operators: frozenset[str]
    max_pages: int
    budget: int
    key_note: str = ""


def profile(name: str, keywords: KeywordsConfig) -> Profile:
    settings = keywords.backends
    if name == "searxng":
        budget = settings.searxng.max_requests
        if settings.searxng.limiter:
            budget = min(budget, API_MAX)
        return Profile(SearxngBackend.operators, settings.searxng.max_pages, budget)
    if name == "brave":
        env = settings.brave.token_env
        return Profile(BraveBackend.operators, BRAVE_MAX_PAGES, settings.brave.max_requests,
                       f"{env} is {'set' if os.environ.get(env) else 'NOT set'}")
    if name == "google":
        google = settings.google
        pages = -(-(GOOGLE_MAX_RESULTS - 1) // google.num)
        set_ = all(os.environ.get(env) for env in (google.key_env, google.cx_env))
        return Profile(GoogleBackend.operators, pages, google.max_requests,
                       f"{google.key_env} and {google.cx_env} are "
                       f"{'set' if set_ else 'NOT both set'}")
    if name == "duckduckgo":
        from crawler.backends.duckduckgo import DuckDuckGoBackend

        return Profile(DuckDuckGoBackend.operators, DuckDuckGoBackend.max_pages,
                       settings.duckduckgo.max_requests)
    raise OfferMapError(f"Unknown backend {name!r}")


@main.command()
@config_option
@database_option
@click.option("--backend", "only", multiple=True,
              type=click.Choice(["searxng", "brave", "google", "duckduckgo"]),
              help="Only this backend (repeatable)  [default: use_backends]")
@click.option("--language", "languages", multiple=True, metavar="CODE|all",
              help="This language (repeatable). One that keywords.yaml's languages: lacks "
                   "but its translations cover is added, to preview it before adding it "
                   "there; 'all': every translated language (the study's seven).")
@click.option("--stats", is_flag=True, help="Saturation per grid cell of a stored run.")
@click.option("--run", "run_id", type=int, default=None,
              help="With --stats: this run  [default: the latest that searched]")
@friendly_errors
def queries(config_dir: Path | None, db_url: str | None, only: tuple[str, ...],
            languages: tuple[str, ...], stats: bool, run_id: int | None) -> None:
    """Print the search grid a run would send, its size and cost; send nothing.

    \b
    A run sends the languages listed under languages: in keywords.yaml (shipped:
    en). --language narrows the preview to some of them, or adds languages the
    translations: cover (shipped: en es it de fr nl pt), so the grid and its cost in
    those can be read before they are added to languages:.

    \b
    Examples:
      offermap queries                       # every backend, the configured languages
      offermap queries --language all        # the study's grid in all seven languages
      offermap queries --backend brave --language de --language fr
      offermap queries --stats               # which cells still find new trainings
      offermap queries --stats --run 12
    """
    if stats:
        print_stats(_open_existing(db_url), run_id, languages)
        return
    config = load_config(config_dir)
    last = _last_search(db_url) if config.keywords.time_range == "since_last_run" else None
    print_grid(config.keywords, only or tuple(config.keywords.use_backends), languages, last)


def _open_existing(db_url: str | None) -> Database:
    """A database that already exists, opened without creating anything: these
    commands only read (a SQLite file that is not there is an error, not a new file)."""
    url = normalise_url(db_url or default_database_url())
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path in ("", ":memory:") or not Path(path).is_file():
            raise OfferMapError(f"No offermap database at {path or url}: run `offermap crawl` "
                                "(or `offermap demo`) first, or pass --db")
    return _open(db_url)


def _last_search(db_url: str | None) -> datetime | None:
    """When the last run that searched started, as a run would see it (runs that got
    no answer do not count), or None when there is no database yet."""
    try:
        database = _open_existing(db_url)
    except OfferMapError:
        return None
    try:
        return Store(database).last_search_started()
    finally:
        database.dispose()


# --- the grid ------------------------------------------------------------------------


def translated_languages(keywords: KeywordsConfig) -> list[str]:
    """English and every language a translation is given in, in order of appearance."""
    found = ["en"]
    inline = [term for term in [*keywords.keywords, *keywords.formats]
              if isinstance(term, dict)]
    for texts in [*keywords.translations.values(), *inline]:
        found += [code for code in texts if code not in found]
    return found


def choose_languages(keywords: KeywordsConfig, asked: tuple[str, ...]) -> list[str]:
    """The languages to print: the configured ones, ``asked`` among them, or ``asked``
    added when the translations cover them; ``all`` is every translated language."""
    configured = list(keywords.languages)
    if not asked:
        return configured
    known = configured + [code for code in translated_languages(keywords)
                          if code not in configured]
    if "all" in asked:
        return known
    unknown = [code for code in asked if code not in known]
    if unknown:
        raise OfferMapError(f"No translations for {', '.join(unknown)} in keywords.yaml; "
                            f"the languages it can write queries in: {', '.join(known)}")
    return list(dict.fromkeys(asked))


def print_grid(keywords: KeywordsConfig, backends: tuple[str, ...],
               languages: tuple[str, ...], last: datetime | None) -> None:
    chosen = choose_languages(keywords, languages)
    added = [code for code in chosen if code not in keywords.languages]
    keywords = keywords.model_copy(update={"languages": chosen})
    time_range = resolve_time_range(keywords.time_range, last, datetime.now(UTC))
    cells = len(keywords.keywords) * len(keywords.formats) * len(keywords.languages)
    console.print(f"[bold]Grid[/bold]: {len(keywords.keywords)} keywords × "
                  f"{len(keywords.formats)} formats × {len(keywords.languages)} languages "
                  f"({', '.join(keywords.languages)}) = {cells} cells; "
                  f"{keywords.pages_per_query} page(s) per query; time: "
                  + _time_note(keywords.time_range, time_range))
    summary = _compact(Table("backend", "queries", "pages/query", "max requests", "budget",
                             "sent at most", title="Requests a run may send"))
    costs: list[str] = []
    for name in backends:
        prof = profile(name, keywords)
        grid = build_grid(keywords, prof.operators, time_range=time_range)
        _print_queries(name, grid, prof)
        depth = min(keywords.pages_per_query, prof.max_pages)
        most = len(grid) * depth
        summary.add_row(name, str(len(grid)), str(depth), str(most), str(prof.budget),
                        str(min(most, prof.budget)))
        costs.append(f"  {name}: {clean(_cost(name, min(most, prof.budget), keywords, prof))}")
    console.print(summary)
    # Below the table, one line each: the notes are long, and a column would cut them
    # in an 80-column terminal.
    console.print("[bold]Quota and cost[/bold]")
    for line in costs:
        console.print(line)
    if added:
        console.print(f"Not in languages: of keywords.yaml: {', '.join(added)}; a run sends "
                      "these only once they are added there.")
    console.print("Nothing was sent. A request budget cuts a run short; the cells it does "
                  "not reach are listed in the run's summary and asked first next time.")


#: Columns of numbers: never wrapped, so the text columns take the rest of the width.
NUMBERS = frozenset({"queries", "pages/query", "max requests", "budget", "sent at most",
                     "lang", "requests", "hits", "new", "only here", "overlap", "depth"})


def _compact(table: Table) -> Table:
    """A table that fits a narrow terminal or a pipe (80 columns): light borders,
    and text that wraps (long words folded) rather than being cut with "…"."""
    table.box = box.SIMPLE_HEAD
    table.pad_edge = False
    table.collapse_padding = True
    for column in table.columns:
        if column.header in NUMBERS:
            column.no_wrap, column.justify = True, "right"
        else:
            column.overflow, column.ratio = "fold", 1
    return table


def _time_note(setting: str | None, resolved: str | None) -> str:
    if setting == "since_last_run":
        return f"since the last run ({resolved or 'first run: no restriction'})"
    return resolved or "any"


def _print_queries(name: str, grid: list, prof: Profile) -> None:  # type: ignore[type-arg]
    """One line per query, grouped by language, so the grid can be read and diffed."""
    by_language: dict[str, list[str]] = defaultdict(list)
    for query in grid:
        by_language[query.language].append(query.text)
    note = f" ({prof.key_note})" if prof.key_note else ""
    console.print(f"\n[bold]{name}[/bold]: {len(grid)} queries{note}")
    for language, texts in by_language.items():
        console.print(f"  [bold]{language}[/bold] ({len(texts)})")
        for text in texts:
            console.print(f"    {clean(text)}")


def _cost(name: str, requests: int, keywords: KeywordsConfig, prof: Profile) -> str:
    settings = keywords.backends
    if name == "google":
        free = settings.google.daily_quota
        paid = max(0, requests - free)
        days = -(-requests // free)
        return (f"{requests} of {free} free/day ({days} day(s) of free quota); "
                f"${paid * GOOGLE_PRICE_PER_1000 / 1000:.2f} if paid in one day; "
                f"{prof.key_note}")
    if name == "brave":
        quota = settings.brave.monthly_quota
        share = f"{100 * requests / quota:.1f}% of the monthly {quota}" if quota else \
            "monthly quota not set (monthly_quota)"
        return (f"{share}; about ${requests * BRAVE_PRICE_PER_1000 / 1000:.2f}; "
                f"{prof.key_note}")
    if name == "searxng":
        return "self-hosted: no quota" + (" (limiter: 4 per hour)"
                                          if settings.searxng.limiter else "")
    return "no quota; unofficial endpoint, keep it low"


# --- saturation --------------------------------------------------------------------------


@dataclass
class CellStats:
    requests: int = 0
    hits: int = 0
    depth: int = 0
    urls: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    new: set[int] = field(default_factory=set)

    @property
    def answered(self) -> int:
        """Result pages that got results back (done or partial)."""
        return sum(self.statuses[status] for status in ANSWERED)


def cell_stats(database: Database, run_id: int) -> dict[Cell, CellStats]:
    """Per cell of one run: requests, hits, depth, URLs, statuses and the new
    candidates its hits led to."""
    cells: dict[Cell, CellStats] = defaultdict(CellStats)
    with database.session() as session:
        pages = session.execute(
            select(Query, SearchExchange.headers)
            .join(SearchExchange, SearchExchange.query_id == Query.id, isouter=True)
            .where(Query.run_id == run_id))
        for q, headers in pages:
            stats = cells[(q.keyword, q.format, q.language)]
            stats.statuses[q.status] += 1
            # A page throttled and asked again counts every request it took.
            stats.requests += request_count(q.status, headers)
            if q.status in ANSWERED:
                stats.depth = max(stats.depth, q.page)
        rows = session.execute(select(Query.keyword, Query.format, Query.language,
                                      Hit.canonical_url).join(Hit, Hit.query_id == Query.id)
                               .where(Query.run_id == run_id))
        for keyword, fmt, language, url in rows:
            cells[(keyword, fmt, language)].hits += 1
            cells[(keyword, fmt, language)].urls.add(url)
        found = session.execute(
            select(Candidate.id, Source.key, Page.canonical_url)
            .join(Source, Source.candidate_id == Candidate.id)
            .join(Page, Page.id == Source.page_id, isouter=True)
            .where(Candidate.first_seen_run_id == run_id))
        reached: dict[str, set[int]] = defaultdict(set)
        for candidate_id, key, page_url in found:
            for url in (key, page_url):
                if url:
                    reached[url].add(candidate_id)
    for stats in cells.values():
        for url in stats.urls:
            stats.new |= reached.get(url, set())
    return dict(cells)


def print_stats(database: Database, run_id: int | None, languages: tuple[str, ...]) -> None:
    with database.session() as session:
        if run_id is None:
            run_id = session.scalar(select(func.max(Query.run_id)))
        if run_id is None:
            raise OfferMapError(f"No run in {database.display_url} has searched yet")
    cells = cell_stats(database, run_id)
    if not cells:
        raise OfferMapError(f"Run {run_id} sent no search queries")
    url_cells: Counter[str] = Counter(url for stats in cells.values() for url in stats.urls)
    finders: Counter[int] = Counter(cid for stats in cells.values() for cid in stats.new)
    table = _compact(Table("keyword", "format", "lang", "requests", "hits", "new",
                           "only here", "overlap", "depth", "status",
                           title=f"Saturation per grid cell, run {run_id}"))
    for cell in sorted(cells):
        if languages and cell[2] not in languages:
            continue
        stats = cells[cell]
        shared = sum(1 for url in stats.urls if url_cells[url] > 1)
        overlap = f"{100 * shared / len(stats.urls):.0f}%" if stats.urls else "-"
        only = sum(1 for cid in stats.new if finders[cid] == 1)
        status = ", ".join(f"{n} {s}" for s, n in sorted(stats.statuses.items()))
        # Saturated: answered, and nothing new. A cell whose requests were all
        # blocked, failed or unsent was not searched: it is not saturated.
        if not stats.answered:
            status += " · not searched"
        elif not stats.new:
            status += " · saturated"
        table.add_row(clean(cell[0]), clean(cell[1]), cell[2], str(stats.requests),
                      str(stats.hits), str(len(stats.new)), str(only), overlap,
                      str(stats.depth), status)
    console.print(table)
    console.print("new: candidates first found in this run that the cell's hits led to; "
                  "only here: of those, found by no other cell; overlap: share of the "
                  "cell's result URLs that other cells also returned.")
