"""Reminder rows (one per deadline and offset), their deliveries (one per recipient and channel), preferences.

A reminder is data, never a scheduler job: the scheduler process polls for due rows (see services.tick).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import LabelledEnum
from app.core.models import User
from app.core.types import UTCDateTime, enum_type, utcnow
from app.extensions import db


class ReminderStatus(LabelledEnum):
    SCHEDULED = "scheduled"
    #: Expanded into deliveries (the current recipients at send time).
    DONE = "done"
    #: The deadline moved away from this offset, was cancelled, or the task was finished.
    CANCELLED = "cancelled"
    #: It fell due while the scheduler was down and the deadline itself has passed meanwhile.
    SKIPPED = "skipped"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"scheduled": _l("待发送"), "done": _l("已发出"), "cancelled": _l("已取消"), "skipped": _l("已跳过")}


class Channel(LabelledEnum):
    INBOX = "inbox"
    EMAIL = "email"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"inbox": _l("站内信"), "email": _l("电子邮件")}


class DeliveryStatus(LabelledEnum):
    PENDING = "pending"
    #: Claimed by a scheduler until ``lease_until``; after that it is sent again (same Message-ID).
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"pending": _l("待发送"), "sending": _l("发送中"), "sent": _l("已发送"), "failed": _l("发送失败")}


class Reminder(db.Model):
    """One reminder of one deadline at one offset, e.g. "registration of event 42 closes, 7 days before"."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A key of app.reminders.registry.KINDS, e.g. "competition.registration_closes".
    kind: Mapped[str] = mapped_column(sa.String(60))
    #: What the deadline belongs to, in the kind's own terms (usually the row id as text).
    subject_key: Mapped[str] = mapped_column(sa.String(80))
    #: Days before the deadline (the offset as configured; the send time may be moved off a holiday).
    offset_days: Mapped[int] = mapped_column(sa.SmallInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ReminderStatus] = mapped_column(enum_type(ReminderStatus), default=ReminderStatus.SCHEDULED)
    #: Filled when the reminder is expanded: what it is about and where to go (a path of this site).
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="reminder")

    __table_args__ = (
        sa.UniqueConstraint("kind", "subject_key", "offset_days", "due_at", name="uq_reminders_deadline_offset"),
        sa.Index("ix_reminders_kind_subject", "kind", "subject_key"),
        # The tick's due-query walks only the unsent rows, however many sent ones pile up.
        sa.Index("ix_reminders_due", "send_at", "id",
                 postgresql_where=sa.text("status = 'scheduled'"), sqlite_where=sa.text("status = 'scheduled'")),
        sa.Index("ix_reminders_status_send_at", "status", "send_at", "id"),
        sa.CheckConstraint("offset_days >= 0", name="offset_not_negative"),
    )


class Delivery(db.Model):
    """A reminder for one recipient on one channel; the unique key makes a second send impossible."""

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(sa.ForeignKey("reminders.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10))
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus, 10), default=DeliveryStatus.PENDING)
    #: The e-mail address used (kept: the user's address may change later).
    address: Mapped[str] = mapped_column(sa.String(120), default="")
    attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    #: E-mail only. Pending: the earliest time to (re)try. Sending: the end of the claimer's lease, after
    #: which another scheduler may send it again — so one range scan finds all work that is due.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: In-app inbox only: when the user marked it read.
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reminder: Mapped[Reminder] = relationship(back_populates="deliveries", lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("reminder_id", "user_id", "channel", name="uq_reminder_deliveries_once"),
        # The inbox (newest first) and its unread count.
        sa.Index("ix_reminder_deliveries_inbox", "user_id", "channel", "id"),
        sa.Index("ix_reminder_deliveries_unread", "user_id", "channel",
                 postgresql_where=sa.text("read_at IS NULL"), sqlite_where=sa.text("read_at IS NULL")),
        # E-mails waiting to be sent (pending, or sending with a lease that may run out).
        sa.Index("ix_reminder_deliveries_queue", "next_attempt_at", "id",
                 postgresql_where=sa.text("status IN ('pending', 'sending')"),
                 sqlite_where=sa.text("status IN ('pending', 'sending')")),
        sa.Index("ix_reminder_deliveries_status_id", "status", "id"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    def message_id(self, domain: str) -> str:
        """The e-mail's Message-ID: derived from the delivery, so a resend carries the same one."""
        return message_id(self.reminder_id, self.id, domain)


def message_id(reminder_id: int, delivery_id: int, domain: str) -> str:
    """The Message-ID of a delivery's e-mail (see Delivery.message_id)."""
    return f"<reminder-{reminder_id}.delivery-{delivery_id}@{domain}>"


class ReminderPreference(db.Model):
    """A user's choice, per kind of deadline, whether reminders also come by e-mail (default: yes)."""

    __tablename__ = "reminder_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)


class SchedulerHeartbeat(db.Model):
    """The acting scheduler's last sign of life (one row per job, written at the start of each of its rounds):
    /healthz/scheduler and the outbox report its age, so monitoring sees a scheduler that is down or stuck."""

    __tablename__ = "scheduler_heartbeats"

    #: "reminders" (the tick).
    job: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Which process: host name and process id.
    host: Mapped[str] = mapped_column(sa.String(200), default="")
    pid: Mapped[int] = mapped_column(default=0)
