"""`offermap schedule`: crawl on a schedule, for as long as it runs."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli import config_option, console, database_option, friendly_errors, main
from pipeline.config import ScheduleConfig, ScheduledCrawl, load_file
from pipeline.config import config_dir as config_folder
from pipeline.errors import ConfigError
from pipeline.schedule import Schedule, crawl_command, cron_trigger


@main.command("schedule")
@click.option("--cron", "crons", multiple=True, metavar="EXPR",
              help="Crawl at these times instead of config/schedule.yaml's (repeatable).")
@click.option("--max-runs", type=click.IntRange(1), default=None,
              help="Stop after this many crawls (default: run until stopped).")
@database_option
@config_option
@friendly_errors
def schedule(crons: tuple[str, ...], max_runs: int | None, db_url: str | None,
             config_dir: Path | None) -> None:
    """Run crawls on a schedule: cron expressions in UTC, from config/schedule.yaml
    or --cron.  Each crawl is an `offermap crawl --wait` of its own; a failed crawl
    is logged and the schedule goes on; crawls never overlap.

    \b
    Examples:
      offermap schedule                              # config/schedule.yaml
      offermap schedule --cron "0 3 * * mon"         # Mondays at 03:00 UTC
      offermap schedule --cron "0 */6 * * *" --db postgresql://offermap@db/offermap
    """
    if crons:
        crawls = []
        for expression in crons:
            try:
                cron_trigger(expression)
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="--cron") from None
            crawls.append(ScheduledCrawl(cron=expression))
    else:
        path = config_folder(config_dir) / "schedule.yaml"
        if not path.is_file():
            raise ConfigError(f"{path}: file not found; add one (see the README, "
                              "'Scheduled refresh') or pass --cron")
        crawls = load_file(path, ScheduleConfig).crawls
        if not crawls:
            raise ConfigError(f"{path}: crawls: no crawl scheduled")

    runner = Schedule(lambda line: console.print(line, soft_wrap=True), max_runs=max_runs)
    for crawl in crawls:
        runner.add(cron_trigger(crawl.cron), crawl_command(db_url, config_dir, crawl.spiders),
                   f"[{crawl.cron}]")
    try:
        runner.start()
    except KeyboardInterrupt:
        pass
    console.print(f"Schedule stopped after {runner.runs} crawl(s), {runner.failures} failed.")
