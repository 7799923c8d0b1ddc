"""Deduplication: 1k, 10k and 100k generated trainings with planted duplicates.

For each size: the time and peak memory of offermap's blocked matcher (the one the
store uses, fed one record at a time as a crawl does), its pairwise precision and
recall against the planted truth, and its recall against an all-pairs matcher that
applies the same scores and guards to every pair (computed on up to 10k records;
larger sizes report the 10k figure).  Target: 100k in under 30 s at >= 0.98 of the
all-pairs recall.

    python -m benchmarks.dedup            # 1k, 10k, 100k
    python -m benchmarks.dedup --sizes 500 --repeats 1
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz, process

from benchmarks.common import peak_memory, spread, timed, write_result
from pipeline.dedup import (
    DEFAULT_CROSS_SITE_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    DEFAULT_THRESHOLD,
    Entry,
    TitleIndex,
    _decide,
    _make_item,
)

QUALIFIERS = ["Introduction to", "Advanced", "Foundations of", "Methods for", "Practical",
              "Applied", "Designing", "Leading", "Managing", "Evaluating", "Scaling",
              "Facilitating", "Co-designing", "Measuring", "Funding", "Teaching"]
TOPICS = ["citizen engagement", "participatory budgeting", "co-creation", "smart cities",
          "capacity building", "open data", "urban mobility", "climate adaptation",
          "civic tech", "deliberative democracy", "digital participation",
          "community planning", "public innovation", "living labs", "social inclusion",
          "energy communities", "neighbourhood councils", "youth participation",
          "participatory mapping", "citizens' assemblies", "e-government", "urban commons"]
AUDIENCES = ["for city staff", "for NGOs", "for researchers", "for youth workers",
             "for mayors", "for planners", "for civil servants", "for facilitators",
             "for students", "for policy makers", ""]
CITIES = ["Bologna", "Lyon", "Leipzig", "Porto", "Utrecht", "Valencia", "Gdańsk", "Ghent",
          "Tallinn", "Malmö", "Bilbao", "Turin", "Graz", "Nantes", "Aarhus", ""]
PREFIXES = ["MOOC: ", "Webinar: ", "Online course: ", "Workshop – ", "Training: "]


@dataclass(frozen=True, slots=True)
class Training:
    id: int
    truth: int
    title: str
    provider: str
    domain: str
    start: date


def generate(size: int, seed: int = 7) -> list[Training]:
    """``size`` records: unique base trainings, about 30 % of them planted again as
    variants (typos, reordering, prefixes, case, punctuation, accents, another site)."""
    rng = random.Random(seed)
    providers = [(f"Provider {n}", f"www.provider{n}.org") for n in range(max(20, size // 40))]
    records: list[Training] = []
    seen: set[str] = set()
    truth = 0
    while len(records) < size:
        title = " ".join(part for part in (
            rng.choice(QUALIFIERS), rng.choice(TOPICS), rng.choice(AUDIENCES),
            rng.choice(CITIES), str(rng.choice([2026, 2027, 2028, ""]))) if part)
        if title in seen:
            continue
        seen.add(title)
        provider, domain = rng.choice(providers)
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(900))
        records.append(Training(len(records), truth, title, provider, domain, start))
        copies = rng.choices([0, 1, 2], weights=[70, 22, 8])[0]
        for _ in range(copies):
            if len(records) >= size:
                break
            other_provider, other_domain = (provider, domain) if rng.random() < 0.7 \
                else rng.choice(providers)
            records.append(Training(len(records), truth, _variant(title, rng), other_provider,
                                    other_domain, start))
        truth += 1
    rng.shuffle(records)
    return records


def _variant(title: str, rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return title.upper() if rng.random() < 0.3 else title.lower()
    if kind == 1:
        return rng.choice(PREFIXES) + title
    if kind == 2:  # one typo in a long word
        words = title.split()
        long = [i for i, word in enumerate(words) if len(word) > 6 and word.isalpha()]
        if long:
            i = rng.choice(long)
            j = rng.randrange(1, len(words[i]) - 1)
            words[i] = words[i][:j] + words[i][j + 1:]
        return " ".join(words)
    if kind == 3:  # reordered around "for"
        head, sep, tail = title.partition(" for ")
        return f"{tail.capitalize()}: {head}" if sep else title + "."
    if kind == 4:
        return title.replace(" ", " - ", 1).replace("-", "–")
    if kind == 5:  # accents in another normal form
        return unicodedata.normalize("NFD", title.replace("e", "é", 1))
    return title.replace(" ", "\u00a0", 2)


def run_blocked(records: list[Training], threshold: float = DEFAULT_THRESHOLD,
                cross_site: float = DEFAULT_CROSS_SITE_THRESHOLD) -> dict[int, int]:
    """record id -> predicted cluster, fed one at a time as the store does."""
    index = TitleIndex()
    cluster: dict[int, int] = {}
    for record in records:
        match = index.best_match(record.title, provider=record.provider, domain=record.domain,
                                 start_date=record.start, threshold=threshold,
                                 review_threshold=threshold, cross_site_threshold=cross_site)
        if match is not None and not match.is_review:
            cluster[record.id] = cluster[match.id]
        else:
            cluster[record.id] = record.id
            index.add(Entry(record.id, record.title, record.provider, record.domain,
                            record.start))
    return cluster


def run_all_pairs(records: list[Training]) -> dict[int, int]:
    """The same decisions without blocking: every record against every indexed one."""
    items = []
    norms: list[str] = []
    sorted_norms: list[str] = []
    cluster: dict[int, int] = {}
    cutoff = min(DEFAULT_REVIEW_THRESHOLD, DEFAULT_THRESHOLD)
    for record in records:
        q = _make_item(record.id, record.title, record.provider, record.domain, record.start)
        scores: dict[int, float] = {}
        for query, choices in ((q.norm, norms), (q.sorted_norm, sorted_norms)):
            for _, score, at in process.extract(query, choices, scorer=fuzz.ratio,
                                                processor=None, score_cutoff=cutoff,
                                                limit=None):
                scores[at] = max(score, scores.get(at, 0.0))
        best: tuple[float, int] | None = None
        for at, score in scores.items():
            rule = _decide(q, items[at], score, DEFAULT_THRESHOLD, DEFAULT_REVIEW_THRESHOLD,
                           DEFAULT_CROSS_SITE_THRESHOLD)
            if rule is not None and not rule.startswith("review:"):
                key = (-score, items[at].id)
                if best is None or key < best:
                    best = key
        if best is not None:
            cluster[record.id] = cluster[best[1]]
        else:
            cluster[record.id] = record.id
            items.append(q)
            norms.append(q.norm)
            sorted_norms.append(q.sorted_norm)
    return cluster


def pairs(assignment: dict[int, int]) -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = {}
    for record, group in assignment.items():
        groups.setdefault(group, []).append(record)
    return {pair for members in groups.values() for pair in combinations(sorted(members), 2)}


def measure(size: int, repeats: int, oracle_limit: int) -> dict[str, object]:
    records = generate(size)
    truth = pairs({r.id: r.truth for r in records})
    predicted, durations = timed(lambda: run_blocked(records), repeats)
    # tracemalloc slows the run several times over; measured on a separate run.
    _, peak = peak_memory(lambda: run_blocked(records))
    found = pairs(predicted)
    row: dict[str, object] = {
        "size": size, "seconds": spread(durations), "peak_mib": round(peak / 2**20, 1),
        "precision": len(found & truth) / len(found) if found else 1.0,
        "recall": len(found & truth) / len(truth) if truth else 1.0,
    }
    if size <= oracle_limit:
        oracle, oracle_times = timed(lambda: run_all_pairs(records), 1)
        expected = pairs(oracle)
        row["all_pairs_seconds"] = oracle_times[0]
        row["recall_vs_all_pairs"] = len(found & expected) / len(expected) if expected else 1.0
        row["all_pairs_recall_vs_truth"] = len(expected & truth) / len(truth) if truth else 1.0
    return row


SWEEP = [(80, 97), (85, 97), (90, 97), (95, 97), (90, 90), (90, 100)]


def sweep(size: int) -> list[dict[str, object]]:
    """Precision and recall against the planted truth for several threshold settings
    (merge threshold, cross-site threshold), to choose config/dedup.yaml's values."""
    records = generate(size)
    truth = pairs({r.id: r.truth for r in records})
    rows: list[dict[str, object]] = []
    for threshold, cross_site in SWEEP:
        found = pairs(run_blocked(records, threshold, cross_site))
        rows.append({"merge_threshold": threshold, "cross_site_threshold": cross_site,
                     "precision": len(found & truth) / len(found) if found else 1.0,
                     "recall": len(found & truth) / len(truth) if truth else 1.0})
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--oracle-limit", type=int, default=10_000,
                        help="largest size for the all-pairs comparison")
    parser.add_argument("--sweep", type=int, default=10_000, metavar="SIZE",
                        help="size for the threshold sweep; 0 skips it")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="where to write dedup.json  [default: benchmarks/results]")
    args = parser.parse_args(argv)

    rows = []
    print(f"{'size':>7} {'median s':>9} {'spread s':>15} {'peak MiB':>9} {'precision':>9} "
          f"{'recall':>7} {'vs all-pairs':>12} {'all-pairs s':>11}")
    for size in args.sizes:
        row = measure(size, args.repeats if size < 100_000 else 1, args.oracle_limit)
        rows.append(row)
        seconds = row["seconds"]
        assert isinstance(seconds, dict)
        vs = row.get("recall_vs_all_pairs")
        print(f"{size:>7} {seconds['median']:>9.2f} "
              f"{seconds['min']:>7.2f}–{seconds['max']:<7.2f} {row['peak_mib']:>9} "
              f"{row['precision']:>9.3f} {row['recall']:>7.3f} "
              f"{'-' if vs is None else format(vs, '.3f'):>12} "
              f"{row.get('all_pairs_seconds', float('nan')):>11.2f}")
    settings = sweep(args.sweep) if args.sweep else []
    if settings:
        print(f"\nThresholds on {args.sweep} records (merge, cross-site): precision, recall")
        for setting in settings:
            print(f"  {setting['merge_threshold']:>3} {setting['cross_site_threshold']:>4}"
                  f"  {setting['precision']:.3f}  {setting['recall']:.3f}")
    path = write_result("dedup", {"benchmark": "dedup", "target": "100k < 30 s, recall vs "
                                  "all-pairs >= 0.98", "rows": rows, "thresholds": settings},
                        args.results_dir)
    print(f"Wrote {path}")
    return rows


if __name__ == "__main__":
    main()
