"""Demo reminders: every demo event's deadlines scheduled, and one approval reminder due at once, so the
organizer's inbox shows something after the scheduler's first tick (`make run` starts it)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.competitions.events.models import Event
from app.competitions.events.services import APPROVAL_DUE, approval_due_at, schedule_event_deadlines
from app.competitions.registration.models import Registration, RegistrationStatus
from app.extensions import db
from app.reminders.models import Reminder, ReminderStatus


def seed(now: datetime) -> str:
    events = list(db.session.scalars(sa.select(Event).order_by(Event.id)))
    for event in events:
        schedule_event_deadlines(event, now=now)
    waiting = db.session.scalar(
        sa.select(Event).join(Registration, Registration.event_id == Event.id)
        .where(Registration.status == RegistrationStatus.SUBMITTED, Event.starts_on > now.date())
        .order_by(Event.starts_on).limit(1))
    if waiting is not None:
        due_at = approval_due_at(waiting)
        offset = max((due_at.date() - now.date()).days, 0)
        row = db.session.scalar(sa.select(Reminder).where(
            Reminder.kind == APPROVAL_DUE, Reminder.subject_key == str(waiting.id), Reminder.offset_days == offset,
            Reminder.due_at == due_at))
        if row is None:
            db.session.add(Reminder(kind=APPROVAL_DUE, subject_key=str(waiting.id), offset_days=offset,
                                    due_at=due_at, send_at=now))
        elif row.status is ReminderStatus.CANCELLED:  # the schedule above does not know this extra one
            row.status, row.send_at = ReminderStatus.SCHEDULED, now
    db.session.commit()
    return f"demo reminders ready ({len(events)} events scheduled)"
