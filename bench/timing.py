"""Timing loops, percentiles, the result line, and the capture and replay of a page's SQL."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa


@dataclass
class Result:
    name: str
    samples_ms: list[float]

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile: the smallest sample with at least ``share`` of the samples at or below."""
        ordered = sorted(self.samples_ms)
        return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]

    def line(self) -> str:
        return (f"{self.name} p50_ms={self.percentile(0.50):.2f} p95_ms={self.percentile(0.95):.2f} "
                f"n={len(self.samples_ms)}")


#: A case is timed at least this many times, whatever its budget (a p95 of fewer samples means little).
MIN_SAMPLES = 5
#: The warm-up's share of a case's budget (it fills the caches; it need not be as long as the timing).
WARMUP_SHARE = 0.25


def measure(name: str, call: Callable[[], object], requests: int, warmup: int,
            budget_s: float | None = None) -> Result:
    """Run ``call`` ``warmup`` times untimed, then ``requests`` times timed one by one. With ``budget_s``
    the warm-up stops after a quarter of that many seconds and the timing after all of them (once it has
    ``MIN_SAMPLES`` calls), so a slow case costs a bounded time: the result line says how many samples it got."""
    deadline = None if budget_s is None else time.perf_counter() + budget_s * WARMUP_SHARE
    for _ in range(warmup):
        call()
        if deadline is not None and time.perf_counter() > deadline:
            break
    deadline = None if budget_s is None else time.perf_counter() + budget_s
    samples: list[float] = []
    for _ in range(requests):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1e6)
        if deadline is not None and len(samples) >= MIN_SAMPLES and time.perf_counter() > deadline:
            break
    return Result(name, samples)


#: Issue 21's latency target for a list page: its p95 at most this many times its SQL twin's p95 …
LATENCY_FACTOR = 2
#: … plus this many milliseconds.
LATENCY_SLACK_MS = 5.0


def latency_limit_ms(floor: Result) -> float:
    return LATENCY_FACTOR * floor.percentile(0.95) + LATENCY_SLACK_MS


def latency_target(page: Result, floor: Result) -> str:
    """The result line of a list page's latency target: ``<name>_latency p95_ms=… floor_p95_ms=… limit_ms=…
    target=ok|MISS(…)``, where the limit is 2 × the p95 of the same SQL replayed on the engine + 5 ms."""
    p95, limit = page.percentile(0.95), latency_limit_ms(floor)
    verdict = "ok" if p95 <= limit else "MISS"
    return (f"{page.name}_latency p95_ms={p95:.2f} floor_p95_ms={floor.percentile(0.95):.2f} "
            f"limit_ms={limit:.2f} target={verdict}(p95<={LATENCY_FACTOR}*floor+{LATENCY_SLACK_MS:g}ms)")


def summary_table(results: list[Result], list_pages: frozenset[str] = frozenset()) -> str:
    """One Markdown table of every result (a page beside its ``_sql`` twin), printed at the end of a run; a list
    page (one of ``list_pages``) says whether its p95 is within 2 × its SQL's p95 + 5 ms."""
    by_name = {r.name: r for r in results}
    lines = ["| measured | p50 ms | p95 ms | n | SQL p50 ms | SQL p95 ms | p95 ≤ 2 × SQL + 5 ms |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        if r.name.endswith("_sql") and r.name[:-4] in by_name:
            continue
        twin = by_name.get(f"{r.name}_sql")
        sql = f"{twin.percentile(0.5):.2f} | {twin.percentile(0.95):.2f}" if twin else "– | –"
        target = "–"
        if twin is not None and r.name in list_pages:
            limit = latency_limit_ms(twin)
            target = f"{'ok' if r.percentile(0.95) <= limit else 'MISS'} (≤ {limit:.2f})"
        lines.append(f"| {r.name} | {r.percentile(0.5):.2f} | {r.percentile(0.95):.2f} | {len(r.samples_ms)} "
                     f"| {sql} | {target} |")
    return "\n".join(lines)


@dataclass
class CapturedSql:
    """The statements (with their DBAPI parameters) that one request sent to the database."""

    statements: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def capture_sql(engine: sa.Engine) -> Iterator[CapturedSql]:
    captured = CapturedSql()

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not executemany:
            captured.statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def replayer(engine: sa.Engine, captured: CapturedSql) -> tuple[Callable[[], None], Callable[[], None]]:
    """A call that runs the captured statements on a raw DBAPI connection and fetches every row, and a
    call that gives the connection back. No ORM, no template: the floor under the page's cost."""
    raw = engine.raw_connection()

    def run() -> None:
        cursor = raw.cursor()
        for statement, parameters in captured.statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        cursor.close()
        raw.rollback()  # the request ends its transaction too

    return run, raw.close
