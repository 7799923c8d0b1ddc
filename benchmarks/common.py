"""What every benchmark shares: timing, memory, machine facts and the JSON result."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def timed(function: Callable[[], T], repeats: int) -> tuple[T, list[float]]:
    """Run ``function`` ``repeats`` (>= 1) times; its last result and every duration (s)."""
    durations: list[float] = []
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - started)
    return result, durations


def peak_memory(function: Callable[[], T]) -> tuple[T, int]:
    """Run ``function`` once under tracemalloc; its result and the peak in bytes."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def spread(durations: list[float]) -> dict[str, float]:
    return {"median": statistics.median(durations), "min": min(durations),
            "max": max(durations), "runs": len(durations)}


def machine() -> dict[str, Any]:
    versions = {}
    for package in ("rapidfuzz", "selectolax", "scrapy", "sqlalchemy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "versions": versions}


def write_result(name: str, payload: dict[str, Any], directory: Path | None = None) -> Path:
    """Write ``<directory>/<name>.json`` (default: benchmarks/results) with machine facts."""
    folder = directory or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({**payload, "machine": machine()}, indent=2, default=str))
    return path
