"""Relevance verdicts and the scoreboard, on pages written here."""

from __future__ import annotations

import json

from extractors.taxonomy import load_taxonomy_dict
from pipeline.evaluation import PageResult, Scoreboard
from pipeline.relevance import assess

COURSE = """<html lang="en"><head><title>Co-creation for city staff - Civic Academy</title>
</head><body><main><h1>Workshop: Co-creation for city staff</h1>
<dl><dt>Date</dt><dd>Tuesday 14 October 2025</dd><dt>Location</dt>
<dd>Town Hall, Room 2.01, Marktplatz 1, 50667 Köln</dd><dt>Fee</dt><dd>EUR 120</dd></dl>
<h2>Learning outcomes</h2><p>You will learn to plan participatory processes with residents.
Register before 1 October.</p></main></body></html>"""

NEWS = """<html lang="en"><head><title>Team wins derby after extra training - Daily</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"Team wins derby after extra training"}</script>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Event",
"name":"Hunting dog seminar","startDate":"2025-03-01"}</script></head>
<body><article><h1>Team wins derby after extra training</h1><p>The coach said the extra
training sessions paid off on Saturday.</p></article></body></html>"""


def test_course_page_is_a_kept_offer(extract, taxonomy):
    page = extract(COURSE)
    record = page.records[0]
    verdict = assess(page, record, taxonomy)

    assert verdict.is_offer and verdict.on_theme and verdict.keep
    assert "format workshop in title" in verdict.reasons
    assert "date found" in verdict.reasons
    assert record.get("fee_amount") == 120 and record.get("fee_currency") == "EUR"
    assert record.get("modality") == "in_presence"


def test_theme_is_required_unless_switched_off(extract, taxonomy):
    page = extract(COURSE.replace("Co-creation", "Spreadsheet").replace("participatory", "tidy"))
    record = page.records[0]

    assert not assess(page, record, taxonomy).keep
    assert assess(page, record, taxonomy, require_theme=False).keep


def test_sidebar_event_on_news_page_is_not_an_offer(extract, taxonomy):
    page = extract(NEWS)
    verdicts = [assess(page, record, taxonomy, require_theme=False) for record in page.records]

    assert verdicts and not any(v.is_offer for v in verdicts)
    assert any(r.startswith("veto: event markup beside a news article") for r in
               verdicts[0].reasons)


def test_explicitly_not_a_training(extract, taxonomy):
    html = COURSE.replace("Workshop: ", "").replace(
        "Learning outcomes", "Walk-in session. Please note: this is not a training")
    page = extract(html)

    assert page.records[0].get("format") == "other"
    assert not assess(page, page.records[0], taxonomy, require_theme=False).is_offer


def test_load_taxonomy_dict_builds_tuples():
    taxonomy = load_taxonomy_dict({"theme": ["Co-Creation "], "formats": {"mooc": "MOOC"},
                                   "topics": None})

    assert taxonomy.theme == ("co-creation",)
    assert taxonomy.formats == {"mooc": ("mooc",)}
    assert taxonomy.topics == {}


def test_scoreboard_dict_and_table():
    board = Scoreboard()
    board.add(PageResult("a.html", "training", 1, True, {"title": True, "fee": None}))
    board.add(PageResult("b.html", "not_offer", 1, False, {}))
    board.add(PageResult("c.html", "training", 0, False, {"title": False}))
    summary = board.as_dict()

    assert summary["pages"] == 3
    assert summary["fields"]["title"] == {"correct": 1, "total": 2}
    assert summary["relevance"] == {"precision": 0.5, "recall": 0.5}
    assert "title" in board.render() and json.dumps(summary)
