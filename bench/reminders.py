"""`python -m bench.reminders --pending 1000000`: one scheduler tick with a million reminders waiting.

The table holds ``--pending`` scheduled reminders that are not due yet (generated inside the database once, see
_fill_pending); each round adds 1,000 due ones (over 10 events, one organizer each, so 1,000 e-mails) and times one
tick: claim, expand into in-app and e-mail deliveries, compose, send the e-mails to an SMTP sink
(bench/smtp_sink.py, its own process) on loopback, record each. After each round the same sink alone accepts
1,000 ready-made messages over as many connections: the floor under the tick's sending on this machine, under
the same load. Prints ``reminders_tick p50_ms=<x> p95_ms=<y> n=<rounds> floor_ms=<z> ratio_p50=… ratio_p95=…``
with the load averages before and after; then, on stderr, the plan of the tick's due-query.
DATABASE_URL picks the database (default instance/bench-reminders.sqlite3).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionLevel, Event
from app.competitions.events.services import APPROVAL_DUE
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.enums import OrgKind, Role
from app.core.models import Occupation, Organisation, Person, User, UserRole
from app.extensions import db
from app.reminders.models import Reminder, ReminderStatus
from app.reminders.scheduler import prepare_database
from bench.database import bench_app, create_database_if_missing, migrate

EVENTS = 10


def _subjects() -> list[int]:
    """Ten events, each with an entry waiting for review and an organizer with an e-mail address."""
    have = db.session.scalars(sa.select(Event.id).join(Event.competition)
                              .where(Competition.name == "基准测试：提醒")).all()
    if have:
        return list(have)
    if db.session.get(Occupation, "6-18-01-01") is None:
        db.session.add(Occupation(code="6-18-01-01", name="车工"))
    now = datetime.now(UTC)
    ids = []
    for n in range(EVENTS):
        organiser = Organisation(name=f"基准主办单位{n}", kind=OrgKind.ASSOCIATION)
        user = User(username=f"bench-organizer-{n}", display_name="基准组织者", email=f"o{n}@example.com",
                    password_hash="-", organisation=organiser)
        user.role_rows = [UserRole(role=Role.ORGANIZER)]
        competition = Competition(name="基准测试：提醒", level=CompetitionLevel.MUNICIPAL, organiser=organiser,
                                  year=2026)
        event = Event(competition=competition, name=f"赛项{n}", occupation_code="6-18-01-01",
                      starts_on=(now + timedelta(days=400)).date(), ends_on=(now + timedelta(days=401)).date(),
                      registration_opens_at=now - timedelta(days=1), registration_closes_at=now + timedelta(days=300))
        person = Person(name=f"基准选手{n}", id_number_encrypted="-", id_number_hash=f"bench-reminders-{n}",
                        id_number_masked="-", id_tail="0000")
        db.session.add_all([organiser, user, competition, event, person])
        db.session.flush()
        db.session.add(Registration(event_id=event.id, person_id=person.id, unit_id=organiser.id,
                                    status=RegistrationStatus.SUBMITTED))
        ids.append(event.id)
    db.session.commit()
    return ids


def _fill_pending(count: int, subject: int) -> None:
    """Top the table up to ``count`` scheduled reminders that are not due yet (one a second, from 30 days
    ahead): generated inside the database by one INSERT … SELECT per chunk (generate_series on PostgreSQL, a
    recursive row counter on SQLite), so a million takes seconds, and only once per database."""
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                             .where(Reminder.status == ReminderStatus.SCHEDULED)) or 0
    if have >= count:
        return
    started = time.perf_counter()
    base = datetime.now(UTC).replace(microsecond=0)
    postgres = db.engine.dialect.name == "postgresql"
    columns = "kind, subject_key, offset_days, due_at, send_at, status, title, link, created_at"
    if postgres:
        statement = sa.text(
            f"INSERT INTO reminders ({columns}) SELECT :kind, :subject, 1, "
            "CAST(:base AS timestamptz) + make_interval(days => 60, secs => i), "
            "CAST(:base AS timestamptz) + make_interval(days => 30, secs => i), 'scheduled', '', '', "
            "CAST(:base AS timestamptz) FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint) - 1) AS i")
        stamp: object = base
    else:
        # As SQLAlchemy stores an instant in SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), compared as text.
        statement = sa.text(
            "WITH RECURSIVE n(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :stop) "
            f"INSERT INTO reminders ({columns}) SELECT :kind, :subject, 1, "
            "strftime('%Y-%m-%d %H:%M:%S', :base, '+' || (i + 60 * 86400) || ' seconds') || '.000000', "
            "strftime('%Y-%m-%d %H:%M:%S', :base, '+' || (i + 30 * 86400) || ' seconds') || '.000000', "
            "'scheduled', '', '', :base || '.000000' FROM n")
        stamp = base.strftime("%Y-%m-%d %H:%M:%S")
    chunk = 250_000
    for start in range(have, count, chunk):
        db.session.execute(statement, {"kind": APPROVAL_DUE, "subject": str(subject), "base": stamp,
                                       "start": start, "stop": min(start + chunk, count)})
        db.session.commit()
        print(f"pending reminders: {min(start + chunk, count)}", file=sys.stderr, flush=True)
    if postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE reminders")
    else:
        db.session.execute(sa.text("ANALYZE reminders"))
        db.session.commit()
    print(f"pending reminders generated in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def _add_due(subjects: list[int], round_no: int) -> None:
    now = datetime.now(UTC)
    db.session.execute(sa.insert(Reminder), [
        {"kind": APPROVAL_DUE, "subject_key": str(subjects[i % len(subjects)]), "offset_days": 2,
         "status": ReminderStatus.SCHEDULED, "due_at": now + timedelta(days=1, seconds=round_no * 1000 + i),
         "send_at": now - timedelta(minutes=1), "title": "", "link": "", "created_at": now}
        for i in range(1000)])
    db.session.commit()


def _sink_alone(port: int, connections: int = 4, count: int = 1000) -> float:
    """Milliseconds the SMTP sink takes to accept ``count`` ready-made messages over ``connections`` connections
    (no database, no composing): the floor under a tick's sending on this machine."""
    import smtplib
    import threading

    body = b"Subject: bench\r\nFrom: a@example.com\r\nTo: b@example.com\r\n\r\n" + (b"x" * 76 + b"\r\n") * 25

    def send(n: int) -> None:
        connection = smtplib.SMTP("127.0.0.1", port, local_hostname="bench")
        for _ in range(n):
            connection.sendmail("a@example.com", ["b@example.com"], body)
        connection.quit()

    threads = [threading.Thread(target=send, args=(count // connections,)) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (time.perf_counter() - started) * 1000


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc; 0 when it is gone or not readable)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends() -> list[int]:
    """PostgreSQL: the server processes serving this database now (their CPU is the tick's server side)."""
    if db.engine.dialect.name != "postgresql":
        return []
    with db.engine.connect() as connection:
        return list(connection.scalars(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")))  # not autovacuum's workers


def _profile(subjects: list[int], rounds: int, sink_pid: int, top: int) -> None:
    """CPU per tick, which the load on a shared machine does not change much: ``rounds`` ticks measured with the
    process's CPU clock (every thread), the sink's and the database server's CPU from /proc, the SQL statements
    SQLAlchemy sent (count and time per kind), each phase's wall time; then one more tick under cProfile, every
    thread of it profiled on its own CPU clock and the profiles merged (the profiler roughly doubles the CPU:
    its shares, not its times, are the finding)."""
    import cProfile
    import pstats
    import threading
    from collections import Counter

    from app.reminders import services

    statements: Counter[str] = Counter()
    statement_seconds: Counter[str] = Counter()
    started_at: dict[int, float] = {}

    def before(conn: object, cursor: object, statement: str, *args: object) -> None:
        started_at[threading.get_ident()] = time.perf_counter()

    def after(conn: object, cursor: object, statement: str, *args: object) -> None:
        # The statement's start, with its placeholders' lists folded: one line per kind of statement.
        key = " ".join(statement.split())
        key = key[:key.find(" IN (") + 5] + "…" if " IN (" in key[:90] else key[:90]
        statements[key] += 1
        statement_seconds[key] += time.perf_counter() - started_at.pop(threading.get_ident(), time.perf_counter())

    phases: Counter[str] = Counter()
    originals = {name: getattr(services, name) for name in ("expand_due", "send_due")}

    def timed(name: str) -> object:
        def run(*args: object, **kwargs: object) -> object:
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                return originals[name](*args, **kwargs)
            finally:
                phases[name] += time.perf_counter() - began
                phases[f"{name} cpu"] += time.thread_time() - cpu
        return run

    thread_run = threading.Thread.run

    def counted(self: threading.Thread) -> None:
        try:
            thread_run(self)
        finally:
            phases["threads cpu"] += time.thread_time()  # a thread's CPU clock starts at 0

    def connected(*args: object) -> None:
        statements["(new database connection)"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", before)
    sa.event.listen(db.engine, "after_cursor_execute", after)
    sa.event.listen(db.engine, "connect", connected)
    for name in originals:
        setattr(services, name, timed(name))
    threading.Thread.run = counted  # type: ignore[method-assign]
    try:
        for round_no in range(rounds + 1):
            _add_due(subjects, round_no + int(time.time()) % 100_000 * 10 + 5_000_000)
            statements.clear()
            statement_seconds.clear()
            phases.clear()
            backends = _backends()
            server_before = sum(_cpu_seconds(pid) for pid in backends)
            sink_before = _cpu_seconds(sink_pid)
            cpu_before, wall_before = time.process_time(), time.perf_counter()
            result = services.tick(batch=1000)
            cpu = time.process_time() - cpu_before
            wall = time.perf_counter() - wall_before
            sink = _cpu_seconds(sink_pid) - sink_before
            server = sum(_cpu_seconds(pid) for pid in set(backends) | set(_backends())) - server_before
            label = "warm-up" if round_no == 0 else f"round {round_no}"
            ms = {key: round(value * 1000) for key, value in phases.items()}
            print(f"{label}: {result}; wall {wall * 1000:.0f} ms (expand {ms['expand_due']}, "
                  f"send {ms['send_due']}); CPU: this process {cpu * 1000:.0f} ms (expand {ms['expand_due cpu']}, "
                  f"claim+compose {ms['send_due cpu']}, sender threads {ms.get('threads cpu', 0)}), "
                  f"database server {server * 1000:.0f} ms, sink {sink * 1000:.0f} ms; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
        print("SQL sent through SQLAlchemy in the last round (count, ms); the outcome UPDATEs go on the driver's "
              f"cursor, one per message ({result.sent + result.failed + result.retried}):")
        for key, count in statements.most_common():
            print(f"  {count:5d} {statement_seconds[key] * 1000:8.1f} ms  {key}")
        threading.Thread.run = thread_run  # type: ignore[method-assign]
        profiles: list[cProfile.Profile] = []
        run = threading.Thread.run

        def profiled(self: threading.Thread) -> None:
            profile = cProfile.Profile(time.thread_time)  # CPU, not the wall time spent waiting for the GIL
            profiles.append(profile)
            profile.runcall(run, self)

        threading.Thread.run = profiled  # type: ignore[method-assign]
        main = cProfile.Profile(time.thread_time)
        profiles.append(main)
        _add_due(subjects, int(time.time()) % 100_000 * 10 + 7_000_000)
        try:
            main.runcall(services.tick, batch=1000)
        finally:
            threading.Thread.run = run  # type: ignore[method-assign]
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
    finally:
        threading.Thread.run = thread_run  # type: ignore[method-assign]
        for name, function in originals.items():
            setattr(services, name, function)
        sa.event.remove(db.engine, "before_cursor_execute", before)
        sa.event.remove(db.engine, "after_cursor_execute", after)
        sa.event.remove(db.engine, "connect", connected)


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 20 rounds is the 19th fastest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed rounds first (a running scheduler has its statements and templates compiled)")
    parser.add_argument("--profile", type=int, default=0, metavar="ROUNDS",
                        help="instead of timing: CPU per tick (this process, the database server, the sink) and "
                             "SQL per kind over ROUNDS ticks, then one tick under cProfile, every thread")
    parser.add_argument("--top", type=int, default=40, help="functions listed by --profile")
    args = parser.parse_args(argv)

    from app.config import INSTANCE_DIR
    from app.reminders import services
    from bench.database import database_url

    url = database_url(0)
    if url.endswith("bench-0.sqlite3"):
        url = f"sqlite:///{INSTANCE_DIR / 'bench-reminders.sqlite3'}"
    create_database_if_missing(url)
    app = bench_app(url)
    migrate(app)
    from tests.reminder_factories import free_port

    # The sink runs in a process of its own, as a real mail server would (in ours it would share the GIL).
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "bench.smtp_sink", "--port", str(port)])
    time.sleep(1)
    try:
        timings = []
        with app.app_context():
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, REMINDER_BATCH=1000)
            prepare_database(db.engine)  # as `flask scheduler run` does: WAL on SQLite
            subjects = _subjects()
            _fill_pending(args.pending, subjects[0])
            if db.engine.dialect.name == "postgresql":
                # As autovacuum would in a running system: the queue's partial indexes keep pointing at the dead
                # row versions of earlier rounds' sent e-mails until a VACUUM, and every claim and mark walks them.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE reminders")
                    conn.exec_driver_sql("VACUUM ANALYZE reminder_deliveries")
            if args.profile:
                _profile(subjects, args.profile, sink.pid, args.top)
                return 0
            connections = app.config["REMINDER_SMTP_CONNECTIONS"]
            load_before = os.getloadavg()
            floors = []
            for round_no in range(args.warmup + args.rounds):
                _add_due(subjects, round_no + int(time.time()) % 100_000 * 10)
                started = time.perf_counter()
                result = services.tick(batch=1000)
                took = (time.perf_counter() - started) * 1000
                # The floor beside each round, under the same load: the sink alone, 1,000 ready-made messages.
                floor = _sink_alone(port, connections)
                warm = round_no >= args.warmup
                if warm:
                    timings.append(took)
                    floors.append(floor)
                print(f"round {round_no}{'' if warm else ' (warm-up)'}: {result} in {took:.0f} ms "
                      f"(sink alone {floor:.0f} ms)", file=sys.stderr, flush=True)
            load_after = os.getloadavg()
            dialect = db.engine.dialect.name
            due = (sa.select(Reminder.id).where(Reminder.status == ReminderStatus.SCHEDULED,
                                                Reminder.send_at <= datetime.now(UTC))
                   .order_by(Reminder.send_at, Reminder.id).limit(1000).with_for_update(skip_locked=True))
            sql = str(due.compile(db.engine, compile_kwargs={"literal_binds": True}))
            explain = "EXPLAIN" if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
            plan = db.session.execute(sa.text(f"{explain} {sql}")).all()
        p50, p95, floor = _percentile(timings, 0.5), _percentile(timings, 0.95), statistics.median(floors)
        print(f"reminders_tick p50_ms={p50:.1f} p95_ms={p95:.1f} n={len(timings)} floor_ms={floor:.1f} "
              f"ratio_p50={p50 / floor:.2f} ratio_p95={p95 / floor:.2f} database={dialect} "
              f"load={'/'.join(f'{x:.1f}' for x in load_before)}..{'/'.join(f'{x:.1f}' for x in load_after)}")
        print(f"(the floor: the same SMTP sink accepting 1,000 ready-made messages over {connections} connections, "
              "no database, no composing, right after each timed round; the median; load: 1/5/15-minute load "
              "averages before and after)", file=sys.stderr)
    finally:
        sink.terminate()
        sink.wait()
    print("due-query plan:", file=sys.stderr)
    for row in plan:
        print("  " + " | ".join(str(c) for c in row), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
