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
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.backends.base import ATTEMPTS_KEY, EARLIER_KEY
from crawler.items import FetchedPage, SearchResponse
from db.models import (
    Candidate,
    DuplicatePair,
    Edition,
    FieldChange,
    Hit,
    Merge,
    Page,
    Query,
    Run,
    Source,
)
from db.models import BackendHold, SearchExchange
from db.session import Database
from extractors import Record
from extractors.types import RECORD_FIELDS
from pipeline.config import DedupConfig
from pipeline.dedup import Entry, Match, TitleIndex
from pipeline.merging import is_not_same, merge_candidates
from pipeline.processing import ProcessedPage
from pipeline.relevance import Relevance
from pipeline.urls import canonical_url, is_http_url, registered_domain

#: Candidate columns filled from extracted records.
CANDIDATE_FIELDS: tuple[str, ...] = tuple(name for name in (*RECORD_FIELDS, "fees", "signals")
                                          if name in Candidate.__table__.columns)
#: What an edition carries of the record (schema.org CourseInstance).
EDITION_FIELDS: tuple[str, ...] = ("start_date", "end_date", "modality", "fee_text",
                                   "fee_amount", "fee_currency", "is_free", "url",
                                   "edition_status")
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

    def __init__(self, database: Database, *, kind: str = "crawl",
                 dedup: DedupConfig | None = None) -> None:
        self.database = database
        self.kind = kind
        self.run_id: int | None = None
        self.summary: RunSummary | None = None
        self._hit_ids: dict[tuple[str, str, int, int], int] = {}
        self._unsent: dict[tuple[str, str], list[str]] = {}  # (backend, reason) -> cells
        self._unsent_lines: dict[tuple[str, str], int] = {}  # ... -> its summary line
        self.dedup = dedup or DedupConfig()
        # Every source is indexed (not only each candidate's first one), and a record
        # joins every candidate it matches: candidates are then the connected parts
        # of a symmetric "same training" relation, the same whatever order pages
        # arrive in (RELIABILITY.md, scenario 20).
        self._index = TitleIndex()  # sources by title: "the same training"
        self._series = TitleIndex()  # sources by title without years: another edition
        self._owner: dict[int, int] = {}  # source id -> id of the candidate it belongs to
        self._start: dict[int, date | None] = {}  # source id -> its start date
        self._by_key: dict[str, set[int]] = {}  # canonical address -> source ids
        self._page_of: dict[int, str] = {}  # source id -> canonical URL of its page

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
        merged_into = dict(session.execute(
            select(Candidate.id, Candidate.merged_into_id)).all())
        rows = session.execute(select(Source.id, Source.candidate_id, Source.title, Source.url,
                                      Source.fields, Source.url_key, Source.identifiers,
                                      Source.page_url))
        for source_id, candidate_id, title, url, fields, url_key, identifiers, page_url in rows:
            owner = candidate_id
            while merged_into.get(owner) is not None:
                owner = merged_into[owner]
            fields = fields or {}
            self._index_source(source_id, owner, title, fields.get("provider"), url,
                               _as_date(fields.get("start_date")))
            self._index_keys(source_id, [url_key, *(identifiers or [])], page_url)

    def _index_source(self, source_id: int, owner: int, title: str, provider: Any,
                      url: str, start: date | None) -> None:
        provider = provider if isinstance(provider, str) else None
        self._index.add(_entry(source_id, title, provider, url, start))
        self._series.add(_entry(source_id, _undated(title), provider, url, None))
        self._owner[source_id] = owner
        self._start[source_id] = start

    def _index_keys(self, source_id: int, keys: list[str], page_url: str) -> None:
        self._page_of[source_id] = canonical_url(page_url)
        for key in keys:
            if key:
                self._by_key.setdefault(key, set()).add(source_id)

    # --- search --------------------------------------------------------------------

    def record_search(self, response: SearchResponse) -> None:
        """Store one answered (or unsent) result page with its hits and its raw answer.

        Provenance: each hit keeps its backend, query text, language, page and rank,
        and its query the time it was sent.  ``unsent`` cells (budget reached, backend
        held or unreachable) are stored too, so the next run asks them first.
        """
        assert self.summary is not None
        counts = self.summary.counts
        if response.status == "unsent":
            counts["queries_unsent"] += 1
            self._note_unsent(response)
        else:
            counts["queries_sent"] += 1
            counts[f"queries_{response.status}"] += 1
            if response.error:
                self.note_error(f"{response.backend} [{response.query.text}] page "
                                f"{response.page}: {response.error}")

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
            raw = getattr(response, "raw", None)
            earlier = list(getattr(response, "earlier", None) or [])
            attempts = 1 + len(earlier)
            if raw is None and earlier:  # asked again after a throttle, then no answer
                raw = earlier.pop()
            if raw is not None:  # already stripped of secrets by the spider
                headers = dict(raw.headers)
                if attempts > 1:
                    # Throttled, then asked again: every answer is kept, with the
                    # number of requests the page took.
                    headers[ATTEMPTS_KEY] = attempts
                    headers[EARLIER_KEY] = [e.as_json() for e in earlier]
                session.add(SearchExchange(
                    query_id=query.id, run_id=self.run_id, method=raw.method, url=raw.url,
                    request_body=raw.request_body, status=raw.status, headers=headers,
                    body=raw.body))
        counts["hits"] += len(response.hits)

    def _note_unsent(self, response: SearchResponse) -> None:
        """One summary line per backend and reason, naming the cells not searched."""
        assert self.summary is not None
        reason = response.error or "not sent"
        cells = self._unsent.setdefault((response.backend, reason), [])
        cells.append(response.query.key)
        shown = ", ".join(cells[:12]) + (f", … and {len(cells) - 12} more"
                                          if len(cells) > 12 else "")
        line = f"{response.backend}: {len(cells)} cell(s) not searched ({reason}): {shown}"
        position = self._unsent_lines.get((response.backend, reason))
        if position is None:
            # First in the summary: which cells a run did not search matters more than
            # the page errors that follow it.
            position = self._unsent_lines[(response.backend, reason)] = len(self._unsent_lines)
            self.summary.counts["errors"] += 1
            self.summary.errors.insert(position, line)
        else:
            self.summary.errors[position] = line

    def hold_backend(self, backend: str, until: datetime, reason: str) -> None:
        """Remember that ``backend`` is out of quota until ``until`` (for later runs)."""
        with self.database.transaction() as session:
            session.add(BackendHold(backend=backend, run_id=self.run_id, until=until,
                                    reason=reason))

    def backend_hold(self, backend: str, now: datetime | None = None) -> BackendHold | None:
        """The hold that keeps ``backend`` out of this run, if one is still running."""
        now = now or datetime.now(UTC)
        with self.database.session() as session:
            hold = session.scalars(select(BackendHold).where(
                BackendHold.backend == backend, BackendHold.until > now)
                .order_by(BackendHold.until.desc())).first()
            if hold is not None:
                session.expunge(hold)
            return hold

    def last_search_started(self) -> datetime | None:
        """When the previous run that sent search queries started (for since_last_run)."""
        with self.database.session() as session:
            return session.scalar(
                select(Run.started_at).join(Query, Query.run_id == Run.id)
                .where(Run.id != self.run_id, Query.status.in_(("done", "partial")))
                .order_by(Run.started_at.desc()).limit(1))

    def cells_to_retry(self, backend: str) -> set[str]:
        """Query keys the last run that sent them left partial, failed or blocked, and
        keys never sent since they were left unsent: the next run asks them first.

        A run that sent nothing (a budget already spent, a backend held) changes
        nothing: the cells an earlier run left over still come first after it.
        """
        with self.database.session() as session:
            rows = session.execute(select(Query.run_id, Query.language, Query.text,
                                          Query.status).where(
                Query.backend == backend, Query.run_id != self.run_id)
                .order_by(Query.run_id)).all()
        latest: dict[str, tuple[int, set[str]]] = {}  # key -> (run, statuses) last sent
        unsent: set[str] = set()
        for row in rows:
            key = f"{row.language}:{row.text}"
            if row.status == "unsent":
                unsent.add(key)
                continue
            run, seen = latest.get(key, (0, set()))
            latest[key] = (row.run_id, seen | {row.status}) if run == row.run_id \
                else (row.run_id, {row.status})
        retry = {key for key, (_, seen) in latest.items() if "done" not in seen}
        return retry | (unsent - latest.keys())

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
        """Attach one kept record to its candidate; return new, merged, edition or known."""
        page_url = page.final_url or page.url
        # A record's own URL comes from the page's markup: only a web address counts
        # (a relative, javascript: or data: "url" falls back to the page itself).
        own_url = record.get("url")
        record_url = own_url if isinstance(own_url, str) and is_http_url(own_url) else page_url
        key = _source_key(record, record_url, page_url, processed)
        values = _candidate_values(record, record_url)
        source_values = {
            "url": record_url, "url_key": canonical_url(record_url), "page_url": page_url,
            "identifiers": sorted({canonical_url(address) for address in record.identifiers}
                                  - {canonical_url(record_url)}),
            "page_id": page.id, "origin": page.origin,
            "title": values["title"], "fields": _jsonable(record.plain()),
            "evidence": {name: {"value": _jsonable(found.value), **found.evidence.as_dict()}
                         for name, found in record.fields.items()},
            "relevance_score": relevance.score, "relevance_reasons": list(relevance.reasons),
            "last_seen_run_id": self.run_id,
        }

        source = session.scalar(select(Source).where(Source.key == key))
        if source is not None:
            return self._seen_again(session, source, source_values, values, relevance)

        domain = registered_domain(record_url)
        found = self._index.matches(
            values["title"], provider=values.get("provider"), domain=domain,
            start_date=values.get("start_date"), threshold=self.dedup.merge_threshold,
            review_threshold=self.dedup.review_threshold,
            cross_site_threshold=self.dedup.cross_site_threshold,
        )
        # Both relations count at once: whichever order pages come in, a record that is
        # the same training as one source and another edition of a second joins both.
        merges = [match for match in found if not match.is_review]
        editions = self._editions_of(values, domain)
        same_url = self._same_url([source_values["url_key"], *source_values["identifiers"]],
                                  page_url)
        owners = sorted(set(self._owners_of(merges + editions)) | same_url)
        if owners:
            candidate = self._join(session, owners)
            if same_url:
                label, score = "same url", 100.0
            else:
                best = merges[0] if merges else editions[0]
                label = best.rule if merges else f"edition: {best.rule}"
                score = best.score
            self._attach(session, candidate, key, source_values, values, label, score)
            return "merged" if merges or same_url else "edition"

        candidate = self._create(session, key, source_values, values, relevance)
        for match in found:  # possible duplicates: offered to reviewers, never merged
            other = self._owner[match.id]
            if other != candidate.id:
                self._offer_pair(session, candidate.id, other, match.score, match.rule)
        return "new"

    def _same_url(self, keys: list[str], page_url: str) -> set[int]:
        """Candidates already known by one of these addresses (the record URL, its
        schema.org @id and sameAs): exact keys, before titles.  Two records read off
        one page are never one training by address alone: a listing's items may all
        point at one registration page or share the page's address."""
        page = canonical_url(page_url)
        return {self._owner[source_id] for key in keys for source_id in self._by_key.get(key, ())
                if source_id in self._owner and self._page_of.get(source_id) != page}

    def _owners_of(self, matches: list[Match]) -> list[int]:
        return sorted({self._owner[match.id] for match in matches})

    def _join(self, session: Session, owners: list[int]) -> Candidate:
        """The candidate a record joins when it matches several: the oldest one, which
        absorbs the others when no reviewer has decided on them or told them apart."""
        keep = _survivor(session, session.get(Candidate, owners[0]))
        for other_id in owners[1:]:
            other = _survivor(session, session.get(Candidate, other_id))
            if other.id == keep.id:
                continue
            if keep.status == "pending" and other.status == "pending" \
                    and not is_not_same(session, keep.id, other.id):
                moved = [source.id for source in other.sources]
                merge_candidates(session, keep.id, other.id, actor="machine",
                                 rule="machine: bridged by a matching record")
                for source_id in moved:
                    self._owner[source_id] = keep.id
                assert self.summary is not None
                self.summary.counts["candidates_joined"] += 1
            else:
                self._offer_pair(session, keep.id, other.id, 0.0,
                                 "review: bridged by a matching record")
        return keep

    def _editions_of(self, values: dict[str, Any], domain: str) -> list[Match]:
        """Sources this record is another edition of: the same title once years are
        set aside, from the same provider or site, at another start date."""
        start = values.get("start_date")
        if start is None:
            return []
        found = self._series.matches(
            _undated(values["title"]), provider=values.get("provider"), domain=domain,
            start_date=None, threshold=self.dedup.edition_threshold,
            review_threshold=self.dedup.edition_threshold,
            cross_site_threshold=101.0,  # another site's page is never taken for an edition
        )
        # The same date under another year is a contradiction, not an edition.
        return [match for match in found
                if not match.is_review and self._start.get(match.id) not in (None, start)]

    def _seen_again(self, session: Session, source: Source, source_values: dict[str, Any],
                    values: dict[str, Any], relevance: Relevance) -> str:
        """A known source: refresh it, and its candidate unless a reviewer owns that."""
        retitled = source.title != source_values["title"]
        for name, value in source_values.items():
            setattr(source, name, value)
        candidate = _survivor(session, source.candidate)
        if retitled:
            self._index.remove(source.id)
            self._series.remove(source.id)
            self._index_source(source.id, candidate.id, source.title, values.get("provider"),
                               source.url, values.get("start_date"))
        self._index_keys(source.id, [source.url_key, *source.identifiers], source.page_url)
        candidate.last_seen_run_id = self.run_id
        self._upsert_edition(session, candidate, values)
        if candidate.primary_source_id == source.id:
            self._record_changes(session, candidate, source, values)
            if candidate.status == "pending":
                candidate.relevance_score = relevance.score
                candidate.relevance_reasons = list(relevance.reasons)
        return "known"

    def _attach(self, session: Session, candidate: Candidate, key: str,
                source_values: dict[str, Any], values: dict[str, Any], rule: str,
                score: float) -> None:
        """A new source for an existing candidate, recorded as a machine merge."""
        source = Source(candidate_id=candidate.id, key=key, match_rule=rule, match_score=score,
                        first_seen_run_id=self.run_id, **source_values)
        session.add(source)
        session.flush()
        session.add(Merge(into_candidate_id=candidate.id, source_id=source.id, score=score,
                          rule=rule, actor="machine", run_id=self.run_id))
        self._index_source(source.id, candidate.id, source.title, values.get("provider"),
                           source.url, values.get("start_date"))
        self._index_keys(source.id, [source.url_key, *source.identifiers], source.page_url)
        if candidate.status == "pending":
            primary = session.get(Source, candidate.primary_source_id)
            if primary is None or _leads(source, primary):
                # The better-described source leads, whichever page came first, so the
                # candidate reads the same for any crawl order.
                candidate.primary_source_id = source.id
                self._take_over(session, candidate, source, values)
            _fill_gaps(candidate, values, locked=set(candidate.locked_fields))
        candidate.last_seen_run_id = self.run_id
        self._upsert_edition(session, candidate, values)

    def _take_over(self, session: Session, candidate: Candidate, source: Source,
                   values: dict[str, Any]) -> None:
        """A new primary source's values replace the candidate's where it has one."""
        locked = set(candidate.locked_fields)
        for name in CANDIDATE_FIELDS:
            new = values.get(name)
            if name in locked or new in (None, [], "", {}) or _same(getattr(candidate, name), new):
                continue
            session.add(FieldChange(candidate_id=candidate.id, field=name,
                                    old=_jsonable(getattr(candidate, name)), new=_jsonable(new),
                                    source_id=source.id, run_id=self.run_id, status="applied"))
            setattr(candidate, name, new)

    def _create(self, session: Session, key: str, source_values: dict[str, Any],
                values: dict[str, Any], relevance: Relevance) -> Candidate:
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
        self._upsert_edition(session, candidate, values, new=True)
        self._index_source(source.id, candidate.id, source.title, values.get("provider"),
                           source.url, values.get("start_date"))
        self._index_keys(source.id, [source.url_key, *source.identifiers], source.page_url)
        return candidate

    def _offer_pair(self, session: Session, first: int, second: int, score: float,
                    rule: str) -> None:
        low, high = sorted((first, second))
        exists = session.scalar(select(DuplicatePair.id).where(
            DuplicatePair.candidate_a_id == low, DuplicatePair.candidate_b_id == high))
        if exists is None:
            session.add(DuplicatePair(candidate_a_id=low, candidate_b_id=high, score=score,
                                      rule=rule, run_id=self.run_id))
            assert self.summary is not None
            self.summary.counts["possible_duplicates"] += 1

    def _upsert_edition(self, session: Session, candidate: Candidate,
                        values: dict[str, Any], *, new: bool = False) -> None:
        """The edition these values describe, created or refreshed (schema.org
        CourseInstance: one per start date).  ``new``: the candidate was just made."""
        start = values.get("start_date")
        key = start.isoformat() if isinstance(start, date) else "undated"
        edition = None if new else session.scalar(
            select(Edition).where(Edition.candidate_id == candidate.id, Edition.key == key))
        if edition is None:
            edition = Edition(candidate_id=candidate.id, key=key,
                              first_seen_run_id=self.run_id)
            session.add(edition)
        for name in EDITION_FIELDS:
            if values.get(name) is not None:
                setattr(edition, name, values[name])
        edition.last_seen_run_id = self.run_id

    def _record_changes(self, session: Session, candidate: Candidate, source: Source,
                        values: dict[str, Any]) -> None:
        """Compare a re-read primary source with the candidate, field by field.

        A pending candidate takes the new values (``applied``); a decided one, or a
        field a reviewer edited, keeps its value and the new one is ``proposed``
        for a reviewer to see (DESIGN.md, rule 1).
        """
        locked = set(candidate.locked_fields)
        for name in CANDIDATE_FIELDS:
            old, new = getattr(candidate, name), values.get(name, _empty(name))
            if _same(old, new):
                continue
            applies = candidate.status == "pending" and name not in locked
            session.add(FieldChange(candidate_id=candidate.id, field=name, old=_jsonable(old),
                                    new=_jsonable(new), source_id=source.id, run_id=self.run_id,
                                    status="applied" if applies else "proposed"))
            if applies:
                setattr(candidate, name, new)
            assert self.summary is not None
            self.summary.counts["fields_applied" if applies else "fields_proposed"] += 1


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


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
    """Where a record was read.  A listing's entry for a course and the course's own
    page are two sources (of one candidate), so neither overwrites the other."""
    key = canonical_url(page_url)
    own = canonical_url(record_url)
    if own != key:
        return f"{key} -> {own}"
    listing = processed.extraction is not None and processed.extraction.is_listing
    if listing:
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


def _leads(new: Source, old: Source) -> bool:
    """Whether ``new`` describes its training better than ``old``: by the summed
    confidence of its fields (structured data counts most), then by the smaller key,
    so that ties break the same way whatever the crawl order."""
    def confidence(source: Source) -> float:
        return round(sum(float(found.get("confidence") or 0.0)
                         for found in (source.evidence or {}).values()), 6)

    return (confidence(new), old.key) > (confidence(old), new.key)


def _fill_gaps(candidate: Candidate, values: dict[str, Any], *, locked: set[str]) -> None:
    """A second source completes what the first did not say, and changes nothing else."""
    for name in CANDIDATE_FIELDS:
        if name in locked:
            continue
        if getattr(candidate, name) in (None, [], "", {}) and \
                values.get(name) not in (None, [], "", {}):
            setattr(candidate, name, values[name])


def _same(old: Any, new: Any) -> bool:
    """Equal as stored: None, [] and {} all mean "not said"; floats to the cent."""
    if old in (None, [], {}, "") and new in (None, [], {}, ""):
        return True
    if isinstance(old, float) and isinstance(new, (int, float)):
        return round(old, 2) == round(float(new), 2)
    return bool(_jsonable(old) == _jsonable(new))


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _undated(title: str) -> str:
    """The title without its years: "Summer School 2026" -> "Summer School"."""
    return " ".join(_YEAR.sub(" ", title).split()) or title


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
