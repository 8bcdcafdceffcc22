"""`python -m bench.reminders --pending 1000000`: one scheduler tick with a million reminders waiting.

The table holds ``--pending`` scheduled reminders that are not due yet; each round adds 1,000 due ones
(over 10 events, one organizer each, so 1,000 e-mails) and times one tick: claim, expand into in-app and
e-mail deliveries, send the e-mails to an SMTP sink (bench/smtp_sink.py, its own process) on loopback, record
each. Prints ``reminders_tick_1000 p50_ms=<x> p95_ms=<y> n=<rounds> smtp_sink_floor_ms=<z>``: beside the tick, how
long the same sink alone takes to accept 1,000 ready-made messages over as many connections (the floor under the
tick's sending on this machine, measured in the same run); then, on stderr, the plan of the tick's due-query.
DATABASE_URL picks the database (default instance/bench-reminders.sqlite3).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionLevel, Event
from app.competitions.registration.models import Registration, RegistrationStatus
from app.competitions.reminders import APPROVAL_DUE
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
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                             .where(Reminder.status == ReminderStatus.SCHEDULED)) or 0
    now = datetime.now(UTC)
    chunk = 50_000
    for start in range(have, count, chunk):
        rows = [{"kind": APPROVAL_DUE, "subject_key": str(subject), "offset_days": 1,
                 "status": ReminderStatus.SCHEDULED, "due_at": now + timedelta(days=60, seconds=i),
                 "send_at": now + timedelta(days=30, seconds=i), "title": "", "link": "", "created_at": now}
                for i in range(start, min(start + chunk, count))]
        db.session.execute(sa.insert(Reminder), rows)
        db.session.commit()
        print(f"pending reminders: {min(start + chunk, count)}", file=sys.stderr, flush=True)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
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
        for round_no in range(args.rounds):
            _add_due(subjects, round_no + int(time.time()) % 100_000 * 10)
            started = time.perf_counter()
            result = services.tick(batch=1000)
            timings.append((time.perf_counter() - started) * 1000)
            print(f"round {round_no}: {result} in {timings[-1]:.0f} ms", file=sys.stderr, flush=True)
        due = (sa.select(Reminder.id).where(Reminder.status == ReminderStatus.SCHEDULED,
                                            Reminder.send_at <= datetime.now(UTC))
               .order_by(Reminder.send_at, Reminder.id).limit(1000).with_for_update(skip_locked=True))
        sql = str(due.compile(db.engine, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN" if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
        plan = db.session.execute(sa.text(f"{explain} {sql}")).all()
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    connections = app.config["REMINDER_SMTP_CONNECTIONS"]
    floor = sorted(_sink_alone(port, connections) for _ in range(3))
    print(f"reminders_tick_1000 p50_ms={statistics.median(timings):.1f} p95_ms={p95:.1f} n={len(timings)} "
          f"smtp_sink_floor_ms={floor[1]:.1f}")
    print(f"(the floor: the same SMTP sink accepting 1,000 ready-made messages over {connections} connections, "
          "no database, no composing; median of 3, this run)", file=sys.stderr)
    sink.terminate()
    sink.wait()
    print("due-query plan:", file=sys.stderr)
    for row in plan:
        print("  " + " | ".join(str(c) for c in row), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
