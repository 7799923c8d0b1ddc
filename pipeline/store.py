"""Store what a run found: queries, hits, pages, candidates and their sources.

Rules that keep the data right (DESIGN.md):

* a crawl never overwrites a reviewer's decision: only *pending* candidates get
  their fields refreshed from their primary source;
* re-running over the same input gives the same candidates: a source is keyed by
  the canonical URL of what it describes, so a page seen again updates its source;
* every write for one page happens in one transaction, so an interrupted run
  leaves either all of a page's rows or none of them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.items import FetchedPage, SearchResponse
from db.models import Candidate, Hit, Page, Query, Run, Source
from db.session import Database
from extractors import Record
from extractors.types import RECORD_FIELDS
from pipeline.dedup import Entry, TitleIndex
from pipeline.processing import ProcessedPage
from pipeline.relevance import Relevance
from pipeline.urls import canonical_url, is_http_url, registered_domain

#: Candidate columns filled from extracted records.
CANDIDATE_FIELDS: tuple[str, ...] = tuple(name for name in (*RECORD_FIELDS, "fees", "signals")
                                          if name in Candidate.__table__.columns)
#: Title similarity (0–100) from which two records are the same training.
MERGE_THRESHOLD = 90.0
#: Up to how many error messages a run keeps for its summary.
MAX_KEPT_ERRORS = 50


@dataclass
class RunSummary:
    run_id: int
    status: str = "running"
    error: str | None = None
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


class Store:
    """Writes one run's findings.  Used from the reactor thread only."""

    def __init__(self, database: Database, *, kind: str = "crawl") -> None:
        self.database = database
        self.kind = kind
        self.run_id: int | None = None
        self.summary: RunSummary | None = None
        self._hit_ids: dict[tuple[str, str, int, int], int] = {}
        self._index = TitleIndex()

    # --- run bookkeeping -----------------------------------------------------------

    def start_run(self) -> int:
        with self.database.transaction() as session:
            run = Run(kind=self.kind, status="running")
            session.add(run)
            session.flush()
            self.run_id = run.id
            self._load_index(session)
        self.summary = RunSummary(self.run_id)
        return self.run_id

    def finish_run(self, status: str = "finished", error: str | None = None) -> RunSummary:
        assert self.summary is not None and self.run_id is not None
        with self.database.transaction() as session:
            run = session.get(Run, self.run_id)
            assert run is not None
            run.status = status
            run.error = error
            run.finished_at = datetime.now(UTC)
            run.stats = {"counts": dict(self.summary.counts), "errors": self.summary.errors}
        self.summary.status, self.summary.error = status, error
        return self.summary

    def note_error(self, message: str) -> None:
        assert self.summary is not None
        self.summary.counts["errors"] += 1
        if len(self.summary.errors) < MAX_KEPT_ERRORS:
            self.summary.errors.append(message)

    def _load_index(self, session: Session) -> None:
        rows = session.execute(
            select(Candidate.id, Candidate.title, Candidate.provider, Candidate.url,
                   Candidate.start_date).where(Candidate.merged_into_id.is_(None))
        )
        for row in rows:
            self._index.add(_entry(row.id, row.title, row.provider, row.url, row.start_date))

    # --- search --------------------------------------------------------------------

    def record_search(self, response: SearchResponse) -> None:
        assert self.summary is not None
        counts = self.summary.counts
        counts["queries_sent"] += 1
        counts[f"queries_{response.status}"] += 1
        if response.error:
            self.note_error(f"{response.backend} [{response.query.text}] page {response.page}: "
                            f"{response.error}")

        with self.database.transaction() as session:
            query = Query(
                run_id=self.run_id, backend=response.backend, text=response.query.text,
                keyword=response.query.keyword, format=response.query.format,
                language=response.query.language, page=response.page, status=response.status,
                error=response.error, result_count=len(response.hits),
                sent_at=response.sent_at or datetime.now(UTC),
            )
            session.add(query)
            session.flush()
            for hit in response.hits:
                row = Hit(query_id=query.id, rank=hit.rank, url=hit.url,
                          canonical_url=canonical_url(hit.url), title=hit.title,
                          snippet=hit.snippet, published=hit.published)
                session.add(row)
                session.flush()
                key = (response.backend, response.query.key, response.page, hit.rank)
                self._hit_ids[key] = row.id
        counts["hits"] += len(response.hits)

    # --- pages ---------------------------------------------------------------------

    def record_page(self, processed: ProcessedPage) -> list[str]:
        """Store one page and what it yielded; return what became of each kept record
        (``new``, ``merged`` or ``known``)."""
        assert self.summary is not None
        fetched = processed.fetched
        counts = self.summary.counts
        counts["pages_fetched"] += 1
        counts[f"pages_{processed.outcome}"] += 1
        if processed.outcome in {"fetch_error", "extract_error"}:
            self.note_error(f"{fetched.url}: {processed.error}")

        results: list[str] = []
        with self.database.transaction() as session:
            page = self._page_row(processed)
            session.add(page)
            session.flush()
            for record, relevance in processed.kept:
                results.append(self._upsert(session, page, processed, record, relevance))
        for result in results:
            counts[f"candidates_{result}"] += 1
        return results

    def _page_row(self, processed: ProcessedPage) -> Page:
        fetched: FetchedPage = processed.fetched
        extraction = processed.extraction
        return Page(
            run_id=self.run_id,
            url=fetched.url,
            final_url=fetched.final_url,
            canonical_url=canonical_url(fetched.final_url or fetched.url),
            origin=fetched.origin,
            hit_id=self._hit_ids.get(fetched.hit) if fetched.hit else None,
            depth=fetched.depth,
            status=fetched.status,
            content_type=fetched.headers.get("content-type"),
            fetched_at=fetched.fetched_at,
            content_hash=hashlib.sha256(fetched.body).hexdigest() if fetched.body else None,
            size=len(fetched.body),
            encoding=extraction.encoding if extraction else None,
            language=extraction.language.value if extraction and extraction.language else None,
            title=extraction.title if extraction else None,
            outcome=processed.outcome,
            error=processed.error,
            relevance=[{"title": record.get("title"), "score": round(relevance.score, 3),
                        "keep": relevance.keep, "reasons": list(relevance.reasons)}
                       for record, relevance in processed.judged],
        )

    def _upsert(self, session: Session, page: Page, processed: ProcessedPage,
                record: Record, relevance: Relevance) -> str:
        page_url = page.final_url or page.url
        # A record's own URL comes from the page's markup: only a web address counts
        # (a relative, javascript: or data: "url" falls back to the page itself).
        own_url = record.get("url")
        record_url = own_url if isinstance(own_url, str) and is_http_url(own_url) else page_url
        key = _source_key(record, record_url, page_url, processed)
        values = _candidate_values(record, record_url)
        source_values = {
            "url": record_url, "page_url": page_url, "page_id": page.id, "origin": page.origin,
            "title": values["title"], "fields": _jsonable(record.plain()),
            "evidence": {name: {"value": _jsonable(found.value), **found.evidence.as_dict()}
                         for name, found in record.fields.items()},
            "relevance_score": relevance.score, "relevance_reasons": list(relevance.reasons),
            "last_seen_run_id": self.run_id,
        }

        source = session.scalar(select(Source).where(Source.key == key))
        if source is not None:
            for name, value in source_values.items():
                setattr(source, name, value)
            candidate = _survivor(session, source.candidate)
            if candidate.status == "pending" and candidate.primary_source_id == source.id:
                self._refresh(candidate, values, relevance)
            candidate.last_seen_run_id = self.run_id
            return "known"

        match = self._index.best_match(
            values["title"], provider=values.get("provider"),
            domain=registered_domain(record_url), start_date=values.get("start_date"),
            threshold=MERGE_THRESHOLD,
        )
        if match is not None and not match.rule.startswith("review:"):
            candidate = _survivor(session, session.get(Candidate, match.id))
            session.add(Source(candidate_id=candidate.id, key=key, match_rule=match.rule,
                               match_score=match.score, first_seen_run_id=self.run_id,
                               **source_values))
            if candidate.status == "pending":
                _fill_gaps(candidate, values)
            candidate.last_seen_run_id = self.run_id
            return "merged"

        candidate = Candidate(status="pending", first_seen_run_id=self.run_id,
                              last_seen_run_id=self.run_id, relevance_score=relevance.score,
                              relevance_reasons=list(relevance.reasons), **values)
        session.add(candidate)
        session.flush()
        source = Source(candidate_id=candidate.id, key=key, match_rule="new",
                        first_seen_run_id=self.run_id, **source_values)
        session.add(source)
        session.flush()
        candidate.primary_source_id = source.id
        self._index.add(_entry(candidate.id, candidate.title, candidate.provider,
                               candidate.url, candidate.start_date))
        return "new"

    def _refresh(self, candidate: Candidate, values: dict[str, Any],
                 relevance: Relevance) -> None:
        self._index.remove(candidate.id)
        for name in CANDIDATE_FIELDS:
            setattr(candidate, name, values.get(name, _empty(name)))
        candidate.relevance_score = relevance.score
        candidate.relevance_reasons = list(relevance.reasons)
        self._index.add(_entry(candidate.id, candidate.title, candidate.provider,
                               candidate.url, candidate.start_date))


def _entry(cid: int, title: str, provider: str | None, url: str,
           start_date: date | None) -> Entry:
    return Entry(id=cid, title=title, provider=provider, domain=registered_domain(url),
                 start_date=start_date)


def _survivor(session: Session, candidate: Candidate | None) -> Candidate:
    """Follow merges to the candidate that absorbed this one."""
    assert candidate is not None
    seen = {candidate.id}
    while candidate.merged_into_id is not None:
        candidate = session.get(Candidate, candidate.merged_into_id)  # type: ignore[assignment]
        assert candidate is not None and candidate.id not in seen, "merge cycle"
        seen.add(candidate.id)
    return candidate


def _source_key(record: Record, record_url: str, page_url: str,
                processed: ProcessedPage) -> str:
    key = canonical_url(record_url)
    listing = processed.extraction is not None and processed.extraction.is_listing
    if listing and canonical_url(page_url) == key:
        # Several records of one listing page share its URL; the title tells them apart.
        key += "#" + (record.get("title") or "").strip().casefold()
    return key


def _candidate_values(record: Record, record_url: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in CANDIDATE_FIELDS:
        value = record.get(name)
        if value is not None:
            values[name] = value
    values["url"] = record_url
    values["title"] = (record.get("title") or record_url).strip()
    return values


def _fill_gaps(candidate: Candidate, values: dict[str, Any]) -> None:
    """A second source completes what the first did not say, and changes nothing else."""
    for name in CANDIDATE_FIELDS:
        if getattr(candidate, name) in (None, [], "") and values.get(name) not in (None, [], ""):
            setattr(candidate, name, values[name])


def _empty(name: str) -> Any:
    """What a column holds when the record does not say: [] or {} for JSON, else None."""
    if name == "signals":
        return {}
    column = Candidate.__table__.columns[name]
    return [] if column.type.__class__.__name__ == "JSON" else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value
