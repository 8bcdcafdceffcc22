"""Reliability: 3 `flask scheduler run` processes, reminders due, the acting one stopped again and again while
e-mails go out — by `kill -9` and by SIGTERM — and restarted.

Every reminder must be delivered and every inbox entry written once. An e-mail may reach the SMTP server twice
only after a `kill -9`, and then only one that had been handed to the server and not yet recorded when the
process died: the last message on one of the killed process's SMTP connections (each sender records a
message's outcome before it takes the next), so at most one per open connection. After a SIGTERM: none at all,
and the process is gone within 10 s.

Each process says who it is in its EHLO (``scheduler-<n>-<generation>``) and the SMTP server notes, for every
message, the connection it came over; so each extra copy is traced to the process and connection that sent the
copy before it, and the test fails unless that process was killed with `kill -9` and that copy was the last
message on its connection. Nothing depends on timing: a loaded machine makes the run slower, not different.

Prints ``duplicates=<n> kills=<k> connections=<c>`` (and the detail). The everyday suite runs the short form
(400 reminders, 3 kills, 1 SIGTERM: under a minute per database on a quiet machine, a few at load 20–30); the
long form, on both databases:

    make test-reliability        # 2,000 reminders, 6 kills and 3 SIGTERMs each on SQLite and PostgreSQL
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.competitions.events.services import APPROVAL_DUE
from app.competitions.registration.models import RegistrationStatus
from app.core.enums import OrgKind, Role
from app.extensions import db
from app.reminders.models import Channel, Delivery, DeliveryStatus, Reminder, ReminderStatus
from tests import competition_factories as cf
from tests import factories
from tests.conftest import TEST_KEYS
from tests.reminder_factories import Sink, smtp_server

ROOT = Path(__file__).resolve().parents[2]
REMINDERS = int(os.environ.get("RELIABILITY_REMINDERS", "400"))
KILLS = int(os.environ.get("RELIABILITY_KILLS", "3"))
TERMS = int(os.environ.get("RELIABILITY_TERMS", "1"))
PROCESSES = 3
#: Each scheduler sends on this many SMTP connections.
CONNECTIONS = 4
#: A stopped process must be gone within this.
STOP_SECONDS = 10.0
#: The run gives up when nothing has moved for this long (a loaded machine is slow; a stuck one is a failure).
STALL_SECONDS = 120.0


@dataclass
class Stop:
    #: The victim's EHLO name: scheduler-<n>-<generation>.
    name: str
    signal: signal.Signals
    #: Whether the victim was the one sending (the last message before the stop came from it).
    acting: bool
    #: Messages the SMTP server had received when the signal went.
    received: int
    exit_seconds: float
    #: Its exit status (a SIGTERM'd scheduler stops cleanly: 0).
    returncode: int


@dataclass
class Verdict:
    """Each extra copy of a message, owed to the process and connection that sent the copy before it."""

    #: victim name -> extra copies owed to its stop.
    owed: dict[str, int]
    #: Extra copies whose previous copy was not the last message on its connection of a killed process.
    unexplained: list[str]


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


def _name(n: int, generation: int) -> str:
    return f"scheduler-{n}-{generation}"


def _start(env: dict[str, str], log_dir: Path, n: int, generation: int) -> subprocess.Popen:
    name = _name(n, generation)
    with (log_dir / f"{name}.log").open("wb") as log:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi.py", "scheduler", "run"], cwd=ROOT,
                                env={**env, "MAIL_EHLO_HOSTNAME": name}, stdout=log, stderr=subprocess.STDOUT)


def _ready(log_dir: Path, name: str) -> bool:
    """The process has set its signal handlers (it says so, and that it ticks, just after)."""
    path = log_dir / f"{name}.log"
    return path.exists() and "ticking every" in path.read_text(errors="replace")


def _wait(condition: Callable[[], bool], progress: Callable[[], int], pause: float = 0.01) -> bool:
    """Wait until ``condition()``, as long as ``progress()`` keeps moving within STALL_SECONDS."""
    seen, moved = progress(), time.monotonic()
    while not condition():
        if progress() != seen:
            seen, moved = progress(), time.monotonic()
        elif time.monotonic() - moved > STALL_SECONDS:
            return False
        time.sleep(pause)
    return True


def _counts() -> tuple[int, int, int]:
    db.session.remove()
    emails = dict(db.session.execute(
        sa.select(Delivery.status, sa.func.count()).where(Delivery.channel == Channel.EMAIL)
        .group_by(Delivery.status)).tuples().all())
    done = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                             .where(Reminder.status == ReminderStatus.DONE)) or 0
    return done, emails.get(DeliveryStatus.SENT, 0), sum(emails.values())


def _judge(sources: list[tuple[str, str, int]], stops: list[Stop]) -> Verdict:
    """A copy may be followed by another only if it was the last message on its connection and its process was
    then killed with `kill -9` (handed to the server, not yet recorded: the process died in between)."""
    last_on_connection = {(name, port): index for index, (_mid, name, port) in enumerate(sources)}
    signals = {stop.name: stop.signal for stop in stops}
    copies: dict[str, list[int]] = defaultdict(list)
    for index, (message_id, _name, _port) in enumerate(sources):
        copies[message_id].append(index)
    owed: dict[str, int] = defaultdict(int)
    unexplained = []
    for message_id, indexes in copies.items():
        for index in indexes[:-1]:  # each copy that was followed by another
            _mid, name, port = sources[index]
            if signals.get(name) is signal.SIGKILL and last_on_connection[(name, port)] == index:
                owed[name] += 1
            else:
                unexplained.append(f"{message_id} from {name}:{port} ({signals.get(name, 'not stopped')})")
    return Verdict(dict(owed), unexplained)


def _last_sender(sink: Sink) -> str:
    with sink.lock:
        return sink.connections[-1][0] if sink.connections else ""


def _victim(sink: Sink, current: list[str], rng: random.Random, sig: signal.Signals,
            ready: Callable[[str], bool]) -> tuple[int, bool]:
    """The process that sent the last message (the acting one): always for a SIGTERM, most of the time for a
    kill — now and then a spare that has started (its death must change nothing). After a stop, the acting one
    is known again once a message comes from a process now running."""
    _wait(lambda: _last_sender(sink) in current, lambda: len(sink.messages))
    sender = _last_sender(sink)
    acting = current.index(sender) if sender in current else None
    spares = [n for n in range(PROCESSES) if n != acting and ready(current[n])]
    if acting is not None and (sig is signal.SIGTERM or rng.random() < 0.8 or not spares):
        return acting, True
    victim = rng.choice(spares) if spares else rng.randrange(PROCESSES)
    return victim, False


def test_schedulers_killed_and_stopped_mid_batch_send_at_most_one_duplicate_per_connection_per_kill(
        app: Flask, tmp_path: Path):
    seed = int(os.environ.get("RELIABILITY_SEED", time.time()))
    rng = random.Random(seed)
    with app.app_context():
        _seed(REMINDERS)
    plan = [signal.SIGKILL] * KILLS + [signal.SIGTERM] * TERMS
    rng.shuffle(plan)
    stops: list[Stop] = []
    with smtp_server(headers_only=True) as (sink, port):
        env = {**os.environ, **TEST_KEYS, "DATABASE_URL": os.environ["_TEST_DATABASE_URI"],
               "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "REMINDER_INTERVAL_SECONDS": "0.2",
               "REMINDER_LEASE_SECONDS": "3", "REMINDER_BATCH": "50", "LOG_FORMAT": "text", "APP_ENV": "testing",
               "REMINDER_SMTP_CONNECTIONS": str(CONNECTIONS), "RISK_PROMPTS_MAX_AGE_SECONDS": "3600"}
        current = [_name(n, 0) for n in range(PROCESSES)]
        processes = [_start(env, tmp_path, n, 0) for n in range(PROCESSES)]
        started = time.monotonic()
        try:
            for number, sig in enumerate(plan, start=1):
                # Spread the stops over the sending: the n-th when about n/(stops+1) of the e-mails are out.
                mark = number * REMINDERS // (len(plan) + 1)
                _wait(lambda mark=mark: len(sink.messages) >= mark, lambda: len(sink.messages))
                time.sleep(rng.uniform(0, 0.05))
                victim, acting = _victim(sink, current, rng, sig, lambda name: _ready(tmp_path, name))
                # Only a process that has set its signal handlers (a SIGTERM before that is not a stop we test).
                _wait(lambda victim=victim: _ready(tmp_path, current[victim]), lambda: len(sink.messages))
                received, at = len(sink.messages), time.monotonic()
                processes[victim].send_signal(sig)
                try:
                    processes[victim].wait(timeout=STOP_SECONDS + 5)
                except subprocess.TimeoutExpired:
                    processes[victim].kill()
                    processes[victim].wait()
                stops.append(Stop(current[victim], sig, acting, received, time.monotonic() - at,
                                  processes[victim].returncode))
                current[victim] = _name(victim, number)
                processes[victim] = _start(env, tmp_path, victim, number)
            stopping_took = time.monotonic() - started
            with app.app_context():
                latest = [_counts()]

                def finished() -> bool:
                    latest.append(_counts())
                    return latest[-1] == (REMINDERS, REMINDERS, REMINDERS)

                _wait(finished, lambda: hash(latest[-1]), pause=0.25)
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
        sources = sink.sources()

    with app.app_context():
        done, sent, emails = _counts()
        inbox = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)
                                  .where(Delivery.channel == Channel.INBOX)) or 0
        dialect = db.engine.dialect.name
        rows = db.session.execute(sa.select(Delivery.id, Delivery.reminder_id)
                                  .where(Delivery.channel == Channel.EMAIL)).all()
    expected = {f"<reminder-{r.reminder_id}.delivery-{r.id}@jinengtong.example>" for r in rows}
    duplicates = sum(received.values()) - len(received)
    kills = [s for s in stops if s.signal is signal.SIGKILL]
    terms = [s for s in stops if s.signal is signal.SIGTERM]
    verdict = _judge(sources, stops)
    used = defaultdict(set)  # each process's SMTP connections (client ports), over all its rounds
    for _mid, name, client_port in sources:
        used[name].add(client_port)
    print(f"\nduplicates={duplicates} kills={len(kills)} connections={CONNECTIONS}")
    print(f"reliability: database={dialect} seed={seed} processes={PROCESSES} reminders={REMINDERS} "
          f"seconds={elapsed:.1f} (stops over after {stopping_took:.1f}) "
          f"kills of the acting one={sum(s.acting for s in kills)} SIGTERMs={len(terms)} (of the acting one: "
          f"{sum(s.acting for s in terms)}; exits after {', '.join(f'{s.exit_seconds:.1f}' for s in terms)} s)")
    print("reliability: duplicates per stop: " + ", ".join(
        f"{stop.signal.name}{'*' if stop.acting else ''}@{stop.received}={verdict.owed.get(stop.name, 0)}"
        for stop in stops) + " (* the acting one; @ messages the server had received by then)")
    print(f"reliability: reminders done={done} inbox={inbox} emails sent={sent}/{emails} "
          f"smtp messages={sum(received.values())} distinct Message-IDs={len(received)}")
    assert (done, inbox, sent, emails) == (REMINDERS, REMINDERS, REMINDERS, REMINDERS)
    assert set(received) == expected  # every e-mail reached the server, and nothing else did
    assert all(s.exit_seconds <= STOP_SECONDS and s.returncode == 0 for s in terms), terms
    assert verdict.unexplained == [], "extra copies that no kill -9 explains"
    for stop in stops:
        bound = min(CONNECTIONS, len(used[stop.name])) if stop.signal is signal.SIGKILL else 0
        assert verdict.owed.get(stop.name, 0) <= bound, (stop, verdict.owed)
    assert duplicates == sum(verdict.owed.values()) <= len(kills) * CONNECTIONS


@pytest.fixture(autouse=True)
def _skip_without_processes() -> None:
    if os.environ.get("SKIP_RELIABILITY") == "1":
        pytest.skip("SKIP_RELIABILITY=1")
