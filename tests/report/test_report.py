"""`offermap report`: the study's numbers, sentences, links, flow, changes and charts."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import pytest

from db.session import Database
from pipeline.report import Report, build_report, country_of, share
from tests.conftest import run_offermap
from tests.export.helpers import offermap
from tests.report.study import ACCEPTED, HOSTILE_TITLE, fill_study

STUDY_SENTENCES = [
    "34 of the 45 trainings (75.56 %) are online.",
    "11 of the 45 trainings (24.44 %) are in presence.",
    "9 of the 45 trainings (20 %) cover diversity or inclusiveness.",
]
REVIEW = "http://127.0.0.1:8000"


class Links(HTMLParser):
    """Every link of a page as (text, href)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.found.append(("".join(self._text).strip(), self._href))
            self._href = None


def visible_text(page: str) -> str:
    """The page's text with tags removed and whitespace collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).replace(
        " .", ".").replace("( ", "(").replace(" )", ")")


def write(db_url: str, out: Path, *args: str) -> tuple[str, str]:
    result = offermap("report", "--db", db_url, "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return ((out / "report.html").read_text(encoding="utf-8"),
            (out / "report.md").read_text(encoding="utf-8"))


def study_report(db_url: str) -> Report:
    with Database(db_url).session() as session:
        return build_report(session)


# --- the study's numbers --------------------------------------------------------------


def test_study_shares_in_html_and_markdown(study_db: str, tmp_path: Path) -> None:
    page, markdown = write(study_db, tmp_path / "report", "--no-charts")
    text = visible_text(page)
    for sentence in STUDY_SENTENCES:
        assert sentence in text
        assert f"- {sentence} [" in markdown
    assert "| online | 34 | 75.56 % | `status=accepted, modality=online` |" in markdown
    assert "| in presence | 11 | 24.44 % | `status=accepted, modality=in_presence` |" in markdown
    assert "| covers diversity or inclusiveness | 9 | 20 % |" in markdown


@pytest.mark.parametrize(("part", "whole", "expected"), [
    (34, 45, "75.56"), (11, 45, "24.44"), (9, 45, "20"), (1, 8, "12.5"), (2, 3, "66.67"),
    (1, 200, "0.5"), (1, 3, "33.33"), (0, 0, "0"), (45, 45, "100"),
], ids=["online", "in-presence", "diversity", "one-decimal", "round-up", "half", "thirds",
        "empty", "all"])
def test_share_rounds_half_up_to_two_decimals(part: int, whole: int, expected: str) -> None:
    assert share(part, whole) == expected


def test_every_number_links_to_the_entries_behind_it(study_db: str, tmp_path: Path) -> None:
    page, _ = write(study_db, tmp_path / "report", "--no-charts",
                    "--review-url", "https://review.example.org/")
    parser = Links()
    parser.feed(page)
    links: dict[str, str] = {}
    for text, href in parser.found:  # the first link of each text: findings come first
        links.setdefault(text, href)

    base = "https://review.example.org/queue?status=accepted"
    assert links["34"] == f"{base}&modality=online"
    assert links["75.56 %"] == f"{base}&modality=online"
    assert links["11"] == f"{base}&modality=in_presence"
    assert links["20 %"].startswith(base)
    assert links["45"] == base
    numbers = [text for text, _ in parser.found if re.fullmatch(r"[\d.]+( %)?", text)]
    assert len(numbers) > 100
    # no number in a table cell or sentence is left without its link
    assert not re.search(r'<td class="n">\s*\d', page)


def test_markdown_names_each_number_s_filter(study_db: str, tmp_path: Path) -> None:
    _, markdown = write(study_db, tmp_path / "report", "--no-charts")
    line = next(line for line in markdown.splitlines() if STUDY_SENTENCES[0] in line)
    assert line.endswith("[`status=accepted, modality=online`]")
    assert "| — — not a training: conference | 3 | `status=rejected, reason=not a training: " \
           "conference` |" in markdown


def test_breakdowns_cover_every_descriptor_of_the_study(study_db: str) -> None:
    report = study_report(study_db)
    counts = {breakdown.key: {cell.value: cell.count for cell in breakdown.cells}
              for breakdown in [*report.breakdowns, report.signals]}

    assert counts["modality"] == {"online": 34, "in_presence": 11}
    assert counts["inclusivity"] == {"true": 9, "false": 36}
    assert counts["provider_category"]["university"] == 16
    assert counts["verticals"] == {"mobility": 30, "energy": 15, "none": 15}
    assert counts["country"] == {"DE": 9, "IT": 9, "ES": 9, UNKNOWN_COUNTRY: 18}
    assert counts["is_free"] == {"true": 12, "false": 33}
    assert counts["recurring"] == {"true": 4, "false": 41}  # 3 found twice, 1 in a series
    assert counts["signal"]["participatory_methods"] == ACCEPTED
    assert set(counts) >= {"format", "language", "edition_status"}


UNKNOWN_COUNTRY = "unknown"


@pytest.mark.parametrize(("url", "country"), [
    ("https://www.uni-example.de/kurs", "DE"), ("https://example.co.uk/x", "GB"),
    ("https://example.org/", "unknown"), ("https://europa.eu/", "unknown"),
    ("https://startup.io/", "unknown"), ("not a url", "unknown"), (None, "unknown"),
])
def test_country_comes_from_the_country_domain(url: str | None, country: str) -> None:
    assert country_of(url) == country


# --- the flow -----------------------------------------------------------------------


def test_flow_from_identified_to_included(study_db: str) -> None:
    flow = study_report(study_db).flow
    identified = {cell.label: cell.count for cell in flow.by_backend + flow.by_site}

    assert flow.identified.count == 53 == sum(identified.values())  # 50 candidates + 3 again
    assert identified == {"searxng": 19, "brave": 17, "Eurocities academy": 17}
    assert flow.duplicates.count == 3
    assert flow.trainings.count == 50
    # screened: decided by a reviewer; the pending one is awaiting review, not screened
    assert flow.screened.count == 49
    assert (flow.pending.count, flow.excluded.count, flow.maybe.count,
            flow.included.count) == (1, 4, 0, 45)
    assert [(cell.label, cell.count) for cell in flow.excluded_by_reason] == [
        ("not a training: conference", 3), ("past, 2019", 1)]
    assert flow.previous_total and flow.new and flow.new_included
    assert (flow.previous_total.count, flow.new.count, flow.new_included.count) == (40, 10, 5)


def test_report_on_postgresql_too(database_url: str) -> None:
    fill_study(database_url)
    report = study_report(database_url)
    assert [sentence.text for sentence in report.sentences
            if sentence.cell.value in ("online", "in_presence")] == STUDY_SENTENCES[:2]
    assert report.flow.identified.count == 53


# --- hostile data -------------------------------------------------------------------


def test_hostile_titles_are_shown_as_text(study_db: str, tmp_path: Path) -> None:
    page, markdown = write(study_db, tmp_path / "report", "--no-charts")
    assert "<script>window" not in page and "&lt;script&gt;window.__pwned" in page
    assert page.count("<script") == 0
    assert HOSTILE_TITLE in visible_text(page)
    assert "\\<script\\>window.\\_\\_pwned = 1\\</script\\> Co-creation lab " \
           "\\[x\\](javascript:1) \\*bold\\*" in markdown


# --- changes since the previous report ------------------------------------------------


def test_second_report_says_what_changed(study_db: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    first_page, first_md = write(study_db, out, "--no-charts")
    assert "This is the first report in this folder." in first_md
    pending = 50  # the last candidate of the fixture, still pending
    assert offermap("accept", str(pending), "--db", study_db).exit_code == 0
    assert offermap("reject", "1", "--db", study_db, "--reason", "duplicate").exit_code == 0

    page, markdown = write(study_db, out, "--no-charts")

    assert "counted 45\naccepted trainings; this one counts 45." in markdown
    assert "Added (1):\n\n- \\#50 Unreviewed" in markdown
    assert "No longer accepted (1):\n\n- \\#1 Citizen engagement training 0" in markdown
    assert "| Online or in presence | online | 34 | 33 |" in markdown
    assert "Added (1)" in visible_text(page)


def test_a_damaged_snapshot_does_not_stop_the_report(study_db: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "snapshot.json").write_text("{not json", encoding="utf-8")
    _, markdown = write(study_db, out, "--no-charts")
    assert "This is the first report in this folder." in markdown
    assert (out / "snapshot.json").read_text(encoding="utf-8").startswith("{")


def test_empty_database_gives_a_short_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    Database(url).dispose()
    _, markdown = write(url, tmp_path / "report")
    assert "No accepted trainings yet." in markdown
    assert not list((tmp_path / "report" / "charts").glob("*.png"))


# --- charts -------------------------------------------------------------------------


def test_charts_are_png_and_svg_and_embedded(study_db: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    page, markdown = write(study_db, out)

    for key in ("modality", "provider_category", "inclusivity", "verticals", "signal"):
        assert (out / "charts" / f"{key}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        root = ElementTree.parse(out / "charts" / f"{key}.svg").getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert page.count('src="data:image/png;base64,') == 11
    assert "![Online or in presence](charts/modality.png)" in markdown


def test_report_through_the_installed_command(study_db: str, tmp_path: Path) -> None:
    result = run_offermap("report", "--db", study_db, "--out", str(tmp_path / "r"),
                          "--no-charts")
    assert result.returncode == 0, result.stderr
    assert "(45 accepted trainings)" in result.stdout.replace("\n", " ")
    assert (tmp_path / "r" / "report.html").is_file()


@pytest.mark.parametrize("command", ["export", "report"])
def test_help_has_examples(command: str) -> None:
    result = offermap(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and f"offermap {command}" in result.output


def test_flow_keeps_maybe_and_does_not_count_pending_as_screened(study_db: str,
                                                                 tmp_path: Path) -> None:
    for candidate_id in ("44", "45"):  # two accepted trainings set aside as "maybe"
        assert offermap("review", "maybe", candidate_id, "--db", study_db).exit_code == 0
    flow = study_report(study_db).flow
    assert (flow.trainings.count, flow.pending.count, flow.screened.count) == (50, 1, 49)
    assert (flow.excluded.count, flow.maybe.count, flow.included.count) == (4, 2, 43)
    assert flow.excluded.count + flow.maybe.count + flow.included.count == flow.screened.count
    _, markdown = write(study_db, tmp_path / "report", "--no-charts")
    assert "| — maybe (to decide later) | 2 | `status=maybe` |" in markdown
    assert "| screened | 49 | `status=screened` |" in markdown
    assert "| awaiting review | 1 | `status=pending` |" in markdown
