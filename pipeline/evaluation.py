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
from pipeline.errors import OfferMapError
from pipeline.relevance import assess

__all__ = [
    "SCORED_FIELDS",
    "CorpusError",
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
_PAGE_KINDS = ("training", "event", "listing", "not_offer")


class CorpusError(OfferMapError):
    """The corpus or the answer key cannot be scored: nothing would be measured.

    Exit code 2, as for a wrong command-line argument: an empty or wrong folder must
    never print a table of perfect scores.
    """

    exit_code = 2
_HEADERS = {"Content-Type": "text/html"}


def normalise(text: str) -> str:
    """NFKC, case folding and collapsed white space, as the scoring rules say."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def load_answers(path: str | Path) -> dict[str, dict[str, Any]]:
    """``answers.jsonl`` as ``{file: answer}``; blank lines are skipped.

    Raises :class:`CorpusError` for a file that is not an answer key (a line that is
    not a JSON object with a ``file``).
    """
    answers: dict[str, dict[str, Any]] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                answer = json.loads(line)
                if not isinstance(answer, dict) or not isinstance(answer.get("file"), str):
                    raise CorpusError(f"{path}, line {number}: not an answer (no \"file\")")
                answers[answer["file"]] = answer
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorpusError(f"{path}: not an answer key in JSON lines ({error})") from None
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
    missing: list[str] = field(default_factory=list)  # named in the key, not in the corpus

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
        """Kept training pages over all kept pages; 1.0 when nothing was kept."""
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """Kept training pages over all training pages; 1.0 when there are none."""
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    def accuracy(self, name: str) -> float:
        """Correct over total; 1.0 for a field never scored (the table shows "n/a")."""
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
            accuracy = f"{self.accuracy(name):>8.3f}" if self.total[name] else f"{'n/a':>8}"
            lines.append(f"{name:<12} {self.correct[name]:>7} {self.total[name]:>5} {accuracy}")
        predicted = self.true_positives + self.false_positives
        actual = self.true_positives + self.false_negatives
        precision = f"{self.precision:.3f}" if predicted else "n/a"
        recall = f"{self.recall:.3f}" if actual else "n/a"
        lines.append(f"relevance    precision {precision}  recall {recall}  "
                     f"(tp {self.true_positives}, fp {self.false_positives}, "
                     f"fn {self.false_negatives}; pages {len(self.pages)})")
        return "\n".join(lines)


def evaluate_corpus(corpus_dir: str | Path, answers_path: str | Path, taxonomy: Taxonomy, *,
                    require_theme: bool = False) -> Scoreboard:
    """Run :func:`extract_page` and relevance over every page the answer key names.

    Pages the key names but the corpus lacks are listed in ``Scoreboard.missing``.
    Raises :class:`CorpusError` when the key names no scorable page or when none of
    its pages is in the corpus: a score over nothing would read as perfect.
    """
    corpus = Path(corpus_dir)
    if not corpus.is_dir():
        raise CorpusError(f"{corpus}: no such folder")
    answers = load_answers(answers_path)
    wanted = {name: answer for name, answer in answers.items()
              if answer.get("kind") in _PAGE_KINDS}
    if not wanted:
        raise CorpusError(f"{answers_path}: the answer key names no page of kind "
                          f"{', '.join(_PAGE_KINDS)}")
    urls = _manifest_urls(corpus / "MANIFEST.tsv")
    board = Scoreboard()
    for name, answer in wanted.items():
        path = corpus / name
        if not path.is_file():
            board.missing.append(name)
            continue
        url = urls.get(name) or _made_up_url(name)
        board.add(_score_page(name, answer, path.read_bytes(), url, taxonomy, require_theme))
    if not board.pages:
        raise CorpusError(f"{corpus}: none of the {len(wanted)} pages named in "
                          f"{answers_path} is there (wrong folder?)")
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
