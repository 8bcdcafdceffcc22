"""带徒学时 and 带徒津贴 in a person's skills record: as a mentor (hours given, allowances) and as an apprentice
(hours received), by month; approved months are timeline items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.apprenticeships.models import Enrollment
from app.core import record
from app.core.models import Person, User
from app.extensions import db
from app.mentor_hours.models import HourMonth, MonthStatus
from app.mentor_hours.rules import month_end
from app.mentor_hours.rules import plain as _n


@dataclass
class MonthRow:
    month: date
    hours: Decimal
    allowance: Decimal | None
    people: int


def _months(person_id: int) -> list[MonthRow]:
    """Approved months as a mentor: hours, allowance, apprentices."""
    rows = db.session.execute(
        sa.select(HourMonth.month, sa.func.sum(HourMonth.hours), sa.func.sum(HourMonth.allowance),
                  sa.func.count(sa.distinct(HourMonth.enrollment_id)))
        .where(HourMonth.mentor_id == person_id, HourMonth.status == MonthStatus.APPROVED)
        .group_by(HourMonth.month).order_by(HourMonth.month.desc()).limit(36))
    return [MonthRow(m, Decimal(h or 0), a, n) for m, h, a, n in rows]


def _as_apprentice(person_id: int) -> list[MonthRow]:
    """Approved months as an apprentice: hours received, mentors."""
    mine = sa.select(Enrollment.id).where(Enrollment.person_id == person_id)
    rows = db.session.execute(
        sa.select(HourMonth.month, sa.func.sum(HourMonth.hours), sa.func.count(sa.distinct(HourMonth.mentor_id)))
        .where(HourMonth.enrollment_id.in_(mine), HourMonth.status == MonthStatus.APPROVED)
        .group_by(HourMonth.month).order_by(HourMonth.month.desc()).limit(36))
    return [MonthRow(m, Decimal(h or 0), None, n) for m, h, n in rows]


@record.section
def mentor_hours_section(actor: User, person: Person) -> record.RecordSection | None:
    as_mentor = _months(person.id)
    as_apprentice = _as_apprentice(person.id)
    if not as_mentor and not as_apprentice:
        return None
    return record.RecordSection(_("带徒学时与津贴"), "mentor_hours/_record.html",
                                {"as_mentor": as_mentor, "as_apprentice": as_apprentice})


@record.timeline
def mentor_hours_items(person: Person) -> list[record.TimelineItem]:
    items = []
    for row in _months(person.id):
        detail = _("带徒 %(n)d 人，%(hours)s 小时", n=row.people, hours=_n(row.hours))
        if row.allowance is not None:
            detail += " · " + _("津贴 %(amount)s 元", amount=f"{row.allowance:,.2f}")
        items.append(record.TimelineItem(month_end(row.month), _("带徒"), _("%(month)s 带徒学时已审批",
                                                                          month=row.month.strftime("%Y-%m")), detail))
    for row in _as_apprentice(person.id):
        items.append(record.TimelineItem(month_end(row.month), _("学徒学时"),
                                         _("%(month)s 接受带教 %(hours)s 小时", month=row.month.strftime("%Y-%m"),
                                           hours=_n(row.hours))))
    return items
