"""`offermap schedule` and the run lock, through the real command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import Candidate, Run
from db.session import Database
from pipeline.schedule import cron_trigger
from tests.conftest import REPO, run_offermap
from tests.servers import LoopbackServer
from tests.test_crawl import LOOPBACK, web, write_config  # noqa: F401  (web: a fixture)
from tests.test_runlock import HOLDER

EVERY_2_SECONDS = "*/2 * * * * *"


def test_scheduled_crawls_run_and_store_nothing_twice(
        tmp_path: Path, web: dict[str, LoopbackServer]) -> None:  # noqa: F811
    config = write_config(tmp_path / "config", web["search"].url, web["network"].url)
    db = str(tmp_path / "scheduled.sqlite")
    result = run_offermap("schedule", "--cron", EVERY_2_SECONDS, "--max-runs", "2",
                          "--db", db, "--config-dir", str(config), env=LOOPBACK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("crawl finished") == 2, result.stdout
    assert "Schedule stopped after 2 crawl(s), 0 failed." in result.stdout
    with Database(db).session() as session:
        assert [run.status for run in session.scalars(select(Run))] == ["finished"] * 2
        trainings = session.scalar(select(func.count()).select_from(Candidate).where(
            Candidate.merged_into_id.is_(None)))
    assert trainings == 1  # the second crawl found the same training again

    listed = run_offermap("runs", "--db", db)
    assert listed.stdout.count("finished") == 2


def test_a_failed_crawl_is_logged_and_the_schedule_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "config"
    broken.mkdir()
    (broken / "keywords.yaml").write_text("keywords: [a\n")
    result = run_offermap("schedule", "--cron", EVERY_2_SECONDS, "--max-runs", "2",
                          "--db", str(tmp_path / "x.sqlite"), "--config-dir", str(broken))
    assert result.returncode == 0, result.stderr
    failures = [line for line in result.stdout.splitlines() if "crawl failed" in line]
    assert len(failures) == 2 and "keywords.yaml" in failures[0], result.stdout
    assert "the schedule goes on" in failures[0]
    assert "2 crawl(s), 2 failed" in result.stdout


def test_a_second_crawl_is_refused_while_one_runs(tmp_path: Path) -> None:
    db = str(tmp_path / "busy.sqlite")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, db], cwd=REPO, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        refused = run_offermap("crawl", "--db", db, "--spider", "providers", "--quiet")
        assert refused.returncode == 1
        assert "already running" in refused.stderr and "--wait" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)


@pytest.mark.parametrize(("expression", "problem"), [
    ("0 3 * *", "expected 5 cron fields"),
    ("61 * * * *", "higher than the maximum"),
    ("0 3 * * 9", "weekday 9 is not 0–7"),
])
def test_bad_cron_expressions_are_named(expression: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        cron_trigger(expression)


def test_cron_weekdays_count_from_sunday_as_cron_does() -> None:
    from datetime import UTC, datetime

    monday_3am = cron_trigger("0 3 * * 1").get_next_fire_time(
        None, datetime(2026, 12, 4, tzinfo=UTC))  # a Friday
    assert monday_3am == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    assert cron_trigger("0 3 * * 0").get_next_fire_time(
        None, datetime(2026, 12, 4, tzinfo=UTC)).weekday() == 6  # Sunday
    assert cron_trigger("0 3 * * 1-5").get_next_fire_time(
        None, datetime(2026, 12, 5, tzinfo=UTC)).weekday() == 0  # Saturday -> Monday
