"""The cross-area risk rules on the desk: duplicate subsidies, two subsidised programmes at once, entries that
got past the eligibility rules; each links to its records, stays in its district, and is reviewed with a note."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.apprenticeships.enums import EnrollmentStatus, SubsidyKind, SubsidyStatus
from app.apprenticeships.models import Enrollment, SubsidyLine
from app.competitions.registration.models import RegistrationStatus
from app.core import risks
from app.core.enums import District, OrgKind, SkillLevel
from app.core.models import RiskReview
from app.core.types import utcnow
from app.extensions import db
from app.supervision import risk_rules
from tests import competition_factories as cf
from tests import factories
from tests.web.test_supervision_dashboards import enrollment_row


@pytest.fixture()
def req(app, ctx):  # noqa: ANN001, ANN201 - the rules build links, as they do on the desk
    with app.test_request_context("/"):
        yield


def second_enrollment(first: Enrollment, district: District, starts: date, ends: date) -> Enrollment:
    enterprise = factories.org(OrgKind.ENTERPRISE, district)
    row = Enrollment(person_id=first.person_id, enterprise_id=enterprise.id, institution_id=first.institution_id,
                     district=district, occupation_code=first.occupation_code, target_level=first.target_level,
                     hire_type=first.hire_type, contract_starts_on=starts, starts_on=starts, ends_on=ends,
                     status=EnrollmentStatus.IN_TRAINING, approved_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def line(e: Enrollment, year: int, kind: SubsidyKind = SubsidyKind.ADVANCE, training_year: int = 1,
         amount: str = "2500") -> SubsidyLine:
    row = SubsidyLine(enrollment_id=e.id, enterprise_id=e.enterprise_id, district=e.district,
                      training_year=training_year, year=year, kind=kind, amount=Decimal(amount),
                      standard=Decimal("5000"), months=12, status=SubsidyStatus.CLAIMED)
    db.session.add(row)
    db.session.commit()
    return row


def test_a_second_enrollment_claiming_for_the_same_year_is_a_duplicate_subsidy(app, ctx, req):
    first = enrollment_row(District.HUANGPU, date(2025, 3, 1), EnrollmentStatus.WITHDRAWN)
    line(first, 2025)
    line(first, 2025, SubsidyKind.BALANCE)  # advance and balance of one enrollment: not a duplicate
    assert risk_rules.duplicate_subsidies(None) == []
    second = second_enrollment(first, District.PUDONG, date(2025, 9, 1), date(2026, 9, 1))
    line(second, 2025, amount="2000")
    other = enrollment_row(District.HUANGPU, date(2025, 3, 1), EnrollmentStatus.IN_TRAINING)
    line(other, 2025)
    line(other, 2026, training_year=2)  # the next year: not a duplicate
    [prompt] = risk_rules.duplicate_subsidies(None)
    assert prompt.subject_key == f"subsidy:{first.person_id}:2025"
    assert "2025 年有 2 个学徒培训项目申领补贴" in prompt.title and "共 3 笔，7,000.00 元" in prompt.detail
    assert prompt.link == f"/apprenticeships/{second.id}"
    # It concerns both districts, and no other.
    assert len(risk_rules.duplicate_subsidies(District.PUDONG)) == 1
    assert len(risk_rules.duplicate_subsidies(District.HUANGPU)) == 1
    assert risk_rules.duplicate_subsidies(District.XUHUI) == []
    # A clawback is not a claim.
    db.session.delete(db.session.scalar(sa.select(SubsidyLine).where(SubsidyLine.enrollment_id == second.id)))
    line(second, 2025, SubsidyKind.CLAWBACK, amount="-2000")
    assert risk_rules.duplicate_subsidies(None) == []


def test_two_approved_enrollments_with_overlapping_periods_are_flagged_until_the_first_was_left(app, ctx, req):
    # The database holds a person in one open enrollment at a time; one closed (completed) while its period
    # still runs, the next may start within it.
    first = enrollment_row(District.HUANGPU, date(2026, 1, 1), EnrollmentStatus.COMPLETED, ends=date(2027, 1, 1))
    second = second_enrollment(first, District.PUDONG, date(2026, 6, 1), date(2027, 6, 1))
    [prompt] = risk_rules.overlapping_enrollments(None)
    assert prompt.subject_key == f"overlap:{first.id}:{second.id}"
    assert "2026-01-01 至 2027-01-01 与 2026-06-01 至 2027-06-01 重叠" in prompt.detail
    assert prompt.link == f"/apprenticeships/{second.id}"
    assert risk_rules.overlapping_enrollments(District.PUDONG)[0].district is District.PUDONG
    assert risk_rules.overlapping_enrollments(District.XUHUI) == []
    first.status, first.withdrawn_on = EnrollmentStatus.WITHDRAWN, date(2026, 6, 1)  # left the day the next began
    db.session.commit()
    assert risk_rules.overlapping_enrollments(None) == []
    second.status = EnrollmentStatus.COMPLETED
    db.session.commit()
    unapproved = second_enrollment(first, District.PUDONG, date(2026, 2, 1), date(2027, 2, 1))
    unapproved.approved_at, unapproved.status = None, EnrollmentStatus.WITHDRAWN  # never approved: no subsidy
    db.session.commit()
    assert risk_rules.overlapping_enrollments(None) == []


def entrant(name: str, unit, born: date, level: SkillLevel):  # noqa: ANN001, ANN201
    person = factories.person(name, unit, level=level)
    person.birth_date = born
    db.session.commit()
    return person


def test_entries_that_fail_the_age_or_level_rule_as_records_stand_are_flagged(app, ctx, req):
    comp = cf.competition(year=2026)
    ev = cf.event(comp)
    ev.born_on_or_after, ev.min_level, ev.max_level = date(2000, 1, 1), SkillLevel.LEVEL_4, SkillLevel.LEVEL_2
    db.session.commit()
    unit = factories.org(OrgKind.ENTERPRISE, District.JINGAN)
    ok = entrant("合格选手", unit, date(2001, 5, 1), SkillLevel.LEVEL_3)
    old = entrant("超龄选手", unit, date(1990, 5, 1), SkillLevel.LEVEL_3)
    low = entrant("等级不足", unit, date(2001, 5, 1), SkillLevel.LEVEL_5)
    high = entrant("等级过高", unit, date(2001, 5, 1), SkillLevel.LEVEL_1)
    gone = entrant("已退出", unit, date(1990, 5, 1), SkillLevel.LEVEL_3)
    regs = {p.name: cf.registration(ev, p, unit, status=RegistrationStatus.APPROVED) for p in (ok, old, low, high)}
    cf.registration(ev, gone, unit, status=RegistrationStatus.WITHDRAWN)  # holds no place
    found = {p.subject_key: p for p in risk_rules.eligibility_bypassed(None)}
    assert set(found) == {f"registration:{regs[n].id}" for n in ("超龄选手", "等级不足", "等级过高")}
    assert found[f"registration:{regs['超龄选手'].id}"].detail == "年龄不符合"
    assert found[f"registration:{regs['等级不足'].id}"].detail == "技能等级低于要求"
    assert found[f"registration:{regs['等级过高'].id}"].detail == "技能等级高于上限"
    assert found[f"registration:{regs['超龄选手'].id}"].link.startswith(f"/competitions/events/{ev.id}?q=")
    assert len(risk_rules.eligibility_bypassed(District.JINGAN)) == 3
    assert risk_rules.eligibility_bypassed(District.PUDONG) == []


def test_each_new_rule_is_on_the_desk_and_reviewed_with_a_note(app, ctx, login_as):
    assert {risk_rules.DUPLICATE_SUBSIDY, risk_rules.OVERLAPPING_ENROLLMENTS, risk_rules.ELIGIBILITY_BYPASSED,
            "award_unlocked_result"} <= set(risks.RULES)
    first = enrollment_row(District.HUANGPU, date(2026, 1, 1), EnrollmentStatus.COMPLETED)
    second = second_enrollment(first, District.HUANGPU, date(2026, 6, 1), date(2027, 6, 1))
    line(first, 2026)
    line(second, 2026)
    client = login_as(factories.district_official(District.HUANGPU))
    page = client.get("/supervision/risks").get_data(as_text=True)
    assert "重复申领补贴" in page and "同时参加两个补贴项目" in page
    for kind, key in ((risk_rules.DUPLICATE_SUBSIDY, f"subsidy:{first.person_id}:2026"),
                      (risk_rules.OVERLAPPING_ENROLLMENTS, f"overlap:{first.id}:{second.id}")):
        done = client.post("/supervision/risks/review", data={"kind": kind, "subject_key": key, "note": "已核实"})
        assert done.status_code == 303
    assert "没有风险提示" in client.get("/supervision/risks").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskReview)) == 2
    filtered = client.get(f"/supervision/risks?status=reviewed&kind={risk_rules.DUPLICATE_SUBSIDY}").get_data(
        as_text=True)
    assert "重复申领补贴" in filtered and "同时在两个学徒培训项目中" not in filtered
