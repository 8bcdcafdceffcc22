"""Sign in, then time every registered case and print one line per measured thing on stdout."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient

from app.core.demo import DEMO_PASSWORD
from app.extensions import db
from bench.cases import REGISTRY, BenchContext, PageCase, TimedCase
from bench.timing import Result, capture_sql, latency_target, measure, replayer, summary_table

OFFICIAL = "official"  # the demo municipal official (市人社局), made by the app's seed()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepared(scale: int) -> tuple[str, BenchContext]:
    """The bench database's URL at ``scale`` (made, migrated and filled with all the bench data if it is not yet)
    and a signed-in client on it."""
    from bench.database import bench_app, create_database_if_missing, database_url, migrate

    url = database_url(scale)
    create_database_if_missing(url)
    app = bench_app(url)
    migrate(app)
    return url, prepare(app, scale)


def prepare(app: Flask, scale: int) -> BenchContext:
    """Fill the migrated database with ``scale`` people and every area's bench data (each made once, reused
    after), and sign in."""
    from bench.generate import fill

    with stage("people"):
        fill(app, scale)
    ctx = BenchContext(app, signed_in_client(app))
    make_data(ctx)
    return ctx


def data_makers() -> list[tuple[str, Callable[[BenchContext], object]]]:
    """Every area's bench data, in the order the cases first asked for it (each maker is idempotent)."""
    from bench import apprenticeships, competitions, judging, mentor_hours, supervision, training_bases

    return [("apprenticeships", apprenticeships.bench_enrollments), ("competitions", competitions.bench_event),
            ("judging", judging.judged_event), ("mentor_hours", mentor_hours.bench_entries),
            ("training_bases", training_bases.bench_base), ("supervision", supervision.bench_supervision)]


def make_data(ctx: BenchContext) -> None:
    """Each area's data (made the first time), then one VACUUM ANALYZE for all that was loaded, then the stored
    risk prompts refreshed on those statistics (the risk desk's cases read them)."""
    from bench import supervision
    from bench.database import vacuum_analyze_if_loaded

    for name, make in data_makers():
        with stage(name):
            make(ctx)
    with ctx.app.app_context(), stage("vacuum_analyze"):
        if not vacuum_analyze_if_loaded():
            log("vacuum_analyze: nothing loaded, or SQLite (no statistics there, as in the app)")
    with stage("risk_refresh"):
        supervision.risks_refreshed(ctx)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Log how long a step of the data generation took, wall and this process's CPU (the database server's own
    CPU is not in it)."""
    started, cpu = time.perf_counter(), time.process_time()
    yield
    log(f"data {name}: {time.perf_counter() - started:.1f}s wall, {time.process_time() - cpu:.1f}s CPU")


def signed_in_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": OFFICIAL, "password": DEMO_PASSWORD})
    if response.status_code != 303:
        raise SystemExit(f"sign-in as {OFFICIAL!r} failed: HTTP {response.status_code}")
    return client


def run(app: Flask, requests: int, warmup: int, only: list[str], budget_s: float | None = None,
        summary: bool = True) -> list[Result]:
    """Time every case (each at most ``budget_s`` seconds of timing after a shorter warm-up), print each
    result line as it comes and, at the end (with ``summary``), one summary table."""
    ctx = BenchContext(app, signed_in_client(app))
    # As wsgi.py does once the app is built: the long-lived start-up objects are never collected again,
    # so a full collection does not pause a request (~55 ms with the app imported).
    gc.freeze()
    results: list[Result] = []
    list_pages: set[str] = set()
    for case in REGISTRY:
        if only and not any(word in case.name for word in only):
            continue
        measured = []
        for result in measure_case(ctx, case, requests, warmup, budget_s):
            print(result.line(), flush=True)
            measured.append(result)
        if isinstance(case, PageCase) and case.list_page and len(measured) == 2:
            print(latency_target(*measured), flush=True)
            list_pages.add(case.name)
        results += measured
    if summary:
        print(f"\n{summary_table(results, frozenset(list_pages))}", flush=True)
    return results


def measure_case(ctx: BenchContext, case: PageCase | TimedCase, requests: int, warmup: int,
                 budget_s: float | None = None) -> Iterator[Result]:
    if isinstance(case, TimedCase):
        if case.at_most is not None:
            requests, warmup = min(requests, case.at_most), min(warmup, case.warmups)
        call = case.make(ctx)
        started = time.perf_counter()
        log(f"{case.name}: set up")
        yield measure(case.name, call, requests, warmup, budget_s)
        log(f"{case.name}: timed in {time.perf_counter() - started:.1f}s")
        return
    url = case.url(ctx)
    get = page_getter(ctx.client, url, case.expect)
    with ctx.app.app_context(), capture_sql(db.engine) as captured:
        rows = get()
    log(f"{case.name}: GET {url} -> HTTP 200, {rows} x {case.expect!r}, {len(captured.statements)} SQL statements")
    yield measure(case.name, get, requests, warmup, budget_s)
    if case.sql_twin:
        with ctx.app.app_context():
            replay, release = replayer(db.engine, captured)
            try:
                yield measure(f"{case.name}_sql", replay, requests, warmup, budget_s)
            finally:
                release()


def page_getter(client: FlaskClient, url: str, expect: str | None) -> Callable[[], int]:
    """A call that fetches the page and fails loudly unless it is the page we meant to time."""
    def get() -> int:
        response = client.get(url)
        body = response.get_data(as_text=True)
        if response.status_code != 200 or (expect is not None and expect not in body):
            raise SystemExit(f"GET {url}: HTTP {response.status_code}, expected text {expect!r} missing")
        return body.count(expect) if expect else 0
    return get
