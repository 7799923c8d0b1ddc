"""Scenarios 24 and 26 of RELIABILITY.md and case B28, against the app served for real.

Scraped text is hostile: no script, event handler or non-http(s) link from data may
reach a page; every response has a CSP; a state change needs a session, POST and
its CSRF token, and a refused request records nothing.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from db.models import Candidate, Decision, FieldChange
from db.review_models import Note, Reason, Tag
from tests.conftest import run_offermap
from tests.review.conftest import (
    B28_TITLE,
    PASSWORD,
    Client,
    LiveServer,
    Seeded,
    client_for,
)

OUR_SCRIPT = "/static/review.js"
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster",
                  "background", "srcset"}


class Audit(HTMLParser):
    """Every script element, event-handler attribute and non-http(s) URL of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.bad_urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src") != OUR_SCRIPT:
            self.scripts.append(str(values))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in URL_ATTRIBUTES and value is not None:
                # Browsers drop whitespace and control characters before the scheme.
                squeezed = re.sub(r"[\x00-\x20]", "", value)
                scheme = SCHEME.match(squeezed)
                if scheme and scheme.group(1).lower() not in ("http", "https"):
                    self.bad_urls.append((tag, value))

    handle_startendtag = handle_starttag


def audit(html: str) -> Audit:
    parser = Audit()
    parser.feed(html)
    parser.close()
    return parser


def assert_csp(response: object) -> None:
    csp = response.headers.get("content-security-policy", "")  # type: ignore[attr-defined]
    assert csp, f"no CSP on {response.url}"  # type: ignore[attr-defined]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and "'unsafe-inline'" not in script_src.group(1), csp
    assert "'unsafe-eval'" not in csp


def page_paths(seeded: Seeded) -> list[str]:
    return ["/queue", "/queue?status=all", "/queue?duplicates=1",
            f"/candidates/{seeded.hostile_id}", f"/candidates/{seeded.plain_ids[0]}",
            "/duplicates", f"/duplicates/{seeded.pair_id}", "/admin", "/candidates/99999"]


def test_hostile_data_never_becomes_script_handler_or_link(
        live: LiveServer, seeded: Seeded) -> None:
    admin = client_for(live, "adam")
    for path in page_paths(seeded):
        response = admin.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        found = audit(response.text)
        assert found.scripts == [], (path, found.scripts)
        assert found.handlers == [], (path, found.handlers)
        assert found.bad_urls == [], (path, found.bad_urls)
        assert_csp(response)
        lowered = response.text.lower()
        # Escaped text may show "onerror=" literally; raw markup may not hold these.
        assert lowered.count("<script") == 1, path  # ours: /static/review.js
        for needle in ('href="javascript:', 'href="data:', 'src="javascript:', "\x1b"):
            assert needle not in lowered, (path, needle)


def test_b28_title_escaped_once_description_kept_url_as_text(
        live: LiveServer, seeded: Seeded) -> None:
    page = client_for(live, "rita").get(f"/candidates/{seeded.hostile_id}").text
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;Intro to GIS" in page
    assert "&amp;lt;" not in page  # escaped once, not twice
    assert "<p>Great course</p>" in page
    assert 'href="https://uni.example.org/gis"' in page
    assert '<span class="not-link">javascript:alert(1)</span>' in page
    # The sanitised description fragment itself holds none of B28's needles.
    fragment = re.search(r'<div class="description">(.*?)</div>', page, re.DOTALL)
    assert fragment
    for needle in ("<script", "onerror=", 'href="javascript:', 'href="data:',
                   'src="javascript:', "onload="):
        assert needle not in fragment.group(1).lower(), needle


def test_every_response_has_a_csp(live: LiveServer, seeded: Seeded) -> None:
    anonymous = client_for(live)
    for path in ["/login", "/queue", "/static/review.js", "/static/review.css",
                 "/api/openapi.json", "/api/candidates", "/nowhere", "/docs"]:
        assert_csp(anonymous.get(path))
    assert_csp(anonymous.post("/candidates/1/decide", data={"verdict": "include"}))


def test_cli_show_strips_escape_sequences(seeded_sqlite: Seeded) -> None:
    database = seeded_sqlite.database
    result = run_offermap("review", "show", str(seeded_sqlite.hostile_id),
                          "--db", database.url)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "Intro to GIS" in result.stdout


# --- scenario 26: CSRF, methods, sessions, roles ------------------------------------


def decisions(seeded: Seeded) -> int:
    with seeded.database.session() as session:
        return session.scalar(select(func.count(Decision.id))) or 0


def untouched(seeded: Seeded) -> None:
    with seeded.database.session() as session:
        statuses = set(session.scalars(select(Candidate.status)))
        assert statuses == {"pending"}
        assert session.scalar(select(func.count(Decision.id))) == 0
        assert session.scalar(select(func.count(FieldChange.id))) == 0
        assert session.scalar(select(func.count(Note.id))) == 0
        assert session.scalar(select(func.count(Tag.id))) == 0


def state_changes(seeded: Seeded) -> list[tuple[str, dict[str, str], dict[str, object]]]:
    """Every state-changing web form and API call, with a valid body."""
    cid, pair = seeded.plain_ids[0], seeded.pair_id
    return [
        (f"/candidates/{cid}/decide", {"verdict": "include"}, {}),
        (f"/candidates/{cid}/decide", {"verdict": "exclude", "reason": "off theme"}, {}),
        (f"/candidates/{cid}/edit", {"field": "title", "value": "x"}, {}),
        (f"/candidates/{cid}/notes", {"text": "n"}, {}),
        (f"/candidates/{cid}/tags", {"tag": "t"}, {}),
        (f"/duplicates/{pair}/resolve", {"verdict": "same", "keep": "a"}, {}),
        ("/undo", {}, {}),
        (f"/api/candidates/{cid}/decision", {}, {"verdict": "include"}),
        (f"/api/candidates/{cid}/fields", {}, {"field": "title", "value": "x"}),
        (f"/api/candidates/{cid}/notes", {}, {"text": "n"}),
        (f"/api/candidates/{cid}/tags", {}, {"tag": "t"}),
        (f"/api/duplicates/{pair}", {}, {"verdict": "not_same"}),
        ("/api/undo", {}, {}),
    ]


def send(client: Client, path: str, form: dict[str, str], body: dict[str, object], *,
         token: str | None, headers: dict[str, str] | None = None) -> int:
    headers = dict(headers or {})
    if path.startswith("/api"):
        if token is not None:
            headers["X-CSRF-Token"] = token
        return client.post(path, json=body, headers=headers).status_code
    data = {**form, **({"csrf": token} if token is not None else {})}
    return client.post(path, data=data, headers=headers).status_code


def test_missing_or_wrong_csrf_token_gets_403_and_records_nothing(
        live: LiveServer, seeded: Seeded) -> None:
    rita, vera = client_for(live, "rita"), client_for(live, "vera")
    for path, form, body in state_changes(seeded):
        for token in (None, "", "forged-token", vera.csrf):
            assert send(rita, path, form, body, token=token) == 403, (path, token)
        cross_site = {"Origin": "https://evil.example"}
        assert send(rita, path, form, body, token=rita.csrf, headers=cross_site) == 403
    untouched(seeded)
    with seeded.database.session() as session:
        pair_status = session.scalar(select(func.count()).where(
            Candidate.merged_into_id.is_not(None)))
    assert pair_status == 0


def test_get_on_a_state_change_is_405(live: LiveServer, seeded: Seeded) -> None:
    rita = client_for(live, "rita")
    for path, _form, _body in state_changes(seeded):
        assert rita.get(path + f"?csrf={rita.csrf}&verdict=include").status_code == 405, path
    for path in ("/logout", "/admin/reasons", "/admin/users", "/api/reasons"):
        assert rita.request("GET" if path != "/api/reasons" else "PUT",
                            path).status_code == 405, path
    untouched(seeded)


def test_unauthenticated_requests_change_nothing(live: LiveServer, seeded: Seeded) -> None:
    rita = client_for(live, "rita")
    stolen_token = rita.csrf
    anonymous = client_for(live)
    for path, form, body in state_changes(seeded):
        status = send(anonymous, path, form, body, token=stolen_token)
        assert status in (401, 303), (path, status)
        if status == 303:
            assert anonymous.post(path, data=form).headers["location"] == "/login"
    assert anonymous.get("/api/candidates").status_code == 401
    assert anonymous.get(f"/candidates/{seeded.hostile_id}").status_code == 303
    forged = client_for(live)
    forged.cookies.set("offermap_session", "not-a-session")
    assert forged.get("/api/me").status_code == 401
    untouched(seeded)


def test_after_logout_the_session_is_dead(live: LiveServer, seeded: Seeded) -> None:
    rita = client_for(live, "rita")
    cookie = rita.cookies.get("offermap_session")
    assert rita.post("/logout", data={"csrf": rita.csrf}).status_code == 303
    replay = client_for(live)
    replay.cookies.set("offermap_session", cookie or "")
    assert replay.get("/api/me").status_code == 401


def test_a_reviewer_cannot_do_an_admins_action(live: LiveServer, seeded: Seeded) -> None:
    rita, adam = client_for(live, "rita"), client_for(live, "adam")
    with seeded.database.session() as session:
        before = session.scalar(select(func.count(Reason.id)))
    assert rita.get("/admin").status_code == 403
    assert rita.post("/admin/reasons", data={"text": "x", "csrf": rita.csrf}).status_code == 403
    assert rita.post("/admin/users", data={"name": "mallory", "password": PASSWORD,
                                           "role": "admin", "csrf": rita.csrf}).status_code == 403
    assert rita.post("/api/reasons", json={"text": "x"},
                     headers={"X-CSRF-Token": rita.csrf}).status_code == 403
    assert client_for(live).login("mallory").status_code == 401
    with seeded.database.session() as session:
        assert session.scalar(select(func.count(Reason.id))) == before

    assert adam.get("/admin").status_code == 200
    assert adam.post("/admin/reasons", data={"text": "paid only", "csrf": adam.csrf}
                     ).status_code == 303
    assert adam.post("/api/reasons", json={"text": "in the past"},
                     headers={"X-CSRF-Token": adam.csrf}).status_code == 200
    assert "paid only" in rita.get("/api/reasons").json()


def test_session_cookie_flags(live: LiveServer, seeded: Seeded) -> None:
    client = client_for(live)
    response = client.login("rita")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    # Behind a TLS-terminating proxy the cookie is Secure.
    https = client_for(live)
    form = https.get("/login", headers={"X-Forwarded-Proto": "https"})
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    https.cookies.set("offermap_login_csrf", form.cookies.get("offermap_login_csrf") or "")
    secure = https.post("/login", headers={"X-Forwarded-Proto": "https"},
                        data={"name": "rita", "password": PASSWORD, "csrf": token.group(1)})
    assert secure.status_code == 303
    assert "secure" in secure.headers["set-cookie"].lower()


def test_login_needs_its_own_csrf_token(live: LiveServer, seeded: Seeded) -> None:
    client = client_for(live)
    response = client.post("/login", data={"name": "rita", "password": PASSWORD})
    assert response.status_code == 403
    assert "offermap_session" not in client.cookies


def test_failed_logins_are_throttled(live: LiveServer, seeded: Seeded) -> None:
    client = client_for(live)
    for _ in range(5):
        assert client.login("rita", "wrong password").status_code == 401
    assert client.login("rita").status_code == 429  # even with the right password
    assert client.login("vera").status_code == 429  # same address
    assert client_for(live).get("/api/me").status_code == 401


@pytest.mark.parametrize("payload", [B28_TITLE, "<svg onload=alert(1)>"])
def test_hostile_user_input_is_escaped_too(live: LiveServer, seeded: Seeded,
                                           payload: str) -> None:
    rita = client_for(live, "rita")
    cid = seeded.plain_ids[0]
    for path, data in ((f"/candidates/{cid}/notes", {"text": payload}),
                       (f"/candidates/{cid}/tags", {"tag": payload}),
                       (f"/candidates/{cid}/edit", {"field": "url", "value": payload})):
        assert rita.post(path, data={**data, "csrf": rita.csrf}).status_code == 303
    page = rita.get(f"/candidates/{cid}")
    found = audit(page.text)
    assert (found.scripts, found.handlers, found.bad_urls) == ([], [], [])
