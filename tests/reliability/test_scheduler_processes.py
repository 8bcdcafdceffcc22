"""Reliability: 3 `flask scheduler run` processes, reminders due, the acting one stopped again and again while
e-mails go out — by `kill -9` and by SIGTERM — and restarted.

Every reminder must be delivered and every inbox entry written once. An e-mail may reach the SMTP server twice
only after a `kill -9`, and then only one that had been handed to the server and not yet recorded when the
process died: at most one per open SMTP connection of the killed process (each sender records a message's
outcome before it takes the next). After a SIGTERM: none at all, and the process is gone within 10 s.

Prints ``duplicates=<n> kills=<k> connections=<c>`` (and the detail). The everyday suite runs a short form
(200 reminders, 2 kills, 1 SIGTERM: tens of seconds); the long form, on both databases:

    make test-reliability        # 2,000 reminders, 6 kills and 3 SIGTERMs each on SQLite and PostgreSQL
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.competitions.registration.models import RegistrationStatus
from app.competitions.reminders import APPROVAL_DUE
from app.core.enums import OrgKind, Role
from app.extensions import db
from app.reminders.models import Channel, Delivery, DeliveryStatus, Reminder, ReminderStatus
from tests import competition_factories as cf
from tests import factories
from tests.conftest import TEST_KEYS
from tests.reminder_factories import smtp_server

ROOT = Path(__file__).resolve().parents[2]
REMINDERS = int(os.environ.get("RELIABILITY_REMINDERS", "200"))
KILLS = int(os.environ.get("RELIABILITY_KILLS", "2"))
TERMS = int(os.environ.get("RELIABILITY_TERMS", "1"))
PROCESSES = 3
#: Each scheduler sends on this many SMTP connections.
CONNECTIONS = 4
#: A stopped process must be gone within this.
STOP_SECONDS = 10.0


@dataclass
class Stop:
    at: float
    signal: signal.Signals
    #: Whether the victim held the lock (only the acting scheduler sends).
    acting: bool
    exit_seconds: float


def _seed(count: int) -> None:
    """``count`` due approval reminders of one event, each reminding its organiser's one organizer."""
    organiser = factories.org(OrgKind.ASSOCIATION)
    factories.user(organiser, Role.ORGANIZER, email="organizer@example.com")
    event = cf.event(cf.competition(organiser))
    unit = factories.org()
    cf.registration(event, factories.person(employer=unit), unit, status=RegistrationStatus.SUBMITTED)
    now = datetime.now(UTC)
    db.session.execute(sa.insert(Reminder), [
        {"kind": APPROVAL_DUE, "subject_key": str(event.id), "offset_days": 1, "status": ReminderStatus.SCHEDULED,
         "due_at": now + timedelta(days=1, seconds=i), "send_at": now - timedelta(minutes=1), "title": "",
         "link": "", "created_at": now}
        for i in range(count)])
    db.session.commit()


def _start(env: dict[str, str], log_dir: Path, n: int, generation: int) -> tuple[subprocess.Popen, Path]:
    path = log_dir / f"scheduler-{n}-{generation}.log"
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi.py", "scheduler", "run"], cwd=ROOT,
                               env=env, stdout=path.open("wb"), stderr=subprocess.STDOUT)
    return process, path


def _acting(logs: list[Path]) -> int | None:
    """The process that holds the scheduler lock (it says so in its log when it takes it, and keeps it)."""
    return next((n for n, path in enumerate(logs) if "now acts" in path.read_text(errors="replace")), None)


def _counts() -> tuple[int, int, int]:
    db.session.remove()
    emails = dict(db.session.execute(
        sa.select(Delivery.status, sa.func.count()).where(Delivery.channel == Channel.EMAIL)
        .group_by(Delivery.status)).tuples().all())
    done = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                             .where(Reminder.status == ReminderStatus.DONE)) or 0
    return done, emails.get(DeliveryStatus.SENT, 0), sum(emails.values())


def _attribute(first_arrivals: dict[str, float], twice: dict[str, int], stops: list[Stop]) -> dict[int, int]:
    """Which stop each duplicate is owed to: the first stop of the acting process after its first copy arrived
    (the process that sent it was then acting, and lost the record only by dying). -1: none (a bug)."""
    owed: dict[int, int] = {}
    for message_id, copies in twice.items():
        arrived = first_arrivals[message_id]
        index = next((i for i, stop in enumerate(stops) if stop.acting and stop.at >= arrived), -1)
        owed[index] = owed.get(index, 0) + copies - 1
    return owed


def test_schedulers_killed_and_stopped_mid_batch_send_at_most_one_duplicate_per_connection_per_kill(
        app: Flask, tmp_path: Path):
    rng = random.Random(int(os.environ.get("RELIABILITY_SEED", time.time())))
    with app.app_context():
        _seed(REMINDERS)
    plan = [signal.SIGKILL] * KILLS + [signal.SIGTERM] * TERMS
    rng.shuffle(plan)
    stops: list[Stop] = []
    with smtp_server() as (sink, port):
        env = {**os.environ, **TEST_KEYS, "DATABASE_URL": os.environ["_TEST_DATABASE_URI"],
               "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "REMINDER_INTERVAL_SECONDS": "0.2",
               "REMINDER_LEASE_SECONDS": "2", "REMINDER_BATCH": "50", "LOG_FORMAT": "text", "APP_ENV": "testing",
               "REMINDER_SMTP_CONNECTIONS": str(CONNECTIONS), "RISK_PROMPTS_MAX_AGE_SECONDS": "3600"}
        started_processes = [_start(env, tmp_path, n, 0) for n in range(PROCESSES)]
        processes, logs = [p for p, _ in started_processes], [path for _, path in started_processes]
        started = time.monotonic()
        budget = 60 + 0.1 * REMINDERS
        try:
            for number, sig in enumerate(plan, start=1):
                # Stop the acting one while e-mails are going out: a few more must have arrived since the last.
                seen = len(sink.messages)
                while len(sink.messages) < min(seen + 3, REMINDERS) and time.monotonic() - started < budget:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.2))
                acting = _acting(logs)
                victim = acting if acting is not None and rng.random() < 0.8 else rng.randrange(PROCESSES)
                at = time.monotonic()
                processes[victim].send_signal(sig)
                try:
                    processes[victim].wait(timeout=STOP_SECONDS + 5)
                except subprocess.TimeoutExpired:
                    processes[victim].kill()
                    processes[victim].wait()
                stops.append(Stop(at, sig, victim == acting, time.monotonic() - at))
                processes[victim], logs[victim] = _start(env, tmp_path, victim, number)
            stopping_took = time.monotonic() - started
            deadline = time.monotonic() + budget
            with app.app_context():
                while time.monotonic() < deadline:
                    done, sent, emails = _counts()
                    if done == REMINDERS and sent == emails == REMINDERS:
                        break
                    time.sleep(0.25)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=STOP_SECONDS + 5)
                except subprocess.TimeoutExpired:
                    process.kill()
        elapsed = time.monotonic() - started
        received = sink.message_ids()
        first_arrivals = sink.first_arrivals()

    with app.app_context():
        done, sent, emails = _counts()
        inbox = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)
                                  .where(Delivery.channel == Channel.INBOX)) or 0
        dialect = db.engine.dialect.name
        rows = db.session.execute(sa.select(Delivery.id, Delivery.reminder_id, Delivery.attempts)
                                  .where(Delivery.channel == Channel.EMAIL)).all()
    expected = {f"<reminder-{r.reminder_id}.delivery-{r.id}@jinengtong.example>": r.attempts for r in rows}
    twice = {mid: n for mid, n in received.items() if n > 1}
    duplicates = sum(twice.values()) - len(twice)
    kills = [s for s in stops if s.signal is signal.SIGKILL]
    terms = [s for s in stops if s.signal is signal.SIGTERM]
    owed = _attribute(first_arrivals, twice, stops)
    print(f"\nduplicates={duplicates} kills={len(kills)} connections={CONNECTIONS}")
    print(f"reliability: database={dialect} processes={PROCESSES} reminders={REMINDERS} seconds={elapsed:.1f} "
          f"(stops over after {stopping_took:.1f}) kills of the acting one={sum(s.acting for s in kills)} "
          f"SIGTERMs={len(terms)} (of the acting one: "
          f"{sum(s.acting for s in terms)}; exits after {', '.join(f'{s.exit_seconds:.1f}' for s in terms)} s)")
    print("reliability: duplicates per stop: " + ", ".join(
        f"{stop.signal.name}{'*' if stop.acting else ''}={owed.get(i, 0)}" for i, stop in enumerate(stops))
        + " (* the acting one)")
    print(f"reliability: reminders done={done} inbox={inbox} emails sent={sent}/{emails} "
          f"smtp messages={sum(received.values())} distinct Message-IDs={len(received)}")
    assert (done, inbox, sent, emails) == (REMINDERS, REMINDERS, REMINDERS, REMINDERS)
    assert set(received) == set(expected)  # every e-mail reached the server, and nothing else did
    # A second copy only ever comes from a send whose lease ran out after its scheduler died.
    assert all(expected[mid] >= 2 for mid in twice), twice
    assert all(s.exit_seconds <= STOP_SECONDS for s in terms), [s.exit_seconds for s in terms]
    assert owed.get(-1, 0) == 0, "a duplicate that no stop explains"
    for index, stop in enumerate(stops):
        bound = CONNECTIONS if stop.signal is signal.SIGKILL else 0
        assert owed.get(index, 0) <= bound, (stop, owed)
    assert duplicates <= len(kills) * CONNECTIONS


@pytest.fixture(autouse=True)
def _skip_without_processes() -> None:
    if os.environ.get("SKIP_RELIABILITY") == "1":
        pytest.skip("SKIP_RELIABILITY=1")
