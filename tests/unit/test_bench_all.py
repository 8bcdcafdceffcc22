"""`python -m bench.all` (what `make bench` runs) keeps every part's result lines and ends with one table of them,
each part's minutes and the total."""

from __future__ import annotations

import sys

from bench.all import RESULT_LINE, Part, fields, run_part, summary

THROUGHPUT = ("people_first_page req_s=300.0 floor_req_s=500.0 ratio=0.60 p50_ms=10.00 p95_ms=20.00 "
              "floor_p50_ms=5.00 floor_p95_ms=9.00 target=ok(ratio>=0.5)")
REMINDERS = ("reminders_tick p50_ms=800.0 p95_ms=900.0 n=20 floor_ms=200.0 ratio_p50=4.00 ratio_p95=4.50 "
             "database=postgresql load=1.0/1.0/1.0..2.0/1.0/1.0")


def test_every_part_s_result_line_is_recognised_and_nothing_else():
    for line in ("people_first_page p50_ms=11.45 p95_ms=12.00 n=200", THROUGHPUT, REMINDERS,
                 "worker_rss_mb max=90.1 each=88.0,90.1 after_requests>=10000 target=ok",
                 "certificates_batch p50_ms=9000 p95_ms=9500 n=3 certificates=500 cpu_p50_ms=8000 load=1.0",
                 "data_generation minutes=4.20 cpu_minutes=1.10 people=1000000"):
        assert RESULT_LINE.match(line), line
    for line in ("", "| measured | p50 ms |", "round 3: 1000 in 800 ms", "schema migrated in 4.7s"):
        assert not RESULT_LINE.match(line), line
    assert fields(REMINDERS)[1]["floor_ms"] == "200.0"


def test_the_summary_has_one_row_per_result_line_then_each_part_s_minutes_and_the_total():
    latency = Part("latency", [], ["people_first_page p50_ms=11.45 p95_ms=12.00 n=200"], 7.5, 3.0, "1/1/1..2/2/2")
    throughput = Part("throughput", [], [THROUGHPUT], 4.0, 6.0, "2/2/2..3/3/3")
    reminders = Part("reminders", [], [REMINDERS], 2.0, 1.0, "3/3/3..3/3/3")
    table = summary([latency, throughput, reminders], 13.6).splitlines()
    assert table[2] == "| latency | people_first_page | 11.45 | 12.00 | 200 | – |  |"
    assert table[3] == ("| throughput | people_first_page | 10.00 | 20.00 | – | 300.0 | floor_req_s=500.0 ratio=0.60 "
                        "floor_p50_ms=5.00 floor_p95_ms=9.00 target=ok(ratio>=0.5) |")
    assert table[4].startswith("| reminders | reminders_tick | 800.0 | 900.0 | 20 | – | floor_ms=200.0 ratio_p50=4.00 ")
    assert "| latency | 7.5 | 3.0 | 1/1/1..2/2/2 | 0 |" in table
    assert table[-1] == "| total (data generation included) | 13.6 | 10.0 | | |"


def test_a_part_runs_as_its_own_process_and_its_result_lines_are_kept_and_recorded(capsys):
    script = "print('schema migrated in 1s'); print('healthz p50_ms=1.00 p95_ms=2.00 n=5'); print('| table |')"
    part = Part("latency", [sys.executable, "-c", script])
    recorded: list[str] = []
    run_part(part, recorded.append)
    assert part.lines == ["healthz p50_ms=1.00 p95_ms=2.00 n=5"]
    assert recorded == ["latency: healthz p50_ms=1.00 p95_ms=2.00 n=5\n"]
    assert part.status == 0 and part.minutes > 0
    assert "schema migrated in 1s" in capsys.readouterr().out  # everything passes through as it comes
