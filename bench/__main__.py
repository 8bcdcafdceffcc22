"""`python -m bench --scale N`: migrate, fill the database with N people (once), time the pages.

stdout carries only the result lines, `<name> p50_ms=<x> p95_ms=<y> n=<count>`, first the data generation's
(`data_generation minutes=<wall> cpu_minutes=<this process>`), and at the end one summary table of them (Markdown;
not with ``--no-summary``, as `python -m bench.all` runs it); everything else goes to stderr. Each case is timed for
at most ``--budget`` seconds (after a warm-up of at most a quarter of that), so a slow case cannot hold the run up.
DATABASE_URL picks the database (default: instance/bench-N.sqlite3, never the development one).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from bench.database import bench_app, create_database_if_missing, database_url, migrate
from bench.runner import prepare, run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="number of people (default 10,000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (default 20)")
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds of warm-up and of timing per case at most (default 10; 0: no limit)")
    parser.add_argument("--only", nargs="*", default=[], help="run only cases whose name contains a word")
    parser.add_argument("--generate-only", action="store_true", help="fill the database, time nothing")
    parser.add_argument("--no-summary", action="store_true", help="no summary table at the end")
    return parser.parse_args(argv)


def describe(app: Flask) -> str:
    with app.app_context():
        engine = db.engine
        version = db.session.execute(sa.text(
            "SELECT sqlite_version()" if engine.dialect.name == "sqlite" else "SHOW server_version")).scalar()
    return (f"database {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name} {version}); "
            f"{os.cpu_count()} CPUs; Python {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = database_url(args.scale)
    create_database_if_missing(url)
    app = bench_app(url)
    began = started = time.perf_counter()
    cpu = time.process_time()
    migrate(app)
    print(f"schema migrated in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    prepare(app, args.scale)
    print(f"data_generation minutes={(time.perf_counter() - began) / 60:.2f} "
          f"cpu_minutes={(time.process_time() - cpu) / 60:.2f} people={args.scale}", flush=True)
    print(describe(app), file=sys.stderr, flush=True)
    if not args.generate_only:
        print(f"load average before timing: {load()}", file=sys.stderr, flush=True)
        run(app, args.requests, args.warmup, args.only, args.budget or None, summary=not args.no_summary)
        print(f"load average after timing: {load()}", file=sys.stderr, flush=True)
    print(f"bench finished in {(time.perf_counter() - began) / 60:.1f} min (data generation included)",
          file=sys.stderr, flush=True)
    return 0


def load() -> str:
    """Other processes on the machine show up in the p95; the load average says how busy it was."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"


if __name__ == "__main__":
    sys.exit(main())
