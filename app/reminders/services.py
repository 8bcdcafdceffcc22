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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from markupsafe import Markup

from app.auth.permissions import require
from app.core import audit
from app.core.models import User
from app.core.pagination import KeysetPage, keyset_page
from app.core.policy import value_in_force
from app.core.services import raise_not_found
from app.core.types import utcnow
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
)
from app.reminders.registry import KINDS, Subject, get_kind

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
    for _round in range(max_rounds):
        if stop is not None and stop.is_set():
            break
        if heartbeat is not None:
            heartbeat()
        moment = now or utcnow()
        result = expand_due(moment, batch)
        result.add(send_due(moment, batch, stop))
        total.add(result)
        if result.work == 0:
            break
    return total


def _batch(batch: int | None) -> int:
    return batch or current_app.config["REMINDER_BATCH"]


def expand_due(now: datetime, batch: int | None = None) -> TickResult:
    """Claim up to ``batch`` due reminders and turn each into deliveries for its current recipients."""
    result = TickResult()
    due = (sa.select(Reminder.id)
           .where(Reminder.status == ReminderStatus.SCHEDULED, Reminder.send_at <= now)
           .order_by(Reminder.send_at, Reminder.id).limit(_batch(batch))
           .with_for_update(skip_locked=True))
    # One statement claims the rows (on SQLite it takes the write lock first, so two schedulers cannot
    # both read them as due); if this process dies before the commit, they are simply still scheduled.
    claimed = db.session.scalars(
        sa.update(Reminder).where(Reminder.id.in_(due.scalar_subquery()))
        .values(status=ReminderStatus.DONE, processed_at=now)
        .returning(Reminder.id)).all()
    if not claimed:
        db.session.rollback()
        return result
    reminders = list(db.session.scalars(
        sa.select(Reminder).where(Reminder.id.in_(claimed)).order_by(Reminder.id)
        .execution_options(populate_existing=True)))
    audiences: dict[tuple[str, str], _Audience] = {}
    rows: list[dict[str, object]] = []
    outcomes: dict[tuple[ReminderStatus, str, str], list[int]] = {}
    with current_app.test_request_context("/", base_url=current_app.config["APP_BASE_URL"]):
        for reminder in reminders:
            _expand(reminder, now, result, audiences, rows, outcomes)
    table = Reminder.__table__
    for (status, title, link), ids in outcomes.items():  # one UPDATE per subject, not one per reminder
        db.session.execute(sa.update(table).where(table.c.id.in_(ids)).values(status=status, title=title, link=link))
    if rows:
        # The batch's deliveries in one executemany (in-app ones are delivered by being written); psycopg sends
        # it in pipeline mode, one round trip. (Multi-row VALUES cost twice the client CPU: compiling them.)
        db.session.execute(sa.insert(Delivery.__table__), rows)
    db.session.commit()
    return result


@dataclass
class _Audience:
    subject: Subject | None
    users: list[User]
    no_email: set[int]


def _audience(reminder: Reminder) -> _Audience:
    """What the reminder is about and whom it reaches now (asked once per subject in a batch)."""
    kind = KINDS.get(reminder.kind)
    subject = kind.describe(reminder.subject_key) if kind is not None else None
    if kind is None or subject is None:
        return _Audience(None, [], set())
    users = list({u.id: u for u in kind.recipients(reminder.subject_key) if u.active}.values())
    no_email = set(db.session.scalars(
        sa.select(ReminderPreference.user_id).where(ReminderPreference.kind == reminder.kind,
                                                    ReminderPreference.user_id.in_([u.id for u in users]),
                                                    ReminderPreference.email.is_(False))))
    return _Audience(subject, users, no_email)


def _expand(reminder: Reminder, now: datetime, result: TickResult, audiences: dict[tuple[str, str], _Audience],
            rows: list[dict[str, object]], outcomes: dict[tuple[ReminderStatus, str, str], list[int]]) -> None:
    """Add the reminder's deliveries to ``rows`` and its new status (with title and link) to ``outcomes``."""
    if reminder.due_at <= now:
        outcomes.setdefault((ReminderStatus.SKIPPED, reminder.title, reminder.link), []).append(reminder.id)
        result.skipped += 1
        return
    key = (reminder.kind, reminder.subject_key)
    if key not in audiences:
        audiences[key] = _audience(reminder)
    audience = audiences[key]
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


def send_due(now: datetime, batch: int | None = None, stop: threading.Event | None = None) -> TickResult:
    """Claim up to ``batch`` due e-mails (pending, or sending with a lapsed lease) and send them.

    The messages are composed here (they need the app, its templates and translations) and handed to a few
    sender threads. Each sender holds one SMTP connection and one database connection, and records each
    message's outcome the moment the SMTP server has answered for it — one small UPDATE, committed without
    waiting for the disk (see _Recording) — before it takes the next message. So at any instant at most one
    message per connection has been accepted by the server and not yet recorded: all a ``kill -9`` can make
    a later scheduler send a second time (with the same Message-ID, after the lease).

    ``stop`` (set on SIGTERM): each sender finishes the message in hand, records it, and stops; the e-mails not
    yet tried are given back at once, so a stop never leaves one to be sent twice.
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
    claimed = db.session.scalars(
        sa.update(Delivery).where(Delivery.id.in_(due.scalar_subquery()))
        .values(status=DeliveryStatus.SENDING, next_attempt_at=lease_until, attempts=Delivery.attempts + 1)
        .returning(Delivery.id)).all()
    db.session.commit()  # the lease is ours before anything goes out
    if not claimed:
        return result
    deliveries = list(db.session.scalars(
        sa.select(Delivery).where(Delivery.id.in_(claimed)).order_by(Delivery.id)
        .options(sa.orm.joinedload(Delivery.user))))
    # Stop well inside the lease: after it, another scheduler may take these e-mails and send them too.
    stop_at = time.monotonic() + 0.5 * config["REMINDER_LEASE_SECONDS"]
    composer = _Composer()
    work: queue.SimpleQueue[_Outgoing | None] = queue.SimpleQueue()
    settings = _SmtpSettings.from_config(config)
    halt = threading.Event()  # set when composing or recording fails: the senders stop taking messages
    senders = [_Sender(settings, _Recording(db.engine, now, config), work, stop, halt, stop_at)
               for _n in range(max(1, min(config["REMINDER_SMTP_CONNECTIONS"], len(deliveries))))]
    threads = [threading.Thread(target=sender.run, daemon=True, name=f"reminder-smtp-{n}")
               for n, sender in enumerate(senders)]
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
        for _thread in threads:
            work.put(None)  # one stop sign per thread
        for thread in threads:
            thread.join()
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


@dataclass(frozen=True)
class _Outgoing:
    claim: _Claim
    sender: str
    recipient: str
    #: The message as sent, or None when it was refused while composing (``refused`` says why).
    data: bytes | None
    refused: str = ""


class _Sender:
    """One sender thread: one SMTP connection and one recording connection; takes a message, sends it, records
    the outcome, and only then takes the next (until a stop sign, a stop, a halt or the end of its time)."""

    def __init__(self, settings: _SmtpSettings, recording: _Recording, work: queue.SimpleQueue[_Outgoing | None],
                 stop: threading.Event, halt: threading.Event, stop_at: float) -> None:
        self.smtp, self.recording, self.work = _Smtp(settings), recording, work
        self.stop, self.halt, self.stop_at = stop, halt, stop_at
        self.result = TickResult()
        #: The deliveries this sender tried (the others are given back).
        self.tried: set[int] = set()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while (item := self.work.get()) is not None:
                if self.halt.is_set() or self.stop.is_set() or time.monotonic() > self.stop_at:
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
            self.recording.close()


class _Recording:
    """A sender's database connection: each outcome is one UPDATE of one row, committed at once.

    On PostgreSQL with ``synchronous_commit`` off for this connection: the commit does not wait for the WAL to
    reach the disk. A scheduler killed at any moment loses nothing by it (the server has the commit); only a
    crash of the database server itself could lose the last few markings, and those e-mails would go again
    with the same Message-ID. On SQLite the database is in WAL mode (set by the scheduler, see
    scheduler.prepare_database) and this connection commits with ``synchronous = NORMAL``: no fsync per
    commit, the same trade."""

    def __init__(self, engine: sa.Engine, now: datetime, config: dict[str, Any]) -> None:
        self.engine, self.now = engine, now
        self.max_attempts, self.retry_seconds = config["REMINDER_MAX_ATTEMPTS"], config["REMINDER_RETRY_SECONDS"]
        self.connection: sa.Connection | None = None
        self.restore: str | None = None

    def _connect(self) -> sa.Connection:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET synchronous_commit TO OFF")
            self.restore = "RESET synchronous_commit"
        elif connection.dialect.name == "sqlite":
            before = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
            self.restore = f"PRAGMA synchronous = {int(before or 2)}"
        self.connection = connection
        return connection

    def record(self, claim: _Claim, error: str | None, permanent: bool, result: TickResult) -> None:
        """Mark the outcome, if the delivery is still ours (still ``sending`` with our attempt)."""
        connection = self.connection or self._connect()
        table = Delivery.__table__
        values: dict[str, object]
        if error is None:
            values = {"status": DeliveryStatus.SENT, "sent_at": self.now, "error": "", "next_attempt_at": None}
            result.sent += 1
        elif permanent or rules.gives_up(claim.attempts, self.max_attempts):
            values = {"status": DeliveryStatus.FAILED, "error": error[:500], "next_attempt_at": None}
            result.failed += 1
        else:
            values = {"status": DeliveryStatus.PENDING, "error": error[:500],
                      "next_attempt_at": self.now + rules.retry_delay(claim.attempts, self.retry_seconds)}
            result.retried += 1
        if error is not None:
            result.errors.append(error)
        statement = sa.update(table).where(table.c.id == claim.id, table.c.attempts == claim.attempts,
                                           table.c.status == DeliveryStatus.SENDING).values(**values)
        for attempt in range(5):
            try:
                connection.execute(statement)
                return
            except sa.exc.OperationalError:
                # SQLite: another writer kept the lock past busy_timeout (several schedulers' senders at once on
                # a loaded machine). Try again: giving up would leave a sent e-mail to be sent a second time.
                if connection.dialect.name != "sqlite" or attempt == 4:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            if self.restore:  # the connection goes back to the pool as it came
                self.connection.exec_driver_sql(self.restore)
        except sa.exc.DBAPIError:
            self.connection.invalidate()
        finally:
            self.connection.close()
            self.connection = None


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


class _Composer:
    """Composes the e-mails of a batch (app/reminders/mail.py builds each with the email package): the
    headers and template context a reminder's e-mails share are made once per reminder."""

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
        self.boundary = f"=_jnt.{secrets.token_hex(12)}"
        self.subjects: dict[int, tuple[list[tuple[str, str]], dict[str, object]]] = {}

    def _reminder(self, reminder: Reminder) -> tuple[list[tuple[str, str]], dict[str, object]]:
        """The headers and template context shared by every delivery of one reminder."""
        if reminder.id not in self.subjects:
            due = reminder.due_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
            subject = _("【技能通】提醒：%(title)s（%(due)s 截止）", title=reminder.title, due=due)
            shared = [("Subject", subject), ("From", self.from_header),
                      ("Date", format_datetime(reminder.processed_at or utcnow())),
                      ("Auto-Submitted", "auto-generated")]
            context = {"reminder": reminder, "kind_label": _kind_label(reminder.kind), "due": due,
                       "link": self.base + reminder.link, "settings_link": self.base + "/reminders/preferences"}
            self.subjects[reminder.id] = (shared, context)
        return self.subjects[reminder.id]

    def compose(self, delivery: Delivery) -> _Outgoing:
        """The delivery's message; one whose headers would carry a line break (or an address that does not
        parse) is refused — its _Outgoing has no data and says why, and it is recorded as failed."""
        claim = _Claim(delivery.id, delivery.attempts)
        shared, context = self._reminder(delivery.reminder)
        user = delivery.user
        try:
            headers = [*shared, ("To", mail.mailbox(user.display_name, delivery.address)),
                       ("Message-ID", delivery.message_id(self.domain))]
            text = self.text.render(user=user, gettext=self.gettext, **context)
            html = self.html.render(user=user, gettext=self.gettext, **context)
            data = mail.build(headers, text, html, self.boundary)
        except (ValueError, email.errors.HeaderParseError) as exc:
            log.warning("reminder e-mail %s refused: %s", delivery.id, exc)
            return _Outgoing(claim, self.sender, delivery.address, None,
                             _("邮件头不合规（含换行符或地址无效），已拒绝发送：%(error)s", error=str(exc)))
        return _Outgoing(claim, self.sender, delivery.address, data)


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
    outgoing = _Composer().compose(delivery)
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
