"""Merges as decisions: merge two candidates, undo a merge, say "not the same".

Every merge — by the machine during a crawl or by a reviewer — is a :class:`Merge`
row; undoing one puts things back as they were and marks the row undone, so the
history stays complete.  A reviewer's "not the same" is a :class:`DuplicatePair`
with status ``not_same`` that no later run contradicts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Candidate, DuplicatePair, Edition, Merge, Source
from pipeline.errors import OfferMapError


def resolve(session: Session, candidate_id: int) -> Candidate:
    """The candidate that stands for ``candidate_id`` now, following merges."""
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise OfferMapError(f"No candidate {candidate_id}")
    seen = {candidate.id}
    while candidate.merged_into_id is not None:
        candidate = session.get(Candidate, candidate.merged_into_id)
        if candidate is None or candidate.id in seen:
            raise OfferMapError(f"Candidate {candidate_id} has a broken merge chain")
        seen.add(candidate.id)
    return candidate


def merge_candidates(session: Session, keep_id: int, absorb_id: int, *, actor: str,
                     score: float | None = None, rule: str = "reviewer: same") -> Merge:
    """Merge ``absorb_id`` into ``keep_id``: its sources and editions move over, it
    keeps its uid and points at the survivor."""
    keep, absorb = resolve(session, keep_id), resolve(session, absorb_id)
    if keep.id == absorb.id:
        raise OfferMapError(f"Candidates {keep_id} and {absorb_id} are already one")
    moved: dict[str, list[int]] = {"sources": [], "editions": []}
    for source in list(absorb.sources):
        source.candidate_id = keep.id
        moved["sources"].append(source.id)
    known = {edition.key for edition in keep.editions}
    for edition in list(absorb.editions):
        if edition.key not in known:
            edition.candidate_id = keep.id
            moved["editions"].append(edition.id)
    absorb.merged_into_id = keep.id
    merge = Merge(into_candidate_id=keep.id, from_candidate_id=absorb.id, score=score,
                  rule=rule, actor=actor, moved=moved)
    session.add(merge)
    _decide_pair(session, keep.id, absorb.id, "same", actor)
    session.flush()
    return merge


def undo_merge(session: Session, merge_id: int, *, actor: str) -> Candidate:
    """Undo one merge; return the candidate that stands on its own again."""
    merge = session.get(Merge, merge_id)
    if merge is None:
        raise OfferMapError(f"No merge {merge_id}")
    if merge.undone_at is not None:
        raise OfferMapError(f"Merge {merge_id} was already undone by {merge.undone_by}")

    if merge.from_candidate_id is not None:
        freed = session.get(Candidate, merge.from_candidate_id)
        assert freed is not None
        freed.merged_into_id = None
        moved = merge.moved or {}
        for source in session.scalars(select(Source).where(
                Source.id.in_(moved.get("sources", [])))):
            source.candidate_id = freed.id
        for edition in session.scalars(select(Edition).where(
                Edition.id.in_(moved.get("editions", [])))):
            edition.candidate_id = freed.id
    else:
        # A machine merge of one source: that source becomes a candidate of its own.
        source = session.get(Source, merge.source_id)
        assert source is not None
        freed = _candidate_from_source(session, source)
    merge.undone_at, merge.undone_by = datetime.now(UTC), actor
    _decide_pair(session, merge.into_candidate_id, freed.id, "not_same", actor)
    session.flush()
    return freed


def mark_not_same(session: Session, first: int, second: int, *, actor: str) -> DuplicatePair:
    """Remember that two candidates are different trainings."""
    first, second = resolve(session, first).id, resolve(session, second).id
    if first == second:
        raise OfferMapError(f"Candidates {first} and {second} are one training already; "
                            "undo the merge instead (offermap merges)")
    return _decide_pair(session, first, second, "not_same", actor)


def _decide_pair(session: Session, first: int, second: int, status: str,
                 actor: str) -> DuplicatePair:
    low, high = sorted((first, second))
    pair = session.scalar(select(DuplicatePair).where(
        DuplicatePair.candidate_a_id == low, DuplicatePair.candidate_b_id == high))
    if pair is None:
        pair = DuplicatePair(candidate_a_id=low, candidate_b_id=high, score=0.0,
                             rule=f"reviewer: {status}")
        session.add(pair)
    pair.status, pair.decided_by, pair.decided_at = status, actor, datetime.now(UTC)
    return pair


def _candidate_from_source(session: Session, source: Source) -> Candidate:
    fields = dict(source.fields or {})
    candidate = Candidate(title=source.title, url=source.url, status="pending",
                          relevance_score=source.relevance_score,
                          relevance_reasons=list(source.relevance_reasons))
    for name in ("description", "provider", "provider_category", "format", "modality",
                 "language", "fee_text", "fee_currency", "is_free", "audience"):
        if isinstance(fields.get(name), (str, bool)):
            setattr(candidate, name, fields[name])
    session.add(candidate)
    session.flush()
    source.candidate_id = candidate.id
    candidate.primary_source_id = source.id
    return candidate


def is_not_same(session: Session, first: int, second: int) -> bool:
    low, high = sorted((first, second))
    return session.scalar(select(DuplicatePair.id).where(
        DuplicatePair.candidate_a_id == low, DuplicatePair.candidate_b_id == high,
        DuplicatePair.status == "not_same")) is not None


__all__ = ["is_not_same", "mark_not_same", "merge_candidates", "resolve", "undo_merge"]
