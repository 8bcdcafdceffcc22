"""带徒学时 on the home page's 我的待办: months to confirm (apprentice), days this week without hours and disputed
entries (mentor), months to approve (enterprise HR). One query each; see app/core/todos.py."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from app.apprenticeships.models import Enrollment, MentorAssignment
from app.core.enums import Role
from app.core.models import Person, User
from app.core.todos import Todo, todo_provider
from app.extensions import db
from app.mentor_hours.models import HourEntry, HourMonth, MonthStatus
from app.mentor_hours.services import LOGGABLE

#: The apprentice's list (mentor_hours.index) shows her last 24 months; more than that never waits.
MONTHS_SHOWN = 24


@todo_provider("mentor_hours.confirm", roles={Role.PERSON}, order=10)
def months_to_confirm(user: User, today: date) -> list[Todo]:
    """The apprentice's months a mentor has submitted: she confirms or disputes them."""
    if user.person_id is None:
        return []
    months = db.session.execute(
        sa.select(HourMonth.assignment_id, HourMonth.month).join(Enrollment, Enrollment.id == HourMonth.enrollment_id)
        .where(Enrollment.person_id == user.person_id, HourMonth.status == MonthStatus.SUBMITTED)
        .order_by(HourMonth.month.desc()).limit(MONTHS_SHOWN)).all()
    if not months:
        return []
    if len(months) == 1:
        url = url_for("mentor_hours.month", assignment_id=months[0].assignment_id, ym=months[0].month.strftime("%Y-%m"))
    else:
        url = url_for("mentor_hours.index", _anchor="to-confirm")
    return [Todo(_("带徒学时待我确认"), len(months), url, "、".join(m.month.strftime("%Y-%m") for m in months))]


def week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


@todo_provider("mentor_hours.week_gaps", roles={Role.MENTOR}, order=20)
def days_without_hours(user: User, today: date) -> list[Todo]:
    """Working days of this week, up to today, on which the mentor has logged nothing for an apprentice."""
    if user.person_id is None:
        return []
    monday = week_start(today)
    workdays = [monday + timedelta(days=n) for n in range(5) if monday + timedelta(days=n) <= today]
    rows = db.session.execute(
        sa.select(MentorAssignment.id, Person.name, HourEntry.worked_on)
        .join(Enrollment, Enrollment.id == MentorAssignment.enrollment_id)
        .join(Person, Person.id == Enrollment.person_id)
        .outerjoin(HourEntry, sa.and_(HourEntry.assignment_id == MentorAssignment.id,
                                      HourEntry.worked_on.between(monday, today)))
        .where(MentorAssignment.mentor_id == user.person_id, Enrollment.status.in_(LOGGABLE))
        .order_by(Person.name, MentorAssignment.id)).all()
    names: dict[int, str] = {}
    logged: dict[int, set[date]] = {}
    for assignment_id, name, worked_on in rows:
        names[assignment_id] = name
        logged.setdefault(assignment_id, set())
        if worked_on is not None:
            logged[assignment_id].add(worked_on)
    return [Todo(_("本周未登记学时的天数"), sum(1 for d in workdays if d not in logged[a_id]),
                 url_for("mentor_hours.week", assignment_id=a_id, start=monday.isoformat()), name)
            for a_id, name in names.items()]


@todo_provider("mentor_hours.disputes", roles={Role.MENTOR}, order=21)
def disputed_entries(user: User, today: date) -> list[Todo]:
    """Entries an apprentice disputed in a month sent back to the mentor: he corrects them and submits again."""
    if user.person_id is None:
        return []
    rows = db.session.execute(
        sa.select(HourEntry.assignment_id, HourEntry.month, Person.name, sa.func.count(HourEntry.id))
        .join(HourMonth, sa.and_(HourMonth.assignment_id == HourEntry.assignment_id,
                                 HourMonth.month == HourEntry.month))
        .join(Enrollment, Enrollment.id == HourEntry.enrollment_id).join(Person, Person.id == Enrollment.person_id)
        .where(HourEntry.mentor_id == user.person_id, HourMonth.status == MonthStatus.DISPUTED,
               HourEntry.dispute != "")
        .group_by(HourEntry.assignment_id, HourEntry.month, Person.name)
        .order_by(HourEntry.month, Person.name)).all()
    return [Todo(_("学徒有异议的学时记录"), count,
                 url_for("mentor_hours.month", assignment_id=a_id, ym=month.strftime("%Y-%m")),
                 f"{name} · {month.strftime('%Y-%m')}") for a_id, month, name, count in rows]


@todo_provider("mentor_hours.approve", roles={Role.ENTERPRISE_HR}, order=30)
def months_to_approve(user: User, today: date) -> list[Todo]:
    """Months the apprentice has confirmed: the enterprise approves (and locks) them."""
    count = db.session.scalar(sa.select(sa.func.count(HourMonth.id)).where(
        HourMonth.enterprise_id == user.organisation_id, HourMonth.status == MonthStatus.CONFIRMED))
    return [Todo(_("带徒月报待审批"), count or 0, url_for("mentor_hours.index", _anchor="to-approve"))]
