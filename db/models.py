"""The tables.

::

    runs ──< queries ──< hits
      │                   ┆ (a page fetched because a hit pointed at it)
      └──< pages ┄┄┄┄┄┄┄┄┄┘
             │
             └──< sources >── candidates ──< decisions

A *candidate* is one training offer as reviewers see it.  A *source* is one place
it was read from (a page, or one record of a listing page), with what was
extracted there and the evidence.  Candidate fields are filled from its sources
until a reviewer decides or edits; after that a crawl never changes them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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
    relevance: Mapped[list[Any]] = mapped_column(default=list)  # [{score, keep, reasons}] per record


class Candidate(Base):
    """One training offer, as reviewers see it."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
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
    primary_source_id: Mapped[int | None] = mapped_column(Integer)
    first_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    last_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sources: Mapped[list[Source]] = relationship(
        back_populates="candidate", order_by="Source.id", foreign_keys="Source.candidate_id"
    )
    decisions: Mapped[list[Decision]] = relationship(order_by="Decision.id")


class Source(Base):
    """One place a candidate was read from, with what was read there."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    # canonical URL of the record (plus "#title" for a listing record without its own URL)
    key: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)
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


Index("ix_pages_run_outcome", Page.run_id, Page.outcome)
