"""The report on the accepted trainings: what the study reported, regenerated.

``build_report`` reads the database into a :class:`Report` (plain numbers, no
markup); ``write_report`` renders it as ``report.html`` and ``report.md`` in one
folder, with bar and pie charts in ``charts/`` (PNG and SVG; the HTML embeds the
PNGs, so the page stands alone) and ``snapshot.json``, which the next report in
the same folder compares with to say what changed.

Every number is a :class:`Cell` that knows the filter behind it.  In the HTML it
links to the review app's queue, ``{review_url}/queue?status=accepted&modality=online``,
which lists exactly the entries counted (the queue filters with :func:`facet_values`
and :func:`source_places`, the functions the report counts with); in the Markdown
the filter is named.  The filter keys are the record's field names, plus ``signal``,
``recurring``, ``country``, ``reason``, ``found_by``, ``origin``, ``merged``,
``first_seen_run`` and ``first_seen_run_before``; a missing value is ``unknown``.

The data is hostile (titles are scraped): the HTML is rendered with autoescaping
on, and Markdown gets its special characters escaped.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.models import Candidate, Hit, Page, Query, Run, Source
from pipeline.export import atomic_path, atomic_write
from pipeline.templates.report import HTML_TEMPLATE, MARKDOWN_TEMPLATE

SNAPSHOT_NAME = "snapshot.json"
UNKNOWN = "unknown"
SIGNALS: dict[str, tuple[str, str]] = {
    # signal: (plural predicate, singular predicate)
    "targets_city_staff": ("target city staff", "targets city staff"),
    "smart_city_focus": ("focus on smart cities", "focuses on smart cities"),
    "participatory_methods": ("teach participatory methods", "teaches participatory methods"),
    "theory_and_practice": ("combine theory and practice", "combines theory and practice"),
}
LABELS: dict[str, dict[str, str]] = {
    "provider_category": {
        "university": "universities",
        "network_ngo": "non-profit organisations and networks",
        "multilateral": "multilateral organisations",
        "company": "companies",
        "public_body": "public bodies",
        "other": "other providers",
    },
    "modality": {"online": "online", "in_presence": "in presence", "hybrid": "hybrid"},
    "inclusivity": {"true": "covers diversity or inclusiveness", "false": "does not"},
    "is_free": {"true": "free", "false": "paid"},
    "recurring": {"true": "recurring", "false": "one-off"},
}
PREDICATES: dict[tuple[str, str], tuple[str, str]] = {
    ("modality", "online"): ("are online", "is online"),
    ("modality", "in_presence"): ("are in presence", "is in presence"),
    ("modality", "hybrid"): ("are hybrid", "is hybrid"),
    ("inclusivity", "true"): ("cover diversity or inclusiveness",
                              "covers diversity or inclusiveness"),
    ("is_free", "true"): ("are free", "is free"),
    ("is_free", "false"): ("charge a fee", "charges a fee"),
    ("recurring", "true"): ("are recurring (part of a series, or found in several places)",
                            "is recurring (part of a series, or found in several places)"),
    ("recurring", "false"): ("are one-off offers", "is a one-off offer"),
}
# Two-letter top-level domains sold as brands, which say nothing about a country.
VANITY_TLDS = frozenset({"io", "co", "tv", "me", "ai", "fm", "ly", "to", "cc", "ws", "gg"})


# --- the numbers ------------------------------------------------------------------


def share(part: int, whole: int) -> str:
    """A percentage as the study writes it: two decimals, half up, trailing zeros
    dropped ("75.56", "24.44", "20")."""
    if whole == 0:
        return "0"
    exact = Decimal(part) * 100 / Decimal(whole)
    rounded = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Cell:
    """One number of the report and the filter of the entries behind it."""

    label: str
    count: int
    filters: tuple[tuple[str, str], ...]
    share: str | None = None
    value: str = ""
    #: What is counted: ``trainings`` (the queue's total), ``records`` (places
    #: found, the queue's records) or ``duplicates`` (records beyond a training's first).
    unit: str = "trainings"

    def url(self, review_url: str) -> str:
        """The review app's queue filtered to exactly the entries behind the number."""
        return f"{review_url.rstrip('/')}/queue?{urlencode(self.filters)}"

    @property
    def filter_name(self) -> str:
        """The filter in words, for the Markdown: ``status=accepted, modality=online``."""
        return ", ".join(f"{key}={value}" for key, value in self.filters)


@dataclass
class Breakdown:
    """Counts and shares of the accepted trainings by one descriptor."""

    key: str
    title: str
    cells: list[Cell]
    chart: str  # "bar" or "pie"
    note: str = ""


@dataclass
class Sentence:
    """ "34 of the 45 trainings (75.56 %) are online." with its numbers kept apart
    so the HTML can link each one."""

    cell: Cell
    total: Cell
    predicate: str

    @property
    def text(self) -> str:
        return (f"{self.cell.count} of the {self.total.count} trainings "
                f"({self.cell.share} %) {self.predicate}.")


@dataclass
class Flow:
    """The PRISMA-style flow from records identified to trainings included."""

    identified: Cell
    by_backend: list[Cell]
    by_site: list[Cell]
    duplicates: Cell
    trainings: Cell
    pending: Cell
    screened: Cell
    excluded: Cell
    excluded_by_reason: list[Cell]
    maybe: Cell
    included: Cell
    previous_total: Cell | None = None
    new: Cell | None = None
    new_included: Cell | None = None

    def rows(self) -> list[tuple[Cell, int]]:
        """Every step in reading order, with its depth (0 a step, 1 and 2 its parts):
        the one order the HTML and the Markdown both print."""
        rows: list[tuple[Cell, int]] = [(self.identified, 0)]
        rows += [(cell, 1) for cell in (*self.by_backend, *self.by_site)]
        rows += [(self.duplicates, 0), (self.trainings, 0)]
        if self.previous_total and self.new:
            rows += [(self.previous_total, 1), (self.new, 1)]
        rows += [(self.pending, 0), (self.screened, 0), (self.excluded, 1)]
        rows += [(cell, 2) for cell in self.excluded_by_reason]
        rows += [(self.maybe, 1), (self.included, 1)]
        if self.new_included:
            rows.append((self.new_included, 2))
        return rows


@dataclass
class Changes:
    """What changed since the report whose snapshot was in the folder."""

    previous_at: str
    previous_total: int
    added: list[tuple[int, str]]
    removed: list[tuple[int, str]]
    # (breakdown title, value, before, now): "now" links to the entries behind it
    moved: list[tuple[str, str, int, Cell]]


@dataclass
class Report:
    generated_at: str
    total: Cell
    breakdowns: list[Breakdown]
    signals: Breakdown
    sentences: list[Sentence]
    flow: Flow
    entries: list[Entry] = field(default_factory=list)
    changes: Changes | None = None
    charts: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One included training, listed at the end of the report."""

    id: int
    title: str
    provider: str
    format: str
    modality: str
    url: str


# --- reading the database -----------------------------------------------------------


def accepted(session: Session) -> list[Candidate]:
    loads = [selectinload(Candidate.sources)]
    if hasattr(Candidate, "editions"):  # where the schema models editions
        loads.append(selectinload(Candidate.editions))
    query = (select(Candidate)
             .where(Candidate.status == "accepted", Candidate.merged_into_id.is_(None))
             .options(*loads).order_by(Candidate.id))
    return list(session.scalars(query))


def build_report(session: Session, *, previous: dict[str, Any] | None = None) -> Report:
    """Every number of the report, from the database (and the previous snapshot)."""
    trainings = accepted(session)
    base = (("status", "accepted"),)
    total = Cell("accepted trainings", len(trainings), base)
    breakdowns = [_breakdown(trainings, base, *spec) for spec in _dimensions()]
    signals = _signals(trainings, base)
    report = Report(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        total=total, breakdowns=breakdowns, signals=signals,
        sentences=_sentences(total, breakdowns, signals), flow=_flow(session),
        entries=[Entry(candidate.id, candidate.title, candidate.provider or "",
                       candidate.format or "", candidate.modality or "", candidate.url)
                 for candidate in trainings],
    )
    if previous is not None:
        report.changes = _changes(previous, snapshot(report, trainings))
    return report


Getter = Callable[[Candidate], list[str]]


def _dimensions() -> list[tuple[str, str, Getter, str, str]]:
    """(filter key, title, values of one training, chart kind, note) per breakdown."""
    return [
        ("provider_category", "Provider category", _one("provider_category"), "bar", ""),
        ("format", "Format", _one("format"), "bar", ""),
        ("modality", "Online or in presence", _one("modality"), "pie", ""),
        ("inclusivity", "Diversity or inclusiveness covered", _flag("inclusivity"), "pie", ""),
        ("verticals", "Vertical topics", _many("verticals"), "bar",
         "A training may cover several verticals, so shares add up to more than 100 %."),
        ("language", "Language", _one("language"), "bar", ""),
        ("country", "Country", _country, "bar",
         "Country is not recorded; it is read from the web address's country domain "
         "(.de, .it, …) and is unknown for .org, .com, .eu and the like."),
        ("is_free", "Free or paid", _fees, "pie", ""),
        ("edition_status", "Edition status", _one("edition_status"), "bar", ""),
        ("recurring", "One-off or recurring", _recurring, "pie",
         "Recurring: marked as part of a series, or held more than once (several "
         "editions; where editions are not recorded, several places it was found)."),
    ]


def _one(name: str) -> Getter:
    return lambda candidate: [str(getattr(candidate, name) or UNKNOWN)]


def _many(name: str) -> Getter:
    return lambda candidate: [str(item) for item in getattr(candidate, name) or []] or ["none"]


def _flag(name: str) -> Getter:
    def values(candidate: Candidate) -> list[str]:
        flag = getattr(candidate, name)
        return [UNKNOWN if flag is None else str(bool(flag)).lower()]
    return values


def _fees(candidate: Candidate) -> list[str]:
    if candidate.is_free:
        return ["true"]
    if candidate.is_free is False or (candidate.fee_amount or 0) > 0:
        return ["false"]
    return [UNKNOWN]


def _recurring(candidate: Candidate) -> list[str]:
    in_series = bool((candidate.signals or {}).get("part_of_series"))
    runs = len(getattr(candidate, "editions", None) or candidate.sources)
    return ["true" if in_series or runs > 1 else "false"]


def country_of(url: str | None) -> str:
    """An ISO 3166 code from the host's country domain, else ``unknown``."""
    host = (urlsplit(url or "").hostname or "").rstrip(".")
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if len(tld) != 2 or not tld.isalpha() or tld in VANITY_TLDS or tld == "eu":
        return UNKNOWN
    return "GB" if tld == "uk" else tld.upper()


def _country(candidate: Candidate) -> list[str]:
    return [country_of(candidate.url)]


def _signal_values(candidate: Candidate) -> list[str]:
    return [name for name in SIGNALS if (candidate.signals or {}).get(name) is True]


def facet_values(key: str, candidate: Candidate) -> list[str]:
    """The values of report descriptor ``key`` for one training: a report number with
    the filter ``key=value`` counts exactly the trainings whose values hold ``value``.
    The review app's queue filters with this same function, so a link from the report
    lists the entries behind its number."""
    return FACETS[key](candidate)


def place_of(origin: str | None, backend: str | None) -> tuple[str, str]:
    """Where a source was identified, as a filter: ``("found_by", backend)`` for a
    search hit, else ``("origin", provider site)``."""
    if origin == "search" or backend is not None:
        return "found_by", backend or UNKNOWN
    return "origin", origin or UNKNOWN


def source_places(session: Session, within: Any = None) -> list[tuple[int, int, str, str]]:
    """(source id, candidate id, filter key, value) for every source (of the
    candidates selected by ``within``, a query of ids, when given): the
    "identified" rows of the flow."""
    query = (select(Source.id, Source.candidate_id, Page.origin, Query.backend)
             .join(Page, Page.id == Source.page_id, isouter=True)
             .join(Hit, Hit.id == Page.hit_id, isouter=True)
             .join(Query, Query.id == Hit.query_id, isouter=True))
    if within is not None:
        query = query.where(Source.candidate_id.in_(within))
    found = session.execute(query).all()
    return [(source_id, candidate_id, *place_of(origin, backend))
            for source_id, candidate_id, origin, backend in found]


def _breakdown(trainings: list[Candidate], base: tuple[tuple[str, str], ...], key: str,
               title: str, getter: Getter, chart: str, note: str) -> Breakdown:
    counts: Counter[str] = Counter()
    for candidate in trainings:
        counts.update(dict.fromkeys(getter(candidate), 1))
    labels = LABELS.get(key, {})
    cells = [Cell(labels.get(value, value.replace("_", " ")), count,
                  (*base, (key, value)), share(count, len(trainings)), value)
             for value, count in _ordered(counts)]
    return Breakdown(key, title, cells, chart, note)


def _ordered(counts: Counter[str]) -> list[tuple[str, int]]:
    # Largest first; "unknown" and "none" last, whatever their size.
    return sorted(counts.items(),
                  key=lambda item: (item[0] in (UNKNOWN, "none"), -item[1], item[0]))


def _signals(trainings: list[Candidate], base: tuple[tuple[str, str], ...]) -> Breakdown:
    cells = []
    for name in SIGNALS:
        count = sum(1 for candidate in trainings if (candidate.signals or {}).get(name) is True)
        cells.append(Cell(name.replace("_", " "), count, (*base, ("signal", name)),
                          share(count, len(trainings)), name))
    return Breakdown("signal", "The closing questions' signals", cells, "bar",
                     "A training counts when the signal was found on its pages.")


#: Filter key → the values of one training (see :func:`facet_values`).
FACETS: dict[str, Getter] = {key: getter for key, _, getter, _, _ in _dimensions()}
FACETS["signal"] = _signal_values


# --- sentences ----------------------------------------------------------------------


def _sentences(total: Cell, breakdowns: list[Breakdown], signals: Breakdown) -> list[Sentence]:
    if total.count == 0:
        return []
    found = []
    for breakdown in breakdowns:
        for cell in breakdown.cells:
            predicate = _predicate(breakdown.key, cell)
            if predicate and cell.count:
                found.append(Sentence(cell, total, predicate))
    for cell in signals.cells:
        if cell.count:
            plural, singular = SIGNALS[cell.value]
            found.append(Sentence(cell, total, plural if cell.count != 1 else singular))
    return found


def _predicate(key: str, cell: Cell) -> str | None:
    if key == "provider_category" and cell.value != UNKNOWN:
        verb = "are" if cell.count != 1 else "is"
        return f"{verb} offered by {cell.label}"
    forms = PREDICATES.get((key, cell.value))
    if forms is None:
        return None
    return forms[0] if cell.count != 1 else forms[1]


# --- the flow -----------------------------------------------------------------------


def _flow(session: Session) -> Flow:
    """Identified (per backend, per provider site), duplicates merged, trainings,
    awaiting review, screened (decided), excluded by reason, maybe, included; and for
    a refresh, the trainings found before the latest run and what is new."""
    places = source_places(session)
    backends: Counter[str] = Counter()
    sites: Counter[str] = Counter()
    for _, _, key, value in places:
        (backends if key == "found_by" else sites)[value] += 1

    statuses = dict(session.execute(
        select(Candidate.status, func.count()).where(Candidate.merged_into_id.is_(None))
        .group_by(Candidate.status)).all())
    trainings = sum(statuses.values())
    # A merge moves the absorbed candidate's sources to the survivor, so every
    # source beyond a candidate's first is a duplicate found and merged.
    with_source = len({candidate_id for _, candidate_id, _, _ in places})
    everything = (("status", "all"),)
    flow = Flow(
        identified=Cell("records identified", len(places), everything, unit="records"),
        by_backend=[Cell(name, count, (*everything, ("found_by", name)), unit="records")
                    for name, count in _ordered(backends)],
        by_site=[Cell(name, count, (*everything, ("origin", name)), unit="records")
                 for name, count in _ordered(sites)],
        duplicates=Cell("duplicates merged", len(places) - with_source,
                        (*everything, ("merged", "true")), unit="duplicates"),
        trainings=Cell("trainings after merging", trainings, everything),
        pending=Cell("awaiting review", statuses.get("pending", 0), (("status", "pending"),)),
        screened=Cell("screened", trainings - statuses.get("pending", 0),
                      (("status", "screened"),)),
        excluded=Cell("excluded", statuses.get("rejected", 0), (("status", "rejected"),)),
        excluded_by_reason=_reasons(session),
        maybe=Cell("maybe (to decide later)", statuses.get("maybe", 0),
                   (("status", "maybe"),)),
        included=Cell("included", statuses.get("accepted", 0), (("status", "accepted"),)),
    )
    _add_refresh(session, flow)
    return flow


def _reasons(session: Session) -> list[Cell]:
    rows = session.execute(
        select(Candidate.reason, func.count())
        .where(Candidate.status == "rejected", Candidate.merged_into_id.is_(None))
        .group_by(Candidate.reason)).all()
    counts: Counter[str] = Counter()
    for reason, count in rows:
        counts[(reason or "").strip() or UNKNOWN] += count
    return [Cell(reason, count, (("status", "rejected"), ("reason", reason)))
            for reason, count in _ordered(counts)]


def _add_refresh(session: Session, flow: Flow) -> None:
    """With more than one run, the candidates first seen in the latest run are new;
    the others were found before it."""
    runs = list(session.scalars(select(Run.id).order_by(Run.id)))
    if len(runs) < 2:
        return
    latest = runs[-1]
    unmerged = Candidate.merged_into_id.is_(None)
    is_new = Candidate.first_seen_run_id == latest
    new = session.scalar(select(func.count()).select_from(Candidate).where(unmerged, is_new))
    new_included = session.scalar(select(func.count()).select_from(Candidate).where(
        unmerged, is_new, Candidate.status == "accepted"))
    flow.previous_total = Cell("found before the latest run",
                               flow.trainings.count - (new or 0),
                               (("status", "all"), ("first_seen_run_before", str(latest))))
    flow.new = Cell(f"new in run {latest}", new or 0,
                    (("status", "all"), ("first_seen_run", str(latest))))
    flow.new_included = Cell(f"new in run {latest} and included", new_included or 0,
                             (("status", "accepted"), ("first_seen_run", str(latest))))


# --- what changed ---------------------------------------------------------------------


def snapshot(report: Report, trainings: Iterable[Candidate]) -> dict[str, Any]:
    """The little the next report needs to say what changed."""
    return {
        "version": 1,
        "generated_at": report.generated_at,
        "total": report.total.count,
        "trainings": {str(candidate.id): candidate.title for candidate in trainings},
        "counts": {breakdown.key: {cell.value: cell.count for cell in breakdown.cells}
                   for breakdown in [*report.breakdowns, report.signals]},
    }


def _changes(previous: dict[str, Any], current: dict[str, Any]) -> Changes:
    before, now = previous.get("trainings", {}), current["trainings"]
    added = [(int(key), now[key]) for key in now if key not in before]
    removed = [(int(key), str(before[key])) for key in before if key not in now]
    titles = {key: title for key, title, *_ in _dimensions()} | {"signal": "Signals"}
    moved = []
    for key, counts in current["counts"].items():
        old = previous.get("counts", {}).get(key, {})
        for value in sorted(set(counts) | set(old)):
            if counts.get(value, 0) != old.get(value, 0):
                now_cell = Cell(value, counts.get(value, 0),
                                (("status", "accepted"), (key, value)))
                moved.append((titles.get(key, key), value, int(old.get(value, 0)), now_cell))
    return Changes(str(previous.get("generated_at", "?")), int(previous.get("total", 0)),
                   sorted(added), sorted(removed), moved)


def read_snapshot(folder: Path) -> dict[str, Any] | None:
    """The previous report's snapshot, or None (first report, or an unreadable one:
    a damaged snapshot must not stop the report)."""
    path = folder / SNAPSHOT_NAME
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


# --- charts -------------------------------------------------------------------------


def draw_charts(report: Report, folder: Path) -> dict[str, dict[str, str]]:
    """A PNG and an SVG per breakdown with data; returns key → {png, svg, data_uri}."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the report is made on servers and in CI
    from matplotlib import pyplot

    folder.mkdir(parents=True, exist_ok=True)
    charts = {}
    # Labels come from the data: "$" must not start mathtext, which can fail to parse.
    with matplotlib.rc_context({"text.parse_math": False, "svg.hashsalt": "offermap"}):
        for breakdown in [*report.breakdowns, report.signals]:
            if not any(cell.count for cell in breakdown.cells):
                continue
            figure = _figure(pyplot, breakdown)
            charts[breakdown.key] = _save(figure, folder, breakdown.key)
            pyplot.close(figure)
    return charts


def _figure(pyplot: Any, breakdown: Breakdown) -> Any:
    cells = [cell for cell in breakdown.cells if cell.count]
    labels = [_short(cell.label) for cell in cells]
    counts = [cell.count for cell in cells]
    figure, axes = pyplot.subplots(figsize=(6.4, 3.6), dpi=100)
    if breakdown.chart == "pie":
        axes.pie(counts, labels=labels, autopct="%1.1f%%", startangle=90, counterclock=False)
        axes.axis("equal")
    else:
        axes.barh(labels[::-1], counts[::-1], color="#3b6ea5")
        axes.set_xlabel("trainings")
        axes.xaxis.get_major_locator().set_params(integer=True)  # no "2.5 trainings"
        for index, count in enumerate(counts[::-1]):
            axes.annotate(str(count), (count, index), xytext=(3, 0),
                          textcoords="offset points", va="center")
    axes.set_title(breakdown.title)
    figure.tight_layout()
    return figure


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _save(figure: Any, folder: Path, key: str) -> dict[str, str]:
    name = re.sub(r"[^a-z0-9_]+", "_", key.lower())
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    with atomic_path(png) as temporary:
        figure.savefig(temporary, format="png")
    with atomic_path(svg) as temporary:
        figure.savefig(temporary, format="svg", metadata={"Date": None})
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return {"png": f"{folder.name}/{png.name}", "svg": f"{folder.name}/{svg.name}",
            "data_uri": f"data:image/png;base64,{data}"}


# --- rendering ----------------------------------------------------------------------

# Characters that would make Markdown markup anywhere in a line (data never starts
# a line in the templates, so line-start markers such as "#" or "1." are harmless).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def markdown_escape(text: Any) -> str:
    """Text shown literally in Markdown (and never as HTML when the Markdown is
    rendered): every special character backslash-escaped, newlines made spaces."""
    flat = re.sub(r"\s+", " ", str(text)).strip()
    return MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def code_span(text: Any) -> str:
    """Text in a Markdown code span; a backtick cannot be escaped there, so it goes."""
    return "`" + re.sub(r"\s+", " ", str(text)).replace("`", "'") + "`"


def render_html(report: Report, review_url: str) -> str:
    from jinja2 import DictLoader, Environment, StrictUndefined

    environment = Environment(loader=DictLoader({"report.html": HTML_TEMPLATE}),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("report.html").render(report=report, review_url=review_url)


def render_markdown(report: Report) -> str:
    from jinja2 import DictLoader, Environment, StrictUndefined

    environment = Environment(loader=DictLoader({"report.md": MARKDOWN_TEMPLATE}),
                              autoescape=False, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters["md"] = markdown_escape
    environment.filters["code"] = code_span
    return environment.get_template("report.md").render(report=report)


@dataclass
class Written:
    html: Path
    markdown: Path
    total: int
    report: Report


def write_report(session: Session, folder: Path, *, review_url: str = "http://127.0.0.1:8000",
                 charts: bool = True) -> Written:
    """Write report.html, report.md, charts/ and snapshot.json into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(session, previous=read_snapshot(folder))
    if charts:
        report.charts = draw_charts(report, folder / "charts")

    html, markdown = folder / "report.html", folder / "report.md"
    with atomic_write(html, encoding="utf-8", newline="\n") as handle:
        handle.write(render_html(report, review_url))
    with atomic_write(markdown, encoding="utf-8", newline="\n") as handle:
        handle.write(render_markdown(report))
    # The snapshot is written last: a report that failed half-way is compared
    # with the last complete one next time.
    with atomic_write(folder / SNAPSHOT_NAME, encoding="utf-8", newline="\n") as handle:
        json.dump(snapshot(report, accepted(session)), handle, ensure_ascii=False, indent=1)
    return Written(html, markdown, report.total.count, report)
