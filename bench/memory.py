"""`python -m bench.memory --requests 10000`: the resident memory of one app process after N mixed requests.

Builds the app as a gunicorn worker does (bench/serve.py: ``create_app`` without Flask-Migrate, ``gc.freeze()``)
on a bench database already filled by ``python -m bench --scale N`` (with its pages' data), reads its RSS, then
serves the list pages and
dashboards of the bench in turn through the test client (signed in as the municipal official) and reads the
RSS again every 1,000 requests. Target (issue 21): ≤ 100 MB after 10,000 requests. Also lists the heavy
modules loaded by then (a module only a download needs should be imported by that download)::

    memory start_mb=<a> after_<n>_mb=<b> target=ok|MISS heavy=<modules>
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys

from app import create_app
from bench.cases import REGISTRY, BenchContext, PageCase
from bench.database import BENCH_CONFIG, database_url
from bench.runner import page_getter, signed_in_client

TARGET_MB = 100
HEAVY = ("openpyxl", "PIL", "weasyprint", "segno", "zxcvbn", "pypdf", "apscheduler", "alembic", "lxml")
PAGES = ("people_first_page", "people_search_name", "registrations_first_page", "enrollments_district_status",
         "mentor_month_page", "supervision_competitions_city", "supervision_mentor_hours_city",
         "supervision_apprenticeships_city", "supervision_subsidies_city", "healthz")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--only", nargs="*", default=list(PAGES))
    args = parser.parse_args(argv)
    app = create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url(args.scale), "MIGRATIONS": False})
    logging.getLogger("app.request").setLevel(logging.WARNING)
    ctx = BenchContext(app, signed_in_client(app))
    getters = [page_getter(ctx.client, case.url(ctx), case.expect) for case in REGISTRY
               if isinstance(case, PageCase) and case.name in args.only]
    gc.collect()
    gc.freeze()
    start = rss_mb()
    print(f"memory at start {start:.1f} MB ({len(getters)} pages)", file=sys.stderr, flush=True)
    for n in range(1, args.requests + 1):
        getters[n % len(getters)]()
        if n % 1000 == 0:
            print(f"  after {n} requests: {rss_mb():.1f} MB", file=sys.stderr, flush=True)
    end = rss_mb()
    heavy = ",".join(m for m in HEAVY if m in sys.modules) or "-"
    verdict = "ok" if end <= TARGET_MB else "MISS"
    print(f"memory start_mb={start:.1f} after_{args.requests}_mb={end:.1f} target={verdict} heavy={heavy}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
