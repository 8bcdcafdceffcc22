"""Demo entries: a few of the demo enterprise's level-4+ employees entered for the city 数控车 event (one of
them with a `person` sign-in), and the demo events' reminders. Idempotent."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from app.competitions.events.demo import city_competition_name
from app.competitions.events.models import Competition, Event
from app.competitions.events.services import APPROVAL_DUE, approval_due_at, schedule_event_deadlines
from app.competitions.registration import signals
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.demo import DEMO_PASSWORD
from app.core.enums import Role, SkillLevel
from app.core.models import Organisation, Person, User
from app.extensions import db
from app.reminders.models import Reminder, ReminderStatus


def seed(today: date) -> str:
    """Enter a few of the enterprise's level-4+ employees, one of them with a `person` sign-in."""
    event = db.session.scalar(sa.select(Event).join(Event.competition).where(
        Competition.name == city_competition_name(today.year), Event.name == "数控车"))
    enterprise = db.session.scalar(sa.select(Organisation).where(Organisation.name == "上海申港精密机械有限公司"))
    if event is None:
        return "no demo competitions (run their demo first)"
    if enterprise is None:
        return "demo registrations ready (no enterprise)"
    hr = db.session.scalar(sa.select(User).where(User.username == "hr"))
    people = db.session.scalars(
        sa.select(Person).where(Person.employer_id == enterprise.id,
                                Person.current_level.in_([SkillLevel.LEVEL_4, SkillLevel.LEVEL_3, SkillLevel.LEVEL_2]))
        .order_by(Person.id).limit(3)).all()
    for n, person in enumerate(people):
        exists = db.session.scalar(sa.select(Registration.id).where(Registration.event_id == event.id,
                                                                    Registration.person_id == person.id))
        if exists is None:
            status = RegistrationStatus.APPROVED if n == 0 else RegistrationStatus.SUBMITTED
            registration = Registration(event_id=event.id, person_id=person.id, unit_id=enterprise.id, status=status,
                                        created_by_id=hr.id if hr else None)
            db.session.add(registration)
            signals.announce([(None, signals.place_of(registration))])
    if people and db.session.scalar(sa.select(User).where(User.username == "athlete")) is None:
        athlete = User(username="athlete", display_name=people[0].name, organisation=enterprise,
                       email="athlete@demo.jinengtong.example", person_id=people[0].id)
        athlete.set_password(DEMO_PASSWORD)
        athlete.set_roles({Role.PERSON})
        db.session.add(athlete)
    db.session.commit()
    return f"demo registrations ready ({len(people)} entrants)"


def seed_reminders(now: datetime) -> str:
    """Every demo event's deadlines scheduled, and one approval reminder due at once, so the organizer's inbox
    shows something after the scheduler's first tick (`make run` starts it)."""
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
