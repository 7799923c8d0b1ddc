"""``offermap extract URL|FILE`` and ``offermap eval --corpus DIR --answers FILE``.

``extract`` is for a reviewer checking one page: every field of every record, with
the extractor, the source (JSON-LD path or text snippet) and the confidence.
``eval`` measures the extractors on a folder of saved pages against an answer key
in the format of ``../shared/realworld/answers.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from extractors import PageExtraction, extract_page
from extractors.pdf import extract_pdf, looks_like_pdf
from pipeline.cli import clean, config_option, console, friendly_errors, main
from pipeline.config import load_config
from pipeline.errors import OfferMapError
from pipeline.evaluation import CorpusError, evaluate_corpus
from pipeline.relevance import assess


def _read_target(target: str) -> tuple[str, dict[str, str], bytes, dt.datetime]:
    """URL -> fetched with pipeline.fetch (the crawler's User-Agent, SSRF guard and
    robots.txt rules; errors are one line); FILE -> read, fetched at its modification
    time."""
    if target.startswith(("http://", "https://")):
        from pipeline.fetch import fetch_url

        result = fetch_url(target)
        return result.final_url, dict(result.headers), result.body, result.fetched_at
    path = Path(target)
    if not path.is_file():
        raise OfferMapError(f"{target}: no such file, and not an http(s) URL")
    fetched = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    content_type = "application/pdf" if path.suffix.lower() == ".pdf" else "text/html"
    return path.resolve().as_uri(), {"content-type": content_type}, path.read_bytes(), fetched


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _as_json(page: PageExtraction, judged: list[Any]) -> dict[str, Any]:
    records = []
    for record, relevance in judged:
        records.append({
            "fields": {name: {"value": _plain(found.value), **found.evidence.as_dict()}
                       for name, found in record.fields.items()},
            "relevance": {"score": relevance.score, "is_offer": relevance.is_offer,
                          "on_theme": relevance.on_theme, "keep": relevance.keep,
                          "reasons": list(relevance.reasons)},
        })
    return {"url": page.url, "encoding": page.encoding, "encoding_source": page.encoding_source,
            "structured_types": page.structured_types, "is_listing": page.is_listing,
            "warnings": page.warnings, "records": records}


@main.command("extract")
@click.argument("target", metavar="URL|FILE")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@config_option
@friendly_errors
def extract_command(target: str, as_json: bool, config_dir: Path | None) -> None:
    """Print every field read off one page (or PDF), with its evidence.

    \b
    Examples:
      offermap extract https://www.example.org/course/co-design
      offermap extract saved-page.html --json
    """
    taxonomy = load_config(config_dir).taxonomy
    url, headers, body, fetched_at = _read_target(target)
    if looks_like_pdf(headers.get("content-type", ""), body):
        page = extract_pdf(url, headers, body, taxonomy=taxonomy, fetched_at=fetched_at)
    else:
        page = extract_page(url, headers, body, taxonomy=taxonomy, fetched_at=fetched_at)
    judged = [(record, assess(page, record, taxonomy)) for record in page.records]
    if as_json:
        sys.stdout.write(json.dumps(_as_json(page, judged), ensure_ascii=False, indent=2) + "\n")
        return
    console.print(f"[bold]{clean(page.url)}[/bold]  encoding {clean(page.encoding)} "
                  f"({clean(page.encoding_source)}); types: "
                  f"{clean(', '.join(page.structured_types) or 'none')}")
    for warning in page.warnings:
        console.print(f"[yellow]warning:[/yellow] {clean(warning)}")
    for index, (record, relevance) in enumerate(judged, start=1):
        verdict = "kept" if relevance.keep else "not kept"
        console.print(f"\n[bold]Record {index}[/bold] — score {relevance.score} ({verdict}): "
                      f"{clean('; '.join(relevance.reasons))}")
        table = Table("field", "value", "extractor", "source", "conf.", show_lines=False)
        for name, found in record.fields.items():
            value = json.dumps(_plain(found.value), ensure_ascii=False) \
                if not isinstance(found.value, str) else found.value
            table.add_row(name, clean(value[:300]), clean(found.evidence.extractor),
                          clean(found.evidence.source[:200]), f"{found.evidence.confidence:.2f}")
        console.print(table)
    if not judged:
        console.print("No records found on this page.")


@main.command("eval")
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="Folder of saved pages (with MANIFEST.tsv for URLs).")
@click.option("--answers", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="Answer key in the format of answers.jsonl.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@config_option
@friendly_errors
def eval_command(corpus: Path, answers: Path, as_json: bool, config_dir: Path | None) -> None:
    """Measure extraction on saved pages: per-field accuracy and relevance P/R.

    An empty or wrong folder (no page of the answer key in it) or a file that is not
    an answer key is an error (exit code 2); pages of the key missing from the folder
    are named on stderr.

    \b
    Example:
      offermap eval --corpus ../shared/realworld --answers ../shared/realworld/answers.jsonl
    """
    taxonomy = load_config(config_dir).taxonomy
    try:
        board = evaluate_corpus(corpus, answers, taxonomy)
    except (ValueError, KeyError, TypeError) as error:
        raise CorpusError(f"{answers}: not an answer key ({error})") from None
    if board.missing:
        shown = ", ".join(board.missing[:5]) + (" …" if len(board.missing) > 5 else "")
        click.echo(f"warning: {len(board.missing)} of {len(board.missing) + len(board.pages)} "
                   f"pages of the answer key are not in {corpus}, not scored: {clean(shown)}",
                   err=True)
    if as_json:
        sys.stdout.write(json.dumps(board.as_dict()) + "\n")
        return
    console.print(clean(board.render()))
