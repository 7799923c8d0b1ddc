"""A tiny run of benchmarks/extraction.py so the benchmark never rots (no timing asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.extraction import render, run_benchmark, synthetic_pages


def test_synthetic_pages_have_the_promised_shape():
    pages = synthetic_pages(3, low_kb=30, high_kb=40)

    assert len(pages) == 3
    for _url, body in pages:
        assert 30 * 1024 <= len(body) <= 45 * 1024
        assert b"application/ld+json" in body and b"<nav" in body and b"<footer" in body


def test_benchmark_smoke(tmp_path: Path):
    out = tmp_path / "extraction.json"
    lines: list[str] = []
    results = run_benchmark(synthetic=2, repeats=1, real_limit=2, out=out, echo=lines.append,
                            pin_core=False)

    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["sets"]["synthetic"]["pages"] == 2
    figures = written["sets"]["synthetic"]["figures"]
    assert {"offermap", "selectolax"} <= set(figures)
    assert figures["offermap"]["pages_per_second"] > 0
    assert "vs_selectolax" in written["sets"]["synthetic"]["ratios"]
    assert written["machine"]["single_core"] is True and "python" in written["versions"]
    assert "offermap" in render(results)
