"""A quick run of the dedup benchmark, so that it never rots (no timing assertion)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import dedup


def test_dedup_benchmark_runs_and_reports_quality(tmp_path: Path) -> None:
    rows = dedup.main(["--sizes", "300", "--repeats", "1", "--sweep", "300",
                       "--results-dir", str(tmp_path)])
    row = rows[0]
    assert row["size"] == 300
    # The blocked matcher finds what matching every pair finds, and merges nothing wrong.
    assert row["recall_vs_all_pairs"] == 1.0
    assert row["precision"] >= 0.99
    saved = json.loads((tmp_path / "dedup.json").read_text())
    assert saved["rows"][0]["size"] == 300 and "machine" in saved
    # A stricter threshold never merges more: recall cannot rise with it.
    by_setting = {(t["merge_threshold"], t["cross_site_threshold"]): t
                  for t in saved["thresholds"]}
    assert by_setting[(80, 97)]["recall"] >= by_setting[(90, 97)]["recall"] \
        >= by_setting[(95, 97)]["recall"]


def test_generated_variants_are_planted_duplicates() -> None:
    records = dedup.generate(200)
    clusters: dict[int, list[str]] = {}
    for record in records:
        clusters.setdefault(record.truth, []).append(record.title)
    assert len(records) == 200
    assert any(len(titles) > 1 for titles in clusters.values())


def test_storage_benchmark_runs(tmp_path: Path) -> None:
    from benchmarks import storage

    rows = storage.main(["--sizes", "50", "--repeats", "1", "--results-dir", str(tmp_path)])
    assert rows[0]["database"] == "sqlite" and rows[0]["size"] == 50
    assert json.loads((tmp_path / "storage.json").read_text())["rows"]


def test_crawl_benchmark_runs_both_contenders(tmp_path: Path) -> None:
    from benchmarks import crawl

    rows = crawl.main(["--pages", "30", "--repeats", "1", "--no-postgres",
                       "--results-dir", str(tmp_path)])
    row = rows[0]
    # Both walked the whole generated site: home, one listing and the 30 pages.
    assert row["offermap"]["fetched"] == row["bare_scrapy"]["fetched"] >= 32
    assert row["ratio"] > 0
    assert json.loads((tmp_path / "crawl.json").read_text())["rows"][0]["database"] == "sqlite"


def test_dedup_benchmark_prints_sizes_beyond_the_all_pairs_limit(tmp_path: Path) -> None:
    rows = dedup.main(["--sizes", "150", "--repeats", "1", "--oracle-limit", "100",
                       "--sweep", "0", "--results-dir", str(tmp_path)])
    assert "recall_vs_all_pairs" not in rows[0] and rows[0]["precision"] >= 0.99
