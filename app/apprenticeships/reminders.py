"""The apprenticeship deadlines that get reminders, and a class reminded at once by its enterprise.

Deadlines (none of these dates is stored as such; each is derived from data that is, see the README):

- approval due (``apprenticeship.approval_due``): a submitted enrollment must be approved (备案) before its
  training starts — 00:00 Shanghai on ``starts_on``. One deadline per district and start day, so a class of
  thirty submitted together is one reminder to the district bureau's officials, who get it while enrollments
  of that district starting that day still wait for a decision.
- mid-term review (``apprenticeship.midterm_review``): the midpoint of the training period (``starts_on`` +
  half the days to ``ends_on``), to the enterprise's HR and the two mentors, while the training runs.
- end of training (``apprenticeship.training_ends``): ``ends_on``, to the enterprise's HR, the institution's
  staff (they record the 等级认定 result) and the mentors, until the result is recorded.
- subsidy claim window closes (``apprenticeship.claim_window_closes``): for each training year's advance and,
  after a passed assessment, its balance — the end of the last day of the window (``rules.claim_deadline``:
  ``apprenticeship.claim_window_months`` in force on the day the subsidy became claimable, after that day),
  to the enterprise's HR while that subsidy is still unclaimed.

apprenticeships/services.py schedules them in the transaction of the transition that sets them (submit,
approve, assess) and cancels them in the one that ends them (approve/return/withdraw, assess, claim).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.apprenticeships import rules
from app.apprenticeships.enums import OPEN_STATUSES, EnrollmentStatus, SubsidyKind
from app.apprenticeships.models import ApprenticeClass, Enrollment, MentorAssignment, SubsidyLine
from app.core.enums import District, OrgKind, Role
from app.core.models import Organisation, User, UserRole
from app.core.policy import value_in_force
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind
from app.reminders.services import cancel_deadline, schedule_deadline

CLASS_NOTICE = "apprenticeship.class_notice"
APPROVAL_DUE = "apprenticeship.approval_due"
MIDTERM = "apprenticeship.midterm_review"
TRAINING_ENDS = "apprenticeship.training_ends"
CLAIM_WINDOW = "apprenticeship.claim_window_closes"

#: While the training runs: the mid-term review and the end date concern these enrollments.
TRAINING = (EnrollmentStatus.APPROVED, EnrollmentStatus.IN_TRAINING)


# ---------------------------------------------------------------- the dates (pure)

def midterm_on(starts_on: date, ends_on: date) -> date:
    """The mid-term review day: halfway through the training period (rounded down to a whole day)."""
    return starts_on + timedelta(days=(ends_on - starts_on).days // 2)


def claim_closes_after(eligible_on: date, window_months: int) -> date:
    """The day after the last day a subsidy may be claimed (the window closes at its midnight)."""
    return rules.claim_deadline(eligible_on, window_months) + timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(current_app.config["TZ"]))


def approval_key(district: District, starts_on: date) -> str:
    return f"{district.value}:{starts_on.isoformat()}"


def claim_key(enrollment_id: int, training_year: int, kind: SubsidyKind) -> str:
    return f"{enrollment_id}:{training_year}:{kind.value}"


def _parse_claim_key(key: str) -> tuple[int, int, SubsidyKind]:
    enrollment_id, year, kind = key.split(":")
    return int(enrollment_id), int(year), SubsidyKind(kind)


# ---------------------------------------------------------------- scheduling (called by services.py)

def _waiting_for_approval(district: District, starts_on: date) -> sa.Select:
    return sa.select(Enrollment.id).where(Enrollment.district == district, Enrollment.starts_on == starts_on,
                                          Enrollment.status == EnrollmentStatus.SUBMITTED)


def after_transition(enrollment: Enrollment, action: str, now: datetime) -> None:
    """Keep the enrollment's deadlines in step with the transition just made (same transaction)."""
    if action == "submit":
        schedule_deadline(APPROVAL_DUE, approval_key(enrollment.district, enrollment.starts_on),
                          _midnight(enrollment.starts_on), now=now)
    if action in ("approve", "return", "withdraw"):
        db.session.flush()  # this enrollment no longer waits; do others of the same day?
        if db.session.scalar(_waiting_for_approval(enrollment.district, enrollment.starts_on).limit(1)) is None:
            cancel_deadline(APPROVAL_DUE, approval_key(enrollment.district, enrollment.starts_on))
    if action == "approve":
        schedule_deadline(MIDTERM, enrollment.id, _midnight(midterm_on(enrollment.starts_on, enrollment.ends_on)),
                          now=now)
        schedule_deadline(TRAINING_ENDS, enrollment.id, _midnight(enrollment.ends_on), now=now)
        for year in rules.training_years(enrollment.starts_on, enrollment.ends_on):
            # As services.eligible_on: claimable once approved and the training year has begun.
            _schedule_claim(enrollment, year.number, SubsidyKind.ADVANCE,
                            max((enrollment.approved_at or now).date(), year.starts_on), now)
    if action in ("withdraw", "assess"):
        cancel_deadline(MIDTERM, enrollment.id)
        cancel_deadline(TRAINING_ENDS, enrollment.id)
    if action == "withdraw" or (action == "assess" and not enrollment.assessment_passed):
        for year in rules.training_years(enrollment.starts_on, enrollment.ends_on):
            cancel_deadline(CLAIM_WINDOW, claim_key(enrollment.id, year.number, SubsidyKind.ADVANCE))
    if action == "assess" and enrollment.assessment_passed and enrollment.assessed_on is not None:
        for year in rules.training_years(enrollment.starts_on, enrollment.ends_on):
            _schedule_claim(enrollment, year.number, SubsidyKind.BALANCE, enrollment.assessed_on, now)


def _schedule_claim(enrollment: Enrollment, training_year: int, kind: SubsidyKind, eligible_on: date,
                    now: datetime) -> None:
    window = value_in_force("apprenticeship.claim_window_months", eligible_on)
    if window is None:
        return  # no window in force: nothing closes
    schedule_deadline(CLAIM_WINDOW, claim_key(enrollment.id, training_year, kind),
                      _midnight(claim_closes_after(eligible_on, int(window))), now=now)


def claimed(line: SubsidyLine) -> None:
    """A subsidy was claimed: its window's reminders stop (same transaction as the claim)."""
    cancel_deadline(CLAIM_WINDOW, claim_key(line.enrollment_id, line.training_year, line.kind))


# ---------------------------------------------------------------- recipients (asked when a reminder falls due)

def _users(*, organisation_ids: Sequence[int] = (), roles: Sequence[Role] = (),
           person_ids: Sequence[int] = ()) -> list[User]:
    """Active users of the organisations holding one of the roles, and those linked to the people."""
    clauses = []
    if organisation_ids and roles:
        clauses.append(sa.and_(User.organisation_id.in_(list(organisation_ids)),
                               User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(list(roles))))))
    if person_ids:
        clauses.append(User.person_id.in_(list(person_ids)))
    if not clauses:
        return []
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True), sa.or_(*clauses)).order_by(User.id)))


def _mentor_people(enrollment_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(MentorAssignment.mentor_id)
                                   .where(MentorAssignment.enrollment_id == enrollment_id)))


def approval_recipients(subject_key: str) -> list[User]:
    """The district bureau's officials, while enrollments of the district starting that day wait for them."""
    district_value, starts = subject_key.split(":")
    district, starts_on = District(district_value), date.fromisoformat(starts)
    if db.session.scalar(_waiting_for_approval(district, starts_on).limit(1)) is None:
        return []
    bureaus = db.session.scalars(sa.select(Organisation.id).where(Organisation.kind == OrgKind.DISTRICT_BUREAU,
                                                                  Organisation.district == district)).all()
    return _users(organisation_ids=bureaus, roles=(Role.OFFICIAL,))


def midterm_recipients(subject_key: str) -> list[User]:
    """The enterprise's HR and both mentors, while the training runs."""
    enrollment = db.session.get(Enrollment, int(subject_key))
    if enrollment is None or enrollment.status not in TRAINING:
        return []
    return _users(organisation_ids=[enrollment.enterprise_id], roles=(Role.ENTERPRISE_HR,),
                  person_ids=_mentor_people(enrollment.id))


def end_recipients(subject_key: str) -> list[User]:
    """The enterprise's HR, the institution's staff and both mentors, until the assessment is recorded."""
    enrollment = db.session.get(Enrollment, int(subject_key))
    if enrollment is None or enrollment.status not in TRAINING:
        return []
    return (_users(organisation_ids=[enrollment.enterprise_id], roles=(Role.ENTERPRISE_HR,),
                   person_ids=_mentor_people(enrollment.id))
            + _users(organisation_ids=[enrollment.institution_id], roles=(Role.COLLEGE_STAFF,)))


def claim_recipients(subject_key: str) -> list[User]:
    """The enterprise's HR, while the subsidy is claimable and not yet claimed."""
    enrollment_id, training_year, kind = _parse_claim_key(subject_key)
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.status is EnrollmentStatus.WITHDRAWN:
        return []
    if kind is SubsidyKind.ADVANCE and enrollment.assessment_passed is False:
        return []
    if kind is SubsidyKind.BALANCE and not enrollment.assessment_passed:
        return []
    done = db.session.scalar(sa.select(SubsidyLine.id).where(
        SubsidyLine.enrollment_id == enrollment_id, SubsidyLine.training_year == training_year,
        SubsidyLine.kind == kind).limit(1))
    if done is not None:
        return []
    return _users(organisation_ids=[enrollment.enterprise_id], roles=(Role.ENTERPRISE_HR,))


# ---------------------------------------------------------------- what a reminder is about

def describe_approval(subject_key: str) -> Subject | None:
    district_value, starts = subject_key.split(":")
    district = District(district_value)
    return Subject(title=_("%(district)s %(day)s 开始的学徒培训备案审核", district=district.label, day=starts),
                   link=url_for("apprenticeships.index", district=district.value,
                                status=EnrollmentStatus.SUBMITTED.value))


def _describe_enrollment(title):  # noqa: ANN001, ANN202
    def describe(subject_key: str) -> Subject | None:
        enrollment = db.session.get(Enrollment, int(subject_key))
        if enrollment is None:
            return None
        return Subject(title=title(enrollment.person.name),
                       link=url_for("apprenticeships.enrollment_detail", enrollment_id=enrollment.id))
    return describe


def _midterm_title(name: str) -> str:
    return _("学徒 %(name)s 中期考核", name=name)


def _end_title(name: str) -> str:
    return _("学徒 %(name)s 培训期满（请记录等级认定结果）", name=name)


def describe_claim(subject_key: str) -> Subject | None:
    enrollment_id, training_year, kind = _parse_claim_key(subject_key)
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        return None
    link = (url_for("apprenticeships.class_detail", class_id=enrollment.class_id) if enrollment.class_id
            else url_for("apprenticeships.enrollment_detail", enrollment_id=enrollment.id))
    return Subject(title=_("学徒 %(name)s 第 %(year)d 培训年度%(kind)s补贴申领期限", name=enrollment.person.name,
                           year=training_year, kind=kind.label), link=link)


# ---------------------------------------------------------------- a class reminded at once

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


register_kind(DeadlineKind(CLASS_NOTICE, _l("学徒班提醒"), class_recipients, describe_class, (0,), has_deadline=False))
register_kind(DeadlineKind(APPROVAL_DUE, _l("学徒备案审核截止"), approval_recipients, describe_approval))
register_kind(DeadlineKind(MIDTERM, _l("学徒中期考核"), midterm_recipients, _describe_enrollment(_midterm_title)))
register_kind(DeadlineKind(TRAINING_ENDS, _l("学徒培训期满"), end_recipients, _describe_enrollment(_end_title)))
register_kind(DeadlineKind(CLAIM_WINDOW, _l("学徒补贴申领期限"), claim_recipients, describe_claim))
