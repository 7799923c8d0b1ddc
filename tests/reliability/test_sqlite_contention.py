"""Scenario 27 (RELIABILITY.md): SQLite under contention.

A crawl writing, two reviewers deciding and an exporter reading, each in a process
of its own, on one SQLite file at once: nobody sees "database is locked", every
decision is stored exactly once, and the file stays sound.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.crawl import generate_site, static_server
from db.models import Candidate, Decision
from db.session import Database
from tests.conftest import REPO, run_offermap

#: How long the reviewers and the exporter keep working while the crawl writes.
SECONDS = 20

REVIEWER = textwrap.dedent("""
    import sys, time
    from db.session import Database
    from review import service
    database, actor, until = Database(sys.argv[1]), sys.argv[2], float(sys.argv[4])
    ids = [int(i) for i in sys.argv[3].split(",")]
    done = 0
    while time.time() < until:
        for candidate_id in ids:
            verdict = "include" if done % 2 == 0 else "maybe"
            with database.transaction() as session:
                service.decide(session, candidate_id, verdict, actor)
            done += 1
    print(done)
""")

EXPORTER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from db.session import Database
    from pipeline import export
    database, out, until = Database(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    done = 0
    while time.time() < until:
        with database.session() as session:
            export.write_csv(out, export.rows(session, ["accepted", "maybe", "pending"]))
        done += 1
    print(done)
""")


def test_scenario_27_a_crawl_two_reviewers_and_an_export_share_one_file(
        tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    seeded = run_offermap("demo", "--db", str(db), "--quiet", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    with Database(str(db)).session() as session:
        ids = sorted(session.scalars(select(Candidate.id).where(
            Candidate.merged_into_id.is_(None))))
        decisions_before = session.scalar(select(func.count()).select_from(Decision))
    assert len(ids) >= 10

    generate_site(tmp_path / "site", 600)
    with static_server(tmp_path / "site") as url:
        crawl = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.crawl", "--contender", "offermap", "--url", url,
             "--pages", "600", "--database-url", str(db)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # the crawl has started writing
        until = str(time.time() + SECONDS)
        half = len(ids) // 2
        workers = {
            "reviewer-1": [sys.executable, "-c", REVIEWER, str(db), "reviewer-1",
                           ",".join(map(str, ids[:half])), until],
            "reviewer-2": [sys.executable, "-c", REVIEWER, str(db), "reviewer-2",
                           ",".join(map(str, ids[half:])), until],
            "exporter": [sys.executable, "-c", EXPORTER, str(db), str(tmp_path / "out.csv"),
                         until],
        }
        running = {name: subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True)
                   for name, command in workers.items()}
        results = {name: process.communicate(timeout=SECONDS + 120)
                   for name, process in running.items()}
        crawl_out, crawl_err = crawl.communicate(timeout=300)

    for name, (out, err) in [*results.items(), ("crawl", (crawl_out, crawl_err))]:
        assert "database is locked" not in out + err, name
    assert crawl.returncode == 0, crawl_err[-2000:]
    assert int(crawl_out.split()[-1]) >= 600  # the crawl went on writing throughout
    for name, process in running.items():
        assert process.returncode == 0, (name, results[name][1][-2000:])
    counted = {name: int(out.split()[-1]) for name, (out, _) in results.items()}
    assert all(count > 0 for count in counted.values()), counted

    # Every decision a reviewer saw committed is stored, exactly once.
    with Database(str(db)).session() as session:
        for actor in ("reviewer-1", "reviewer-2"):
            stored = session.scalar(select(func.count()).select_from(Decision).where(
                Decision.actor == actor))
            assert stored == counted[actor], actor
        total = session.scalar(select(func.count()).select_from(Decision))
        assert total == decisions_before + counted["reviewer-1"] + counted["reviewer-2"]
        crawled = session.scalar(select(func.count()).select_from(Candidate))
    assert crawled > len(ids)  # the crawl's candidates landed beside the decisions

    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
