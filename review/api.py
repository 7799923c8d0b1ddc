"""The JSON API under ``/api``, described at ``/api/openapi.json``.

Clients log in through ``POST /login`` (the form) or with the session cookie of a
browser; ``GET /api/me`` returns the CSRF token to send as ``X-CSRF-Token`` with
every POST.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, Field

from db.models import Candidate, Edition, Source
from review import service
from review.app import database_of, require_change, require_viewer
from review.fields import RECORD_FIELDS, jsonable

router = APIRouter(tags=["review"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Csrf = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)]
Choice = Annotated[str, Query(max_length=40, pattern=r"^[a-z_]*$")]
Flag = Annotated[Literal["", "true", "false", "unknown"], Query()]
Text = Annotated[str, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
RunId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"}, 403: {"description": "CSRF token or role refused"},
    404: {"description": "Not found"}, 409: {"description": "Conflict"},
    422: {"description": "Invalid input"}}


class DecisionIn(BaseModel):
    verdict: Literal["include", "exclude", "maybe"]
    reason: str | None = Field(default=None, max_length=200)


class EditIn(BaseModel):
    field: str = Field(max_length=40)
    value: str = Field(max_length=10_000)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class TagIn(BaseModel):
    tag: str = Field(min_length=1, max_length=60)


class UndoIn(BaseModel):
    candidate_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class PairIn(BaseModel):
    verdict: Literal["same", "not_same"]
    keep: Literal["a", "b"] = "a"


class ReasonIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)


def _value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def summary(candidate: Candidate) -> dict[str, Any]:
    return {"id": candidate.id, "uid": candidate.uid, "status": candidate.status,
            "reason": candidate.reason, "title": candidate.title,
            "provider": candidate.provider, "format": candidate.format,
            "modality": candidate.modality, "language": candidate.language,
            "provider_category": candidate.provider_category, "url": candidate.url,
            "relevance_score": candidate.relevance_score,
            "merged_into_id": candidate.merged_into_id}


@router.get("/me", responses=ERRORS)
def me(request: Request) -> dict[str, Any]:
    viewer = require_viewer(request)
    return {"name": viewer.name, "role": viewer.role, "csrf_token": viewer.csrf}


@router.get("/candidates", responses=ERRORS)
def list_candidates(
        request: Request,
        status: Annotated[Literal["pending", "maybe", "accepted", "rejected", "screened",
                                  "all"], Query()] = "pending",
        format: Choice = "", provider_category: Choice = "", modality: Choice = "",
        language: Annotated[str, Query(max_length=8, pattern=r"^[A-Za-z-]*$")] = "",
        edition_status: Choice = "",
        run: RunId = None,
        duplicates: bool = False,
        reason: Text = "",
        first_seen_run: RunId = None,
        first_seen_run_before: RunId = None,
        merged: bool = False,
        inclusivity: Flag = "", is_free: Flag = "", recurring: Flag = "",
        verticals: Text = "", country: Text = "", signal: Choice = "",
        found_by: Text = "", origin: Text = "",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict[str, Any]:
    """Trainings most relevant first, with counts per filter value.

    Takes the filters of the queue and of the report's numbers: ``unknown`` selects a
    missing value; ``screened`` every decided training; ``found_by`` a search backend
    and ``origin`` a provider site that led to it; ``merged`` trainings found in more
    than one place.  ``records`` counts the places the listed trainings were found."""
    require_viewer(request)
    flt = service.QueueFilter(status=status, format=format,
                              provider_category=provider_category, modality=modality,
                              language=language, run=run, duplicates=duplicates,
                              edition_status=edition_status, reason=reason,
                              first_seen_run=first_seen_run,
                              first_seen_run_before=first_seen_run_before, merged=merged)
    given = {"inclusivity": inclusivity, "is_free": is_free, "recurring": recurring,
             "verticals": verticals, "country": country, "signal": signal,
             "found_by": found_by, "origin": origin}
    flt.extra = {key: value for key, value in given.items() if value}
    with database_of(request).session() as session:
        rows = service.queue(session, flt, limit=limit, offset=offset)
        counts = service.counts(session, flt)
        records = service.records(session, flt)
    return {"total": counts.pop("total")[""], "records": records, "counts": counts,
            "items": [summary(row) for row in rows]}


@router.get("/candidates/{candidate_id}", responses=ERRORS)
def show_candidate(request: Request, candidate_id: Id) -> dict[str, Any]:
    """Every field with its evidence, the editions, sources, queries and history."""
    require_viewer(request)
    with database_of(request).session() as session:
        candidate = service.get_candidate(session, candidate_id)
        return detail(session, candidate)


def detail(session: Any, candidate: Candidate) -> dict[str, Any]:
    sources = session.query(Source).filter(Source.candidate_id == candidate.id).all()
    editions = session.query(Edition).filter(Edition.candidate_id == candidate.id).all()
    history = service.history(session, candidate.id)
    return {
        **summary(candidate),
        "fields": {name: _value(getattr(candidate, name)) for name in RECORD_FIELDS},
        "locked_fields": candidate.locked_fields,
        "sources": [{"id": s.id, "url": s.url, "page_url": s.page_url, "origin": s.origin,
                     "evidence": s.evidence, "match_rule": s.match_rule,
                     "found_by": [{"run": run, "backend": backend, "query": text, "rank": rank}
                                  for run, backend, text, rank in service.found_by(session, s)]}
                    for s in sources],
        "editions": [{"key": e.key, "start_date": _value(e.start_date),
                      "end_date": _value(e.end_date), "modality": e.modality,
                      "fee_text": e.fee_text, "url": e.url,
                      "edition_status": e.edition_status} for e in editions],
        "decisions": [{"action": d.action, "reason": d.reason, "actor": d.actor,
                       "at": _value(d.at)} for d in history["decisions"]],
        "changes": [{"field": c.field, "old": c.old, "new": c.new, "status": c.status,
                     "at": _value(c.at)} for c in history["changes"]],
        "notes": [{"text": n.text, "author": n.author, "at": _value(n.at)}
                  for n in history["notes"]],
        "tags": [t.tag for t in history["tags"]],
    }


@router.post("/candidates/{candidate_id}/decision", responses=ERRORS)
def decide(request: Request, candidate_id: Id, body: DecisionIn,
           x_csrf_token: Csrf = None) -> dict[str, Any]:
    """Include, exclude (with a reason from ``GET /api/reasons``) or maybe.

    Under blind double screening this is a vote: ``outcome`` says ``voted``,
    ``decided`` (two voters agreed), ``conflict`` or ``resolved`` (by a third)."""
    viewer = require_change(request, x_csrf_token)
    double = bool(getattr(request.app.state, "double_screening", False))
    with database_of(request).transaction() as session:
        outcome = service.screen(session, candidate_id, body.verdict, viewer.name,
                                 body.reason, double=double)
        return {**summary(service.get_candidate(session, candidate_id)), "outcome": outcome}


@router.post("/candidates/{candidate_id}/fields", responses=ERRORS)
def edit(request: Request, candidate_id: Id, body: EditIn,
         x_csrf_token: Csrf = None) -> dict[str, Any]:
    """Set a field by hand; it is then locked against crawls."""
    viewer = require_change(request, x_csrf_token)
    with database_of(request).transaction() as session:
        candidate = service.edit_field(session, candidate_id, body.field, body.value,
                                       viewer.name)
        return {**summary(candidate), "field": body.field,
                "value": jsonable(getattr(candidate, body.field)),
                "locked_fields": candidate.locked_fields}


@router.post("/candidates/{candidate_id}/notes", responses=ERRORS)
def note(request: Request, candidate_id: Id, body: NoteIn,
         x_csrf_token: Csrf = None) -> dict[str, Any]:
    viewer = require_change(request, x_csrf_token)
    with database_of(request).transaction() as session:
        found = service.add_note(session, candidate_id, body.text, viewer.name)
        return {"id": found.id, "text": found.text, "author": found.author}


@router.post("/candidates/{candidate_id}/tags", responses=ERRORS)
def tag(request: Request, candidate_id: Id, body: TagIn,
        x_csrf_token: Csrf = None) -> dict[str, Any]:
    viewer = require_change(request, x_csrf_token)
    with database_of(request).transaction() as session:
        found = service.add_tag(session, candidate_id, body.tag, viewer.name)
        return {"id": found.id, "tag": found.tag, "author": found.author}


@router.post("/undo", responses=ERRORS)
def undo(request: Request, body: UndoIn, x_csrf_token: Csrf = None) -> dict[str, Any]:
    """Undo your last decision, edit or merge (on one training if given)."""
    viewer = require_change(request, x_csrf_token)
    with database_of(request).transaction() as session:
        entry = service.undo_last(session, viewer.name, body.candidate_id)
        return {"undone": entry.kind, "candidate_id": entry.candidate_id}


@router.get("/duplicates", responses=ERRORS)
def duplicates(request: Request) -> list[dict[str, Any]]:
    require_viewer(request)
    with database_of(request).session() as session:
        return [{"id": p.id, "a": p.candidate_a_id, "b": p.candidate_b_id, "score": p.score,
                 "rule": p.rule, "status": p.status} for p in service.open_pairs(session)]


@router.post("/duplicates/{pair_id}", responses=ERRORS)
def resolve(request: Request, pair_id: Id, body: PairIn,
            x_csrf_token: Csrf = None) -> dict[str, Any]:
    """``same`` merges (``keep`` names the survivor); ``not_same`` is remembered."""
    viewer = require_change(request, x_csrf_token)
    with database_of(request).transaction() as session:
        pair = service.resolve_pair(session, pair_id, body.verdict, viewer.name, body.keep)
        return {"id": pair.id, "status": pair.status}


@router.get("/conflicts", responses=ERRORS)
def conflicts(request: Request) -> list[dict[str, Any]]:
    """Blind double screening: trainings whose voters disagree, with the votes."""
    require_viewer(request)
    with database_of(request).session() as session:
        return [{"id": candidate.id, "title": candidate.title,
                 "votes": [{"actor": v.actor, "verdict": v.verdict, "reason": v.reason}
                           for v in votes]}
                for candidate, votes in service.conflicts(session)]


@router.get("/reasons", responses=ERRORS)
def reasons(request: Request) -> list[str]:
    require_viewer(request)
    with database_of(request).session() as session:
        return [reason.text for reason in service.reasons(session)]


@router.post("/reasons", responses=ERRORS)
def add_reason(request: Request, body: ReasonIn, x_csrf_token: Csrf = None) -> dict[str, Any]:
    """Add an exclusion reason (admins only)."""
    viewer = require_change(request, x_csrf_token, admin=True)
    with database_of(request).transaction() as session:
        reason = service.add_reason(session, body.text, viewer.name)
        return {"id": reason.id, "text": reason.text}
