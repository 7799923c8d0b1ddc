"""Import every module that adds commands to ``offermap`` (see pipeline/cli.py).

A command module imports ``main`` (and the shared helpers) from ``pipeline.cli``
and decorates its commands with ``@main.command()``; add one import line here.
"""

from __future__ import annotations
