"""`offermap schedule`: recurring crawls on cron expressions (APScheduler).

Each crawl runs as a child `offermap crawl --wait` process: Twisted's reactor runs
once per process, and a crawl that dies (even by kill -9) takes nothing of the
scheduler with it.  The run lock (pipeline/runlock.py) keeps crawls from
overlapping, whoever started them; a failed run is logged and the schedule goes on.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

#: cron numbers their weekdays from Sunday (0 or 7); APScheduler from Monday (0).
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_NUMBER = re.compile(r"(?<![/\d])\d+")


def cron_trigger(expression: str) -> CronTrigger:
    """A trigger for a cron expression read as cron reads it, in UTC.

    Five fields (minute hour day month weekday), or six with a leading seconds
    field.  Raises ValueError naming what is wrong.
    """
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"{expression!r}: expected 5 cron fields (minute hour day month "
                         "weekday), or 6 with seconds first")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields

    def name(match: re.Match[str]) -> str:
        number = int(match.group())
        if number > 7:
            raise ValueError(f"{expression!r}: weekday {number} is not 0–7")
        return _WEEKDAYS[number % 7]

    try:
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=_WEEKDAY_NUMBER.sub(name, weekday), timezone=UTC)
    except ValueError as error:
        raise ValueError(f"{expression!r}: {error}") from None


def crawl_command(db_url: str | None, config_dir: Path | None,
                  spiders: Sequence[str]) -> list[str]:
    """The child process of one scheduled crawl."""
    command = [sys.executable, "-c", "from pipeline.cli import main; main()",
               "crawl", "--quiet", "--wait"]
    if db_url:
        command += ["--db", db_url]
    if config_dir:
        command += ["--config-dir", str(config_dir)]
    for spider in spiders:
        command += ["--spider", spider]
    return command


class Schedule:
    """Crawls on their triggers until stopped, or after ``max_runs`` runs."""

    def __init__(self, say: Callable[[str], None], *, max_runs: int | None = None) -> None:
        self.say = say
        self.max_runs = max_runs
        self.runs = 0
        self.failures = 0
        self.scheduler = BlockingScheduler(timezone=UTC)

    def add(self, trigger: CronTrigger, command: list[str], label: str) -> None:
        # One crawl at a time: a tick that comes while the last crawl still runs is
        # skipped, and ticks missed while the machine slept are run once, not all.
        self.scheduler.add_job(self._run, trigger, args=(command, label), max_instances=1,
                               coalesce=True, misfire_grace_time=3600)

    def start(self) -> None:
        for job in self.scheduler.get_jobs():
            self.say(f"{job.args[1]}: next crawl at {_next(job):%Y-%m-%d %H:%M:%S} UTC")
        self.scheduler.start()

    def _run(self, command: list[str], label: str) -> None:
        self.say(f"{_now()} {label}: crawl started")
        result = subprocess.run(command, capture_output=True, text=True)
        self.runs += 1
        if result.returncode == 0:
            self.say(f"{_now()} {label}: crawl finished")
        else:
            self.failures += 1
            reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
            self.say(f"{_now()} {label}: crawl failed (exit {result.returncode}): {reason}; "
                     "the schedule goes on")
        if self.max_runs is not None and self.runs >= self.max_runs:
            self.scheduler.shutdown(wait=False)


def _next(job: object) -> datetime:
    return getattr(job, "next_run_time", None) or getattr(job, "trigger").get_next_fire_time(
        None, datetime.now(UTC))


def _now() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}"
