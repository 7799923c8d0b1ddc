"""Benchmark 1 (issue 11): offermap's full extraction against two baselines.

Pages: the real pages of ``../shared/realworld/pages`` and ``pages-negative`` plus a
generated synthetic set (30-300 KB pages with navigation, footers, JSON-LD and long
bodies).  Single core, one process.  For each set, the median pages/second over
``--repeats`` runs (with min-max spread) of:

* offermap: ``extract_page`` with the project's taxonomy, plus the relevance score;
* (a) a bare selectolax (lexbor) parse with a few CSS queries and text extraction -
  the practical limit for any extractor that reads the whole page;
* (b) ``trafilatura.extract`` when trafilatura is installed (skipped otherwise).

Prints a table and writes ``benchmarks/results/extraction.json``: the figures, the
baselines', their ratios, the machine and the versions.

    python -m benchmarks.extraction             # full run
    python -m benchmarks.extraction --quick     # tiny sizes, for the smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
REALWORLD = REPO.parent / "shared" / "realworld"
RESULTS = REPO / "benchmarks" / "results" / "extraction.json"
TARGET_VS_SELECTOLAX = 0.33
TARGET_VS_TRAFILATURA = 20.0

Page = tuple[str, bytes]


@dataclass(slots=True)
class Figure:
    """Pages per second of one contender on one page set: median and spread."""

    pages_per_second: float
    low: float
    high: float
    runs: int

    def as_dict(self) -> dict[str, float | int]:
        return {"pages_per_second": round(self.pages_per_second, 2),
                "min": round(self.low, 2), "max": round(self.high, 2), "runs": self.runs}


# --- page sets -----------------------------------------------------------------------


def real_pages(limit: int | None = None) -> list[Page]:
    """The saved real pages, as (url, bytes)."""
    pages: list[Page] = []
    for folder in ("pages", "pages-negative"):
        directory = REALWORLD / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.is_file():
                pages.append((f"https://real.example.org/{folder}/{path.name}",
                              path.read_bytes()))
    return pages[:limit] if limit else pages


_WORDS = ("citizen engagement participation co-creation workshop city staff urban planning "
          "mobility energy climate data training course registration deadline programme "
          "session trainer university municipality budget deliberation smart city the of and "
          "to in for with on by from this that is are will be").split()


def _paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def synthetic_page(rng: random.Random, target_bytes: int, index: int) -> bytes:
    """A course page of about ``target_bytes``: chrome, JSON-LD, a long body, a footer."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i} {rng.choice(_WORDS)}</a></li>'
                  for i in range(60))
    node = {"@context": "https://schema.org", "@type": "Course",
            "name": f"Co-design for cities {index}", "description": _paragraph(rng, 40),
            "provider": {"@type": "Organization", "name": "Example University"},
            "hasCourseInstance": {"@type": "CourseInstance", "startDate": "2025-05-06",
                                  "courseMode": rng.choice(["online", "onsite", "blended"])},
            "offers": {"@type": "Offer", "price": str(rng.randint(0, 900)),
                       "priceCurrency": "EUR"}}
    head = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Co-design for cities {index} - Example University</title>"
            f'<meta property="og:site_name" content="Example University">'
            f'<script type="application/ld+json">{json.dumps(node)}</script></head><body>'
            f'<header><nav class="menu"><ul>{nav}</ul></nav></header><main>'
            f"<h1>Co-design for cities {index}</h1><dl><dt>Date</dt><dd>6–8 May 2025</dd>"
            f"<dt>Location</dt><dd>Room 2.14, Main Building</dd><dt>Fee</dt>"
            f"<dd>EUR 350 (early bird until 1 April 2025), EUR 450 regular</dd></dl>")
    tail = ('</main><aside class="sidebar"><h2>Related events</h2>'
            + "".join(f"<p>Event {i}: 1{i % 9} June 2025</p>" for i in range(20))
            + '</aside><footer class="footer">' + _paragraph(rng, 80) + "</footer></body></html>")
    parts = [head]
    size = len(head) + len(tail)
    while size < target_bytes:
        block = f"<h2>{_paragraph(rng, 5)}</h2><p>{_paragraph(rng, rng.randint(60, 200))}</p>"
        parts.append(block)
        size += len(block)
    parts.append(tail)
    return "".join(parts).encode("utf-8")


def synthetic_pages(count: int, low_kb: int = 30, high_kb: int = 300,
                    seed: int = 11) -> list[Page]:
    rng = random.Random(seed)
    return [(f"https://synthetic.example.org/course/{i}",
             synthetic_page(rng, rng.randint(low_kb, high_kb) * 1024, i)) for i in range(count)]


# --- contenders ----------------------------------------------------------------------


def offermap_contender() -> Callable[[str, bytes], Any]:
    from extractors import extract_page
    from extractors.taxonomy import load_taxonomy_dict
    from pipeline.relevance import assess

    with open(REPO / "config" / "taxonomy.yaml", encoding="utf-8") as handle:
        taxonomy = load_taxonomy_dict(yaml.safe_load(handle))
    headers = {"Content-Type": "text/html"}

    def run(url: str, body: bytes) -> Any:
        page = extract_page(url, headers, body, taxonomy=taxonomy)
        return [assess(page, record, taxonomy) for record in page.records]

    return run


def selectolax_contender() -> Callable[[str, bytes], Any]:
    """A bare lexbor parse, a few CSS queries and the body text: the practical limit."""
    from selectolax.lexbor import LexborHTMLParser

    def run(url: str, body: bytes) -> Any:
        tree = LexborHTMLParser(body)
        title = tree.css_first("title")
        h1 = tree.css_first("h1")
        metas = [node.attributes.get("content") for node in tree.css("meta[property]")]
        scripts = [node.text() for node in tree.css('script[type="application/ld+json"]')]
        text = tree.body.text(separator=" ") if tree.body is not None else ""
        return (title.text() if title else None, h1.text() if h1 else None, metas, scripts,
                len(text))

    return run


def trafilatura_contender() -> Callable[[str, bytes], Any] | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(url: str, body: bytes) -> Any:
        return trafilatura.extract(body, url=url, with_metadata=True)

    return run


def measure(contenders: dict[str, Callable[[str, bytes], Any]], pages: list[Page],
            repeats: int) -> dict[str, Figure]:
    """Median pages/second of each contender over ``repeats`` passes over ``pages``.

    The contenders take turns within each repeat, so a burst of load on a shared
    machine hits all of them alike and their ratio stays meaningful.
    """
    for run in contenders.values():
        for url, body in pages[:3]:
            run(url, body)  # warm-up: imports, compiled patterns, caches
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            started = time.perf_counter()
            for url, body in pages:
                run(url, body)
            elapsed = max(time.perf_counter() - started, 1e-9)
            rates[name].append(len(pages) / elapsed)
    return {name: Figure(statistics.median(values), min(values), max(values), repeats)
            for name, values in rates.items()}


# --- report --------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("selectolax", "trafilatura", "offermap"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "processor": platform.processor() or
            platform.machine(), "cpus": os.cpu_count(), "single_core": True,
            "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else None}


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass


def run_benchmark(*, synthetic: int, repeats: int, real_limit: int | None = None,
                  out: Path | None = RESULTS, echo: Callable[[str], None] = print,
                  pin_core: bool = True) -> dict[str, Any]:
    """Measure every contender on every page set; write and return the results.

    ``pin_core`` binds the process to one CPU (single-core figures); tests leave it
    off so the pinning does not outlive the benchmark in their process.
    """
    if pin_core:
        _pin_one_core()
    sets = {"real": real_pages(real_limit), "synthetic": synthetic_pages(synthetic)}
    contenders: dict[str, Callable[[str, bytes], Any] | None] = {
        "offermap": offermap_contender(), "selectolax": selectolax_contender(),
        "trafilatura": trafilatura_contender()}
    if contenders["trafilatura"] is None:
        echo("trafilatura is not installed: baseline (b) skipped")
    results: dict[str, Any] = {"sets": {}, "machine": _machine(), "versions": _versions(),
                               "targets": {"vs_selectolax": TARGET_VS_SELECTOLAX,
                                           "vs_trafilatura": TARGET_VS_TRAFILATURA},
                               "repeats": repeats}
    for name, pages in sets.items():
        if not pages:
            echo(f"{name}: no pages, skipped")
            continue
        present = {who: run for who, run in contenders.items() if run is not None}
        figures = {who: figure.as_dict() for who, figure in measure(present, pages,
                                                                     repeats).items()}
        entry: dict[str, Any] = {"pages": len(pages),
                                 "megabytes": round(sum(len(b) for _u, b in pages) / 1e6, 2),
                                 "figures": figures, "ratios": {}}
        ours = figures["offermap"]["pages_per_second"]
        for baseline in ("selectolax", "trafilatura"):
            if baseline in figures:
                entry["ratios"][f"vs_{baseline}"] = round(
                    ours / figures[baseline]["pages_per_second"], 3)
        results["sets"][name] = entry
    echo(render(results))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        echo(f"written to {out}")
    return results


def render(results: dict[str, Any]) -> str:
    lines = [f"{'set':<10} {'pages':>5} {'MB':>6}  {'contender':<12} {'pages/s':>9} "
             f"{'spread':>17}  {'ratio':>7}"]
    for name, entry in results["sets"].items():
        for who, figure in entry["figures"].items():
            ratio = "" if who == "offermap" else \
                f"{entry['ratios'].get(f'vs_{who}', float('nan')):.3f}x"
            lines.append(f"{name:<10} {entry['pages']:>5} {entry['megabytes']:>6}  {who:<12} "
                         f"{figure['pages_per_second']:>9.1f} "
                         f"{figure['min']:>8.1f}-{figure['max']:<8.1f}  {ratio:>7}")
    lines.append(f"ratio = offermap / baseline; targets >= {TARGET_VS_SELECTOLAX}x selectolax, "
                 f">= {TARGET_VS_TRAFILATURA}x trafilatura")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=60, help="synthetic pages (60)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per contender (5)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no results file")
    args = parser.parse_args(argv)
    if args.quick:
        run_benchmark(synthetic=2, repeats=1, real_limit=3, out=None, pin_core=False)
    else:
        run_benchmark(synthetic=args.synthetic, repeats=args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
