"""`python -m bench.profile --scale 10000 --only healthz people_first_page`: Python work per request, counted.

Wall-clock figures move with the machine's load; the number of Python function calls a request makes does not.
For each page case chosen, after a warm-up, ``--requests`` requests run through the test client under cProfile
and one line gives the calls per request, the SQL statements per request and the process CPU time per request
(the least of ``--blocks`` blocks: indicative only on a busy machine)::

    profile <name> calls=<n> sql=<k> cpu_ms=<t>

``--top N`` also prints each page's N costliest functions (own time) to stderr. Same databases as
``python -m bench`` (DATABASE_URL, else instance/bench-N.sqlite3).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time

from app.extensions import db
from bench.cases import REGISTRY, PageCase
from bench.runner import page_getter, prepared
from bench.timing import capture_sql


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20, help="profiled requests per page (20)")
    parser.add_argument("--blocks", type=int, default=5, help="blocks of --requests timed for CPU (5)")
    parser.add_argument("--top", type=int, default=0, help="print the N costliest functions of each page")
    parser.add_argument("--only", nargs="*", default=["healthz", "people_first_page", "people_search_name",
                                                      "registrations_first_page", "enrollments_district_status",
                                                      "mentor_month_page"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _url, ctx = prepared(args.scale)
    app = ctx.app
    gc.freeze()
    for case in REGISTRY:
        if not isinstance(case, PageCase) or case.name not in args.only:
            continue
        get = page_getter(ctx.client, case.url(ctx), case.expect)
        for _ in range(10):
            get()
        with app.app_context(), capture_sql(db.engine) as captured:
            get()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            get()
        profiler.disable()
        stats = pstats.Stats(profiler)
        calls = stats.total_calls / args.requests  # type: ignore[attr-defined]
        cpu = []
        for _ in range(args.blocks):
            started = time.process_time()
            for _ in range(args.requests):
                get()
            cpu.append((time.process_time() - started) * 1000 / args.requests)
        print(f"profile {case.name} calls={calls:.0f} sql={len(captured.statements)} cpu_ms={min(cpu):.2f}",
              flush=True)
        if args.top:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            print(out.getvalue(), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
