"""Extraction quality on the real pages in ../shared/realworld (not part of the repo).

Run ``pytest -s`` to see the per-field accuracy table.  The pages are read in place,
never copied.  Without the folder the tests skip, except in CI (``CI=true``), where a
missing corpus is a failure: a green run must have measured something.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extractors.taxonomy import Taxonomy
from pipeline.evaluation import Scoreboard, evaluate_corpus, field_is_correct, load_answers

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"
ANSWERS = CORPUS / "answers.jsonl"


def _require_corpus() -> None:
    if ANSWERS.is_file():
        return
    message = f"real-world corpus not found at {CORPUS}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def board(taxonomy: Taxonomy) -> Scoreboard:
    _require_corpus()
    result = evaluate_corpus(CORPUS, ANSWERS, taxonomy, require_theme=False)
    print()
    print(result.render())
    return result


def test_every_training_page_keeps_a_record_with_the_right_title(board: Scoreboard):
    training = [page for page in board.pages if page.kind == "training"]
    missed = [page.file for page in training if not page.kept_title_right]

    assert training
    assert missed == []


def test_no_not_offer_page_keeps_a_record(board: Scoreboard):
    negatives = [page for page in board.pages if page.kind == "not_offer"]
    kept = [page.file for page in negatives if page.kept]

    assert negatives
    assert kept == []


def test_scoreboard_covers_the_answer_key(board: Scoreboard):
    answers = load_answers(ANSWERS)
    pages = [name for name, answer in answers.items()
             if answer["kind"] in ("training", "event", "listing", "not_offer")]
    summary = board.as_dict()

    assert summary["pages"] == len(pages)
    assert set(summary["fields"]) == {"title", "provider", "start_date", "format", "modality",
                                      "fee", "language"}
    assert 0.0 <= summary["relevance"]["precision"] <= 1.0


def test_field_rules_match_the_readme():
    answer = {"kind": "training", "title": ["Programming in Python"],
              "provider": ["Leiden University Library"], "start_date": "2023-06-16",
              "fee": {"is_free": False, "amounts": [100, 500], "currency": "CHF"},
              "language": "en", "modality": None}

    assert field_is_correct("title", "programming  in PYTHON", answer)
    assert field_is_correct("provider", "Leiden University", answer)  # set ratio, 2 words
    assert not field_is_correct("provider", "Leiden", answer)
    assert field_is_correct("fee", {"is_free": False, "amount": 500.0, "currency": "CHF"},
                            answer)
    assert not field_is_correct("fee", {"is_free": False, "amount": 500.0, "currency": "EUR"},
                                answer)
    assert field_is_correct("modality", "online", answer) is None
    assert field_is_correct("title", "x", {"kind": "listing", "title": ["x"]}) is None
