"""Factories for 带徒学时 (in an app context): a mentor and an apprentice with sign-ins, allowance rules, entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from app.apprenticeships.enums import MentorKind
from app.apprenticeships.models import Enrollment, MentorAssignment
from app.core.enums import District, Role
from app.core.models import User
from app.extensions import db
from app.mentor_hours import rules
from app.mentor_hours.models import AllowanceKind, AllowanceRule, HourEntry
from tests import apprenticeship_factories as af
from tests import factories


@dataclass
class Setup:
    cast: af.Cast
    enrollment: Enrollment
    assignment: MentorAssignment
    mentor: User
    apprentice: User


def setup(district: District = District.HUANGPU, starts: date = date(2026, 1, 1), ends: date = date(2027, 1, 1),
          prefix: str = "", policies: bool = True) -> Setup:
    if policies:
        af.policies()
    c = af.cast(district, prefix=prefix)
    person = af.apprentice(c, name=f"{prefix}王小明")
    e = af.approved(c, person, starts=starts, ends=ends)
    a = e.mentor(MentorKind.ENTERPRISE)
    mentor = factories.user(c.enterprise, Role.MENTOR, display_name=c.enterprise_mentor.name,
                            person_id=c.enterprise_mentor.id)
    apprentice = factories.user(c.enterprise, Role.PERSON, display_name=person.name, person_id=person.id)
    return Setup(c, e, a, mentor, apprentice)


def rule(enterprise_id: int, kind: AllowanceKind = AllowanceKind.PER_HOUR, amount: str = "50",
         cap: str | None = None, since: date = date(2025, 1, 1), **kw) -> AllowanceRule:
    row = AllowanceRule(enterprise_id=enterprise_id, effective_from=since, kind=kind, amount=Decimal(amount),
                        monthly_cap=Decimal(cap) if cap else None, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def entry(a: MentorAssignment, worked_on: date, hours: str = "2", starts: time | None = None,
          ends: time | None = None, logged_on: date | None = None, content: str = "车削练习", place: str = "一车间",
          logged_by: User | None = None) -> HourEntry:
    """An entry written straight to the table (risk tests need back-dated log dates)."""
    e = a.enrollment
    logged = logged_on or worked_on
    row = HourEntry(assignment_id=a.id, enrollment_id=e.id, mentor_id=a.mentor_id, enterprise_id=e.enterprise_id,
                    district=e.district, worked_on=worked_on, month=rules.month_start(worked_on), starts_at=starts,
                    ends_at=ends, hours=Decimal(hours), content=content, place=place, logged_on=logged,
                    lag_days=(logged - worked_on).days, logged_by_id=logged_by.id if logged_by else None,
                    created_at=datetime(logged.year, logged.month, logged.day, 4, tzinfo=UTC))
    db.session.add(row)
    db.session.commit()
    return row
