"""Score extraction and relevance against the real-world answer key.

The rules are those of ``../shared/realworld/README.txt`` ("answers.jsonl - the
answer key, and how to score against it"):

* fields are scored over pages of kind ``training`` or ``event`` whose key for the
  field is not null;
* a text field is right when, after Unicode NFKC, case folding and collapsing white
  space, it equals an accepted value or has a rapidfuzz ``token_sort_ratio`` of at
  least 90 with one; a provider is also right at a ``token_set_ratio`` of 100 when it
  shares at least two words with an accepted name;
* dates must be equal;
* a fee is right when ``is_free`` agrees and, where ``amounts`` is given, the
  extracted amount is one of them (to the cent) in the same currency;
* relevance: positives are ``training`` pages, negatives ``not_offer`` pages;
  ``event`` and ``listing`` pages are left out of precision and recall.

The record scored for a page is its first kept record, else its first record: the
scorer never looks at the answer to choose among a page's records.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from extractors.page import extract_page
from extractors.taxonomy import Taxonomy
from extractors.types import Record
from pipeline.relevance import assess

__all__ = [
    "SCORED_FIELDS",
    "PageResult",
    "Scoreboard",
    "evaluate_corpus",
    "field_is_correct",
    "load_answers",
    "normalise",
]

#: The fields the answer key scores, in the order of the table.
SCORED_FIELDS: tuple[str, ...] = (
    "title", "provider", "start_date", "format", "modality", "fee", "language",
)
_SCORED_KINDS = ("training", "event")
_HEADERS = {"Content-Type": "text/html"}


def normalise(text: str) -> str:
    """NFKC, case folding and collapsed white space, as the scoring rules say."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def load_answers(path: str | Path) -> dict[str, dict[str, Any]]:
    """``answers.jsonl`` as ``{file: answer}``; blank lines are skipped."""
    answers: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                answer = json.loads(line)
                answers[answer["file"]] = answer
    return answers


def field_is_correct(name: str, extracted: Any, answer: dict[str, Any]) -> bool | None:
    """Whether ``extracted`` is right for field ``name``; ``None`` when not scored.

    ``extracted`` is the bare value for most fields; for ``fee`` it is a mapping with
    ``is_free``, ``amount`` and ``currency`` (a :class:`Record` is accepted too).
    """
    if answer.get("kind") not in _SCORED_KINDS:
        return None
    key = answer.get(name)
    if key is None:
        return None
    if name == "fee":
        return _fee_is_correct(_fee_view(extracted), key)
    if isinstance(extracted, Record):
        extracted = extracted.get(name)
    if extracted is None or extracted == "":
        return False
    if name == "start_date":
        value = extracted.isoformat() if isinstance(extracted, dt.date) else str(extracted)
        return value[:10] == str(key)[:10]
    accepted = key if isinstance(key, list) else [key]
    if name == "provider":
        text = str(extracted)
        return _text_matches(text, accepted) or _provider_matches(text, accepted)
    return _text_matches(str(extracted), accepted)


def _text_matches(value: str, accepted: list[Any]) -> bool:
    norm = normalise(value)
    for option in accepted:
        other = normalise(str(option))
        if norm == other or fuzz.token_sort_ratio(norm, other) >= 90:
            return True
    return False


def _provider_matches(value: str, accepted: list[Any]) -> bool:
    norm = normalise(value)
    words = set(re.findall(r"\w+", norm))
    for option in accepted:
        other = normalise(str(option))
        shared = words & set(re.findall(r"\w+", other))
        if len(shared) >= 2 and fuzz.token_set_ratio(norm, other) >= 100:
            return True
    return False


def _fee_view(extracted: Any) -> dict[str, Any]:
    if isinstance(extracted, Record):
        return {"is_free": extracted.get("is_free"), "amount": extracted.get("fee_amount"),
                "currency": extracted.get("fee_currency")}
    return extracted if isinstance(extracted, dict) else {}


def _fee_is_correct(view: dict[str, Any], key: dict[str, Any]) -> bool:
    if view.get("is_free") is None or bool(view["is_free"]) != bool(key.get("is_free")):
        return False
    amounts = key.get("amounts")
    if not amounts:
        return True
    amount = view.get("amount")
    if amount is None:
        return False
    currency = key.get("currency")
    if currency and str(view.get("currency") or "").upper() != str(currency).upper():
        return False
    return any(round(float(amount) * 100) == round(float(a) * 100) for a in amounts)


@dataclass(slots=True)
class PageResult:
    """What one page gave: its kind, the kept records' titles and field verdicts."""

    file: str
    kind: str
    kept: int
    kept_title_right: bool
    verdicts: dict[str, bool | None] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Scoreboard:
    """Per-field correct/total and relevance counts over a corpus."""

    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCORED_FIELDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCORED_FIELDS, 0))
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    pages: list[PageResult] = field(default_factory=list)

    def add(self, result: PageResult) -> None:
        """Count one page's field verdicts and relevance outcome."""
        self.pages.append(result)
        for name, verdict in result.verdicts.items():
            if verdict is None:
                continue
            self.total[name] += 1
            self.correct[name] += int(verdict)
        if result.kind == "training":
            if result.kept:
                self.true_positives += 1
            else:
                self.false_negatives += 1
        elif result.kind == "not_offer" and result.kept:
            self.false_positives += 1

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    def accuracy(self, name: str) -> float:
        return self.correct[name] / self.total[name] if self.total[name] else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages": len(self.pages),
            "fields": {name: {"correct": self.correct[name], "total": self.total[name]}
                       for name in SCORED_FIELDS},
            "relevance": {"precision": round(self.precision, 4), "recall": round(self.recall, 4)},
        }

    def render(self) -> str:
        """A plain-text table: one line per field, then relevance."""
        lines = [f"{'field':<12} {'correct':>7} {'total':>5} {'accuracy':>8}"]
        for name in SCORED_FIELDS:
            lines.append(f"{name:<12} {self.correct[name]:>7} {self.total[name]:>5} "
                         f"{self.accuracy(name):>8.3f}")
        lines.append(f"relevance    precision {self.precision:.3f}  recall {self.recall:.3f}  "
                     f"(tp {self.true_positives}, fp {self.false_positives}, "
                     f"fn {self.false_negatives}; pages {len(self.pages)})")
        return "\n".join(lines)


def evaluate_corpus(corpus_dir: str | Path, answers_path: str | Path, taxonomy: Taxonomy, *,
                    require_theme: bool = False) -> Scoreboard:
    """Run :func:`extract_page` and relevance over every page the answer key names."""
    corpus = Path(corpus_dir)
    answers = load_answers(answers_path)
    urls = _manifest_urls(corpus / "MANIFEST.tsv")
    board = Scoreboard()
    for name, answer in answers.items():
        if answer.get("kind") not in ("training", "event", "listing", "not_offer"):
            continue
        path = corpus / name
        if not path.is_file():
            continue
        url = urls.get(name) or _made_up_url(name)
        board.add(_score_page(name, answer, path.read_bytes(), url, taxonomy, require_theme))
    return board


def _score_page(name: str, answer: dict[str, Any], body: bytes, url: str, taxonomy: Taxonomy,
                require_theme: bool) -> PageResult:
    page = extract_page(url, _HEADERS, body, taxonomy=taxonomy)
    kept = [r for r in page.records if assess(page, r, taxonomy, require_theme=require_theme).keep]
    record = kept[0] if kept else (page.records[0] if page.records else Record())
    titles_right = any(field_is_correct("title", r.get("title"), answer) for r in kept)
    verdicts = {
        field_name: field_is_correct(field_name, record if field_name == "fee"
                                     else record.get(field_name), answer)
        for field_name in SCORED_FIELDS
    }
    values = {field_name: record.get(field_name) for field_name in SCORED_FIELDS if
              field_name != "fee"}
    values["fee"] = _fee_view(record)
    return PageResult(name, str(answer.get("kind")), len(kept), titles_right, verdicts, values)


def _manifest_urls(path: Path) -> dict[str, str]:
    """``file -> original_url`` from MANIFEST.tsv, where it is an http(s) URL."""
    if not path.is_file():
        return {}
    csv.field_size_limit(1 << 30)
    urls: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            raw = (row.get("original_url") or "").split(" (", 1)[0].strip()
            if raw.startswith(("http://", "https://")):
                urls[row.get("file", "")] = raw
    return urls


def _made_up_url(name: str) -> str:
    stem = Path(name).stem
    return f"https://pages.example.org/{re.sub(r'[^a-z0-9-]+', '-', stem.lower())}"
