"""The review app: ``create_app(database)`` returns the ASGI application.

Rules that hold for every route (RELIABILITY.md scenarios 24 and 26):

- every response carries a Content-Security-Policy that allows only our own
  script file (no inline script), and other hardening headers;
- state changes are POST only (a GET on them gets 405 from the router), need a
  logged-in session, and a CSRF token bound to that session (form field ``csrf``
  or header ``X-CSRF-Token``); a request that fails any check changes nothing;
- admin actions check the role on the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from db.session import Database
from pipeline.errors import OfferMapError
from review import auth
from review.fields import InvalidInput
from review.render import STATIC, environment
from review.service import Conflict, NotFound, ensure_default_reasons

SESSION_COOKIE = "offermap_session"
LOGIN_CSRF_COOKIE = "offermap_login_csrf"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class Viewer:
    """The logged-in user of one request (plain values, usable after the session)."""

    id: int
    name: str
    role: str
    csrf: str
    previous_login_at: datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Unauthenticated(Exception):
    """No valid session."""


class Forbidden(Exception):
    """Logged in, but the CSRF token, the origin or the role does not allow this."""


def create_app(database: Database, *, double_screening: bool = False) -> FastAPI:
    """The app; with ``double_screening`` every verdict is a blind vote and two
    agreeing votes decide (conflicts go to a third reviewer)."""
    app = FastAPI(title="offermap review", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.database = database
    app.state.double_screening = double_screening
    app.state.templates = environment()
    with database.transaction() as session:
        ensure_default_reasons(session)

    _add_security_headers(app)
    _add_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    from review import api, web

    app.include_router(web.router)
    app.include_router(api.router, prefix="/api")
    return app


# --- headers and errors --------------------------------------------------------------


def _add_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers(request: Request,
                      call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _add_error_handlers(app: FastAPI) -> None:
    statuses: list[tuple[type[Exception], int]] = [
        (Unauthenticated, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409),
        (InvalidInput, 422), (auth.Throttled, 429), (OfferMapError, 400)]
    for kind, status in statuses:
        app.add_exception_handler(kind, _handler(status))
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]


def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    """The router's own errors (unknown page, wrong method): JSON under /api, the
    error page elsewhere."""
    headers = dict(error.headers or {})
    if _is_api(request) or request.url.path.startswith("/static/"):
        return JSONResponse({"detail": error.detail}, status_code=error.status_code,
                            headers=headers)
    message = {404: "No such page", 405: "This page does not accept that request"}.get(
        error.status_code, str(error.detail))
    response = render(request, "error.html", {"message": message,
                                              "status": error.status_code},
                      status=error.status_code)
    response.headers.update(headers)
    return response


def _handler(status: int) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, error: Exception) -> Response:
        message = str(error) or {401: "Please log in", 403: "Not allowed",
                                 429: "Too many failed logins; wait a few minutes"}.get(
                                     status, "Error")
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        if status == 401:
            return RedirectResponse("/login", status_code=303)
        return render(request, "error.html", {"message": message, "status": status},
                      status=status)

    return handle


# --- sessions, users and CSRF --------------------------------------------------------


def database_of(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


def current_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with database_of(request).session() as session:
        found = auth.find_session(session, token)
        if found is None:
            return None
        row, user = found
        return Viewer(user.id, user.name, user.role, row.csrf_token, user.previous_login_at)


def require_viewer(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise Unauthenticated()
    return viewer


def require_change(request: Request, token: str | None, *, admin: bool = False) -> Viewer:
    """The viewer allowed to make this change, or an exception that changes nothing."""
    viewer = require_viewer(request)
    check_origin(request)
    given = token or request.headers.get("x-csrf-token")
    if not auth.tokens_match(viewer.csrf, given):
        raise Forbidden("Missing or wrong CSRF token; reload the page and try again")
    if admin and not viewer.is_admin:
        raise Forbidden("Only an admin can do this")
    return viewer


def check_origin(request: Request) -> None:
    """A browser's Origin (when sent) must be this site: a second line behind CSRF."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin.rstrip("/") != expected:
            raise Forbidden("Cross-site request refused")


def render(request: Request, template: str, context: dict[str, Any], *,
           status: int = 200, viewer: Viewer | None = None) -> HTMLResponse:
    viewer = viewer if viewer is not None else current_viewer(request)
    html = request.app.state.templates.get_template(template).render(
        viewer=viewer, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/",
                        max_age=int(auth.SESSION_LIFETIME.total_seconds()))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def in_transaction(request: Request) -> Any:
    return database_of(request).transaction()


__all__ = ["Session", "Viewer", "create_app"]
