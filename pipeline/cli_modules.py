"""Import every module that adds commands to ``offermap`` (see pipeline/cli.py).

A command module imports ``main`` (and the shared helpers) from ``pipeline.cli``
and decorates its commands with ``@main.command()``; add one import line here.
"""

from __future__ import annotations

from pipeline import cli_export  # noqa: F401  (export, report)
from pipeline import cli_extract  # noqa: F401
from pipeline import cli_dedup  # noqa: E402,F401
from pipeline import cli_review  # noqa: E402,F401  (serve, users, review)
from pipeline import cli_search  # noqa: F401  (queries)
from pipeline import cli_doctor  # noqa: E402,F401  (doctor)
from pipeline import cli_runs  # noqa: E402,F401  (runs)
from pipeline import cli_schedule  # noqa: E402,F401  (schedule)
