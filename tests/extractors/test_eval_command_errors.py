"""``offermap eval`` never reports perfect scores over nothing: wrong input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.taxonomy import Taxonomy
from pipeline.evaluation import CorpusError, evaluate_corpus
from tests.conftest import run_offermap

PAGE = ("<html lang='en'><body><h1>Co-design workshop for city staff</h1>"
        "<p>Date: 3 May 2025</p><p>Fee: EUR 50</p></body></html>")


def _answers(folder: Path, rows: list[dict]) -> Path:
    path = folder / "answers.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _training(name: str) -> dict:
    return {"file": name, "kind": "training", "title": ["Co-design workshop for city staff"],
            "provider": None, "start_date": "2025-05-03", "format": "workshop",
            "modality": None, "fee": {"is_free": False, "amounts": [50], "currency": "EUR"},
            "language": "en"}


def test_eval_on_an_empty_folder_is_an_error(tmp_path: Path):
    answers = _answers(tmp_path, [_training("pages/a.html")])
    empty = tmp_path / "corpus"
    empty.mkdir()

    result = run_offermap("eval", "--corpus", str(empty), "--answers", str(answers), "--json")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "none of the 1 pages" in result.stderr and "1.000" not in result.stderr


def test_eval_with_a_file_that_is_no_answer_key_is_an_error(tmp_path: Path):
    not_a_key = tmp_path / "README.txt"
    not_a_key.write_text("These are the pages of the corpus.\n", encoding="utf-8")

    result = run_offermap("eval", "--corpus", str(tmp_path), "--answers", str(not_a_key))

    assert result.returncode == 2
    assert "not an answer key" in result.stderr


def test_eval_with_a_key_that_names_no_page_is_an_error(tmp_path: Path, taxonomy: Taxonomy):
    answers = _answers(tmp_path, [{"file": "x.html", "kind": "unknown"}])

    with pytest.raises(CorpusError, match="names no page"):
        evaluate_corpus(tmp_path, answers, taxonomy)


def test_eval_names_the_missing_pages_and_scores_the_rest(tmp_path: Path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.html").write_text(PAGE, encoding="utf-8")
    answers = _answers(tmp_path, [_training("pages/a.html"), _training("pages/gone.html")])

    result = run_offermap("eval", "--corpus", str(tmp_path), "--answers", str(answers),
                          "--json")

    assert result.returncode == 0, result.stderr
    assert "1 of 2 pages" in result.stderr and "pages/gone.html" in result.stderr
    figures = json.loads(result.stdout)
    assert figures["pages"] == 1
    assert figures["fields"]["title"] == {"correct": 1, "total": 1}


def test_table_shows_n_a_for_fields_never_scored(tmp_path: Path, taxonomy: Taxonomy):
    (tmp_path / "a.html").write_text(PAGE, encoding="utf-8")
    answers = _answers(tmp_path, [{"file": "a.html", "kind": "not_offer"}])

    table = evaluate_corpus(tmp_path, answers, taxonomy).render()

    assert "n/a" in table and "1.000" not in table
