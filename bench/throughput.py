"""`python -m bench.throughput --scale N`: requests per second under load, the real app against its floor.

Fills the bench database as `python -m bench` does, then for each page below: fetches it once through the
app (it must answer 200 with its rows) while capturing the SQL it sent; serves the real app
(``bench.serve:app``) and the same-SQL minimal app (``bench.floor_app:app``) each with gunicorn, 4 sync
workers, on 127.0.0.1 only, with the interpreter settings of the production web unit
(``deploy/jinengtong-web.service``: PYTHONOPTIMIZE, PYTHONNODEBUGRANGES); drives each URL with wrk (Debian's
``wrk``: `make bench-throughput` installs it) for a bounded time, the app and its floor one after the other;
and prints on stdout, per page::

    <name> req_s=<x> floor_req_s=<y> ratio=<r> p50_ms=<a> p95_ms=<b> floor_p50_ms=<c> floor_p95_ms=<d> target=<…>

then each app worker's resident memory after the run. Everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import pickle
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from app.extensions import db
from bench.cases import REGISTRY, PageCase
from bench.runner import page_getter, prepared
from bench.timing import capture_sql

HOST = "127.0.0.1"  # the only address the load tool is ever pointed at
ROOT = Path(__file__).resolve().parent.parent

#: The list pages (target: ≥ 50 % of the floor's req/s) and the cheapest signed-in page.
LIST_PAGES = ["healthz", "people_first_page", "people_search_name", "registrations_first_page",
              "enrollments_district_status", "mentor_month_page"]
#: Each supervision tab (target: ≥ 100 req/s), city-wide and for one district, and the risk desk.
DASHBOARDS = ["supervision_competitions_city", "supervision_competitions_district",
              "supervision_training_bases_city", "supervision_apprenticeships_city",
              "supervision_apprenticeships_district", "supervision_subsidies_city", "supervision_subsidies_district",
              "supervision_mentor_hours_city", "supervision_mentor_hours_district",
              "supervision_risk_desk_district_page"]
LIST_RATIO_TARGET = 0.5
DASHBOARD_TARGET = 100.0
#: The cheapest signed-in page (``/healthz``): ≥ 1,000 req/s on 4 workers (its floor is printed beside it).
FIXED_COST_TARGET = 1000.0
MEMORY_TARGET_MB = 100.0

#: wrk prints the figures the bench needs from its done() hook (latencies in microseconds).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format("WRK requests=%d duration_us=%d p50_us=%d p95_us=%d errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), errors))
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int

    @property
    def req_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="number of people (default 10,000)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per URL (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed seconds of load on each URL first, app and floor alike (default 1; 0: none)")
    parser.add_argument("--only", nargs="*", default=[], help="only pages whose name contains a word")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `make bench-throughput` installs Debian's wrk (apt-get install wrk)")
    url, ctx = prepared(args.scale)
    app = ctx.app
    names = [n for n in LIST_PAGES + DASHBOARDS if not args.only or any(w in n for w in args.only)]
    cases = {c.name: c for c in REGISTRY if isinstance(c, PageCase)}
    urls: dict[str, str] = {}
    statements: dict[str, list] = {}
    expects: dict[str, str | None] = {}
    for name in names:
        case = cases[name]
        urls[name] = case.url(ctx)
        expects[name] = case.expect
        get = page_getter(ctx.client, urls[name], case.expect)
        get()  # warm the app's caches first, as the load would
        with app.app_context(), capture_sql(db.engine) as captured:
            get()
        statements[name] = captured.statements
        log(f"{name}: GET {urls[name]}, {len(captured.statements)} SQL statements")
    with app.app_context():
        db.engine.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        work = Path(tmp)
        (work / "statements.pickle").write_bytes(pickle.dumps(statements))
        (work / "report.lua").write_text(WRK_SCRIPT)
        env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_FLOOR_STATEMENTS": str(work / "statements.pickle")}
        with gunicorn("bench.serve:app", args.workers, env, work / "app.log") as (app_port, app_pid), \
                gunicorn("bench.floor_app:app", args.workers, env, work / "floor.log") as (floor_port, _):
            cookie = sign_in(app_port)
            log(f"load average before the load: {load_average()}")
            served = 0
            for name in names:
                check(app_port, urls[name], cookie, expects[name])
                if args.warmup:
                    # Untimed first: every worker (not only the one the check reached) has served the page and
                    # filled its caches, on both servers alike, before the load that counts.
                    served += drive(wrk, work, app_port, urls[name], cookie, args, seconds=args.warmup).requests
                    drive(wrk, work, floor_port, f"/{name}", "", args, seconds=args.warmup)
                page = drive(wrk, work, app_port, urls[name], cookie, args)
                floor = drive(wrk, work, floor_port, f"/{name}", "", args)
                served += page.requests
                print(result_line(name, page, floor), flush=True)
            log(f"load average after the load: {load_average()}")
            # The memory figure is taken after at least 10,000 requests to the app: topped up in rounds until
            # then (a loaded machine serves far fewer than the 200 req/s one timed round assumes), within 10 min.
            busiest = "people_first_page" if "people_first_page" in urls else names[-1]
            deadline = time.monotonic() + 600
            while served < 10_000 and time.monotonic() < deadline:
                served += drive(wrk, work, app_port, urls[busiest], cookie, args,
                                requests=10_000 - served).requests
            for line in memory_lines(worker_memory_mb(app_pid), served):
                print(line, flush=True)
    return 0


def result_line(name: str, page: Load, floor: Load) -> str:
    ratio = page.req_s / floor.req_s if floor.req_s else 0.0
    if name in DASHBOARDS:
        ok = page.req_s >= DASHBOARD_TARGET
        target = f"{'ok' if ok else 'MISS'}(>={DASHBOARD_TARGET:.0f}req_s)"
    elif name == "healthz":
        target = f"{'ok' if page.req_s >= FIXED_COST_TARGET else 'MISS'}(>={FIXED_COST_TARGET:.0f}req_s)"
    else:
        target = f"{'ok' if ratio >= LIST_RATIO_TARGET else 'MISS'}(ratio>={LIST_RATIO_TARGET})"
    errors = f" errors={page.errors + floor.errors}" if page.errors + floor.errors else ""
    return (f"{name} req_s={page.req_s:.1f} floor_req_s={floor.req_s:.1f} ratio={ratio:.2f} "
            f"p50_ms={page.p50_ms:.2f} p95_ms={page.p95_ms:.2f} floor_p50_ms={floor.p50_ms:.2f} "
            f"floor_p95_ms={floor.p95_ms:.2f} target={target}{errors}")


# ---------------------------------------------------------------- the servers

#: The production unit the web workers run under (its ``Environment=`` lines set the interpreter's options).
WEB_UNIT = ROOT / "deploy" / "jinengtong-web.service"


def interpreter_env(unit: Path = WEB_UNIT) -> dict[str, str]:
    """The Python interpreter settings (``PYTHON…`` variables) the production web unit gives gunicorn: the bench
    serves the app, and its floor alike, as production does (PYTHONOPTIMIZE and PYTHONNODEBUGRANGES: each worker's
    memory, docs/deploy.md)."""
    settings = {}
    for line in unit.read_text().splitlines():
        key, sep, value = line.removeprefix("Environment=").partition("=")
        if line.startswith("Environment=") and sep and key.startswith("PYTHON"):
            settings[key] = value
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(target: str, workers: int, env: dict[str, str], log_file: Path) -> Iterator[tuple[int, int]]:
    """gunicorn on 127.0.0.1 with ``workers`` sync workers; yields (port, master pid) once it answers."""
    port = free_port()
    ready = log_file.with_suffix(".ready")
    ready.mkdir()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "bench" / "gunicorn_ready.py"),
               "-w", str(workers), "-k", "sync", "-b", f"{HOST}:{port}", "--log-level", "warning", target]
    with open(log_file, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env={**env, **interpreter_env(), "BENCH_READY_DIR": str(ready)},
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(process, target, ready, workers, log_file)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(process: subprocess.Popen, target: str, ready: Path, workers: int, log_file: Path) -> None:
    """Until every worker has loaded the app (bench/gunicorn_ready.py marks each), within 3 minutes."""
    deadline = time.monotonic() + 180
    while len(list(ready.iterdir())) < workers:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn {target} exited: {log_file.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn {target}: not every worker had loaded the app after 3 minutes")
        time.sleep(0.2)


def sign_in(port: int) -> str:
    """The session cookie of the demo municipal official, signed in over HTTP."""
    from app.core.demo import DEMO_PASSWORD
    from bench.runner import OFFICIAL

    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    conn.request("POST", "/login", urlencode({"username": OFFICIAL, "password": DEMO_PASSWORD}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    if response.status != 303 or not cookies:
        raise SystemExit(f"sign-in over HTTP failed: HTTP {response.status}")
    return "; ".join(cookies)


def check(port: int, path: str, cookie: str, expect: str | None) -> None:
    """The URL answers the page we mean to load (not the sign-in page) before it is driven."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    if response.status != 200 or (expect is not None and expect not in body):
        raise SystemExit(f"GET {path} on gunicorn: HTTP {response.status}, expected text {expect!r} missing")


def drive(wrk: str, work: Path, port: int, path: str, cookie: str, args: argparse.Namespace,
          requests: int | None = None, seconds: int | None = None) -> Load:
    """wrk for ``seconds`` (default ``args.duration``) seconds (or about ``requests`` requests, within 10
    minutes) on one URL."""
    seconds = max(1, math.ceil(seconds or args.duration))  # wrk takes whole seconds
    if requests is not None:
        seconds = min(600, max(seconds, math.ceil(requests / 200)))
    command = [wrk, "-t", "2", "-c", str(args.connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(work / "report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://{HOST}:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60)
    match = re.search(r"WRK requests=(\d+) duration_us=(\d+) p50_us=(\d+) p95_us=(\d+) errors=(\d+)", done.stdout)
    if match is None:
        raise SystemExit(f"wrk exited {done.returncode} with no figures: {done.stdout} {done.stderr}")
    count, duration, p50, p95, errors = (int(x) for x in match.groups())
    return Load(count, duration / 1e6, p50 / 1000, p95 / 1000, errors)


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each gunicorn worker (the master's children), from /proc."""
    return [memory["Rss"] for memory in worker_memory_mb(master)]


def worker_memory_mb(master: int) -> list[dict[str, float]]:
    """Each gunicorn worker's memory in MB from /proc/<pid>/smaps_rollup: ``Rss`` (every resident page it maps,
    the shared libraries' included), ``Pss`` (each shared page divided among the processes mapping it) and
    ``Private`` (the pages no other process maps: what the worker alone holds)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    workers = []
    for pid in children:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        kb = {key: int(value) for key, value in re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.MULTILINE)}
        if "Rss" in kb:
            workers.append({"Rss": kb["Rss"] / 1024, "Pss": kb.get("Pss", 0) / 1024,
                            "Private": (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024})
    return workers


def memory_lines(workers: list[dict[str, float]], served: int) -> list[str]:
    """The memory result lines: RSS held to the target, and (for reading it) the private and proportional sizes."""
    def each(key: str) -> str:
        return ",".join(f"{w[key]:.1f}" for w in workers)

    peak = max((w["Rss"] for w in workers), default=0.0)
    return [f"worker_rss_mb max={peak:.1f} each={each('Rss')} after_requests>={served} "
            f"target={'ok' if peak <= MEMORY_TARGET_MB else 'MISS'}",
            f"worker_private_mb max={max((w['Private'] for w in workers), default=0.0):.1f} each={each('Private')} "
            f"pss_max={max((w['Pss'] for w in workers), default=0.0):.1f} pss_each={each('Pss')}"]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"


if __name__ == "__main__":
    sys.exit(main())
