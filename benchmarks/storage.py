"""Storage: candidate upserts with their sources and evidence.

offermap's storage path (:class:`pipeline.store.Store`: one transaction per page,
dedup lookups, sources, editions, evidence) against a bare SQLAlchemy Core
``executemany`` of the same candidate rows — the floor for writing that much data —
on SQLite and, when ``OFFERMAP_TEST_POSTGRES_URL`` is set, on PostgreSQL.

    python -m benchmarks.storage                 # 10k records
    python -m benchmarks.storage --sizes 1000 100000
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from benchmarks.common import spread, timed, write_result
from crawler.items import FetchedPage
from db.models import Candidate
from db.session import Database
from extractors.types import Evidence, PageExtraction, Record
from pipeline.processing import ProcessedPage
from pipeline.relevance import Relevance
from pipeline.store import Store

WORDS = ("citizen engagement participatory budgeting co-creation smart cities capacity "
         "building open data civic tech deliberation urban living labs inclusion").split()
KEPT = Relevance(0.9, True, True, True, ("jsonld:Course",))


def pages(size: int, seed: int = 3) -> list[ProcessedPage]:
    """``size`` pages, each describing one distinct training with evidence."""
    rng = random.Random(seed)
    result = []
    for number in range(size):
        title = " ".join(rng.sample(WORDS, 5)).title() + f" {number}"
        url = f"https://www.provider{number % 500}.org/courses/{number}"
        record = Record()
        evidence = Evidence("jsonld", "$[0].name", 0.9)
        record.set("title", title, evidence)
        record.set("provider", f"Provider {number % 500}", evidence)
        record.set("format", "course", evidence)
        record.set("modality", rng.choice(["online", "in_presence", "hybrid"]), evidence)
        record.set("start_date", date(2027, 1, 1) + timedelta(days=number % 700), evidence)
        record.set("fee_amount", float(rng.randrange(0, 900)), evidence)
        record.set("description", "A training on " + " ".join(rng.sample(WORDS, 8)), evidence)
        extraction = PageExtraction(url=url, encoding="utf-8", encoding_source="header",
                                    title=title, records=[record])
        fetched = FetchedPage(url=url, final_url=url, origin="bench", status=200,
                              fetched_at=datetime.now(UTC), body=title.encode())
        result.append(ProcessedPage(fetched, "candidate", extraction, [(record, KEPT)]))
    return result


def offermap_path(url: str, batch: list[ProcessedPage]) -> None:
    database = Database(url)
    store = Store(database, kind="benchmark")
    store.start_run()
    for page in batch:
        store.record_page(page)
    store.finish_run()
    database.dispose()


def bare_core(url: str, batch: list[ProcessedPage]) -> None:
    database = Database(url)
    rows = []
    for page in batch:
        record = page.judged[0][0].plain()
        rows.append({"uid": uuid.uuid4().hex, "status": "pending", "title": record["title"],
                     "url": page.fetched.url, "provider": record["provider"],
                     "format": record["format"], "modality": record["modality"],
                     "start_date": record["start_date"], "fee_amount": record["fee_amount"],
                     "description": record["description"]})
    with database.engine.begin() as connection:
        connection.execute(insert(Candidate), rows)
    database.dispose()


def fresh_url(kind: str, folder: Path) -> str | None:
    if kind == "sqlite":
        path = folder / f"{uuid.uuid4().hex}.sqlite"
        return f"sqlite:///{path}"
    base = os.environ.get("OFFERMAP_TEST_POSTGRES_URL")
    if not base:
        return None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = Database(base, create=False)
    with admin.engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    separator = "&" if "?" in base else "?"
    return f"{Database(base, create=False).url}{separator}options=-csearch_path%3D{schema}"


def measure(kind: str, size: int, repeats: int, folder: Path) -> dict[str, object] | None:
    batch = pages(size)
    if fresh_url(kind, folder) is None:
        return None
    _, ours = timed(lambda: offermap_path(fresh_url(kind, folder) or "", batch), repeats)
    _, floor = timed(lambda: bare_core(fresh_url(kind, folder) or "", batch), repeats)
    ours_s, floor_s = spread(ours), spread(floor)
    return {"database": kind, "size": size, "offermap_seconds": ours_s,
            "executemany_seconds": floor_s,
            "records_per_second": size / ours_s["median"],
            "ratio": floor_s["median"] / ours_s["median"]}


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--results-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    rows: list[dict[str, object]] = []
    print(f"{'database':<10} {'size':>7} {'offermap s':>10} {'executemany s':>13} "
          f"{'records/s':>10} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("sqlite", "postgresql"):
            for size in args.sizes:
                row = measure(kind, size, args.repeats, Path(folder))
                if row is None:
                    print(f"{kind:<10} skipped: OFFERMAP_TEST_POSTGRES_URL is not set")
                    break
                rows.append(row)
                ours, floor = row["offermap_seconds"], row["executemany_seconds"]
                assert isinstance(ours, dict) and isinstance(floor, dict)
                print(f"{kind:<10} {size:>7} {ours['median']:>10.2f} {floor['median']:>13.2f} "
                      f"{row['records_per_second']:>10.0f} {row['ratio']:>6.3f}")
    path = write_result("storage", {"benchmark": "storage", "rows": rows,
                                    "ratio": "executemany time / offermap time"},
                        args.results_dir)
    print(f"Wrote {path}")
    return rows


if __name__ == "__main__":
    main()
