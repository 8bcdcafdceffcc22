"""The camp-start and apprenticeship deadlines: scheduled by the services that set them, moved and cancelled with
them, and reminding (in the app and by e-mail, through a real SMTP server) only those who still have to act."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.apprenticeships import reminders as ar
from app.apprenticeships import services as apprenticeships
from app.apprenticeships.models import SubsidyKind
from app.core.enums import District, Role
from app.core.views import today_in_shanghai
from app.extensions import db
from app.reminders import services
from app.reminders.models import Channel, Delivery, Reminder, ReminderStatus
from app.training_bases import services as bases
from app.training_bases.reminders import CAMP_STARTS, camp_start_recipients
from tests import apprenticeship_factories as af
from tests import factories
from tests import training_base_factories as tf

SH = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), SH)


def _scheduled(kind: str, key: object) -> list[tuple[int, datetime]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.kind == kind, Reminder.subject_key == str(key),
                                                        Reminder.status == ReminderStatus.SCHEDULED)
                              .order_by(Reminder.offset_days))
    return [(r.offset_days, r.send_at.astimezone(SH)) for r in rows]


def _reminded(kind: str) -> set[int]:
    """The users who got the kind's reminders in the app."""
    return set(db.session.scalars(sa.select(Delivery.user_id).join(Delivery.reminder)
                                  .where(Reminder.kind == kind, Delivery.channel == Channel.INBOX)))


def _mailed(smtp, kind_title: str) -> set[str]:
    return {str(m["To"]).split("<")[-1].rstrip(">") for m in smtp.messages if kind_title in str(m["Subject"])}


# ---------------------------------------------------------------- training camp starts

def _camp_data(starts: date, athlete_ids: list[int], name: str = "2027世赛集训") -> bases.CampData:
    return bases.CampData(name=name, occupation_code="6-18-01-01", starts_on=starts,
                          ends_on=starts + timedelta(days=30), athlete_ids=athlete_ids)


def test_creating_a_camp_schedules_its_start_7_and_1_days_before_and_moving_it_moves_them(ctx):
    s = tf.setup()
    starts = today_in_shanghai() + timedelta(days=30)
    camp = bases.create_camp(s.manager, s.base, _camp_data(starts, [p.id for p in s.athletes]))
    assert _scheduled(CAMP_STARTS, camp.id) == [(1, _at(starts - timedelta(days=1))),
                                                (7, _at(starts - timedelta(days=7)))]

    later = starts + timedelta(days=10)
    bases.update_camp(s.manager, camp, _camp_data(later, [p.id for p in s.athletes]))
    assert _scheduled(CAMP_STARTS, camp.id) == [(1, _at(later - timedelta(days=1))),
                                                (7, _at(later - timedelta(days=7)))]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                             .where(Reminder.kind == CAMP_STARTS)) == 2  # moved, not added


def test_a_camp_start_reminds_its_athletes_its_skills_coaches_and_until_planned_the_managers(ctx, smtp):
    s = tf.setup()
    athlete_users = [factories.user(s.base.organisation, Role.PERSON, person_id=p.id, email=f"a{n}@example.com")
                     for n, p in enumerate(s.athletes[:2])]
    outsider = factories.person("外人", employer=s.base.organisation)
    factories.user(s.base.organisation, Role.PERSON, person_id=outsider.id, email="outsider@example.com")
    other_skill = factories.occupation("6-18-02-01", "铣工")
    _person, other_coach = tf.coach(s.base, "铣工教练")
    db.session.execute(sa.text("UPDATE base_members SET occupation_code = :c WHERE person_id = :p"),
                       {"c": other_skill.code, "p": _person.id})
    db.session.commit()
    s.coach_user.email = "coach@example.com"
    s.manager.email = "manager@example.com"
    db.session.commit()
    starts = today_in_shanghai() + timedelta(days=30)
    camp = bases.create_camp(s.manager, s.base, _camp_data(starts, [p.id for p in s.athletes]))

    result = services.tick(now=_at(starts - timedelta(days=7)))

    assert result.expanded == 1
    assert _reminded(CAMP_STARTS) == {*(u.id for u in athlete_users), s.coach_user.id, s.manager.id}
    assert other_coach.id not in _reminded(CAMP_STARTS)
    assert _mailed(smtp, "集训开始") == {"a0@example.com", "a1@example.com", "coach@example.com",
                                       "manager@example.com"}
    # Once a session is booked the managers have nothing left to do before the start; the others still go.
    tf.session(camp, s.facility, s.coach, s.athletes, _at(starts, 9))
    assert s.manager.id not in {u.id for u in camp_start_recipients(str(camp.id))}
    assert s.coach_user.id in {u.id for u in camp_start_recipients(str(camp.id))}


# ---------------------------------------------------------------- apprenticeships

APRIL = date(2026, 4, 1)  # after af.TODAY (2026-03-10): the deadlines are ahead


@pytest.fixture()
def cast(ctx):
    af.policies()
    return af.cast()


def _submitted(c, name: str, starts: date = APRIL):
    e = af.enrollment(c, af.apprentice(c, name), starts=starts, ends=starts.replace(year=starts.year + 1))
    af.documents(e)
    apprenticeships.transition(c.hr, e, "submit", today=af.TODAY, now=af.NOW)
    return e


def test_submitting_schedules_approval_due_for_the_district_until_every_enrollment_of_the_day_is_decided(cast, smtp):
    cast.official.email = "huangpu@example.com"
    factories.district_official(District.XUHUI, email="xuhui@example.com")
    first, second = _submitted(cast, "王一"), _submitted(cast, "王二")
    key = ar.approval_key(District.HUANGPU, APRIL)
    # One deadline for the district and day however many were submitted: due when the training starts.
    assert _scheduled(ar.APPROVAL_DUE, key) == [(1, _at(date(2026, 3, 31))), (7, _at(date(2026, 3, 25)))]

    apprenticeships.transition(cast.official, first, "approve", today=af.TODAY, now=af.NOW)
    assert len(_scheduled(ar.APPROVAL_DUE, key)) == 2  # the second still waits
    services.tick(now=_at(date(2026, 3, 25)))
    assert _reminded(ar.APPROVAL_DUE) == {cast.official.id}  # the district's official, not another district's
    assert _mailed(smtp, "备案审核") == {"huangpu@example.com"}

    apprenticeships.transition(cast.official, second, "return", today=af.TODAY, now=af.NOW, reason="缺材料")
    assert _scheduled(ar.APPROVAL_DUE, key) == []  # nothing waits any more: the 1-day reminder is cancelled
    # Submitted again: the deadline comes back.
    af.documents(second)
    apprenticeships.transition(cast.hr, second, "submit", today=af.TODAY, now=af.NOW)
    assert _scheduled(ar.APPROVAL_DUE, key) == [(1, _at(date(2026, 3, 31)))]


def _mentor_accounts(c):
    return (factories.user(c.enterprise, Role.MENTOR, person_id=c.enterprise_mentor.id, email="em@example.com"),
            factories.user(c.institution, Role.MENTOR, person_id=c.institution_mentor.id, email="im@example.com"))


def test_approval_schedules_mid_term_and_end_to_the_enterprise_and_mentors_and_withdrawal_cancels_them(cast, smtp):
    enterprise_mentor, institution_mentor = _mentor_accounts(cast)
    cast.hr.email, cast.college.email = "hr@example.com", "college@example.com"
    db.session.commit()
    e = _submitted(cast, "王一")
    assert _scheduled(ar.MIDTERM, e.id) == [] and _scheduled(ar.TRAINING_ENDS, e.id) == []  # not before approval
    apprenticeships.transition(cast.official, e, "approve", today=af.TODAY, now=af.NOW)
    midterm = date(2026, 9, 30)  # halfway from 2026-04-01 to 2027-04-01 (365 days // 2 = 182)
    assert ar.midterm_on(APRIL, date(2027, 4, 1)) == midterm
    assert _scheduled(ar.MIDTERM, e.id) == [(1, _at(midterm - timedelta(days=1))),
                                            (7, _at(midterm - timedelta(days=7)))]
    assert _scheduled(ar.TRAINING_ENDS, e.id) == [(1, _at(date(2027, 3, 31))), (7, _at(date(2027, 3, 25)))]

    services.tick(now=_at(midterm - timedelta(days=7)))
    assert _reminded(ar.MIDTERM) == {cast.hr.id, enterprise_mentor.id, institution_mentor.id}
    assert _mailed(smtp, "中期考核") == {"hr@example.com", "em@example.com", "im@example.com"}
    services.tick(now=_at(date(2027, 3, 25)))
    # At the end the institution's staff come in too: they record the assessment.
    assert _reminded(ar.TRAINING_ENDS) == {cast.hr.id, enterprise_mentor.id, institution_mentor.id, cast.college.id}

    leaver = _submitted(cast, "王二")
    apprenticeships.transition(cast.official, leaver, "approve", today=af.TODAY, now=af.NOW)
    apprenticeships.transition(cast.hr, leaver, "withdraw", today=af.TODAY, now=af.NOW, reason="离职")
    assert _scheduled(ar.MIDTERM, leaver.id) == [] and _scheduled(ar.TRAINING_ENDS, leaver.id) == []
    assert _scheduled(ar.CLAIM_WINDOW, ar.claim_key(leaver.id, 1, SubsidyKind.ADVANCE)) == []


def test_the_claim_window_reminds_the_enterprise_hr_until_the_subsidy_is_claimed(cast, smtp):
    cast.hr.email = "hr@example.com"
    db.session.commit()
    klass = af.klass(cast)
    claims = af.enrollment(cast, af.apprentice(cast, "申领者"), klass.id, starts=APRIL, ends=date(2027, 4, 1))
    af.documents(claims)
    apprenticeships.transition(cast.hr, claims, "submit", today=af.TODAY, now=af.NOW)
    apprenticeships.transition(cast.official, claims, "approve", today=af.TODAY, now=af.NOW)
    key = ar.claim_key(claims.id, 1, SubsidyKind.ADVANCE)
    # Claimable from the training year's start (2026-04-01), for 6 months (policy): the last day is 2026-10-01.
    assert _scheduled(ar.CLAIM_WINDOW, key) == [(1, _at(date(2026, 10, 1))), (7, _at(date(2026, 9, 25)))]

    services.tick(now=_at(date(2026, 9, 25)))
    assert _reminded(ar.CLAIM_WINDOW) == {cast.hr.id}
    assert len(_mailed(smtp, "申领期限")) == 1

    apprenticeships.claim(cast.hr, klass, SubsidyKind.ADVANCE, 1, today=date(2026, 9, 26),
                          now=datetime(2026, 9, 26, 2, tzinfo=UTC))
    db.session.commit()
    assert _scheduled(ar.CLAIM_WINDOW, key) == []  # claimed: the last reminder is cancelled
    assert ar.claim_recipients(key) == []
