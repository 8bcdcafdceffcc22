"""`python -m bench.all --scale N`: the whole bench, as `make bench` runs it, and one summary table at the end.

The four parts run one after the other, each in its own process: the latency cases (`python -m bench`, the
data generation included), the throughput (`python -m bench.throughput`), one reminder tick among ``--pending``
(default: the scale) waiting reminders (`python -m bench.reminders`) and an event's certificates as one PDF
(`python -m bench.certificates`). Their lines pass through as they come (stderr untouched); the result lines,
``<name> <key>=<value> …``, are also written to bench/results/<UTC time>-<scale>.txt. At the end: one table of
every result line of every part, then each part's wall minutes, CPU minutes (the part's processes and their
children: gunicorn workers, wrk, the SMTP sink; not the database server) and load averages, and the total.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
#: A result line: a name, then key=value pairs (the bench's one-line-per-thing format).
RESULT_LINE = re.compile(r"^(?P<name>[A-Za-z_][\w.-]*)(?P<fields>(?: [\w.<>]+=\S+)+)$")
#: The columns of the table taken out of each line's fields; the rest go, as they are, under "more".
COLUMNS = ("p50_ms", "p95_ms", "n", "req_s")


@dataclass
class Part:
    name: str
    argv: list[str]
    lines: list[str] = field(default_factory=list)
    minutes: float = 0.0
    cpu_minutes: float = 0.0
    load: str = ""
    status: int = 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="number of people (default 10,000)")
    parser.add_argument("--budget", type=float, default=5.0, help="latency: seconds of timing per case at most")
    parser.add_argument("--duration", type=int, default=5, help="throughput: seconds of load per URL")
    parser.add_argument("--pending", type=int, default=None, help="reminders waiting (default: the scale)")
    parser.add_argument("--certificates", type=int, default=500, help="certificates in the PDF (default 500)")
    parser.add_argument("--parts", nargs="*", default=["latency", "throughput", "reminders", "certificates"],
                        help="which parts to run (default: all four)")
    return parser.parse_args(argv)


def parts(args: argparse.Namespace) -> list[Part]:
    python = sys.executable
    every = {
        "latency": [python, "-m", "bench", "--scale", str(args.scale), "--budget", str(args.budget),
                    "--no-summary"],
        "throughput": [python, "-m", "bench.throughput", "--scale", str(args.scale), "--duration",
                       str(args.duration)],
        "reminders": [python, "-m", "bench.reminders", "--pending", str(args.pending or args.scale)],
        "certificates": [python, "-m", "bench.certificates", "--count", str(args.certificates)],
    }
    return [Part(name, every[name]) for name in every if name in args.parts]


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_part(part: Part, record: Callable[[str], None]) -> None:
    """Run one part, passing its stdout through and keeping its result lines."""
    started, cpu, load_before = time.perf_counter(), children_cpu_s(), load_average()
    with subprocess.Popen(part.argv, stdout=subprocess.PIPE, text=True, bufsize=1) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if RESULT_LINE.match(line.rstrip("\n")):
                part.lines.append(line.rstrip("\n"))
                record(f"{part.name}: {line}")
        part.status = process.wait()
    part.minutes = (time.perf_counter() - started) / 60
    part.cpu_minutes = (children_cpu_s() - cpu) / 60
    part.load = f"{load_before}..{load_average()}"


def fields(line: str) -> tuple[str, dict[str, str]]:
    match = RESULT_LINE.match(line)
    if match is None:
        raise ValueError(line)
    pairs = (item.split("=", 1) for item in match["fields"].split())
    return match["name"], dict(pairs)


def summary(done: list[Part], total_minutes: float) -> str:
    """One Markdown table of every part's result lines, then the minutes of each part and the total."""
    rows = ["| part | measured | p50 ms | p95 ms | n | req/s | more |", "|---|---|---|---|---|---|---|"]
    for part in done:
        for line in part.lines:
            name, values = fields(line)
            cells = [values.pop(column, "–") for column in COLUMNS]
            more = " ".join(f"{k}={v}" for k, v in values.items())
            rows.append(f"| {part.name} | {name} | {' | '.join(cells)} | {more} |")
    rows += ["", "| part | minutes | CPU minutes | load before..after | exit |", "|---|---|---|---|---|"]
    rows += [f"| {p.name} | {p.minutes:.1f} | {p.cpu_minutes:.1f} | {p.load} | {p.status} |" for p in done]
    rows.append(f"| total (data generation included) | {total_minutes:.1f} | "
                f"{sum(p.cpu_minutes for p in done):.1f} | | |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{args.scale}.txt"
    began = time.perf_counter()
    done: list[Part] = []
    with path.open("w", encoding="utf-8") as out:
        def record(text: str) -> None:
            out.write(text)
            out.flush()

        record(f"# python -m bench.all {' '.join(argv if argv is not None else sys.argv[1:])}; "
               f"DATABASE_URL={os.environ.get('DATABASE_URL', '(SQLite files)')}; {os.cpu_count()} CPUs\n")
        for part in parts(args):
            print(f"== {part.name}: {' '.join(part.argv[1:])}", file=sys.stderr, flush=True)
            run_part(part, record)
            done.append(part)
            print(f"== {part.name}: {part.minutes:.1f} min, {part.cpu_minutes:.1f} CPU min, load {part.load}",
                  file=sys.stderr, flush=True)
        table = summary(done, (time.perf_counter() - began) / 60)
        record(f"\n{table}\n")
    print(f"\n{table}", flush=True)
    print(f"(also in {path})", file=sys.stderr)
    return max((p.status for p in done), default=0)


if __name__ == "__main__":
    sys.exit(main())
