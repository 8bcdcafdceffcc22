"""The bench's timing loop stops a slow case at its budget, and the run ends with one summary table."""

from __future__ import annotations

import time

from bench.all import RESULT_LINE
from bench.throughput import Load, result_line
from bench.timing import MIN_SAMPLES, Result, latency_target, measure, summary_table


def test_a_slow_case_is_timed_only_for_its_budget_but_at_least_a_few_times():
    calls = []

    def slow() -> None:
        calls.append(1)
        time.sleep(0.02)

    result = measure("slow", slow, requests=1000, warmup=1000, budget_s=0.1)
    assert MIN_SAMPLES <= len(result.samples_ms) < 20
    assert len(calls) < 40  # the warm-up stopped at the budget too
    assert len(measure("quick", lambda: None, requests=50, warmup=5, budget_s=10).samples_ms) == 50


def test_the_summary_table_puts_each_page_beside_its_sql_twin():
    table = summary_table([Result("people", [5.0, 7.0]), Result("people_sql", [1.0, 2.0]),
                           Result("tick", [3.0])]).splitlines()
    assert table[2] == "| people | 5.00 | 7.00 | 2 | 1.00 | 2.00 | – |"
    assert table[3] == "| tick | 3.00 | 3.00 | 1 | – | – | – |"
    assert len(table) == 4


def test_a_list_page_is_held_to_twice_its_sql_p95_plus_five_ms():
    sql = Result("people_sql", [1.0, 2.0])  # p95 2.0 ms: the limit is 2 × 2.0 + 5 = 9.0 ms
    within, over = Result("people", [5.0, 9.0]), Result("people", [5.0, 9.5])
    line = latency_target(within, sql)
    assert line == "people_latency p95_ms=9.00 floor_p95_ms=2.00 limit_ms=9.00 target=ok(p95<=2*floor+5ms)"
    assert RESULT_LINE.match(line)  # bench.all keeps it for its table
    assert latency_target(over, sql).endswith("target=MISS(p95<=2*floor+5ms)")
    table = summary_table([over, sql], frozenset({"people"})).splitlines()
    assert table[2] == "| people | 5.00 | 9.50 | 2 | 1.00 | 2.00 | MISS (≤ 9.00) |"
    assert summary_table([within, sql], frozenset({"people"})).splitlines()[2].endswith("| ok (≤ 9.00) |")


def test_the_throughput_line_gives_the_ratio_to_the_floor_and_the_target():
    line = result_line("people_first_page", Load(600, 2.0, 10.0, 20.0, 0), Load(1000, 2.0, 5.0, 9.0, 0))
    assert line.startswith("people_first_page req_s=300.0 floor_req_s=500.0 ratio=0.60 ")
    assert line.endswith("target=ok(ratio>=0.5)")
    slow_tab = result_line("supervision_mentor_hours_city", Load(100, 2.0, 10.0, 20.0, 0),
                           Load(1000, 2.0, 5.0, 9.0, 0))
    assert "target=MISS(>=100req_s)" in slow_tab
    # the cheapest signed-in page has an absolute target, whatever its floor does
    assert result_line("healthz", Load(2100, 2.0, 1.0, 2.0, 0), Load(3000, 2.0, 1.0, 2.0, 0)).endswith(
        "ratio=0.70 p50_ms=1.00 p95_ms=2.00 floor_p50_ms=1.00 floor_p95_ms=2.00 target=ok(>=1000req_s)")
    assert result_line("healthz", Load(1900, 2.0, 1.0, 2.0, 0), Load(1000, 2.0, 1.0, 2.0, 0)).endswith(
        "target=MISS(>=1000req_s)")


def test_worker_memory_is_read_per_child_and_printed_as_rss_with_its_target_and_private_and_pss():
    import os
    import subprocess
    import sys

    from bench.throughput import MEMORY_TARGET_MB, memory_lines, worker_memory_mb

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        workers = [w for w in worker_memory_mb(os.getpid()) if w["Rss"] > 0]
    finally:
        child.communicate(b"")
    assert workers, "the child's smaps_rollup was read"
    assert all(0 < w["Private"] <= w["Pss"] <= w["Rss"] for w in workers)
    rss, private = memory_lines([{"Rss": MEMORY_TARGET_MB + 0.5, "Pss": 60.0, "Private": 55.25},
                                 {"Rss": 90.0, "Pss": 50.0, "Private": 45.0}], served=10_000)
    assert rss == (f"worker_rss_mb max={MEMORY_TARGET_MB + 0.5:.1f} each={MEMORY_TARGET_MB + 0.5:.1f},90.0 "
                   "after_requests>=10000 target=MISS")
    assert private == "worker_private_mb max=55.2 each=55.2,45.0 pss_max=60.0 pss_each=60.0,50.0"
    assert RESULT_LINE.match(rss) and RESULT_LINE.match(private)
    assert memory_lines([{"Rss": MEMORY_TARGET_MB, "Pss": 1.0, "Private": 1.0}], 1)[0].endswith("target=ok")


def test_the_bench_serves_the_app_and_its_floor_with_the_production_units_interpreter_settings(tmp_path):
    from bench.throughput import interpreter_env

    # the real unit: workers without docstrings and asserts, and without column tables
    assert interpreter_env() == {"PYTHONOPTIMIZE": "2", "PYTHONNODEBUGRANGES": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    unit = tmp_path / "web.service"
    unit.write_text("[Service]\nEnvironment=APP_ENV=production\n# Environment=PYTHONOPTIMIZE=1\n"
                    "Environment=PYTHONHASHSEED=0\nExecStart=/x/gunicorn wsgi:app\n")
    assert interpreter_env(unit) == {"PYTHONHASHSEED": "0"}
