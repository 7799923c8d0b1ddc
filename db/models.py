"""The tables.

::

    runs ──< queries ──< hits
      │                   ┆ (a page fetched because a hit pointed at it)
      │                   ┆     └── search_exchanges (the raw answer, secrets stripped)
      └──< pages ┄┄┄┄┄┄┄┄┄┘
             │
             └──< sources >── candidates ──< decisions

A *candidate* is one training offer as reviewers see it.  A *source* is one place
it was read from (a page, or one record of a listing page), with what was
extracted there and the evidence.  Candidate fields are filled from its sources
until a reviewer decides or edits; after that a crawl never changes them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    LargeBinary,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uid() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="crawl")
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Query(Base):
    """One request of the search grid: a query text, a backend and a result page."""

    __tablename__ = "queries"
    __table_args__ = (UniqueConstraint("run_id", "backend", "language", "text", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    backend: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    keyword: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8))
    page: Mapped[int] = mapped_column(Integer, default=1)
    # done | partial (some engines did not answer) | failed | blocked
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    hits: Mapped[list[Hit]] = relationship(back_populates="query", order_by="Hit.rank")


class Hit(Base):
    """One search result: where a query pointed."""

    __tablename__ = "hits"
    __table_args__ = (UniqueConstraint("query_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    snippet: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(40))

    query: Mapped[Query] = relationship(back_populates="hits")


class Page(Base):
    """Every fetch of a run, whether or not it yielded a candidate."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, index=True)
    origin: Mapped[str] = mapped_column(String(100))  # "search" or the provider site's name
    hit_id: Mapped[int | None] = mapped_column(ForeignKey("hits.id"))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[int | None] = mapped_column(Integer)  # HTTP status; None when no response
    content_type: Mapped[str | None] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    encoding: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(8))
    title: Mapped[str | None] = mapped_column(Text)
    # candidate | not_offer | off_theme | not_html | http_error | fetch_error | extract_error
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    relevance: Mapped[list[Any]] = mapped_column(default=list)  # per record: score, keep, reasons


class Candidate(Base):
    """One training, as reviewers see it (schema.org's Course).

    Its editions (:class:`Edition`, schema.org's CourseInstance) are the runs of
    it: a summer school held in 2025 and 2026 is one candidate with two editions.
    ``uid`` is its stable identifier: it survives re-crawls, re-extraction and
    merges (a merged-away candidate keeps its uid and points at the survivor).
    """

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"))

    # The record of DESIGN.md.
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(Text)
    provider_category: Mapped[str | None] = mapped_column(String(20))
    format: Mapped[str | None] = mapped_column(String(20))
    modality: Mapped[str | None] = mapped_column(String(20))
    topics: Mapped[list[str]] = mapped_column(default=list)
    verticals: Mapped[list[str]] = mapped_column(default=list)
    duration_text: Mapped[str | None] = mapped_column(Text)
    duration_hours: Mapped[float | None] = mapped_column(Float)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    trainers: Mapped[list[str]] = mapped_column(default=list)
    audience: Mapped[str | None] = mapped_column(Text)
    audience_tags: Mapped[list[str]] = mapped_column(default=list)
    fee_text: Mapped[str | None] = mapped_column(Text)
    fee_amount: Mapped[float | None] = mapped_column(Float)
    fee_currency: Mapped[str | None] = mapped_column(String(3))
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    eu_project: Mapped[str | None] = mapped_column(Text)
    inclusivity: Mapped[bool | None] = mapped_column(Boolean)
    inclusivity_evidence: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    edition_status: Mapped[str | None] = mapped_column(String(20))
    # Beyond the record: every fee tier found (early bird, members...) and the
    # signals of the study's closing questions (targets city staff, smart-city
    # focus, participatory methods, theory and practice, part of a series).
    fees: Mapped[list[Any]] = mapped_column(default=list)
    signals: Mapped[dict[str, Any]] = mapped_column(default=dict)

    relevance_score: Mapped[float] = mapped_column(Float, default=0.0)
    relevance_reasons: Mapped[list[str]] = mapped_column(default=list)
    # Fields a reviewer edited: a crawl never overwrites them; a different crawled
    # value becomes a proposed FieldChange instead.
    locked_fields: Mapped[list[str]] = mapped_column(default=list)
    primary_source_id: Mapped[int | None] = mapped_column(Integer)
    first_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    last_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sources: Mapped[list[Source]] = relationship(
        back_populates="candidate", order_by="Source.id", foreign_keys="Source.candidate_id"
    )
    editions: Mapped[list[Edition]] = relationship(
        back_populates="candidate", order_by="Edition.start_date"
    )
    decisions: Mapped[list[Decision]] = relationship(order_by="Decision.id")


class Edition(Base):
    """One run of a training: its dates, modality, fee and page (schema.org CourseInstance)."""

    __tablename__ = "editions"
    __table_args__ = (UniqueConstraint("candidate_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # start date (ISO) or "undated"
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    modality: Mapped[str | None] = mapped_column(String(20))
    fee_text: Mapped[str | None] = mapped_column(Text)
    fee_amount: Mapped[float | None] = mapped_column(Float)
    fee_currency: Mapped[str | None] = mapped_column(String(3))
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    url: Mapped[str | None] = mapped_column(Text)
    edition_status: Mapped[str | None] = mapped_column(String(20))
    first_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    last_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))

    candidate: Mapped[Candidate] = relationship(back_populates="editions")


class Merge(Base):
    """A merge, by the machine or a reviewer: a source attached to a candidate, or
    a whole candidate merged into another.  Undoing it sets ``undone_at``."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    into_candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    from_candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    score: Mapped[float | None] = mapped_column(Float)
    rule: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100), default="machine")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(100))
    # What moved, so that undoing puts back exactly that: {"sources": [...], "editions": [...]}
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DuplicatePair(Base):
    """Two candidates that may be the same training, offered to reviewers.

    ``status`` is ``open``, ``same`` (a reviewer merged them) or ``not_same`` (a
    reviewer said no: no later run merges them or offers them again).
    """

    __tablename__ = "duplicate_pairs"
    __table_args__ = (UniqueConstraint("candidate_a_id", "candidate_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_a_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    candidate_b_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    rule: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldChange(Base):
    """A field of a candidate (or of one edition) read differently by a later crawl.

    ``status``: ``applied`` (a pending candidate took the new value), ``proposed``
    (the candidate was decided on or the field is locked: a reviewer must look),
    ``accepted`` or ``dismissed`` (what the reviewer did with a proposal).
    """

    __tablename__ = "field_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"))
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Source(Base):
    """One place a candidate was read from, with what was read there."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    # Where it was read: the page's canonical URL, plus the record's own URL when the
    # page describes a training that lives elsewhere (a listing), or its title.
    key: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(Text, index=True, default="")  # canonical record URL
    # Canonical keys of the record's other addresses (schema.org @id and sameAs).
    identifiers: Mapped[list[str]] = mapped_column(default=list)
    page_url: Mapped[str] = mapped_column(Text)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id"))
    origin: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    relevance_score: Mapped[float] = mapped_column(Float, default=0.0)
    relevance_reasons: Mapped[list[str]] = mapped_column(default=list)
    match_rule: Mapped[str] = mapped_column(String(100))  # "new", "same url", "title≥90 ..."
    match_score: Mapped[float | None] = mapped_column(Float)
    first_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    last_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))

    candidate: Mapped[Candidate] = relationship(
        back_populates="sources", foreign_keys=[candidate_id]
    )


class Decision(Base):
    """Every reviewer action, in order: who, what, when, why."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # accept | reject | reopen
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchExchange(Base):
    """The raw answer of a search backend to one query, kept with the run so that it
    can be audited and parsed again (replayed).  Secrets are stripped before it is
    written: the URL has its key parameters masked, and request headers (where
    tokens travel) are not kept."""

    __tablename__ = "search_exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"), unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    request_body: Mapped[str | None] = mapped_column(Text)  # a form post (DuckDuckGo)
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class BackendHold(Base):
    """A backend out of quota until a given time (Google's day, Brave's month):
    runs that start before then skip it."""

    __tablename__ = "backend_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    backend: Mapped[str] = mapped_column(String(40), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_pages_run_outcome", Page.run_id, Page.outcome)
