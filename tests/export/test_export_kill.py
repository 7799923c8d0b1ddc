"""Scenario 30a of RELIABILITY.md: an exporter killed with ``kill -9`` at random
points leaves the previous complete file or the new complete one, never a
truncated one."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest

from db.models import Candidate
from db.session import Database
from pipeline import export
from tests.export.helpers import READERS, base_fields

RUNS = 20
ROWS = 400
# Each exporter is a forked child process running the `export` command's steps
# (rows, then one writer): a real process that kill -9 stops dead, without paying
# the interpreter's start-up 20 times.
FORK = multiprocessing.get_context("fork")


def fill(url: str, variant: str) -> None:
    """ROWS accepted candidates with long descriptions, so writing takes a while."""
    database = Database(url)
    with database.transaction() as session:
        session.add_all(
            Candidate(status="accepted", **base_fields(number) | {
                "description": f"{variant} {number} " + "participatory budgeting " * 60})
            for number in range(ROWS))
    database.dispose()


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("kill")
    urls = {variant: f"sqlite:///{folder / f'{variant}.sqlite'}" for variant in "AB"}
    for variant, url in urls.items():
        fill(url, variant)
    return urls


def write_in_process(url: str, fmt: str, path: Path) -> None:
    database = Database(url, create=False)
    with database.session() as session:
        export.write(fmt, path, export.rows(session, ("accepted",)))
    database.dispose()


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temporaries(path: Path) -> list[Path]:
    return list(path.parent.glob(f".{path.name}.*"))


def kill_at_offset(url: str, fmt: str, path: Path, offset: int) -> bool:
    """Run an exporter and kill -9 it once its temporary file reaches ``offset``
    bytes; True when it was killed before it finished."""
    process = FORK.Process(target=write_in_process, args=(url, fmt, path))
    process.start()
    try:
        while process.exitcode is None:
            if any(_size(found) >= offset for found in temporaries(path)):
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.0005)
        process.join(timeout=120)
    finally:
        if process.exitcode is None:
            process.kill()
            process.join()
    assert process.exitcode in (0, -signal.SIGKILL), process.exitcode
    return process.exitcode == -signal.SIGKILL


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def test_kill_9_at_random_offsets_never_leaves_a_truncated_export(
        databases: dict[str, str], tmp_path: Path) -> None:
    references = {(fmt, variant): tmp_path / "reference" / f"{variant}.{fmt}"
                  for fmt in export.FORMATS for variant in "AB"}
    for (fmt, variant), path in references.items():
        write_in_process(databases[variant], fmt, path)

    chooser = random.Random(30)  # seeded: a failure can be replayed
    held: dict[str, str] = {}  # format -> the variant its file holds now
    killed = 0
    for run in range(RUNS):
        fmt = export.FORMATS[run % len(export.FORMATS)]
        out = tmp_path / "exports" / f"trainings.{fmt}"
        if fmt not in held:  # the previous complete export
            write_in_process(databases["A"], fmt, out)
            held[fmt] = "A"
        previous = checksum(out)
        new = "B" if held[fmt] == "A" else "A"
        offset = chooser.randrange(references[fmt, new].stat().st_size)

        killed += kill_at_offset(databases[new], fmt, out, offset)

        if checksum(out) != previous:
            assert READERS[fmt](out) == READERS[fmt](references[fmt, new]), (run, fmt)
            held[fmt] = new
        else:
            assert READERS[fmt](out) == READERS[fmt](references[fmt, held[fmt]]), (run, fmt)
        for leftover in temporaries(out):  # what kill -9 leaves is never the export itself
            leftover.unlink()

    assert killed >= RUNS // 2, f"only {killed} of {RUNS} runs were killed mid-write"
