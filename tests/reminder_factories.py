"""Reminders in tests: a real SMTP server (aiosmtpd) on loopback, a test kind of deadline, row factories."""

from __future__ import annotations

import email
import email.parser
import email.policy
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiosmtpd.controller import Controller

from app.core.models import User
from app.extensions import db
from app.reminders.models import Reminder, ReminderStatus
from app.reminders.registry import DeadlineKind, Subject, register_kind

TEST_KIND = "test.deadline"

#: subject_key -> the users the test kind reminds (a test sets it; the kind reads it at send time).
TEST_RECIPIENTS: dict[str, list[int]] = {}


def _test_recipients(subject_key: str) -> list[User]:
    ids = TEST_RECIPIENTS.get(subject_key, [])
    return list(db.session.scalars(db.select(User).where(User.id.in_(ids)).order_by(User.id))) if ids else []


def _test_describe(subject_key: str) -> Subject | None:
    if subject_key == "gone":
        return None
    return Subject(title=f"测试事项{subject_key}", link=f"/competitions/events/{subject_key}")


register_kind(DeadlineKind(TEST_KIND, "测试截止", _test_recipients, _test_describe))


def due_reminder(subject_key: str, recipients: list[User], *, send_at: datetime, due_at: datetime,
                 offset_days: int = 1, commit: bool = True) -> Reminder:
    TEST_RECIPIENTS[subject_key] = [u.id for u in recipients]
    row = Reminder(kind=TEST_KIND, subject_key=subject_key, offset_days=offset_days, due_at=due_at,
                   send_at=send_at, status=ReminderStatus.SCHEDULED)
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Sink:
    """What the SMTP server received; ``refuse`` maps an address to the reply it gets instead of 250."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: When each message arrived (time.monotonic(), before the server's 250 reply), in order.
    arrived_at: list[float] = field(default_factory=list)
    #: Over which connection each message came, in order: the client's EHLO name and its port.
    connections: list[tuple[str, int]] = field(default_factory=list)
    #: Parse the headers only (a test that counts thousands of messages by Message-ID: far less work per message).
    headers_only: bool = False

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 (aiosmtpd's hook name)
        for address in envelope.rcpt_tos:
            if address in self.refuse:
                return self.refuse[address]
        parse = email.parser.BytesHeaderParser if self.headers_only else email.parser.BytesParser
        message = parse(policy=email.policy.default).parsebytes(envelope.content)
        with self.lock:
            self.messages.append(message)
            self.arrived_at.append(time.monotonic())
            self.connections.append((str(session.host_name), int(session.peer[1])))
        return "250 OK"

    def sources(self) -> list[tuple[str, str, int]]:
        """(Message-ID, EHLO name, client port) of each message received, in order."""
        with self.lock:
            return [(str(m["Message-ID"]), name, port)
                    for m, (name, port) in zip(self.messages, self.connections, strict=True)]

    def first_arrivals(self) -> dict[str, float]:
        """Message-ID -> when its first copy arrived."""
        with self.lock:
            first: dict[str, float] = {}
            for message, at in zip(self.messages, self.arrived_at, strict=True):
                first.setdefault(str(message["Message-ID"]), at)
            return first

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)


@contextmanager
def smtp_server(*, headers_only: bool = False) -> Iterator[tuple[Sink, int]]:
    # aiosmtpd logs every protocol line at INFO; in our process that would cost more than the sending.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink(headers_only=headers_only)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def later(now: datetime, **delta: float) -> datetime:
    return now + timedelta(**delta)
