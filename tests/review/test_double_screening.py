"""Blind double screening: two reviewers vote independently; agreement decides, a
conflict goes to a third reviewer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db.models import Candidate
from db.review_models import ScreeningVote
from db.session import Database
from review import auth
from tests.review.conftest import PASSWORD, Client, LiveServer, Seeded, client_for
from tests.review.test_security import audit


@pytest.fixture
def blind(seeded_sqlite: Seeded) -> Iterator[LiveServer]:
    with seeded_sqlite.database.transaction() as session:
        auth.add_user(session, "theo", PASSWORD, "reviewer")
    server = LiveServer(seeded_sqlite.database)
    server.server.config.app.state.double_screening = True
    with server:
        yield server


def verdict(client: Client, candidate_id: int, body: dict[str, str]) -> str:
    response = client.post(f"/api/candidates/{candidate_id}/decision", json=body,
                           headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 200, response.text
    return str(response.json()["outcome"])


def status(database: Database, candidate_id: int) -> str:
    with database.session() as session:
        found = session.get(Candidate, candidate_id)
        assert found is not None
        return found.status


def test_agreement_decides_and_conflict_goes_to_a_third(blind: LiveServer,
                                                        seeded_sqlite: Seeded) -> None:
    database = seeded_sqlite.database
    rita, vera, theo = (client_for(blind, name) for name in ("rita", "vera", "theo"))
    agreed, disputed = seeded_sqlite.plain_ids[0], seeded_sqlite.hostile_id

    assert verdict(rita, agreed, {"verdict": "include"}) == "voted"
    assert status(database, agreed) == "pending"
    # Blind: the second reviewer sees neither the vote nor a decision.
    page = vera.get(f"/candidates/{agreed}").text
    assert "rita" not in page
    # The voter's own queue no longer offers it; the other's still does.
    assert f"/candidates/{agreed}" not in rita.get("/queue").text
    assert f"/candidates/{agreed}" in vera.get("/queue").text
    assert verdict(vera, agreed, {"verdict": "include"}) == "decided"
    assert status(database, agreed) == "accepted"

    assert verdict(rita, disputed, {"verdict": "include"}) == "voted"
    assert verdict(vera, disputed, {"verdict": "exclude", "reason": "off theme"}) == "conflict"
    assert status(database, disputed) == "pending"
    listed = theo.get("/api/conflicts").json()
    assert [c["id"] for c in listed] == [disputed]
    conflicts_page = theo.get("/conflicts")
    found = audit(conflicts_page.text)
    assert (found.scripts, found.handlers, found.bad_urls) == ([], [], [])
    # A voter cannot settle their own conflict; the third reviewer does.
    again = rita.post(f"/api/candidates/{disputed}/decision", json={"verdict": "include"},
                      headers={"X-CSRF-Token": rita.csrf})
    assert again.status_code == 200 and again.json()["outcome"] == "conflict"
    assert verdict(theo, disputed, {"verdict": "exclude", "reason": "off theme"}) == "resolved"
    assert status(database, disputed) == "rejected"
    with database.session() as session:
        assert len(session.scalars(select(ScreeningVote)).all()) == 4
