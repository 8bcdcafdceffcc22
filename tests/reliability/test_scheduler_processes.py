"""Reliability: 3 `flask scheduler run` processes, 2,000 reminders due, 10 SIGKILLs at random moments.

Every reminder must be delivered; no e-mail may reach the SMTP server twice except a resend after a kill
that fell between the server's acceptance and the commit (the documented at-least-once window), which then
carries the same Message-ID. Run alone with the figures shown: `make test-reliability`.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.competitions.models import RegistrationStatus
from app.competitions.reminders import APPROVAL_DUE
from app.core.enums import OrgKind, Role
from app.extensions import db
from app.reminders.models import Channel, Delivery, DeliveryStatus, Reminder, ReminderStatus
from tests import competition_factories as cf
from tests import factories
from tests.conftest import TEST_KEYS
from tests.reminder_factories import smtp_server

ROOT = Path(__file__).resolve().parents[2]
#: 2,000 in `make test-reliability`; fewer in the everyday suite, which must stay quick.
REMINDERS = int(os.environ.get("RELIABILITY_REMINDERS", "300"))
PROCESSES, KILLS = 3, 10
#: Each scheduler sends on this many SMTP connections and records at most this many outcomes per commit.
CONNECTIONS, COMMIT_EVERY = 4, 10


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
    """The process that holds the scheduler lock (it says so in its log when it takes it)."""
    return next((n for n, path in enumerate(logs) if "now acts" in path.read_text(errors="replace")), None)


def _counts() -> tuple[int, int, int]:
    db.session.remove()
    emails = dict(db.session.execute(
        sa.select(Delivery.status, sa.func.count()).where(Delivery.channel == Channel.EMAIL)
        .group_by(Delivery.status)).tuples().all())
    done = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                             .where(Reminder.status == ReminderStatus.DONE)) or 0
    return done, emails.get(DeliveryStatus.SENT, 0), sum(emails.values())


def test_three_schedulers_killed_ten_times_deliver_every_reminder_once(app: Flask, tmp_path: Path):
    rng = random.Random(int(os.environ.get("RELIABILITY_SEED", time.time())))
    with app.app_context():
        _seed(REMINDERS)
    with smtp_server() as (sink, port):
        env = {**os.environ, **TEST_KEYS, "DATABASE_URL": os.environ["_TEST_DATABASE_URI"],
               "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "REMINDER_INTERVAL_SECONDS": "0.2",
               "REMINDER_LEASE_SECONDS": "1", "REMINDER_BATCH": "20", "LOG_FORMAT": "text", "APP_ENV": "testing",
               "REMINDER_SMTP_CONNECTIONS": str(CONNECTIONS), "REMINDER_COMMIT_EVERY": str(COMMIT_EVERY)}
        started_processes = [_start(env, tmp_path, n, 0) for n in range(PROCESSES)]
        processes, logs = [p for p, _ in started_processes], [path for _, path in started_processes]
        started = time.monotonic()
        kills = leader_kills = 0
        try:
            while kills < KILLS and time.monotonic() - started < 120:
                # Kill while e-mails are going out: a few more must have arrived since the last kill.
                seen = len(sink.messages)
                while len(sink.messages) < min(seen + 3, REMINDERS) and time.monotonic() - started < 120:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, 0.3))
                acting = _acting(logs)
                victim = acting if acting is not None and rng.random() < 0.7 else rng.randrange(PROCESSES)
                leader_kills += victim == acting
                processes[victim].send_signal(signal.SIGKILL)
                processes[victim].wait()
                kills += 1
                processes[victim], logs[victim] = _start(env, tmp_path, victim, kills)
            killed_at = sink.message_ids()
            deadline = time.monotonic() + 60 + 0.15 * REMINDERS  # generous: shared CI machines are slow
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
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        elapsed = time.monotonic() - started
        received = sink.message_ids()

    with app.app_context():
        done, sent, emails = _counts()
        inbox = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)
                                  .where(Delivery.channel == Channel.INBOX)) or 0
        dialect = db.engine.dialect.name
        rows = db.session.execute(sa.select(Delivery.id, Delivery.reminder_id, Delivery.attempts)
                                  .where(Delivery.channel == Channel.EMAIL)).all()
    expected = {f"<reminder-{r.reminder_id}.delivery-{r.id}@jinengtong.example>": r.attempts for r in rows}
    twice = {mid: n for mid, n in received.items() if n > 1}
    resent = sum(twice.values()) - len(twice)
    print(f"\nreliability: database={dialect} processes={PROCESSES} kills={kills} (of the acting one: "
          f"{leader_kills}) reminders={REMINDERS} seconds={elapsed:.1f}")
    print(f"reliability: reminders done={done} inbox={inbox} emails sent={sent}/{emails} "
          f"smtp messages={sum(received.values())} distinct Message-IDs={len(received)} "
          f"received before the last kill={sum(killed_at.values())} resent after a kill={resent}")
    assert (done, inbox, sent, emails) == (REMINDERS, REMINDERS, REMINDERS, REMINDERS)
    assert set(received) == set(expected)  # every e-mail reached the server, and nothing else did
    # A second copy only ever comes from a send whose lease ran out (its scheduler was killed before the
    # commit), never from two schedulers at once; and per kill at most what one process had accepted by the
    # server but not yet committed: one group being recorded plus one message in flight per connection.
    assert all(expected[mid] >= 2 for mid in twice), twice
    assert resent <= leader_kills * (COMMIT_EVERY + CONNECTIONS)


@pytest.fixture(autouse=True)
def _skip_without_processes() -> None:
    if os.environ.get("SKIP_RELIABILITY") == "1":
        pytest.skip("SKIP_RELIABILITY=1")
