"""Demo certificates: the 学徒培训合格证明 of the demo apprentices who passed, award certificates for any approved
award of the demo events, and a prize-money account for the demo athlete. Idempotent."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.apprenticeships.models import Enrollment
from app.certificates import services
from app.certificates.models import IssuedCertificate
from app.competitions.awards import payees
from app.competitions.awards.models import AwardLine, PayeeAccount
from app.competitions.events.models import Event
from app.core.clock import now
from app.core.models import Person, User
from app.extensions import db

#: An invented card number with a correct Luhn check digit (6222 0212 3456 7890 128).
DEMO_CARD = "6222021234567890128"


def seed(today: date) -> str:
    official = db.session.scalar(sa.select(User).where(User.username == "official"))
    if official is None:
        return "demo certificates skipped"
    made = 0
    passed = db.session.scalars(sa.select(Enrollment.id).where(Enrollment.assessment_passed.is_(True))
                                .order_by(Enrollment.id).limit(3)).all()
    for enrollment_id in passed:
        if services.enrollment_certificate(enrollment_id) is None:
            services.issue_for_enrollment(official, enrollment_id, today, now())
            made += 1
    approved_events = db.session.scalars(sa.select(Event).where(Event.id.in_(sa.select(AwardLine.event_id).where(
        AwardLine.status.in_(services.CERTIFIED_STATUSES))))).all()
    for event in approved_events:
        if services.pending_count(event):
            made += services.issue_for_event(official, event, today, now())
    athlete = db.session.scalar(sa.select(User).where(User.username == "athlete"))
    if athlete is not None and athlete.person_id is not None and db.session.scalar(
            sa.select(PayeeAccount.id).where(PayeeAccount.person_id == athlete.person_id)) is None:
        person = db.session.get_one(Person, athlete.person_id)
        payees.save_person_account(athlete, person, payees.AccountData(person.name, "中国工商银行",
                                                                       "上海张江支行", DEMO_CARD))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(IssuedCertificate))
    return f"demo certificates: {made} new ({total} in all)"
