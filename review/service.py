"""What reviewers do, shared by the web pages, the JSON API and the command line.

Every function works inside the caller's transaction (``Database.transaction()``)
and records who did it: a Decision row for the history, and a ReviewAction row with
what was replaced so that undo can put it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from db.models import Candidate, Decision, DuplicatePair, FieldChange, Merge, Source
from db.review_models import Note, Reason, ReviewAction, ScreeningVote, Tag
from pipeline import merging
from pipeline.errors import OfferMapError
from review.fields import (
    RECORD_FIELDS,
    InvalidInput,
    clean_input,
    from_json,
    jsonable,
    parse_value,
)

#: Web and API verbs -> candidate status and the Decision action recorded.
VERDICTS: dict[str, tuple[str, str]] = {
    "include": ("accepted", "accept"),
    "exclude": ("rejected", "reject"),
    "maybe": ("maybe", "maybe"),
}
STATUSES = ("pending", "maybe", "accepted", "rejected")
#: Queue statuses besides STATUSES: every training, and every decided one.
STATUS_GROUPS = ("screened", "all")
DEFAULT_REASONS = (
    "not a training (event, news, conference)",
    "off theme",
    "duplicate",
    "no longer offered",
    "not enough information",
)
#: One-valued columns filtered in SQL (``unknown`` selects an empty value).
FILTERS = ("format", "provider_category", "modality", "language")
COLUMN_FILTERS = (*FILTERS, "edition_status")
#: Descriptors read like the report reads them (lists, flags, web address, signals).
FACET_FILTERS = ("inclusivity", "is_free", "verticals", "country", "recurring", "signal")
#: Where a training was identified: a search backend, or a provider site.
PLACE_FILTERS = ("found_by", "origin")
UNKNOWN = "unknown"


class NotFound(OfferMapError):
    """No such training, pair or action (exit code 1, as for every "not found")."""


class Conflict(OfferMapError):
    """The action does not fit the training's state: merged away, nothing to undo."""

    exit_code = 5


def now() -> datetime:
    return datetime.now(UTC)


# --- the queue -----------------------------------------------------------------------


@dataclass
class QueueFilter:
    """What the queue shows; empty values mean "any".

    Besides the reviewer's filters, it takes every filter of the report's numbers
    (``offermap report``), so a number's link lists exactly the entries behind it."""

    status: str = "pending"
    format: str = ""
    provider_category: str = ""
    modality: str = ""
    language: str = ""
    run: int | None = None
    new_since: datetime | None = None
    duplicates: bool = False
    # Blind double screening: hide what this reviewer already voted on.
    not_voted_by: str | None = None
    edition_status: str = ""
    reason: str = ""
    first_seen_run: int | None = None
    first_seen_run_before: int | None = None
    #: Trainings found in more than one place (a merge kept the others as sources).
    merged: bool = False
    #: FACET_FILTERS and PLACE_FILTERS: key → value.
    extra: dict[str, Any] = field(default_factory=dict)
    _ids: set[int] | None = field(default=None, repr=False, compare=False)

    def facets(self) -> dict[str, str]:
        return {key: value for key, value in self.extra.items()
                if key in FACET_FILTERS and value}

    def places(self) -> dict[str, str]:
        return {key: value for key, value in self.extra.items()
                if key in PLACE_FILTERS and value}


def _is_unknown(column: Any) -> Any:
    return or_(column.is_(None), column == "", column == UNKNOWN)


def _base_query(flt: QueueFilter, *, skip: str | None = None) -> Any:
    """Candidates matching every filter except ``skip`` (so counts per value of one
    filter show what choosing that value would give).  Call :func:`prepare` first
    when the filter has facets, places or ``merged``."""
    query = select(Candidate).where(Candidate.merged_into_id.is_(None))
    if skip != "status":
        if flt.status == "screened":
            query = query.where(Candidate.status != "pending")
        elif flt.status != "all":
            query = query.where(Candidate.status == flt.status)
    for name in COLUMN_FILTERS:
        value = getattr(flt, name)
        if value and skip != name:
            column = getattr(Candidate, name)
            query = query.where(_is_unknown(column) if value == UNKNOWN else column == value)
    if flt.reason:
        column = Candidate.reason
        query = query.where(or_(column.is_(None), func.trim(column) == "")
                            if flt.reason == UNKNOWN else func.trim(column) == flt.reason)
    if flt.run is not None and skip != "run":
        query = query.where(or_(Candidate.first_seen_run_id == flt.run,
                                Candidate.last_seen_run_id == flt.run))
    if flt.first_seen_run is not None:
        query = query.where(Candidate.first_seen_run_id == flt.first_seen_run)
    if flt.first_seen_run_before is not None:
        query = query.where(or_(Candidate.first_seen_run_id.is_(None),
                                Candidate.first_seen_run_id < flt.first_seen_run_before))
    if flt.new_since is not None:
        query = query.where(Candidate.created_at > flt.new_since)
    if flt.duplicates:
        query = query.where(Candidate.id.in_(_open_pair_members()))
    if flt.not_voted_by:
        query = query.where(Candidate.id.not_in(select(ScreeningVote.candidate_id).where(
            ScreeningVote.actor == flt.not_voted_by)))
    if flt._ids is not None:
        # Rendered inline: a large set must not hit the database's parameter limit.
        query = query.where(Candidate.id.in_(bindparam(
            "prepared_ids", sorted(flt._ids), expanding=True, literal_execute=True)))
    return query


def prepare(session: Session, flt: QueueFilter) -> QueueFilter:
    """Resolve the filters SQL alone cannot express portably (the report's facets,
    where a training was found, merged ones) into a set of ids, once per request."""
    facets, places = flt.facets(), flt.places()
    if flt._ids is not None or not (facets or places or flt.merged):
        return flt
    from pipeline.report import facet_values, source_places

    ids: set[int] | None = None
    if places or flt.merged:
        rows = source_places(session)
        if places:
            ids = {candidate_id for _, candidate_id, key, value in rows
                   if places.get(key) == value}
        if flt.merged:
            per: dict[int, int] = {}
            for _, candidate_id, _, _ in rows:
                per[candidate_id] = per.get(candidate_id, 0) + 1
            several = {candidate_id for candidate_id, n in per.items() if n > 1}
            ids = several if ids is None else ids & several
    if facets:
        # Facets alone (not the other filters), so counts per status stay right.
        query = select(Candidate).where(Candidate.merged_into_id.is_(None)).options(
            selectinload(Candidate.sources), selectinload(Candidate.editions))
        narrowed = ids
        ids = {candidate.id for candidate in session.scalars(query)
               if (narrowed is None or candidate.id in narrowed)
               and all(value in facet_values(key, candidate)
                       for key, value in facets.items())}
    flt._ids = ids if ids is not None else set()
    return flt


def records(session: Session, flt: QueueFilter) -> int:
    """The places the queue's trainings were found (sources), only those of the
    backend or site filtered on: the report's "records identified"."""
    from pipeline.report import source_places

    prepare(session, flt)
    listed = _base_query(flt).with_only_columns(Candidate.id)
    places = flt.places()
    return sum(1 for _, _, key, value in source_places(session, within=listed)
               if not places or places.get(key) == value)


def _open_pair_members() -> Any:
    pairs = select(DuplicatePair.candidate_a_id.label("cid")).where(
        DuplicatePair.status == "open").union(
        select(DuplicatePair.candidate_b_id).where(DuplicatePair.status == "open"))
    return select(pairs.subquery().c.cid)


def queue(session: Session, flt: QueueFilter, *, limit: int = 200,
          offset: int = 0) -> list[Candidate]:
    """The trainings to screen, most relevant first."""
    prepare(session, flt)
    query = (_base_query(flt).order_by(Candidate.relevance_score.desc(), Candidate.id)
             .limit(limit).offset(offset))
    return list(session.scalars(query))


def queue_ids(session: Session, flt: QueueFilter) -> list[int]:
    """Every id of the queue in order, for next / previous."""
    prepare(session, flt)
    query = _base_query(flt).with_only_columns(Candidate.id).order_by(
        Candidate.relevance_score.desc(), Candidate.id)
    return list(session.scalars(query))


def counts(session: Session, flt: QueueFilter) -> dict[str, dict[str, int]]:
    """For each filter, how many trainings each of its values would show."""
    prepare(session, flt)
    result: dict[str, dict[str, int]] = {}
    for name in ("status", *FILTERS):
        sub = _base_query(flt, skip=name).subquery()
        column = getattr(sub.c, name)
        rows = session.execute(select(column, func.count()).group_by(column)).all()
        result[name] = {str(value or ""): count for value, count in rows}
    statuses = result["status"]
    statuses["screened"] = sum(n for value, n in statuses.items() if value != "pending")
    statuses["all"] = sum(n for value, n in statuses.items()
                          if value not in STATUS_GROUPS)
    total = _base_query(flt).with_only_columns(func.count(Candidate.id))
    result["total"] = {"": session.scalar(total) or 0}
    return result


def runs_seen(session: Session) -> list[int]:
    ids = session.scalars(select(Candidate.last_seen_run_id).distinct()).all()
    return sorted({run for run in ids if run is not None}, reverse=True)


# --- one training --------------------------------------------------------------------


def get_candidate(session: Session, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"No training {candidate_id}")
    return candidate


def _decidable(session: Session, candidate_id: int) -> Candidate:
    candidate = get_candidate(session, candidate_id)
    if candidate.merged_into_id is not None:
        raise Conflict(f"Training {candidate_id} was merged into {candidate.merged_into_id}; "
                       "decide on that one")
    return candidate


def _record(session: Session, candidate: Candidate, kind: str, action: str, actor: str,
            reason: str | None, before: dict[str, Any], after: dict[str, Any]) -> ReviewAction:
    decision = Decision(candidate_id=candidate.id, action=action, reason=reason, actor=actor)
    session.add(decision)
    session.flush()
    entry = ReviewAction(candidate_id=candidate.id, kind=kind, actor=actor, before=before,
                         after=after, decision_id=decision.id)
    session.add(entry)
    session.flush()
    return entry


def screen(session: Session, candidate_id: int, verdict: str, actor: str,
           reason: str | None = None, *, double: bool = False) -> str:
    """A reviewer's verdict: a decision, or under blind double screening a vote (or
    the resolution of a conflict by a third reviewer).  Returns what happened."""
    if not double:
        decide(session, candidate_id, verdict, actor, reason)
        return "decided"
    votes = votes_on(session, candidate_id)
    if len({v.verdict for v in votes}) > 1 and actor not in {v.actor for v in votes}:
        resolve_conflict(session, candidate_id, verdict, actor, reason)
        return "resolved"
    return vote(session, candidate_id, verdict, actor, reason)


def decide(session: Session, candidate_id: int, verdict: str, actor: str,
           reason: str | None = None) -> Candidate:
    """Include, exclude (with a reason from the shared list) or mark maybe."""
    if verdict not in VERDICTS:
        raise InvalidInput(f"unknown decision {verdict!r}: include, exclude or maybe")
    candidate = _decidable(session, candidate_id)
    reason = clean_input(reason or "").strip() or None
    if verdict == "exclude":
        reason = _known_reason(session, reason)
    status, action = VERDICTS[verdict]
    before = {"status": candidate.status, "reason": candidate.reason,
              "decided_by": candidate.decided_by,
              "decided_at": candidate.decided_at.isoformat() if candidate.decided_at else None}
    candidate.status = status
    candidate.reason = reason if verdict == "exclude" else None
    candidate.decided_at = now()
    candidate.decided_by = actor
    _record(session, candidate, "decide", action, actor, candidate.reason, before,
            {"status": status, "reason": candidate.reason})
    return candidate


def _known_reason(session: Session, reason: str | None) -> str:
    if not reason:
        raise InvalidInput("an exclusion needs a reason")
    known = session.scalar(select(Reason).where(Reason.text == reason, Reason.active))
    if known is None:
        raise InvalidInput(f"{reason!r} is not in the list of exclusion reasons")
    return known.text


def edit_field(session: Session, candidate_id: int, name: str, raw: str,
               actor: str) -> Candidate:
    """Set a field by hand: recorded as an accepted FieldChange and locked, so that a
    later crawl proposes changes instead of overwriting it."""
    candidate = _decidable(session, candidate_id)
    value = parse_value(name, raw)
    old = getattr(candidate, name)
    locked_before = list(candidate.locked_fields or [])
    setattr(candidate, name, value)
    if name not in locked_before:
        candidate.locked_fields = [*locked_before, name]
    change = FieldChange(candidate_id=candidate.id, field=name, old=jsonable(old),
                         new=jsonable(value), status="accepted")
    session.add(change)
    session.flush()
    _record(session, candidate, "edit", "edit", actor, f"{name} edited",
            {"field": name, "value": jsonable(old), "locked_fields": locked_before},
            {"field": name, "value": jsonable(value), "field_change_id": change.id})
    return candidate


def add_note(session: Session, candidate_id: int, text: str, actor: str) -> Note:
    get_candidate(session, candidate_id)
    text = clean_input(text)
    if not text.strip():
        raise InvalidInput("a note cannot be empty")
    note = Note(candidate_id=candidate_id, text=text.strip()[:5000], author=actor)
    session.add(note)
    session.flush()
    return note


def add_tag(session: Session, candidate_id: int, tag: str, actor: str) -> Tag:
    get_candidate(session, candidate_id)
    tag = " ".join(clean_input(tag).split())[:60]
    if not tag:
        raise InvalidInput("a tag cannot be empty")
    existing = session.scalar(select(Tag).where(Tag.candidate_id == candidate_id,
                                                Tag.tag == tag))
    if existing is not None:
        return existing
    found = Tag(candidate_id=candidate_id, tag=tag, author=actor)
    session.add(found)
    session.flush()
    return found


# --- undo ----------------------------------------------------------------------------


def undo_last(session: Session, actor: str, candidate_id: int | None = None) -> ReviewAction:
    """Undo ``actor``'s most recent action not yet undone (on one training if given)."""
    query = select(ReviewAction).where(ReviewAction.actor == actor,
                                       ReviewAction.undone_at.is_(None))
    if candidate_id is not None:
        query = query.where(ReviewAction.candidate_id == candidate_id)
    entry = session.scalar(query.order_by(ReviewAction.id.desc()).limit(1))
    if entry is None:
        raise Conflict("Nothing to undo")
    candidate = get_candidate(session, entry.candidate_id)
    {"decide": _undo_decision, "edit": _undo_edit, "merge": _undo_merge}[entry.kind](
        session, candidate, entry, actor)
    entry.undone_at = now()
    session.add(Decision(candidate_id=candidate.id, action="undo",
                         reason=f"undid {entry.kind} #{entry.id}", actor=actor))
    session.flush()
    return entry


def _undo_decision(session: Session, candidate: Candidate, entry: ReviewAction,
                   actor: str) -> None:
    before = entry.before
    candidate.status = before["status"]
    candidate.reason = before["reason"]
    candidate.decided_by = before["decided_by"]
    decided_at = before["decided_at"]
    candidate.decided_at = datetime.fromisoformat(decided_at) if decided_at else None


def _undo_edit(session: Session, candidate: Candidate, entry: ReviewAction,
               actor: str) -> None:
    name = entry.before["field"]
    setattr(candidate, name, from_json(name, entry.before["value"]))
    candidate.locked_fields = list(entry.before["locked_fields"])
    change = session.get(FieldChange, entry.after.get("field_change_id"))
    if change is not None:
        change.status = "dismissed"


def _undo_merge(session: Session, candidate: Candidate, entry: ReviewAction,
                actor: str) -> None:
    # pipeline.merging puts back what moved; a reviewer's undo reopens the pair (it
    # takes back "same", it does not say "not the same").
    merging.undo_merge(session, entry.after["merge_id"], actor=actor)
    both = (candidate.id, entry.before["absorbed_id"])
    for pair in session.scalars(select(DuplicatePair).where(
            DuplicatePair.candidate_a_id.in_(both), DuplicatePair.candidate_b_id.in_(both))):
        pair.status, pair.decided_by, pair.decided_at = "open", None, None


# --- duplicates ----------------------------------------------------------------------


def open_pairs(session: Session, limit: int = 200) -> list[DuplicatePair]:
    query = (select(DuplicatePair).where(DuplicatePair.status == "open")
             .order_by(DuplicatePair.score.desc(), DuplicatePair.id).limit(limit))
    return list(session.scalars(query))


def get_pair(session: Session, pair_id: int) -> DuplicatePair:
    pair = session.get(DuplicatePair, pair_id)
    if pair is None:
        raise NotFound(f"No possible-duplicate pair {pair_id}")
    return pair


def differing_fields(first: Candidate, second: Candidate) -> list[str]:
    return [name for name in RECORD_FIELDS if getattr(first, name) != getattr(second, name)]


def resolve_pair(session: Session, pair_id: int, verdict: str, actor: str,
                 keep: str = "a") -> DuplicatePair:
    """``same``: merge one into the other (``keep`` names the survivor, a or b);
    ``not_same``: remembered so no run offers or merges them again."""
    pair = get_pair(session, pair_id)
    if pair.status != "open":
        raise Conflict(f"Pair {pair_id} was already decided ({pair.status})")
    if verdict == "not_same":
        pair.status, pair.decided_by, pair.decided_at = "not_same", actor, now()
        return pair
    if verdict != "same":
        raise InvalidInput(f"unknown verdict {verdict!r}: same or not_same")
    if keep not in ("a", "b"):
        raise InvalidInput("keep must be a or b")
    ids = (pair.candidate_a_id, pair.candidate_b_id)
    survivor_id, absorbed_id = ids if keep == "a" else ids[::-1]
    _merge(session, pair, _decidable(session, survivor_id), _decidable(session, absorbed_id),
           actor)
    return pair


def _merge(session: Session, pair: DuplicatePair, survivor: Candidate, absorbed: Candidate,
           actor: str) -> None:
    """Merge through pipeline.merging (sources and editions move, the Merge row keeps
    what moved); the pair itself is marked "same" by the reviewer."""
    merge = merging.merge_candidates(session, survivor.id, absorbed.id, actor=actor,
                                     score=pair.score, rule=f"reviewer: pair {pair.id}")
    pair.status, pair.decided_by, pair.decided_at = "same", actor, now()
    session.flush()
    _record(session, survivor, "merge", "merge", actor, f"merged #{absorbed.id} into this",
            {"absorbed_id": absorbed.id, "pair_id": pair.id}, {"merge_id": merge.id})


# --- reasons -------------------------------------------------------------------------


def reasons(session: Session) -> list[Reason]:
    return list(session.scalars(select(Reason).where(Reason.active).order_by(Reason.id)))


def ensure_default_reasons(session: Session) -> None:
    """A fresh database starts with a few common reasons (admins add more)."""
    if session.scalar(select(func.count(Reason.id))):
        return
    for text in DEFAULT_REASONS:
        session.add(Reason(text=text, created_by="offermap"))


def add_reason(session: Session, text: str, actor: str) -> Reason:
    text = " ".join(clean_input(text).split())
    if not text or len(text) > 200:
        raise InvalidInput("a reason must be 1 to 200 characters")
    existing = session.scalar(select(Reason).where(Reason.text == text))
    if existing is not None:
        existing.active = True
        return existing
    reason = Reason(text=text, created_by=actor)
    session.add(reason)
    session.flush()
    return reason


# --- history -------------------------------------------------------------------------


def history(session: Session, candidate_id: int) -> dict[str, list[Any]]:
    """Decisions, field changes, notes, tags and merges of one training, oldest first."""
    return {
        "decisions": list(session.scalars(select(Decision).where(
            Decision.candidate_id == candidate_id).order_by(Decision.id))),
        "changes": list(session.scalars(select(FieldChange).where(
            FieldChange.candidate_id == candidate_id).order_by(FieldChange.id))),
        "notes": list(session.scalars(select(Note).where(
            Note.candidate_id == candidate_id).order_by(Note.id))),
        "tags": list(session.scalars(select(Tag).where(
            Tag.candidate_id == candidate_id).order_by(Tag.tag))),
        "merges": list(session.scalars(select(Merge).where(or_(
            Merge.into_candidate_id == candidate_id,
            and_(Merge.from_candidate_id == candidate_id))).order_by(Merge.id))),
        "pairs": list(session.scalars(select(DuplicatePair).where(or_(
            DuplicatePair.candidate_a_id == candidate_id,
            DuplicatePair.candidate_b_id == candidate_id)).order_by(DuplicatePair.id))),
    }


def found_by(session: Session, source: Source) -> list[Any]:
    """The search queries whose results pointed at a source."""
    from db.models import Hit, Query

    return list(session.execute(
        select(Query.run_id, Query.backend, Query.text, Hit.rank).join(Hit.query)
        .where(Hit.canonical_url == source.key).order_by(Query.run_id, Hit.rank).limit(20)))


# --- blind double screening ----------------------------------------------------------


def vote(session: Session, candidate_id: int, verdict: str, actor: str,
         reason: str | None = None) -> str:
    """Record ``actor``'s independent verdict; decide when two voters agree.

    Returns ``voted`` (waiting for a second reviewer), ``decided`` (two agreed) or
    ``conflict`` (they disagree: a third reviewer resolves with :func:`resolve_conflict`).
    """
    if verdict not in VERDICTS:
        raise InvalidInput(f"unknown decision {verdict!r}: include, exclude or maybe")
    candidate = _decidable(session, candidate_id)
    if candidate.status != "pending":
        raise Conflict(f"Training {candidate_id} is already decided ({candidate.status})")
    reason = clean_input(reason or "").strip() or None
    reason = _known_reason(session, reason) if verdict == "exclude" else None
    mine = session.scalar(select(ScreeningVote).where(
        ScreeningVote.candidate_id == candidate_id, ScreeningVote.actor == actor))
    if mine is None:
        mine = ScreeningVote(candidate_id=candidate_id, actor=actor)
        session.add(mine)
    mine.verdict, mine.reason, mine.at = verdict, reason, now()
    session.flush()
    votes = votes_on(session, candidate_id)
    if len(votes) < 2:
        return "voted"
    if len({v.verdict for v in votes}) > 1:
        return "conflict"
    decide(session, candidate_id, verdict, actor, reason or votes[0].reason)
    return "decided"


def votes_on(session: Session, candidate_id: int) -> list[ScreeningVote]:
    return list(session.scalars(select(ScreeningVote).where(
        ScreeningVote.candidate_id == candidate_id).order_by(ScreeningVote.id)))


def conflicts(session: Session) -> list[tuple[Candidate, list[ScreeningVote]]]:
    """Pending trainings whose voters disagree, with their votes."""
    disagreeing = (select(ScreeningVote.candidate_id).group_by(ScreeningVote.candidate_id)
                   .having(func.count(func.distinct(ScreeningVote.verdict)) > 1))
    found = session.scalars(select(Candidate).where(
        Candidate.id.in_(disagreeing), Candidate.status == "pending",
        Candidate.merged_into_id.is_(None)).order_by(Candidate.id))
    return [(candidate, votes_on(session, candidate.id)) for candidate in found]


def resolve_conflict(session: Session, candidate_id: int, verdict: str, actor: str,
                     reason: str | None = None) -> Candidate:
    """A third reviewer (not one of the voters) decides a conflict."""
    votes = votes_on(session, candidate_id)
    if len({v.verdict for v in votes}) < 2:
        raise Conflict(f"Training {candidate_id} has no conflicting votes")
    if actor in {v.actor for v in votes}:
        raise Conflict("A conflict is resolved by a third reviewer, not by a voter")
    return decide(session, candidate_id, verdict, actor, reason)


def voted_by(session: Session, actor: str) -> set[int]:
    return set(session.scalars(select(ScreeningVote.candidate_id).where(
        ScreeningVote.actor == actor)))
