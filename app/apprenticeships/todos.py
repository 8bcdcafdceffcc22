"""企业新型学徒制 on the home page's 我的待办: enrollments to approve (officials, within their district), enrollments
sent back for changes (enterprise HR, per class), subsidy claims waiting for the bureau (enterprise HR). One query
each; see app/core/todos.py."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from app.apprenticeships.enums import EnrollmentStatus, SubsidyStatus
from app.apprenticeships.models import ApprenticeClass, Enrollment, MentorAssignment, SubsidyLine
from app.auth.apprenticeships import enrollment_scope
from app.core.enums import Role
from app.core.models import User
from app.core.todos import Todo, todo_provider
from app.extensions import db


@todo_provider("apprenticeships.approve", roles={Role.OFFICIAL}, order=60)
def enrollments_to_approve(user: User, today: date) -> list[Todo]:
    """Enrollments submitted for 备案 that the official's bureau decides (a district's, or the city's)."""
    count = db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        enrollment_scope(user, Enrollment, MentorAssignment), Enrollment.status == EnrollmentStatus.SUBMITTED))
    return [Todo(_("待审核的学徒备案"), count or 0,
                 url_for("apprenticeships.index", status=EnrollmentStatus.SUBMITTED.value))]


@todo_provider("apprenticeships.returned", roles={Role.ENTERPRISE_HR}, order=31)
def enrollments_sent_back(user: User, today: date) -> list[Todo]:
    """Per class of the HR's enterprise: enrollments the bureau sent back (a draft again, with its reason)."""
    rows = db.session.execute(
        sa.select(ApprenticeClass.id, ApprenticeClass.name, sa.func.count(Enrollment.id))
        .join(Enrollment, Enrollment.class_id == ApprenticeClass.id)
        .where(Enrollment.enterprise_id == user.organisation_id, Enrollment.status == EnrollmentStatus.DRAFT,
               Enrollment.reason != "")
        .group_by(ApprenticeClass.id, ApprenticeClass.name).order_by(ApprenticeClass.id)).all()
    return [Todo(_("被退回修改的学徒班级"), count, url_for("apprenticeships.class_detail", class_id=class_id), name)
            for class_id, name, count in rows]


@todo_provider("apprenticeships.claims", roles={Role.ENTERPRISE_HR}, order=32)
def subsidy_claims_open(user: User, today: date) -> list[Todo]:
    """The enterprise's subsidy claims not yet decided by the bureau (已申领, waiting for 核准)."""
    count = db.session.scalar(
        sa.select(sa.func.count(SubsidyLine.id))
        .where(SubsidyLine.enterprise_id == user.organisation_id, SubsidyLine.status == SubsidyStatus.CLAIMED))
    return [Todo(_("未核准的补贴申领"), count or 0,
                 url_for("apprenticeships.ledger", status=SubsidyStatus.CLAIMED.value))]
