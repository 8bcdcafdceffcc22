"""A class reminded at once by its enterprise: its apprentices and their mentors (those with sign-ins)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.apprenticeships.enums import OPEN_STATUSES
from app.apprenticeships.models import ApprenticeClass, Enrollment, MentorAssignment
from app.core.models import User
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind

CLASS_NOTICE = "apprenticeship.class_notice"


def class_recipients(subject_key: str) -> list[User]:
    """Users linked to an apprentice of an open enrollment of the class, or to one of their mentors."""
    open_enrollments = sa.select(Enrollment.id).where(Enrollment.class_id == int(subject_key),
                                                      Enrollment.status.in_(OPEN_STATUSES))
    apprentices = sa.select(Enrollment.person_id).where(Enrollment.id.in_(open_enrollments))
    mentors = sa.select(MentorAssignment.mentor_id).where(MentorAssignment.enrollment_id.in_(open_enrollments))
    return list(db.session.scalars(sa.select(User).where(
        User.active.is_(True), sa.or_(User.person_id.in_(apprentices), User.person_id.in_(mentors)))
        .order_by(User.id)))


def describe_class(subject_key: str) -> Subject | None:
    klass = db.session.get(ApprenticeClass, int(subject_key))
    if klass is None:
        return None
    return Subject(title=_("%(name)s：请按培训计划参加培训并记录带徒学时", name=klass.name),
                   link=url_for("apprenticeships.class_detail", class_id=klass.id))


register_kind(DeadlineKind(CLASS_NOTICE, _l("学徒班提醒"), class_recipients, describe_class, (0,)))
