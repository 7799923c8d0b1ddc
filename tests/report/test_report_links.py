"""Every number of the report opens the review app's queue filtered to exactly the
entries behind it: the report is generated on a seeded database, the app serves that
database for real, and each link is followed by a logged-in client whose queue must
count what the number says."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from db.session import Database
from review import auth, service
from tests.export.helpers import offermap
from tests.review.conftest import PASSWORD, LiveServer, client_for

QUEUE_NUMBERS = {unit: re.compile(rf'id="{name}">(\d+)<') for unit, name in
                 (("trainings", "total"), ("records", "records"),
                  ("duplicates", "duplicates"))}


class Numbers(HTMLParser):
    """Every ``a.num`` of the report: (text, href, data-n, data-unit)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, int, str]] = []
        self._open: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "a" and found.get("class") == "num":
            self._open, self._text = found, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.found.append(("".join(self._text).strip(), self._open["href"],
                               int(self._open["data-n"]), self._open["data-unit"]))
            self._open = None


def screen_a_few(url: str) -> None:
    """A reviewer and some decisions beyond the study's: two maybe, one pending left."""
    database = Database(url)
    with database.transaction() as session:
        service.ensure_default_reasons(session)
        auth.add_user(session, "rita", PASSWORD, "reviewer")
        service.decide(session, 44, "maybe", "rita")
        service.decide(session, 46, "maybe", "rita")
    database.dispose()


def test_every_report_number_opens_the_queue_with_that_many_entries(
        study_db: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert offermap("report", "--db", study_db, "--out", str(out), "--no-charts"
                    ).exit_code == 0
    screen_a_few(study_db)  # so the second report has changes to link too
    database = Database(study_db)
    with LiveServer(database) as server:
        result = offermap("report", "--db", study_db, "--out", str(out), "--no-charts",
                          "--review-url", server.url + "/")
        assert result.exit_code == 0, result.output
        parser = Numbers()
        parser.feed((out / "report.html").read_text(encoding="utf-8"))
        assert len(parser.found) > 100

        client = client_for(server, "rita")
        seen: dict[tuple[str, str], int] = {}
        for text, href, number, unit in parser.found:
            if not text.endswith("%"):
                assert text == str(number), (text, href)
            parts = urlsplit(href)
            assert f"{parts.scheme}://{parts.netloc}" == server.url
            assert parts.path == "/queue", href
            assert dict(parse_qsl(parts.query)).get("status"), href  # never the default
            if (href, unit) not in seen:
                response = client.get(f"{parts.path}?{parts.query}")
                assert response.status_code == 200, href
                match = QUEUE_NUMBERS[unit].search(response.text)
                assert match, href
                seen[(href, unit)] = int(match.group(1))
            assert seen[(href, unit)] == number, (text, href, unit)
        client.close()
    database.dispose()

    assert len(seen) > 40  # distinct filters, each checked against the app
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Online or in presence" in page.split('id="changes"')[1]  # a changes table
    assert not re.search(r'<td class="n">\s*\d', page)  # every number there is a link
    keys = {key for href, _ in seen for key, _ in parse_qsl(urlsplit(href).query)}
    assert keys >= {"status", "modality", "format", "provider_category", "language",
                    "is_free", "inclusivity", "verticals", "edition_status", "signal",
                    "country", "recurring", "reason", "found_by", "origin", "merged",
                    "first_seen_run", "first_seen_run_before"}
    statuses = {value for href, _ in seen for key, value in parse_qsl(urlsplit(href).query)
                if key == "status"}
    assert statuses == {"all", "accepted", "pending", "screened", "rejected", "maybe"}
