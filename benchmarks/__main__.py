"""Every benchmark, one after the other: ``python -m benchmarks``.

    python -m benchmarks                 # the full sizes (about an hour on 2 cores)
    python -m benchmarks --quick         # tiny sizes: checks that each one runs
    python -m benchmarks --only crawl dedup

Each prints its table and writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks import crawl, dedup, extraction, storage

FULL = {
    "extraction": (extraction.main, []),
    "crawl": (crawl.main, ["--repeats", "1"]),
    "dedup": (dedup.main, []),
    "storage": (storage.main, ["--sizes", "10000", "--repeats", "1"]),
}
QUICK = {
    "extraction": (extraction.main, ["--quick"]),
    "crawl": (crawl.main, ["--pages", "200", "--repeats", "1", "--no-postgres"]),
    "dedup": (dedup.main, ["--sizes", "1000", "--repeats", "1", "--sweep", "1000"]),
    "storage": (storage.main, ["--sizes", "200", "--repeats", "1"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check they run")
    parser.add_argument("--only", nargs="+", choices=sorted(FULL), default=sorted(FULL),
                        metavar="NAME", help=f"some of: {', '.join(sorted(FULL))}")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    for name in [name for name in FULL if name in args.only]:
        run, arguments = plan[name]
        print(f"\n== {name} " + "=" * (60 - len(name)), flush=True)
        started = time.perf_counter()
        run(arguments)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
