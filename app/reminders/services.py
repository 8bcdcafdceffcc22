"""Reminders: scheduling deadlines (called by other areas), the scheduler's tick, the inbox and the outbox.

The API for other areas (see app/reminders/registry.py for registering a kind of deadline):

- ``schedule_deadline(kind, subject_key, due_at, now=...)`` — create the deadline's reminders, or move its
  unsent ones when the deadline moves. Call it in the same transaction as the write; the caller commits.
- ``cancel_deadline(kind, subject_key)`` — the deadline was removed or the task is done: unsent reminders
  are cancelled. Same transaction, the caller commits.

The tick (``tick(now=...)``, run by ``flask scheduler run``) does two things, each in short transactions:

1. expand: claim due reminders (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``),
   ask the kind for its CURRENT recipients and add one delivery per (reminder, recipient, channel) — the
   unique key makes a second one impossible. In-app deliveries are delivered by being written.
   A reminder whose deadline has already passed (the scheduler was down) is marked skipped.
2. send: claim due e-mail deliveries the same way, setting ``sending`` with a lease, commit, send them
   over a few SMTP connections in parallel (threads, each connection carrying many messages) with a
   Message-ID derived from the delivery (app/reminders/mail.py builds the message). Each sender records a
   message's outcome as soon as the server has answered, before it takes the next one: a crash leaves at most
   one accepted-but-unrecorded e-mail per connection ``sending``; when the lease runs out it is sent again with
   the same Message-ID (the at-least-once window). A stop (SIGTERM) finishes the messages in hand and gives
   the untried ones back, so it sends nothing twice.
   A failed send is retried with back-off up to REMINDER_MAX_ATTEMPTS, then marked failed.
"""

from __future__ import annotations

import email.errors
import logging
import queue
import secrets
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any, NamedTuple, Protocol, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from markupsafe import Markup, escape

from app.auth.permissions import require
from app.core import audit
from app.core.models import User
from app.core.pagination import KeysetPage, keyset_page
from app.core.policy import value_in_force
from app.core.services import raise_not_found
from app.core.types import UTCDateTime, utcnow
from app.errors import DomainError
from app.extensions import db
from app.reminders import mail, rules
from app.reminders.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Reminder,
    ReminderPreference,
    ReminderStatus,
    SchedulerHeartbeat,
    message_id,
)
from app.reminders.registry import KINDS, Subject, get_kind, has_deadline

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the API for other areas

@dataclass(frozen=True)
class SendPolicy:
    offsets: tuple[int, ...]
    hour: int
    working_days_only: bool


def send_policy(kind_key: str, on: datetime) -> SendPolicy:
    """Offsets, hour and the working-day rule in force on ``on`` (policy table; the kind's defaults)."""
    day = on.astimezone(ZoneInfo(current_app.config["TZ"])).date()
    offsets = tuple(int(v) for q in ("first", "second", "third")
                    if (v := value_in_force("reminder.offset_days", day, qualifier=q)) is not None)
    hour = value_in_force("reminder.send_hour", day)
    workdays = value_in_force("reminder.working_days_only", day)
    return SendPolicy(offsets=offsets or get_kind(kind_key).default_offsets,
                      hour=int(hour) if hour is not None else 9,
                      working_days_only=bool(workdays) and workdays != Decimal(0))


def schedule_deadline(kind_key: str, subject_key: str | int, due_at: datetime, *,
                      now: datetime | None = None) -> list[Reminder]:
    """Make the deadline's reminders match ``due_at``: create them, or move the unsent ones.

    Offsets whose send time has already passed are not created (nor kept); reminders already sent for
    this very deadline stay as they are, so moving a deadline back and forth never sends one twice.
    Adds to the session; the caller commits with its own write.
    """
    now = now or utcnow()
    subject_key = str(subject_key)
    policy = send_policy(kind_key, now)
    planned = rules.planned_sends(due_at, policy.offsets, now, hour=policy.hour,
                                  working_days_only=policy.working_days_only,
                                  tz=ZoneInfo(current_app.config["TZ"]))
    rows = list(db.session.scalars(
        sa.select(Reminder).where(Reminder.kind == kind_key, Reminder.subject_key == subject_key)
        .order_by(Reminder.id).with_for_update()))
    kept: list[Reminder] = []
    unsent = [r for r in rows if r.status in (ReminderStatus.SCHEDULED, ReminderStatus.CANCELLED)]
    for offset, send_at in planned.items():
        same = next((r for r in rows if r.offset_days == offset and _same_instant(r.due_at, due_at)), None)
        if same is not None and same.status in (ReminderStatus.DONE, ReminderStatus.SKIPPED):
            continue  # this reminder of this deadline already went out
        row = same or next((r for r in unsent if r.offset_days == offset and r not in kept
                            and r.status is ReminderStatus.SCHEDULED), None)
        if row is None:
            row = Reminder(kind=kind_key, subject_key=subject_key, offset_days=offset)
            db.session.add(row)
        row.due_at, row.send_at, row.status = due_at, send_at, ReminderStatus.SCHEDULED
        kept.append(row)
    for row in unsent:
        if row not in kept:
            row.status = ReminderStatus.CANCELLED
    return kept


def cancel_deadline(kind_key: str, subject_key: str | int) -> int:
    """Cancel the deadline's unsent reminders (it was removed, or the task is done). The caller commits."""
    get_kind(kind_key)
    result = db.session.execute(
        sa.update(Reminder)
        .where(Reminder.kind == kind_key, Reminder.subject_key == str(subject_key),
               Reminder.status == ReminderStatus.SCHEDULED)
        .values(status=ReminderStatus.CANCELLED)
        .execution_options(synchronize_session="fetch"))
    return cast("sa.CursorResult[Any]", result).rowcount or 0  # an UPDATE's result


def _same_instant(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 1


# ---------------------------------------------------------------- the tick

@dataclass
class TickResult:
    expanded: int = 0
    skipped: int = 0
    cancelled: int = 0
    deliveries: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: TickResult) -> None:
        for name in ("expanded", "skipped", "cancelled", "deliveries", "sent", "retried", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

    @property
    def work(self) -> int:
        return self.expanded + self.skipped + self.cancelled + self.sent + self.retried + self.failed

    def __str__(self) -> str:
        return (f"expanded={self.expanded} skipped={self.skipped} cancelled={self.cancelled} "
                f"deliveries={self.deliveries} sent={self.sent} retried={self.retried} failed={self.failed}")


def tick(now: datetime | None = None, batch: int | None = None, max_rounds: int = 1000,
         stop: threading.Event | None = None, heartbeat: Callable[[], None] | None = None) -> TickResult:
    """Do everything that is due: expand due reminders, send due e-mails; repeat until nothing is left.

    ``stop`` (the scheduler's SIGTERM) ends it after the batch in hand; ``heartbeat`` is called before each
    round, so a long catch-up still shows the scheduler alive."""
    total = TickResult()
    size = _batch(batch)
    for _round in range(max_rounds):
        if stop is not None and stop.is_set():
            break
        if heartbeat is not None:
            heartbeat()
        moment, began = now or utcnow(), time.monotonic()
        expanded = expand_due(moment, batch)
        sent = send_due(moment, batch, stop, began=began)
        total.add(expanded)
        total.add(sent)
        # A round that found less than a batch of either has done what was due when it looked (what falls due
        # meanwhile is the next tick's): no second round only to find nothing.
        if (expanded.expanded + expanded.skipped + expanded.cancelled < size
                and sent.sent + sent.retried + sent.failed < size):
            break
    return total


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk (``SET LOCAL``: this
    transaction only). Safe for the tick's claims and expansions: a scheduler killed at any moment loses nothing
    by it (the server has the commit); only a crash of the database server itself can lose the last fraction of
    a second of commits, each whole — reminders then are simply still due and expanded again (their in-app
    deliveries with them), and an e-mail claimed and sent is sent once more with its Message-ID, as after a
    `kill -9`. SQLite: WAL (scheduler.prepare_database) with ``synchronous = NORMAL`` on this connection (set once
    for it, as the senders' connections are: see _Recording) is the same trade."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    elif connection.dialect.name == "sqlite" and not connection.connection.info.get(_Recording.ASYNC_COMMIT):
        connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
        connection.connection.info[_Recording.ASYNC_COMMIT] = True


def _batch(batch: int | None) -> int:
    return batch or current_app.config["REMINDER_BATCH"]


def expand_due(now: datetime, batch: int | None = None) -> TickResult:
    """Claim up to ``batch`` due reminders and turn each into deliveries for its current recipients."""
    result = TickResult()
    table = Reminder.__table__
    columns = (table.c.id, table.c.kind, table.c.subject_key, table.c.due_at, table.c.title, table.c.link)
    due = (sa.select(*columns)
           .where(table.c.status == ReminderStatus.SCHEDULED, table.c.send_at <= now)
           .order_by(table.c.send_at, table.c.id).limit(_batch(batch))
           .with_for_update(skip_locked=True))
    _commit_without_waiting_for_disk()
    # If this process dies before the commit, the claimed reminders are simply still scheduled.
    if db.session.get_bind().dialect.name == "postgresql":
        # The due rows, locked (FOR UPDATE SKIP LOCKED: another scheduler skips them): each is then written once,
        # with its outcome below. (Claiming by an UPDATE first wrote each row twice: a new row version and an
        # entry in each of its indexes, twice.)
        reminders = sorted(db.session.execute(due))  # by id, as on SQLite: deliveries are made in that order
    else:
        # SQLite has no row locks: one statement claims the rows and returns them, taking the write lock first,
        # so two schedulers cannot both read them as due.
        reminders = sorted(db.session.execute(
            sa.update(table).where(table.c.id.in_(sa.select(due.subquery().c.id).scalar_subquery()))
            .values(status=ReminderStatus.DONE, processed_at=now).returning(*columns)).all())
    if not reminders:
        db.session.rollback()
        return result
    with current_app.test_request_context("/", base_url=current_app.config["APP_BASE_URL"]):
        audiences = _audiences(reminders, now)
    rows: list[dict[str, object]] = []
    outcomes: dict[tuple[ReminderStatus, str, str], list[int]] = {}
    for reminder in reminders:
        _expand(reminder, now, result, audiences, rows, outcomes)
    for (status, title, link), ids in outcomes.items():  # one UPDATE per subject, not one per reminder
        db.session.execute(sa.update(table).where(table.c.id.in_(ids))
                           .values(status=status, title=title, link=link, processed_at=now))
    if rows:
        # The batch's deliveries in one executemany (in-app ones are delivered by being written); psycopg sends
        # it in pipeline mode, one round trip. (Multi-row VALUES cost twice the client CPU: compiling them.)
        db.session.execute(sa.insert(Delivery.__table__), rows)
    db.session.commit()
    return result


class _Due(Protocol):
    """A claimed reminder, as the claim returned it."""

    id: int
    kind: str
    subject_key: str
    due_at: datetime
    title: str
    link: str


@dataclass
class _Audience:
    subject: Subject | None
    users: list[User]
    #: Those of ``users`` who turned e-mail off for this kind of reminder.
    no_email: set[int]


def _audiences(reminders: Sequence[_Due], now: datetime) -> dict[tuple[str, str], _Audience]:
    """What each subject of the reminders still due is about and whom it reaches now (each kind asked once per
    subject in a batch); who of them turned e-mail off, in one query for the batch."""
    audiences: dict[tuple[str, str], _Audience] = {}
    for reminder in reminders:
        key = (reminder.kind, reminder.subject_key)
        if reminder.due_at <= now or key in audiences:
            continue
        deadline = KINDS.get(reminder.kind)
        subject = deadline.describe(reminder.subject_key) if deadline is not None else None
        users = ([] if deadline is None or subject is None
                 else list({u.id: u for u in deadline.recipients(reminder.subject_key) if u.active}.values()))
        audiences[key] = _Audience(subject, users, set())
    wanted = {(kind, user.id) for (kind, _subject), audience in audiences.items() for user in audience.users}
    if wanted:
        off = set(db.session.execute(
            sa.select(ReminderPreference.kind, ReminderPreference.user_id)
            .where(ReminderPreference.kind.in_({kind for kind, _user in wanted}),
                   ReminderPreference.user_id.in_({user for _kind, user in wanted}),
                   ReminderPreference.email.is_(False))).tuples())
        for (kind, _subject), audience in audiences.items():
            audience.no_email = {user.id for user in audience.users if (kind, user.id) in off}
    return audiences


def _expand(reminder: _Due, now: datetime, result: TickResult, audiences: dict[tuple[str, str], _Audience],
            rows: list[dict[str, object]], outcomes: dict[tuple[ReminderStatus, str, str], list[int]]) -> None:
    """Add the reminder's deliveries to ``rows`` and its new status (with title and link) to ``outcomes``."""
    if reminder.due_at <= now:
        outcomes.setdefault((ReminderStatus.SKIPPED, reminder.title, reminder.link), []).append(reminder.id)
        result.skipped += 1
        return
    audience = audiences[(reminder.kind, reminder.subject_key)]
    if audience.subject is None:
        outcomes.setdefault((ReminderStatus.CANCELLED, reminder.title, reminder.link), []).append(reminder.id)
        result.cancelled += 1
        return
    subject, no_email = audience.subject, audience.no_email
    outcomes.setdefault((ReminderStatus.DONE, subject.title[:200], subject.link[:300]), []).append(reminder.id)
    for user in audience.users:
        rows.append({"reminder_id": reminder.id, "user_id": user.id, "channel": Channel.INBOX,
                     "status": DeliveryStatus.SENT, "address": "", "attempts": 0, "next_attempt_at": None,
                     "error": "", "sent_at": now, "created_at": now})
        result.deliveries += 1
        if user.email and user.id not in no_email:
            rows.append({"reminder_id": reminder.id, "user_id": user.id, "channel": Channel.EMAIL,
                         "status": DeliveryStatus.PENDING, "address": user.email, "attempts": 0,
                         "next_attempt_at": now, "error": "", "sent_at": None, "created_at": now})
            result.deliveries += 1
    result.expanded += 1


def send_due(now: datetime, batch: int | None = None, stop: threading.Event | None = None, *,
             began: float | None = None) -> TickResult:
    """Claim up to ``batch`` due e-mails (pending, or sending with a lapsed lease) and send them.

    The messages are composed here (they need the app, its templates and translations) and handed to a few
    sender threads. Each sender holds one SMTP connection and a database connection (shared with a few other
    senders, one statement at a time), and records each message's outcome the moment the SMTP server has
    answered for it — one small UPDATE, committed without waiting for the disk (see _Recording) — before it
    takes the next message. So at any instant at most one message per connection has been accepted by the
    server and not yet recorded: all a ``kill -9`` can make a later scheduler send a second time (with the same
    Message-ID, after the lease).

    ``stop`` (set on SIGTERM): each sender finishes the message in hand, records it, and stops; the e-mails not
    yet tried are given back at once, so a stop never leaves one to be sent twice.

    ``began``: when (time.monotonic()) ``now`` was read, if earlier than this call (the tick reads it before
    expanding): the lease is reckoned from then.
    """
    result = TickResult()
    config = current_app.config
    stop = stop or threading.Event()
    lease_until = now + timedelta(seconds=config["REMINDER_LEASE_SECONDS"])
    due = (sa.select(Delivery.id)
           .where(Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
                  Delivery.next_attempt_at <= now)
           .order_by(Delivery.next_attempt_at, Delivery.id).limit(_batch(batch))
           .with_for_update(skip_locked=True))
    _commit_without_waiting_for_disk()
    table = Delivery.__table__
    claim = (sa.update(table).where(table.c.id.in_(due.scalar_subquery()))
             .values(status=DeliveryStatus.SENDING, next_attempt_at=lease_until, attempts=table.c.attempts + 1))
    # Plain rows, not ORM objects: what composing needs of each e-mail, its recipient and its reminder.
    deliveries: list[_Mail]
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement claims the e-mails and reads them with their recipients and reminders (the claiming
        # UPDATE … RETURNING as a common table expression), instead of a second one naming a thousand ids.
        claimed_rows = claim.returning(table.c.id, table.c.attempts, table.c.address, table.c.reminder_id,
                                       table.c.user_id).cte("claimed")
        users, reminders = User.__table__, Reminder.__table__
        deliveries = [_Mail(*row) for row in db.session.execute(
            sa.select(claimed_rows.c.id, claimed_rows.c.attempts, claimed_rows.c.address,
                      claimed_rows.c.reminder_id, users.c.display_name, reminders.c.kind, reminders.c.title,
                      reminders.c.link, reminders.c.due_at, reminders.c.processed_at)
            .join_from(claimed_rows, users, users.c.id == claimed_rows.c.user_id)
            .join(reminders, reminders.c.id == claimed_rows.c.reminder_id).order_by(claimed_rows.c.id))]
        db.session.commit()  # the lease is ours before anything goes out
        claimed = [delivery.id for delivery in deliveries]
    else:
        claimed = list(db.session.scalars(claim.returning(table.c.id)).all())
        db.session.commit()  # the lease is ours before anything goes out
        deliveries = ([_Mail(*row) for row in db.session.execute(
            _MAIL_COLUMNS.where(Delivery.id.in_(claimed)).order_by(Delivery.id))] if claimed else [])
    if not claimed:
        return result
    # The lease is renewed while the senders work; a sender starts a message only while the lease still has
    # half its length to run (time to send and record it), so a scheduler that cannot renew (starved, its
    # database gone) stops sending before another one could take these e-mails.
    lease = _Lease(db.engine, claimed, now, lease_until, config["REMINDER_LEASE_SECONDS"],
                   time.monotonic() if began is None else began)
    composer = _Composer()
    work: queue.SimpleQueue[_Outgoing | None] = queue.SimpleQueue()
    settings = _SmtpSettings.from_config(config)
    halt = threading.Event()  # set when composing or recording fails: the senders stop taking messages
    count = max(1, min(config["REMINDER_SMTP_CONNECTIONS"], len(deliveries)))
    recordings = [_Recording(db.engine, now, config) for _n in range(_recording_connections(db.engine, count))]
    senders = [_Sender(settings, recordings[n % len(recordings)], work, stop, halt, lease) for n in range(count)]
    threads = [threading.Thread(target=sender.run, daemon=True, name=f"reminder-smtp-{n}")
               for n, sender in enumerate(senders)]
    threads.append(threading.Thread(target=lease.keep, daemon=True, name="reminder-lease"))
    for thread in threads:
        thread.start()
    try:
        # Composing overlaps with sending: the threads start on the first message while the rest are made.
        for delivery in deliveries:
            if halt.is_set() or stop.is_set():
                break
            work.put(composer.compose(delivery))
        db.session.rollback()  # the outcomes are written on the senders' own connections
    except BaseException:
        # Whatever was sent and not recorded stays `sending` and goes again after the lease (same Message-ID).
        halt.set()
        raise
    finally:
        for _sender in senders:
            work.put(None)  # one stop sign per sender
        for thread in threads[:-1]:
            thread.join()
        for recording in recordings:
            recording.close()
        lease.done.set()
        threads[-1].join()
    tried: set[int] = set()
    for sender in senders:
        result.add(sender.result)
        tried |= sender.tried
    failure = next((s.failure for s in senders if s.failure is not None), None)
    untried = [delivery_id for delivery_id in claimed if delivery_id not in tried]
    if untried:
        _release(untried, now)
    if failure is not None:
        raise failure
    return result


@dataclass(frozen=True)
class _Claim:
    id: int
    attempts: int


class _Mail(NamedTuple):
    """What composing needs of one claimed e-mail."""

    id: int
    attempts: int
    address: str
    reminder_id: int
    display_name: str
    kind: str
    title: str
    link: str
    due_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> _Mail:
        reminder = delivery.reminder
        return cls(delivery.id, delivery.attempts, delivery.address, delivery.reminder_id,
                   delivery.user.display_name, reminder.kind, reminder.title, reminder.link, reminder.due_at,
                   reminder.processed_at)


_MAIL_COLUMNS = (sa.select(Delivery.id, Delivery.attempts, Delivery.address, Delivery.reminder_id, User.display_name,
                           Reminder.kind, Reminder.title, Reminder.link, Reminder.due_at, Reminder.processed_at)
                 .join(User, User.id == Delivery.user_id).join(Reminder, Reminder.id == Delivery.reminder_id))


@dataclass(frozen=True)
class _Outgoing:
    claim: _Claim
    sender: str
    recipient: str
    #: The message as sent, or None when it was refused while composing (``refused`` says why).
    data: bytes | None
    refused: str = ""


class _Sender:
    """One sender thread: one SMTP connection and a recording connection (shared with a few other senders); takes
    a message, sends it, records the outcome, and only then takes the next (until a stop sign, a stop, a halt or
    the end of its time)."""

    def __init__(self, settings: _SmtpSettings, recording: _Recording, work: queue.SimpleQueue[_Outgoing | None],
                 stop: threading.Event, halt: threading.Event, lease: _Lease) -> None:
        self.smtp, self.recording, self.work = _Smtp(settings), recording, work
        self.stop, self.halt, self.lease = stop, halt, lease
        self.result = TickResult()
        #: The deliveries this sender tried (the others are given back).
        self.tried: set[int] = set()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while (item := self.work.get()) is not None:
                if self.halt.is_set() or self.stop.is_set() or not self.lease.usable():
                    continue  # not tried: given back by send_due
                self.tried.add(item.claim.id)
                error: str | None
                if item.data is None:
                    error, permanent = item.refused, True
                else:
                    try:
                        error, permanent = self.smtp.send(item)
                    except Exception as exc:  # noqa: BLE001 - every message taken gets an outcome
                        self.smtp.close()
                        error, permanent = f"{type(exc).__name__}: {exc}", False
                self.recording.record(item.claim, error, permanent, self.result)
        except BaseException as exc:  # noqa: BLE001 - handed to send_due, which raises it
            self.halt.set()  # nothing more goes out that could not be recorded
            self.failure = exc
        finally:
            self.smtp.close()


#: How long a sender keeps trying to record an outcome while SQLite stays locked by other writers.
RECORD_PATIENCE_SECONDS = 30.0


class _Lease:
    """A batch's claim on its e-mails: ``next_attempt_at`` of the rows still ``sending`` is the end of the lease,
    after which another scheduler may send them again. While the senders work, a thread of its own moves it
    on every quarter lease (only rows that still carry this claim's lease: a row someone else has claimed keeps
    theirs). ``usable()`` is what the senders ask before each message: true while the lease, as last renewed,
    has at least half its length to run — time to send the message and record it. A scheduler starved of CPU or
    cut off from its database therefore stops sending before its lease can run out, and the untried e-mails are
    given back; a sender never sends one whose lease may have passed to someone else.

    Times stored are on the tick's clock (``now``, possibly a test's), moved on by the real time elapsed."""

    def __init__(self, engine: sa.Engine, ids: Sequence[int], now: datetime, until: datetime, seconds: float,
                 began: float) -> None:
        self.engine, self.ids, self.now, self.until, self.seconds = engine, ids, now, until, float(seconds)
        #: When (time.monotonic()) ``now`` was read: the stored lease ends ``seconds`` after it, however long the
        #: round took before the claim (expanding on a loaded machine can take seconds).
        self.started = began
        #: Until when (time.monotonic()) the lease is surely ours: it was written before this moment.
        self.valid_until = self.started + self.seconds
        self.renewals = 0
        self.done = threading.Event()

    def usable(self) -> bool:
        return time.monotonic() < self.valid_until - self.seconds / 2

    def renew(self) -> None:
        asked = time.monotonic()
        until = self.now + timedelta(seconds=asked - self.started + self.seconds)
        table = Delivery.__table__
        with self.engine.begin() as connection:
            connection.execute(sa.update(table).where(
                table.c.id.in_(self.ids), table.c.status == DeliveryStatus.SENDING,
                table.c.next_attempt_at == self.until).values(next_attempt_at=until))
        self.until, self.valid_until = until, asked + self.seconds
        self.renewals += 1

    def keep(self) -> None:
        """Renew every quarter lease until the batch is done; a failed renewal ends the renewing (the senders
        then stop when the lease has half its length left)."""
        while not self.done.wait(self.seconds / 4):
            try:
                self.renew()
            except sa.exc.DBAPIError:
                log.warning("reminder lease: renewal failed; the senders stop before it runs out", exc_info=True)
                return


class _Recording:
    """A database connection the senders record outcomes on: each outcome is one UPDATE of one row, committed at
    once. Shared by a few senders, one statement at a time (a lock): SQLite has one writer at a time anyway (one
    connection per process, so its senders never wait on each other's locks in SQLite's busy handler), and on
    PostgreSQL the tick's connections then fit in those the pool keeps (see _recording_connections) instead of
    being opened anew every tick. A sender still records each message before it takes the next.

    On PostgreSQL with ``synchronous_commit`` off for this connection: the commit does not wait for the WAL to
    reach the disk. A scheduler killed at any moment loses nothing by it (the server has the commit); only a
    crash of the database server itself could lose the last few markings, and those e-mails would go again
    with the same Message-ID. On SQLite the database is in WAL mode (set by the scheduler, see
    scheduler.prepare_database) and this connection commits with ``synchronous = NORMAL``: no fsync per
    commit, the same trade. The setting is made once per connection and stays with it in the pool (only the
    scheduler sends, and every write of its tick may commit so)."""

    def __init__(self, engine: sa.Engine, now: datetime, config: dict[str, Any]) -> None:
        self.engine, self.now = engine, now
        self.max_attempts, self.retry_seconds = config["REMINDER_MAX_ATTEMPTS"], config["REMINDER_RETRY_SECONDS"]
        self.connection: sa.Connection | None = None
        self.cursor: Any = None
        self.lock = threading.Lock()
        dialect = engine.dialect
        self.dbapi: Any = dialect.loaded_dbapi
        # The three UPDATEs, written once in the driver's own terms (a message's outcome is the hot path of a
        # tick: SQLAlchemy would build, look up and process a statement for each). Instants go through the
        # column type's own bind processing, so they are stored exactly as everywhere else.
        processor = UTCDateTime().bind_processor(dialect)
        self.instant: Callable[[datetime], Any] = processor if processor is not None else (lambda value: value)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        guard = f" WHERE id = {mark} AND attempts = {mark} AND status = '{DeliveryStatus.SENDING.value}'"
        table = Delivery.__table__.name
        self.sql = {
            DeliveryStatus.SENT: f"UPDATE {table} SET status = '{DeliveryStatus.SENT.value}', sent_at = {mark}, "
                                 f"error = '', next_attempt_at = NULL" + guard,
            DeliveryStatus.FAILED: f"UPDATE {table} SET status = '{DeliveryStatus.FAILED.value}', error = {mark}, "
                                   f"next_attempt_at = NULL" + guard,
            DeliveryStatus.PENDING: f"UPDATE {table} SET status = '{DeliveryStatus.PENDING.value}', "
                                    f"error = {mark}, next_attempt_at = {mark}" + guard,
        }
        self.sent_at = self.instant(now)

    #: Set on a pooled connection (its ``info`` lasts as long as it does) once it commits without waiting.
    ASYNC_COMMIT = "reminders.async_commit"

    def _connect(self) -> Any:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        info = connection.connection.info
        if not info.get(self.ASYNC_COMMIT):
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET synchronous_commit TO OFF")
            elif connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
            info[self.ASYNC_COMMIT] = True
        self.connection = connection
        self.cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        return self.cursor

    def record(self, claim: _Claim, error: str | None, permanent: bool, result: TickResult) -> None:
        """Mark the outcome, if the delivery is still ours (still ``sending`` with our attempt)."""
        params: tuple[object, ...]
        if error is None:
            status, params = DeliveryStatus.SENT, (self.sent_at,)
            result.sent += 1
        elif permanent or rules.gives_up(claim.attempts, self.max_attempts):
            status, params = DeliveryStatus.FAILED, (error[:500],)
            result.failed += 1
        else:
            retry_at = self.now + rules.retry_delay(claim.attempts, self.retry_seconds)
            status, params = DeliveryStatus.PENDING, (error[:500], self.instant(retry_at))
            result.retried += 1
        if error is not None:
            result.errors.append(error)
        sql, params = self.sql[status], (*params, claim.id, claim.attempts)
        with self.lock:
            self._execute(sql, params)

    def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        cursor = self.cursor or self._connect()
        give_up = time.monotonic() + RECORD_PATIENCE_SECONDS
        attempt = 0
        while True:
            try:
                cursor.execute(sql, params)  # autocommit: committed when it returns
                return
            except self.dbapi.OperationalError as exc:
                # SQLite: another writer kept the lock past busy_timeout (several schedulers' senders at once on
                # a loaded machine). Try again: giving up would leave a sent e-mail to be sent a second time.
                attempt += 1
                if self.engine.dialect.name != "sqlite" or time.monotonic() > give_up:
                    raise sa.exc.OperationalError(sql, params, exc) from exc
                time.sleep(min(0.1 * attempt, 1.0))
            except self.dbapi.Error as exc:
                raise sa.exc.DBAPIError(sql, params, exc) from exc

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.cursor.close()
        except self.dbapi.Error:
            self.connection.invalidate()
        finally:
            self.connection.close()
            self.connection, self.cursor = None, None


def _recording_connections(engine: sa.Engine, senders: int) -> int:
    """How many connections a batch's senders record on: one on SQLite (one writer at a time); on PostgreSQL
    as many as the pool keeps beside those checked out now (the tick's session, the scheduler's lock), at most one
    per sender (QueuePool keeps five: three or four for eight senders). More would be opened and closed again
    every tick — a new server process each, and its first statements planned anew."""
    if engine.dialect.name == "sqlite":
        return 1
    pool = engine.pool
    if not isinstance(pool, sa.pool.QueuePool):
        return senders
    return max(1, min(senders, pool.size() - pool.checkedout()))


def _release(ids: list[int], now: datetime) -> None:
    """Give back claimed e-mails that were not tried (a stop, or their lease would run out before their turn)."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Delivery).where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=Delivery.attempts - 1))


@dataclass(frozen=True)
class _SmtpSettings:
    server: str
    port: int
    timeout: float
    ehlo: str
    tls: bool
    username: str
    password: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> _SmtpSettings:
        # The EHLO name is given: smtplib's default asks DNS for this host's full name on every connection.
        return cls(config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"],
                   config["MAIL_EHLO_HOSTNAME"] or socket.gethostname(), config["MAIL_USE_TLS"],
                   config["MAIL_USERNAME"], config["MAIL_PASSWORD"])


class _Smtp:
    """One SMTP connection for many messages, reopened after the server drops it (one per sender thread)."""

    def __init__(self, settings: _SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        connection = smtplib.SMTP(s.server, s.port, timeout=s.timeout, local_hostname=s.ehlo)
        if s.tls:
            connection.starttls()
        if s.username:
            connection.login(s.username, s.password)
        return connection

    def send(self, message: _Outgoing) -> tuple[str | None, bool]:
        """Send; returns (error or None, whether the error is permanent)."""
        assert message.data is not None
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.sendmail(message.sender, [message.recipient], message.data)
            return None, False
        except smtplib.SMTPRecipientsRefused as exc:
            return f"SMTP: {exc.recipients}", True
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            return f"SMTP {exc.smtp_code}: {text}", 500 <= exc.smtp_code < 600
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return f"{type(exc).__name__}: {exc}", False

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


def _sender_domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rsplit("@", 1)[-1] if "@" in sender else "jinengtong.example"


#: Where the recipient's name goes in a body rendered once for all its recipients (no template or value holds it).
NAME_SLOT = "\x00recipient-name\x00"


class _Only:
    """What the e-mail templates may read of an object: the attributes given, and a loud error for any other —
    a template that starts to use more must add it here (and so to the bodies' cache key), or the bodies
    rendered once per content would be shared by recipients they do not fit."""

    def __init__(self, what: str, **attributes: object) -> None:
        self.__dict__.update(attributes, _what=what)

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"reminder e-mail templates: {self.__dict__['_what']}.{name} is not given to them")


class _Composer:
    """Composes the e-mails of a batch (app/reminders/mail.py builds each with the email package).

    What recipients share is made once: the message's frame (mail.Frame: the MIME structure, flattened once per
    batch), the headers and the two bodies of each distinct content (kind, title, deadline, link, date) — the bodies
    rendered from the compiled templates with a slot for the recipient's name, which is all that is per recipient
    in them (``_Only`` keeps it so). Per message there remains the name put in, the To and Message-ID headers, and
    the two parts' payloads put into the frame."""

    def __init__(self) -> None:
        config = current_app.config
        self.tz = ZoneInfo(config["TZ"])
        self.base = config["APP_BASE_URL"].rstrip("/")
        self.sender = config["MAIL_DEFAULT_SENDER"]
        self.domain = _sender_domain()
        self.from_header = mail.mailbox(_("技能通"), self.sender)
        templates = current_app.jinja_env  # not render_template: the page context processors need a request
        self.text = templates.get_template("reminders/email.txt")
        self.html = templates.get_template("reminders/email.html")
        # The templates' _() looked up the locale's catalogue on every call; here it is looked up once.
        self.gettext = _catalogue_gettext(get_translations())
        self.frame = mail.Frame(f"=_jnt.{secrets.token_hex(12)}")
        self.contents: dict[tuple[str, str, str | None, str, datetime | None],
                            tuple[list[tuple[str, str]], tuple[str, str]]] = {}
        self.bodies: dict[tuple[str, str | None, str, str], tuple[str, str]] = {}

    def _content(self, item: _Mail) -> tuple[list[tuple[str, str]], tuple[str, str]]:
        """The headers and the two bodies (with the name slot) shared by every e-mail of the same content."""
        due = item.due_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if has_deadline(item.kind) else None
        key = (item.kind, item.title, due, item.link, item.processed_at)
        if key not in self.contents:
            subject = (_("【技能通】提醒：%(title)s（%(due)s 截止）", title=item.title, due=due) if due
                       else _("【技能通】提醒：%(title)s", title=item.title))
            shared = [("Subject", subject), ("From", self.from_header),
                      ("Date", format_datetime(item.processed_at or utcnow())),
                      ("Auto-Submitted", "auto-generated")]
            body_key = (item.title, due, self.base + item.link, str(_kind_label(item.kind)))
            if body_key not in self.bodies:
                title, due, link, kind_label = body_key
                context = {"reminder": _Only("reminder", title=title), "user": _Only("user", display_name=NAME_SLOT),
                           "kind_label": kind_label, "due": due, "link": link,
                           "settings_link": self.base + "/reminders/preferences", "gettext": self.gettext}
                self.bodies[body_key] = (self.text.render(context), self.html.render(context))
            self.contents[key] = (shared, self.bodies[body_key])
        return self.contents[key]

    def compose(self, item: _Mail) -> _Outgoing:
        """The e-mail's message; one whose headers would carry a line break (or an address that does not
        parse) is refused — its _Outgoing has no data and says why, and it is recorded as failed."""
        claim = _Claim(item.id, item.attempts)
        shared, (text, html) = self._content(item)
        name = item.display_name
        try:
            headers = [*shared, ("To", mail.mailbox(name, item.address)),
                       ("Message-ID", message_id(item.reminder_id, item.id, self.domain))]
            data = self.frame.message(headers, text.replace(NAME_SLOT, name),
                                      html.replace(NAME_SLOT, str(escape(name))))
        except (ValueError, email.errors.HeaderParseError) as exc:
            log.warning("reminder e-mail %s refused: %s", item.id, exc)
            return _Outgoing(claim, self.sender, item.address, None,
                             _("邮件头不合规（含换行符或地址无效），已拒绝发送：%(error)s", error=str(exc)))
        return _Outgoing(claim, self.sender, item.address, data)


def _catalogue_gettext(translations: object) -> Callable[..., str]:
    """The templates' ``_()`` (jinja's new-style gettext: escaped in HTML, then %-formatted) on one catalogue."""
    lookup = translations.gettext  # type: ignore[attr-defined]

    @pass_context
    def gettext(context: object, string: str, **variables: object) -> str:
        text = lookup(string)
        if context.eval_ctx.autoescape:  # type: ignore[attr-defined]
            text = Markup(text)
        return cast(str, text % variables if variables else text)  # Markup stays Markup

    return gettext


def build_message(delivery: Delivery) -> bytes:
    """The e-mail of one delivery, as sent: Chinese subject, plain-text and HTML parts, a link back, a stable
    Message-ID (the tick composes a batch with one _Composer). Raises ValueError when it is refused."""
    outgoing = _Composer().compose(_Mail.of(delivery))
    if outgoing.data is None:
        raise ValueError(outgoing.refused)
    return outgoing.data


def _kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else key


# ---------------------------------------------------------------- heartbeat and lag (monitoring)

TICK_JOB = "reminders"


def beat(now: datetime, host: str, pid: int, job: str = TICK_JOB) -> None:
    """Record the acting scheduler's sign of life: one row per job, on a connection of its own (committed at
    once, whatever the tick's session holds)."""
    table = SchedulerHeartbeat.__table__
    values = {"beat_at": now, "host": host[:200], "pid": pid}
    with db.engine.connect() as connection:
        done = connection.execute(sa.update(table).where(table.c.job == job).values(**values)).rowcount
        if not done:
            try:
                connection.execute(sa.insert(table).values(job=job, **values))
            except sa.exc.IntegrityError:  # another scheduler wrote the first beat at the same moment
                connection.rollback()
                return
        connection.commit()


@dataclass(frozen=True)
class SchedulerHealth:
    beat_at: datetime | None
    host: str
    pid: int
    #: The oldest reminder that is due and not yet expanded, and the oldest e-mail due and not yet sent
    #: (pending, or sending with a lapsed lease): when each fell due.
    oldest_due_reminder: datetime | None
    oldest_due_email: datetime | None
    now: datetime
    max_silence: float
    max_lag: float

    @property
    def heartbeat_age(self) -> float | None:
        return None if self.beat_at is None else max((self.now - self.beat_at).total_seconds(), 0.0)

    @property
    def oldest_due(self) -> datetime | None:
        times = [t for t in (self.oldest_due_reminder, self.oldest_due_email) if t is not None]
        return min(times) if times else None

    @property
    def lag(self) -> float:
        """Seconds the oldest due-but-unsent reminder or e-mail has waited (0: nothing waits)."""
        oldest = self.oldest_due
        return 0.0 if oldest is None else max((self.now - oldest).total_seconds(), 0.0)

    @property
    def silent(self) -> bool:
        return self.heartbeat_age is None or self.heartbeat_age > self.max_silence

    @property
    def behind(self) -> bool:
        return self.lag > self.max_lag

    @property
    def ok(self) -> bool:
        return not self.silent and not self.behind

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else ("down" if self.silent else "behind"),
            "heartbeat_at": self.beat_at.isoformat() if self.beat_at else None,
            "heartbeat_age_seconds": None if self.heartbeat_age is None else round(self.heartbeat_age, 1),
            "heartbeat_host": self.host, "heartbeat_pid": self.pid,
            "oldest_due_age_seconds": round(self.lag, 1),
            "oldest_due_at": self.oldest_due.isoformat() if self.oldest_due else None,
            "max_heartbeat_age_seconds": self.max_silence, "max_oldest_due_age_seconds": self.max_lag,
        }


def scheduler_health(now: datetime) -> SchedulerHealth:
    """The scheduler's last heartbeat and how long the oldest due-but-unsent reminder has waited: two index
    range reads (the partial indexes of the due reminders and of the e-mail queue) and a primary-key read.

    Limits: silent after 3 intervals and a minute without a beat; behind when something due has waited more
    than REMINDER_MAX_LAG_SECONDS (default: 5 intervals, at least 5 minutes)."""
    config = current_app.config
    interval = float(config["REMINDER_INTERVAL_SECONDS"])
    heart = db.session.get(SchedulerHeartbeat, TICK_JOB)
    reminder = db.session.scalar(sa.select(sa.func.min(Reminder.send_at)).where(
        Reminder.status == ReminderStatus.SCHEDULED, Reminder.send_at <= now))
    email = db.session.scalar(sa.select(sa.func.min(Delivery.next_attempt_at)).where(
        Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)), Delivery.next_attempt_at <= now))
    return SchedulerHealth(
        beat_at=heart.beat_at if heart else None, host=heart.host if heart else "", pid=heart.pid if heart else 0,
        oldest_due_reminder=reminder, oldest_due_email=email, now=now,
        max_silence=float(config.get("REMINDER_MAX_SILENCE_SECONDS", 3 * interval + 60)),
        max_lag=float(config.get("REMINDER_MAX_LAG_SECONDS", max(300.0, 5 * interval))))


# ---------------------------------------------------------------- inbox

@dataclass
class InboxFilter:
    kind: str = ""
    unread: bool = False

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in {"kind": self.kind, "unread": "1" if self.unread else ""}.items() if v}


def inbox(actor: User, flt: InboxFilter, after: str | None, per_page: int) -> KeysetPage[Delivery]:
    """The actor's in-app reminders, newest first."""
    stmt = sa.select(Delivery).where(Delivery.user_id == actor.id, Delivery.channel == Channel.INBOX)
    if flt.kind:
        stmt = stmt.where(Delivery.reminder.has(Reminder.kind == flt.kind))
    if flt.unread:
        stmt = stmt.where(Delivery.read_at.is_(None))
    return keyset_page(stmt, [(Delivery.id, True)], after, per_page)


def unread_count(actor: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Delivery)
        .where(Delivery.user_id == actor.id, Delivery.channel == Channel.INBOX, Delivery.read_at.is_(None))) or 0


def get_own_item(actor: User, delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.user_id != actor.id or delivery.channel is not Channel.INBOX:
        raise_not_found()
    return delivery


def mark_read(actor: User, delivery_id: int, now: datetime) -> Delivery:
    """Mark one of the actor's own in-app reminders read (a personal flag: no audit row)."""
    delivery = get_own_item(actor, delivery_id)
    if delivery.read_at is None:
        delivery.read_at = now
        db.session.commit()
    return delivery


def mark_all_read(actor: User, now: datetime) -> int:
    result = db.session.execute(
        sa.update(Delivery).where(Delivery.user_id == actor.id, Delivery.channel == Channel.INBOX,
                                  Delivery.read_at.is_(None)).values(read_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return cast("sa.CursorResult[Any]", result).rowcount or 0  # an UPDATE's result


# ---------------------------------------------------------------- preferences

def email_preferences(actor: User) -> dict[str, bool]:
    """Per kind of deadline: whether the actor wants reminders by e-mail too (default yes)."""
    stored = dict(db.session.execute(
        sa.select(ReminderPreference.kind, ReminderPreference.email)
        .where(ReminderPreference.user_id == actor.id)).tuples().all())
    return {key: stored.get(key, True) for key in KINDS}


def set_email_preferences(actor: User, wanted: set[str]) -> None:
    """Keep e-mail on for the kinds in ``wanted`` and off for the others."""
    unknown = wanted - set(KINDS)
    if unknown:
        raise DomainError(_("未知的提醒类型"))
    before = email_preferences(actor)
    rows = {p.kind: p for p in db.session.scalars(
        sa.select(ReminderPreference).where(ReminderPreference.user_id == actor.id))}
    for key in KINDS:
        row = rows.get(key) or ReminderPreference(user_id=actor.id, kind=key)
        row.email = key in wanted
        db.session.add(row)
    audit.record(actor, "update", db.session.get(User, actor.id),
                 before={"reminder_email": sorted(k for k, v in before.items() if v)},
                 after={"reminder_email": sorted(wanted)}, summary=_("邮件提醒设置"))
    db.session.commit()


# ---------------------------------------------------------------- outbox (officials)

OUTBOX_VIEWS = ("scheduled", "pending", "sent", "failed", "skipped")


def outbox_counts(actor: User) -> dict[str, int]:
    require(actor, "reminder.outbox")
    reminders = dict(db.session.execute(
        sa.select(Reminder.status, sa.func.count()).group_by(Reminder.status)).tuples().all())
    deliveries = dict(db.session.execute(
        sa.select(Delivery.status, sa.func.count()).where(Delivery.channel == Channel.EMAIL)
        .group_by(Delivery.status)).tuples().all())
    retrying = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(_retrying())) or 0
    return {
        "scheduled": reminders.get(ReminderStatus.SCHEDULED, 0),
        "pending": deliveries.get(DeliveryStatus.PENDING, 0) + deliveries.get(DeliveryStatus.SENDING, 0),
        "sent": deliveries.get(DeliveryStatus.SENT, 0),
        "failed": deliveries.get(DeliveryStatus.FAILED, 0) + retrying,
        "skipped": reminders.get(ReminderStatus.SKIPPED, 0),
    }


def _retrying() -> sa.ColumnElement[bool]:
    """E-mails whose last try failed and that wait for their next one (the error is kept until it is sent)."""
    return sa.and_(Delivery.channel == Channel.EMAIL, Delivery.status == DeliveryStatus.PENDING, Delivery.error != "")


def outbox_reminders(actor: User, status: ReminderStatus, after: str | None,
                     per_page: int) -> KeysetPage[Reminder]:
    require(actor, "reminder.outbox")
    stmt = sa.select(Reminder).where(Reminder.status == status)
    return keyset_page(stmt, [(Reminder.send_at, False), (Reminder.id, False)], after, per_page)


def outbox_deliveries(actor: User, statuses: tuple[DeliveryStatus, ...], after: str | None,
                      per_page: int) -> KeysetPage[Delivery]:
    require(actor, "reminder.outbox")
    stmt = (sa.select(Delivery).where(Delivery.channel == Channel.EMAIL, Delivery.status.in_(statuses))
            .options(sa.orm.joinedload(Delivery.user)))
    return keyset_page(stmt, [(Delivery.id, True)], after, per_page)


def outbox_failures(actor: User, after: str | None, per_page: int) -> KeysetPage[Delivery]:
    """Every failed delivery: those given up (retried by hand) and those waiting for their next try, each with
    its reason (the last error) and its retry time."""
    require(actor, "reminder.outbox")
    stmt = (sa.select(Delivery).where(sa.or_(sa.and_(Delivery.channel == Channel.EMAIL,
                                                     Delivery.status == DeliveryStatus.FAILED), _retrying()))
            .options(sa.orm.joinedload(Delivery.user)))
    return keyset_page(stmt, [(Delivery.id, True)], after, per_page)


def retry_delivery(actor: User, delivery_id: int, now: datetime) -> Delivery:
    """Send a failed e-mail again at the next tick (with the same Message-ID), from a fresh count of tries."""
    require(actor, "reminder.outbox")
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.channel is not Channel.EMAIL:
        raise_not_found()
    if delivery.status is not DeliveryStatus.FAILED:
        raise DomainError(_("只能重发发送失败的邮件"))
    before = audit.snapshot(delivery, ["status", "attempts", "error"])
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, now
    audit.record(actor, "retry", delivery, before=before, after=audit.snapshot(delivery, ["status", "attempts",
                                                                                          "error"]),
                 summary=delivery.address)
    db.session.commit()
    return delivery


def remind_now(kind_key: str, subject_key: str | int, now: datetime) -> Reminder:
    """A reminder that goes out at the scheduler's next tick (e.g. a class reminded by its enterprise).

    Refused while the previous one for the same subject is still waiting, so a double click sends once.
    Adds to the session; the caller commits with its own write.
    """
    get_kind(kind_key)
    waiting = db.session.scalar(sa.select(Reminder.id).where(
        Reminder.kind == kind_key, Reminder.subject_key == str(subject_key),
        Reminder.status == ReminderStatus.SCHEDULED).limit(1))
    if waiting is not None:
        raise DomainError(_("上一次提醒尚未发出，请稍候"))
    # Due a day later: a reminder whose deadline has passed is skipped, and this one is to go out now.
    reminder = Reminder(kind=kind_key, subject_key=str(subject_key), offset_days=0, due_at=now + timedelta(days=1),
                        send_at=now)
    db.session.add(reminder)
    return reminder
