"""Every kind of reminder reaches exactly the people docs/areas.md's table of reminders names, and nobody else:
one test per kind, each with people who must not get it (another unit, another district, a role that has nothing
to do, a user who is done or inactive). The reminder goes out through the scheduler's tick; who got it is read from
the in-app deliveries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.apprenticeships import reminders as ar
from app.apprenticeships import services as apprenticeships
from app.apprenticeships.models import SubsidyKind
from app.competitions.awards import services as awards
from app.competitions.events import services as events
from app.competitions.judging import services as judging
from app.competitions.judging.models import Contestant
from app.competitions.registration.models import RegistrationStatus, Team
from app.competitions.squads import services as squads
from app.core.enums import District, OrgKind, Role
from app.core.types import utcnow
from app.extensions import db
from app.mentor_hours.models import HourMonth, MonthStatus
from app.mentor_hours.reminders import SUBMISSION_KIND
from app.reminders import services as reminders
from app.reminders.models import Channel, Delivery, Reminder
from app.supervision.reminders import WEEKLY_SUMMARY
from app.training_bases import services as bases
from app.training_bases.reminders import CAMP_STARTS
from tests import apprenticeship_factories as af
from tests import competition_factories as cf
from tests import factories
from tests import mentor_hours_factories as mf
from tests import training_base_factories as tf

NOW = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai


@pytest.fixture(autouse=True)
def _clock(fixed_clock):
    fixed_clock(NOW)


def reached(kind: str, subject_key: object) -> set[int]:
    """Send the kind's reminder for the subject now; the users who got it in the app."""
    row = Reminder(kind=kind, subject_key=str(subject_key), offset_days=0, due_at=NOW + timedelta(days=2),
                   send_at=NOW - timedelta(minutes=1))
    db.session.add(row)
    db.session.commit()
    reminders.tick(now=NOW)
    return set(db.session.scalars(sa.select(Delivery.user_id).where(Delivery.reminder_id == row.id,
                                                                    Delivery.channel == Channel.INBOX)))


def bystanders() -> list[int]:
    """People with nothing to do with any reminder here: a municipal official, another unit's HR, a district
    official elsewhere, an inactive HR."""
    return [factories.municipal_official().id, factories.user(factories.org(), Role.ENTERPRISE_HR).id,
            factories.district_official(District.CHONGMING).id,
            factories.user(factories.org(), Role.ENTERPRISE_HR, active=False).id]


# ---------------------------------------------------------------- competitions

def test_registration_closes_reaches_the_units_with_unfinished_entries_and_their_district_officials(app, ctx):
    ev = cf.event(name="数控车")
    sent_back = factories.org(OrgKind.ENTERPRISE, District.XUHUI, name="徐汇甲厂")
    short_team = factories.org(OrgKind.TECHNICIAN_COLLEGE, District.MINHANG, name="闵行技师学院")
    finished = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="浦东乙厂")
    hr = factories.user(sent_back, Role.ENTERPRISE_HR)
    factories.user(sent_back, Role.PERSON)  # an employee: nothing to do
    college = factories.user(short_team, Role.COLLEGE_STAFF)
    factories.user(finished, Role.ENTERPRISE_HR)
    xuhui, minhang = factories.district_official(District.XUHUI), factories.district_official(District.MINHANG)
    factories.district_official(District.PUDONG)  # its unit is done
    factories.user(ev.competition.organiser, Role.ORGANIZER)
    ev.team_size = 2
    team = Team(event_id=ev.id, unit_id=short_team.id, name="一队")
    db.session.add(team)
    db.session.commit()
    cf.registration(ev, factories.person(employer=sent_back), sent_back, status=RegistrationStatus.CHANGES_REQUESTED)
    cf.registration(ev, factories.person(employer=short_team), short_team, team_id=team.id)
    cf.registration(ev, factories.person(employer=finished), finished, status=RegistrationStatus.APPROVED)
    bystanders()
    assert reached(events.REGISTRATION_CLOSES, ev.id) == {hr.id, college.id, xuhui.id, minhang.id}


def test_entrant_approval_due_reaches_the_organisers_organizers_while_entries_wait(app, ctx):
    ev = cf.event()
    organizer = factories.user(ev.competition.organiser, Role.ORGANIZER)
    factories.user(factories.org(), Role.ORGANIZER)  # another organiser
    unit = factories.org()
    factories.user(unit, Role.ENTERPRISE_HR)
    cf.registration(ev, factories.person(employer=unit), unit, status=RegistrationStatus.SUBMITTED)
    bystanders()
    assert reached(events.APPROVAL_DUE, ev.id) == {organizer.id}


def test_scores_due_reaches_the_experts_still_marking_and_the_organisers_organizers(app, ctx):
    ev, aspects, panel, organiser = cf.judged_event(n=2, aspects=[("A", "J", "100")], experts=3)
    for contestant in db.session.scalars(sa.select(Contestant).where(Contestant.event_id == ev.id)):
        judging.save_score(panel[0], ev, contestant.id, aspects[0].id, "2")  # the first expert is done
    factories.user(factories.org(), Role.ORGANIZER)
    bystanders()
    assert reached(judging.SCORES_DUE, ev.id) == {panel[1].id, panel[2].id, organiser.id}


def _locked(n: int = 3):
    ev, aspects, panel, organiser = cf.judged_event(n=n, aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {b: [str(100 - 10 * b)] for b in range(1, n + 1)})
    judging.lock_results(organiser, ev, utcnow())
    return ev, panel, organiser


def test_a_stage_assessment_reaches_the_organisers_organizers_until_it_is_decided(app, ctx):
    ev, panel, organiser = _locked()
    squad = squads.create_squad(organiser, ev, name="集训队", tier="", target_event_id=None, final_size=1,
                                result_ids=squads.top_results(ev, 2))
    stage = squads.add_stage(organiser, squad, name="二进一", held_on=date(2027, 5, 10), advance_count=1)
    bystanders()
    assert reached(squads.STAGE_ASSESSMENT, stage.id) == {organiser.id}


def test_notice_end_and_payment_due_reach_the_awarding_bureaus_officials(app, ctx):
    ev, panel, organiser = _locked(2)
    cf.award_rule(band="gold", competitor_amount="1000", name="金牌")
    official = factories.municipal_official()
    colleague = factories.user(official.organisation, Role.OFFICIAL)
    factories.district_official(District.XUHUI)
    factories.user(factories.org(), Role.ENTERPRISE_HR)
    awards.generate(official, ev)
    notice = awards.publish_notice(official, ev, "公示", date(2030, 1, 7), utcnow())
    # The publisher's bureau approves the lines; the organiser's organizer (same bureau) is not an official.
    assert reached(awards.NOTICE_ENDS, notice.id) == {official.id, colleague.id}
    awards.approve(official, ev, today=date(2030, 1, 20), now=utcnow())
    assert reached(awards.PAYMENT_DUE, ev.id) == {official.id, colleague.id}


def test_payment_due_of_a_district_competition_reaches_its_bureau_and_the_city(app, ctx):
    bureau = factories.district_bureau(District.JINGAN)
    comp = cf.competition(organiser=bureau, name="静安区技能大赛")
    ev, aspects, panel, organiser = cf.judged_event(n=2, aspects=[("A", "M", "100")], experts=1, comp=comp)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"]})
    judging.lock_results(organiser, ev, utcnow())
    cf.award_rule(band="gold", competitor_amount="1000", name="金牌")
    jingan = factories.user(bureau, Role.OFFICIAL)
    city = factories.municipal_official()
    factories.district_official(District.XUHUI)
    awards.generate(jingan, ev)
    awards.publish_notice(jingan, ev, "公示", date(2030, 1, 7), utcnow())
    awards.approve(jingan, ev, today=date(2030, 1, 20), now=utcnow())
    assert reached(awards.PAYMENT_DUE, ev.id) == {jingan.id, city.id}


# ---------------------------------------------------------------- training bases

def test_a_camp_start_reaches_its_athletes_the_skill_coaches_and_until_planned_the_managers(app, ctx):
    s = tf.setup(camp_start=date(2026, 3, 2))
    athletes = [factories.user(s.base.organisation, Role.PERSON, person_id=p.id) for p in s.athletes]
    outsider = factories.person("外人", employer=s.base.organisation)
    factories.user(s.base.organisation, Role.PERSON, person_id=outsider.id)
    bystanders()
    camp = bases.create_camp(s.manager, s.base, bases.CampData(
        name="集训", occupation_code="6-18-01-01", starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 1),
        athlete_ids=[p.id for p in s.athletes]))
    assert reached(CAMP_STARTS, camp.id) == {*(u.id for u in athletes), s.coach_user.id, s.manager.id}


# ---------------------------------------------------------------- apprenticeships

@pytest.fixture()
def cast(ctx):
    af.policies()
    return af.cast()


def _submitted(c, name: str):
    e = af.enrollment(c, af.apprentice(c, name), starts=date(2026, 4, 1), ends=date(2027, 4, 1))
    af.documents(e)
    apprenticeships.transition(c.hr, e, "submit", today=af.TODAY, now=af.NOW)
    return e


def _mentors(c):
    return (factories.user(c.enterprise, Role.MENTOR, person_id=c.enterprise_mentor.id),
            factories.user(c.institution, Role.MENTOR, person_id=c.institution_mentor.id))


def test_enrollment_approval_due_reaches_the_districts_officials(app, cast):
    _submitted(cast, "王一")
    factories.district_official(District.XUHUI)
    bystanders()
    assert reached(ar.APPROVAL_DUE, ar.approval_key(District.HUANGPU, date(2026, 4, 1))) == {cast.official.id}


def test_the_midterm_review_reaches_the_enterprises_hr_and_both_mentors(app, cast):
    enterprise_mentor, institution_mentor = _mentors(cast)
    e = _submitted(cast, "王一")
    apprenticeships.transition(cast.official, e, "approve", today=af.TODAY, now=af.NOW)
    bystanders()
    assert reached(ar.MIDTERM, e.id) == {cast.hr.id, enterprise_mentor.id, institution_mentor.id}


def test_the_end_of_training_also_reaches_the_institutions_staff(app, cast):
    enterprise_mentor, institution_mentor = _mentors(cast)
    e = _submitted(cast, "王一")
    apprenticeships.transition(cast.official, e, "approve", today=af.TODAY, now=af.NOW)
    bystanders()
    assert reached(ar.TRAINING_ENDS, e.id) == {cast.hr.id, enterprise_mentor.id, institution_mentor.id,
                                               cast.college.id}


def test_the_claim_window_reaches_the_enterprises_hr(app, cast):
    _mentors(cast)
    e = _submitted(cast, "王一")
    apprenticeships.transition(cast.official, e, "approve", today=af.TODAY, now=af.NOW)
    bystanders()
    assert reached(ar.CLAIM_WINDOW, ar.claim_key(e.id, 1, SubsidyKind.ADVANCE)) == {cast.hr.id}


def test_a_class_reminder_reaches_its_apprentices_and_their_mentors(app, cast):
    enterprise_mentor, institution_mentor = _mentors(cast)
    klass = af.klass(cast)
    person = af.apprentice(cast, "班里的学徒")
    af.enrollment(cast, person, class_id=klass.id)
    apprentice = factories.user(cast.enterprise, Role.PERSON, person_id=person.id)
    elsewhere = af.apprentice(cast, "不在班里")
    af.enrollment(cast, elsewhere)
    factories.user(cast.enterprise, Role.PERSON, person_id=elsewhere.id)
    bystanders()
    assert reached(ar.CLASS_NOTICE, klass.id) == {apprentice.id, enterprise_mentor.id, institution_mentor.id}


# ---------------------------------------------------------------- mentor hours and supervision

def test_the_month_submission_reaches_mentors_whose_month_is_open_or_disputed(app, ctx):
    first = mf.setup()
    second = mf.setup(prefix="乙", policies=False)
    third = mf.setup(prefix="丙", policies=False)
    for setup, status in ((first, MonthStatus.OPEN), (second, MonthStatus.DISPUTED), (third, MonthStatus.SUBMITTED)):
        a = setup.assignment
        db.session.add(HourMonth(assignment_id=a.id, enrollment_id=a.enrollment_id, mentor_id=a.mentor_id,
                                 enterprise_id=setup.enrollment.enterprise_id, district=setup.enrollment.district,
                                 month=date(2026, 2, 1), status=status))
    db.session.commit()
    bystanders()
    assert reached(SUBMISSION_KIND, "2026-02") == {first.mentor.id, second.mentor.id}


def test_the_weekly_summary_reaches_the_districts_officials_only(app, ctx):
    huangpu = factories.district_official(District.HUANGPU)
    colleague = factories.user(factories.district_bureau(District.HUANGPU), Role.OFFICIAL)
    factories.user(factories.district_bureau(District.HUANGPU), Role.ORGANIZER)
    bystanders()
    assert reached(WEEKLY_SUMMARY, "huangpu:2026-03-16") == {huangpu.id, colleague.id}
