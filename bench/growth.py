"""`python -m bench.growth --small 100000 --large 1000000`: does a page cost the same on 10× the data?

Two bench databases (each filled as ``python -m bench --scale N`` fills it, and reused), the real app on each,
signed in as the municipal official. For every page case chosen (default: the supervision tabs), both apps
serve it in alternating blocks — small, large, small, large … — so a change in the machine's load falls on
both alike, and one line compares the medians::

    growth <name> small_p50_ms=<a> large_p50_ms=<b> ratio=<b/a> small_p95_ms=<c> large_p95_ms=<d> target=ok|MISS

The target is ``ratio <= 1.2`` (issue 21: nothing a page shows may cost time in proportion to the table).
The databases: ``--small-url`` / ``--large-url`` (or BENCH_SMALL_URL / BENCH_LARGE_URL), else the bench's
SQLite file of each scale (instance/bench-N.sqlite3).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

from bench.cases import REGISTRY, BenchContext, PageCase
from bench.database import bench_app, create_database_if_missing, default_url, migrate
from bench.runner import page_getter, prepare
from bench.timing import Result

TARGET = 1.2
DEFAULT_CASES = ["supervision_"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100_000, help="people in the small database (100,000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="people in the large one (1,000,000)")
    parser.add_argument("--small-url", default=os.environ.get("BENCH_SMALL_URL", ""))
    parser.add_argument("--large-url", default=os.environ.get("BENCH_LARGE_URL", ""))
    parser.add_argument("--rounds", type=int, default=40, help="alternating blocks per database (40)")
    parser.add_argument("--block", type=int, default=2, help="requests per block (2)")
    parser.add_argument("--only", nargs="*", default=DEFAULT_CASES,
                        help="page cases whose name contains a word (default: the supervision tabs)")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def context(scale: int, url: str) -> BenchContext:
    url = url or default_url(scale)
    create_database_if_missing(url)
    app = bench_app(url)
    migrate(app)
    return prepare(app, scale)


def compare(name: str, small: Result, large: Result) -> str:
    ratio = large.percentile(0.5) / small.percentile(0.5)
    verdict = "ok" if ratio <= TARGET else f"MISS(>{TARGET})"
    return (f"growth {name} small_p50_ms={small.percentile(0.5):.2f} large_p50_ms={large.percentile(0.5):.2f} "
            f"ratio={ratio:.2f} small_p95_ms={small.percentile(0.95):.2f} "
            f"large_p95_ms={large.percentile(0.95):.2f} target={verdict}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    small, large = context(args.small, args.small_url), context(args.large, args.large_url)
    gc.freeze()
    log(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    verdicts = []
    for case in REGISTRY:
        if not isinstance(case, PageCase) or not any(word in case.name for word in args.only):
            continue
        getters = [page_getter(ctx.client, case.url(ctx), case.expect) for ctx in (small, large)]
        samples: list[list[float]] = [[], []]
        for get in getters:  # warm-up
            for _ in range(args.block):
                get()
        for _ in range(args.rounds):
            for i, get in enumerate(getters):
                for _ in range(args.block):
                    started = time.perf_counter_ns()
                    get()
                    samples[i].append((time.perf_counter_ns() - started) / 1e6)
        line = compare(case.name, Result(case.name, samples[0]), Result(case.name, samples[1]))
        verdicts.append(line.endswith("target=ok"))
        print(line, flush=True)
    log(f"load average after timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"{(time.perf_counter() - began) / 60:.1f} min")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
