"""The monthly mentor-hours submission deadline (次月 N 日前提交上月带徒学时): mentors whose month is still open (or
disputed) are reminded; the reminder stops reaching a mentor once the month is submitted."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.models import User
from app.extensions import db
from app.mentor_hours.models import HourMonth, MonthStatus
from app.reminders.registry import DeadlineKind, Subject, register_kind

SUBMISSION_KIND = "mentor_hours.month_submission"


def _month(subject_key: str):  # noqa: ANN202
    try:
        return datetime.strptime(subject_key, "%Y-%m").date()
    except ValueError:
        return None


def submission_recipients(subject_key: str) -> list[User]:
    """Mentors (with a sign-in) who have a month sheet still open or disputed for the month."""
    month = _month(subject_key)
    if month is None:
        return []
    waiting = sa.select(HourMonth.mentor_id).where(HourMonth.month == month,
                                                   HourMonth.status.in_([MonthStatus.OPEN, MonthStatus.DISPUTED]))
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True), User.person_id.in_(waiting))
                                   .order_by(User.id)))


def describe_submission(subject_key: str) -> Subject | None:
    month = _month(subject_key)
    if month is None:
        return None
    return Subject(title=_("%(month)s 带徒学时月报提交截止", month=subject_key),
                   link=url_for("mentor_hours.index", month=subject_key))


register_kind(DeadlineKind(SUBMISSION_KIND, _l("带徒学时月报"), submission_recipients, describe_submission, (3, 1)))
