"""Match every training against every other once more (`offermap duplicates --rescan`).

A crawl matches each new record against what its own store knows.  Workers of a
distributed crawl each know only what they loaded at start and stored themselves, so
two of them may each make a candidate of one training found on two pages.  The
rescan applies the same rules as a crawl (config/dedup.yaml) to the trainings as they
stand, oldest first: a sure match between two pending trainings is merged by the
machine (recorded and undoable), anything else above the review threshold is offered
to reviewers, and a pair a reviewer told apart is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Candidate, DuplicatePair, Source
from db.session import Database
from pipeline.config import DedupConfig
from pipeline.dedup import Entry, TitleIndex
from pipeline.merging import is_not_same, merge_candidates
from pipeline.urls import registered_domain


@dataclass
class RescanResult:
    trainings: int = 0
    merged: int = 0
    offered: int = 0


def rescan(database: Database, dedup: DedupConfig, *, actor: str = "machine") -> RescanResult:
    result = RescanResult()
    index = TitleIndex()
    with database.transaction() as session:
        trainings = session.scalars(select(Candidate).where(
            Candidate.merged_into_id.is_(None)).order_by(Candidate.id)).all()
        for candidate in trainings:
            result.trainings += 1
            provider = candidate.provider if isinstance(candidate.provider, str) else None
            domain = registered_domain(_address(session, candidate))
            found = index.matches(
                candidate.title, provider=provider, domain=domain,
                start_date=candidate.start_date, threshold=dedup.merge_threshold,
                review_threshold=dedup.review_threshold,
                cross_site_threshold=dedup.cross_site_threshold)
            merged = False
            for match in found:
                if is_not_same(session, match.id, candidate.id):
                    continue
                older = session.get(Candidate, match.id)
                assert older is not None
                if not match.is_review and not merged and older.status == "pending" \
                        and candidate.status == "pending":
                    merge_candidates(session, older.id, candidate.id, actor=actor,
                                     score=match.score, rule=f"rescan: {match.rule}")
                    result.merged += 1
                    merged = True
                elif _offer(session, older.id, candidate.id, match.score,
                            f"rescan: {match.rule}"):
                    result.offered += 1
            if not merged:
                index.add(Entry(id=candidate.id, title=candidate.title, provider=provider,
                                domain=domain, start_date=candidate.start_date))
    return result


def _address(session: Session, candidate: Candidate) -> str:
    source = session.get(Source, candidate.primary_source_id) \
        if candidate.primary_source_id else None
    return (source.url if source is not None else None) or candidate.url or ""


def _offer(session: Session, first: int, second: int, score: float, rule: str) -> bool:
    low, high = sorted((first, second))
    if session.scalar(select(DuplicatePair.id).where(
            DuplicatePair.candidate_a_id == low, DuplicatePair.candidate_b_id == high)):
        return False
    session.add(DuplicatePair(candidate_a_id=low, candidate_b_id=high, score=score,
                              rule=rule))
    return True
