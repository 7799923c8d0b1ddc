"""The server-rendered pages.  Every form posts with a CSRF token and works without
JavaScript; static/review.js only adds keyboard shortcuts."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import selectinload

from db.models import Candidate, Edition, Source
from review import auth, service
from review.app import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Forbidden,
    Viewer,
    client_address,
    database_of,
    render,
    require_change,
    require_viewer,
    set_session_cookie,
)
from review.fields import CHOICES, RECORD_FIELDS, display
from review.render import STATIC

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
FormText = Annotated[str, Form(max_length=10_000)]
#: The queue's query keys: the reviewer's filters and every filter of the report's links.
QUEUE_KEYS = ("status", *service.COLUMN_FILTERS, "run", "new", "duplicates", "reason",
              "first_seen_run", "first_seen_run_before", "merged", *service.FACET_FILTERS,
              *service.PLACE_FILTERS)
#: Keys the queue's form has no control for: shown as removable "also filtered by" items.
EXTRA_KEYS = tuple(key for key in QUEUE_KEYS if key not in (
    "status", *service.FILTERS, "run", "new", "duplicates"))
MAX_VALUE = 200


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- login ---------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    # Login CSRF: a double-submit token, since there is no session yet.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", {"csrf": token, "error": None}, viewer=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.post("/login")
def login(request: Request, name: FormText = "", password: FormText = "",
          csrf: FormText = "") -> Response:
    if not auth.tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
        raise Forbidden("The login form expired; reload the page")
    with database_of(request).transaction() as session:
        try:
            user = auth.authenticate(session, name, password, client_address(request))
        except auth.Throttled:
            user, error, status = None, "Too many failed logins; wait a few minutes.", 429
        else:
            error, status = "Wrong name or password.", 401
        token = auth.start_session(session, user) if user else None
    if token is None:
        return render(request, "login.html", {"csrf": csrf, "error": error}, status=status,
                      viewer=None)
    response = see_other("/queue")
    set_session_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, csrf: FormText = "") -> Response:
    require_change(request, csrf)
    with database_of(request).transaction() as session:
        auth.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the queue -----------------------------------------------------------------------


def _text(params: dict[str, str], key: str) -> str:
    """A filter value without control characters (PostgreSQL refuses NUL), cut short."""
    return "".join(char for char in params.get(key, "")[:MAX_VALUE]
                   if char >= " " and char != "\x7f")


def _run_number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


def _flag(value: str | None) -> bool:
    return value in ("1", "true")


def queue_filter(params: dict[str, str], viewer: Viewer) -> service.QueueFilter:
    """The queue's filters from query parameters; unknown keys and values are ignored."""
    status = params.get("status", "pending")
    flt = service.QueueFilter(
        status=status if status in (*service.STATUSES, *service.STATUS_GROUPS) else "pending")
    for name in service.COLUMN_FILTERS:
        setattr(flt, name, _text(params, name))
    flt.reason = _text(params, "reason")
    flt.run = _run_number(params.get("run", ""))
    flt.first_seen_run = _run_number(params.get("first_seen_run", ""))
    flt.first_seen_run_before = _run_number(params.get("first_seen_run_before", ""))
    if params.get("new") == "1" and viewer.previous_login_at is not None:
        flt.new_since = viewer.previous_login_at
    flt.duplicates = _flag(params.get("duplicates"))
    flt.merged = _flag(params.get("merged"))
    flt.extra = {key: _text(params, key)
                 for key in (*service.FACET_FILTERS, *service.PLACE_FILTERS)
                 if _text(params, key)}
    return flt


def double_screening(request: Request) -> bool:
    return bool(getattr(request.app.state, "double_screening", False))


def reviewer_filter(request: Request, params: dict[str, str],
                    viewer: Viewer) -> service.QueueFilter:
    """The queue as this reviewer screens it (without their own votes when blind)."""
    flt = queue_filter(params, viewer)
    if double_screening(request) and flt.status == "pending":
        flt.not_voted_by = viewer.name
    return flt


def queue_query(params: Any) -> str:
    """The queue's query string, rebuilt from known keys only (it is echoed in links
    and redirects)."""
    kept = [(key, _text({key: str(value)}, key)) for key, value in params.items()
            if key in QUEUE_KEYS and value]
    kept = [(key, value) for key, value in kept if value]
    return urlencode(kept)


@router.get("/")
def home() -> Response:
    return see_other("/queue")


@router.get("/favicon.ico")
def favicon() -> Response:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


# --- the API's documentation -----------------------------------------------------------


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    """The JSON API described for people, rendered here from the OpenAPI description
    (no Swagger UI: it would load scripts from a CDN, which the CSP and offline
    installations refuse)."""
    spec = request.app.openapi()
    return render(request, "api_docs.html", {"spec": spec, "operations": operations(spec)})


@router.get("/docs")
def docs_redirect() -> Response:
    return see_other("/api/docs")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of an OpenAPI description as plain values for the template."""
    found = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append({
                "method": method.upper(), "path": path,
                "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                "summary": op.get("summary", ""),
                "description": op.get("description", "").replace("``", "`"),
                "parameters": [{"name": p["name"], "where": p.get("in", ""),
                                "required": p.get("required", False),
                                "type": _type_of(spec, p.get("schema", {})),
                                "default": p.get("schema", {}).get("default", "")}
                               for p in op.get("parameters", [])],
                "body": _body(spec, body.get("schema")) if body else None,
                "responses": [(code, response.get("description", ""))
                              for code, response in op.get("responses", {}).items()],
            })
    return found


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return dict(spec.get("components", {}).get("schemas", {}).get(
            ref.rsplit("/", 1)[-1], {}), title=ref.rsplit("/", 1)[-1])
    return schema


def _type_of(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type_of(spec, item) for item in schema["anyOf"])
    kind = str(schema.get("type", schema.get("title", "any")))
    limits = [f"{word} {schema[key]}" for key, word in (
        ("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"),
        ("maxLength", "length ≤"), ("pattern", "matching")) if key in schema]
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _body(spec: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    resolved = _resolve(spec, schema or {})
    required = set(resolved.get("required", []))
    return {"name": resolved.get("title", "object"),
            "fields": [{"name": name, "type": _type_of(spec, field),
                        "required": name in required, "default": field.get("default", "")}
                       for name, field in resolved.get("properties", {}).items()]}


@router.get("/queue")
def queue_page(request: Request, page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Response:
    viewer = require_viewer(request)
    params = dict(request.query_params)
    flt = reviewer_filter(request, params, viewer)
    with database_of(request).session() as session:
        rows = service.queue(session, flt, limit=100, offset=(page - 1) * 100)
        counts = service.counts(session, flt)
        records = service.records(session, flt)
        runs = service.runs_seen(session)
    extra = [(key, _text(params, key)) for key in EXTRA_KEYS if _text(params, key)]
    return render(request, "queue.html", {
        "rows": rows, "counts": counts, "flt": flt, "runs": runs, "params": params,
        "choices": CHOICES, "statuses": service.STATUSES, "query": queue_query(params),
        "page": page, "languages": sorted(code for code in counts["language"] if code),
        "records": records, "extra": [(key, value, queue_query(
            {k: v for k, v in params.items() if k != key})) for key, value in extra],
    }, viewer=viewer)


# --- one training --------------------------------------------------------------------


@router.get("/candidates/{candidate_id}")
def candidate_page(request: Request, candidate_id: Id) -> Response:
    viewer = require_viewer(request)
    params = dict(request.query_params)
    flt = reviewer_filter(request, params, viewer)
    with database_of(request).session() as session:
        candidate = service.get_candidate(session, candidate_id)
        context = _candidate_context(session, candidate)
        order = service.queue_ids(session, flt)
        reasons = service.reasons(session)
        votes = service.votes_on(session, candidate_id) if double_screening(request) else []
    previous_id, next_id = _neighbours(order, candidate_id)
    return render(request, "candidate.html", {
        **context, "reasons": reasons, "query": queue_query(params), "previous_id": previous_id,
        "next_id": next_id, "fields": RECORD_FIELDS, "show": display,
        "double": double_screening(request), "votes": votes,
        "my_vote": next((v for v in votes if v.actor == viewer.name), None),
        "conflict": len({v.verdict for v in votes}) > 1,
    }, viewer=viewer)


def _candidate_context(session: Any, candidate: Candidate) -> dict[str, Any]:
    sources = session.query(Source).filter(Source.candidate_id == candidate.id).order_by(
        Source.id).all()
    primary = [s for s in sources if s.id == candidate.primary_source_id]
    ordered = primary + [s for s in sources if s not in primary]
    evidence = {name: [(source, source.evidence[name]) for source in ordered
                       if isinstance(source.evidence, dict)
                       and isinstance(source.evidence.get(name), dict)]
                for name in RECORD_FIELDS}
    editions = session.query(Edition).filter(Edition.candidate_id == candidate.id).order_by(
        Edition.start_date, Edition.id).all()
    return {
        "c": candidate, "sources": ordered, "evidence": evidence, "editions": editions,
        "found_by": {source.id: service.found_by(session, source) for source in ordered},
        "history": service.history(session, candidate.id),
    }


def _neighbours(order: list[int], current: int) -> tuple[int | None, int | None]:
    if current not in order:
        return None, (order[0] if order else None)
    index = order.index(current)
    return (order[index - 1] if index > 0 else None,
            order[index + 1] if index + 1 < len(order) else None)


def _after_decision(candidate_id: int, next_id: int | None, query: str) -> str:
    """Where a decision lands: the next training of the queue, else the queue."""
    suffix = f"?{query}" if query else ""
    if next_id is not None and next_id != candidate_id:
        return f"/candidates/{next_id}{suffix}"
    return f"/queue{suffix}"


def _queue_from_form(query: str) -> str:
    return queue_query(dict(parse_qsl(query[:500])))


@router.post("/candidates/{candidate_id}/decide")
def decide(request: Request, candidate_id: Id, verdict: FormText = "", reason: FormText = "",
           csrf: FormText = "", queue: FormText = "") -> Response:
    viewer = require_change(request, csrf)
    query = _queue_from_form(queue)
    flt = reviewer_filter(request, dict(parse_qsl(query)), viewer)
    with database_of(request).transaction() as session:
        _, next_id = _neighbours(service.queue_ids(session, flt), candidate_id)
        service.screen(session, candidate_id, verdict, viewer.name, reason,
                       double=double_screening(request))
    return see_other(_after_decision(candidate_id, next_id, query))


@router.post("/candidates/{candidate_id}/edit")
def edit(request: Request, candidate_id: Id, field: FormText = "", value: FormText = "",
         csrf: FormText = "", queue: FormText = "") -> Response:
    viewer = require_change(request, csrf)
    with database_of(request).transaction() as session:
        service.edit_field(session, candidate_id, field, value, viewer.name)
    return see_other(_back(candidate_id, queue))


@router.post("/candidates/{candidate_id}/notes")
def note(request: Request, candidate_id: Id, text: FormText = "", csrf: FormText = "",
         queue: FormText = "") -> Response:
    viewer = require_change(request, csrf)
    with database_of(request).transaction() as session:
        service.add_note(session, candidate_id, text, viewer.name)
    return see_other(_back(candidate_id, queue))


@router.post("/candidates/{candidate_id}/tags")
def tag(request: Request, candidate_id: Id, tag: FormText = "", csrf: FormText = "",
        queue: FormText = "") -> Response:
    viewer = require_change(request, csrf)
    with database_of(request).transaction() as session:
        service.add_tag(session, candidate_id, tag, viewer.name)
    return see_other(_back(candidate_id, queue))


@router.post("/undo")
def undo(request: Request, csrf: FormText = "", queue: FormText = "") -> Response:
    viewer = require_change(request, csrf)
    with database_of(request).transaction() as session:
        entry = service.undo_last(session, viewer.name)
        candidate_id = entry.candidate_id
    return see_other(_back(candidate_id, queue))


def _back(candidate_id: int, queue: str) -> str:
    query = _queue_from_form(queue)
    return f"/candidates/{candidate_id}" + (f"?{query}" if query else "")


# --- duplicates ----------------------------------------------------------------------


@router.get("/duplicates")
def duplicates_page(request: Request) -> Response:
    viewer = require_viewer(request)
    with database_of(request).session() as session:
        pairs = [(pair, session.get(Candidate, pair.candidate_a_id),
                  session.get(Candidate, pair.candidate_b_id))
                 for pair in service.open_pairs(session)]
    return render(request, "duplicates.html", {"pairs": pairs}, viewer=viewer)


@router.get("/duplicates/{pair_id}")
def pair_page(request: Request, pair_id: Id) -> Response:
    viewer = require_viewer(request)
    with database_of(request).session() as session:
        pair = service.get_pair(session, pair_id)
        first = session.get(Candidate, pair.candidate_a_id,
                            options=[selectinload(Candidate.sources)])
        second = session.get(Candidate, pair.candidate_b_id,
                             options=[selectinload(Candidate.sources)])
        differing = set(service.differing_fields(first, second)) if first and second else set()
    return render(request, "pair.html", {
        "pair": pair, "a": first, "b": second, "differing": differing,
        "fields": RECORD_FIELDS}, viewer=viewer)


@router.post("/duplicates/{pair_id}/resolve")
def resolve_pair(request: Request, pair_id: Id, verdict: FormText = "", keep: FormText = "a",
                 csrf: FormText = "") -> Response:
    viewer = require_change(request, csrf)
    with database_of(request).transaction() as session:
        service.resolve_pair(session, pair_id, verdict, viewer.name, keep)
        remaining = service.open_pairs(session, limit=1)
    return see_other(f"/duplicates/{remaining[0].id}" if remaining else "/duplicates")


@router.get("/conflicts")
def conflicts_page(request: Request) -> Response:
    """Blind double screening: trainings whose two voters disagree."""
    viewer = require_viewer(request)
    with database_of(request).session() as session:
        found = service.conflicts(session)
    return render(request, "conflicts.html", {"conflicts": found}, viewer=viewer)


# --- admin ---------------------------------------------------------------------------


@router.get("/admin")
def admin_page(request: Request) -> Response:
    viewer = require_viewer(request)
    if not viewer.is_admin:
        raise Forbidden("Only an admin can see this page")
    with database_of(request).session() as session:
        reasons = service.reasons(session)
        people = auth.users(session)
    return render(request, "admin.html", {"reasons": reasons, "users": people}, viewer=viewer)


@router.post("/admin/reasons")
def add_reason(request: Request, text: FormText = "", csrf: FormText = "") -> Response:
    viewer = require_change(request, csrf, admin=True)
    with database_of(request).transaction() as session:
        service.add_reason(session, text, viewer.name)
    return see_other("/admin")


@router.post("/admin/users")
def add_user(request: Request, name: FormText = "", password: FormText = "",
             role: FormText = "reviewer", csrf: FormText = "") -> Response:
    require_change(request, csrf, admin=True)
    with database_of(request).transaction() as session:
        auth.add_user(session, name, password, role)
    return see_other("/admin")
