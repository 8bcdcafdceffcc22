"""带徒学时 through the Flask test client: logging (quick form, week rows), the month's submission, dispute,
correction, confirmation, approval (locked) and reopening; allowance statements and their export; risk prompts
(SQL) on the officials' desk and for the enterprise; the skills record; the submission reminder."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.apprenticeships.enums import EnrollmentStatus
from app.core.enums import District, Role
from app.core.models import AuditEntry, RiskReview
from app.core.views import today_in_shanghai
from app.extensions import db
from app.mentor_hours import risks, rules, services
from app.mentor_hours.models import AllowanceKind, HourEntry, HourMonth, MonthStatus
from app.reminders.models import Reminder
from tests import apprenticeship_factories as af
from tests import factories
from tests import mentor_hours_factories as mf
from tests.conftest import count_queries
from tests.web.test_dashboard import cells

MARCH = "2026-03"


@pytest.fixture()
def s(app, ctx):
    return mf.setup()


@pytest.fixture()
def req(app, ctx):
    """A request context: prompts carry links (url_for)."""
    with app.test_request_context():
        yield


def _log(web, s, day="2026-03-02", **fields):
    form = {"assignment_id": s.assignment.id, "worked_on": day, "starts_at": "09:00", "ends_at": "11:30",
            "hours": "", "module_id": "", "content": "数控车床对刀", "place": "一车间"}
    form.update(fields)
    return web.post("/mentor-hours/log", form)


# ---------------------------------------------------------------- logging

def test_a_mentor_logs_hours_and_the_next_form_starts_from_the_last_entry(s, login_as):
    web = login_as(s.mentor)
    module = s.enrollment.modules[1]
    assert _log(web, s, module_id=module.id).status_code == 303
    entry = db.session.scalar(sa.select(HourEntry))
    assert entry.hours == Decimal("2.50") and entry.module_id == module.id and entry.mentor_id == s.assignment.mentor_id
    page = web.get("/mentor-hours/log").get_data(as_text=True)
    assert 'value="数控车床对刀"' in page and 'value="一车间"' in page and 'value="09:00"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "mentor_hour_entries")) == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"ends_at": "08:00"}, "结束时间须晚于开始时间"),
    ({"starts_at": "", "ends_at": "", "hours": ""}, "请填写起止时间或学时数"),
    ({"worked_on": (date.today() + timedelta(days=3)).isoformat()}, "不能登记将来的学时"),
])
def test_a_bad_entry_is_refused_with_its_reason(s, login_as, fields, message):
    response = _log(login_as(s.mentor), s, **fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry)) == 0


def test_a_mentor_logs_only_for_their_own_apprentices(s, login_as):
    other = mf.setup(prefix="乙", policies=False)
    response = _log(login_as(s.mentor), s, assignment_id=other.assignment.id)
    assert response.status_code == 422 and db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry)) == 0
    assert login_as(s.mentor).get(f"/mentor-hours/week/{other.assignment.id}").status_code == 404


def test_the_institution_mentor_logs_their_own_hours(s, login_as):
    from app.apprenticeships.enums import MentorKind

    ia = s.enrollment.mentor(MentorKind.INSTITUTION)
    teacher = factories.user(s.cast.institution, Role.MENTOR, person_id=ia.mentor_id)
    assert _log(login_as(teacher), s, assignment_id=ia.id).status_code == 303
    assert _log(login_as(teacher), s).status_code == 422  # the enterprise mentor's assignment is not theirs
    assert db.session.scalar(sa.select(HourEntry.assignment_id)) == ia.id


def test_the_week_saves_row_by_row_and_answers_with_the_row(s, login_as):
    web = login_as(s.mentor)
    page = web.get(f"/mentor-hours/week/{s.assignment.id}?start=2026-03-02").get_data(as_text=True)
    assert 'id="day-2026-03-02"' in page and 'id="day-2026-03-08"' in page
    row = {"assignment_id": s.assignment.id, "worked_on": "2026-03-03", "starts_at": "13:00", "ends_at": "17:00",
           "hours": "", "module_id": "", "content": "零件测量", "place": "质检室"}
    response = web.post(f"/mentor-hours/week/{s.assignment.id}/2026-03-03", row, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="day-2026-03-03"' in body and "零件测量" in body
    assert "<html" not in body and 'id="day-2026-03-04"' not in body
    bad = web.post(f"/mentor-hours/week/{s.assignment.id}/2026-03-04", {**row, "worked_on": "2026-03-04",
                                                                         "content": ""},
                   headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "此项为必填项" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry)) == 1


# ---------------------------------------------------------------- the month

def test_submit_dispute_correct_confirm_approve_lock_and_reopen(s, login_as):
    mentor, apprentice, hr = login_as(s.mentor), login_as(s.apprentice), login_as(s.cast.hr)
    _log(mentor, s, "2026-03-02")
    _log(mentor, s, "2026-03-03", starts_at="14:00", ends_at="20:00")
    url = f"/mentor-hours/a/{s.assignment.id}/{MARCH}"
    assert apprentice.post(f"{url}/confirm").status_code == 422  # not submitted yet
    assert mentor.post(f"{url}/submit").status_code == 303
    sheet = db.session.scalar(sa.select(HourMonth))
    assert sheet.status is MonthStatus.SUBMITTED and sheet.hours == Decimal("8.50")
    assert _log(mentor, s, "2026-03-04").status_code == 422  # submitted: no more entries until disputed
    wrong = db.session.scalar(sa.select(HourEntry).where(HourEntry.worked_on == date(2026, 3, 3)))
    assert apprentice.post(f"/mentor-hours/entries/{wrong.id}/dispute", {"comment": ""}).status_code == 422
    assert apprentice.post(f"/mentor-hours/entries/{wrong.id}/dispute",
                           {"comment": "当天只带教到17点"}).status_code == 303
    db.session.refresh(sheet)
    assert sheet.status is MonthStatus.DISPUTED
    assert "当天只带教到17点" in mentor.get(url).get_data(as_text=True)
    assert mentor.post(f"{url}/submit").status_code == 422  # the disputed entry is not corrected yet
    fixed = mentor.post(f"/mentor-hours/entries/{wrong.id}/edit", {
        "assignment_id": s.assignment.id, "worked_on": "2026-03-03", "starts_at": "14:00", "ends_at": "17:00",
        "hours": "", "module_id": "", "content": "数控车床对刀", "place": "一车间"})
    assert fixed.status_code == 303
    assert mentor.post(f"{url}/submit").status_code == 303
    assert hr.post(f"{url}/approve").status_code == 422  # the apprentice has not confirmed
    assert apprentice.post(f"{url}/confirm").status_code == 303
    # no empty 办理 card: the apprentice reads who acts next
    assert "学徒已确认，等待企业审批。" in apprentice.get(url).get_data(as_text=True)
    assert mentor.post(f"{url}/approve").status_code == 403
    assert hr.post(f"{url}/approve").status_code == 303
    db.session.refresh(sheet)
    assert sheet.status is MonthStatus.APPROVED and sheet.hours == Decimal("5.50")
    locked = _log(mentor, s, "2026-03-05")
    assert locked.status_code == 422 and "已审批锁定" in locked.get_data(as_text=True)
    assert mentor.post(f"/mentor-hours/entries/{wrong.id}/edit", {
        "assignment_id": s.assignment.id, "worked_on": "2026-03-03", "hours": "1", "content": "x"}).status_code == 422
    assert hr.post(f"{url}/reopen", {"reason": ""}).status_code == 422
    assert hr.post(f"{url}/reopen", {"reason": "补录一次夜班带教"}).status_code == 303
    db.session.refresh(sheet)
    assert sheet.status is MonthStatus.OPEN and _log(mentor, s, "2026-03-05").status_code == 303
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.entity_type == "mentor_hour_months")))
    assert actions == {"submit_hours", "dispute_hours", "confirm_hours", "approve_hours",
                       "reopen_hours"}


def test_an_open_month_shows_its_running_total_to_the_apprentice(s, login_as):
    """The apprentice's list of months shows the hours logged so far in a month not yet submitted (not 0)."""
    mentor, apprentice = login_as(s.mentor), login_as(s.apprentice)
    _log(mentor, s, "2026-03-02")
    _log(mentor, s, "2026-03-03", starts_at="14:00", ends_at="20:00")
    rows = cells(apprentice.get("/mentor-hours/").get_data(as_text=True), "to-confirm")
    assert rows[1][0] == MARCH and rows[1][2] == "8.5"
    first = db.session.scalar(sa.select(HourEntry).where(HourEntry.worked_on == date(2026, 3, 2)))
    assert mentor.post(f"/mentor-hours/entries/{first.id}/delete").status_code in (200, 303)
    rows = cells(apprentice.get("/mentor-hours/").get_data(as_text=True), "to-confirm")
    assert rows[1][2] == "6"


def test_the_month_page_shows_progress_against_the_plan_to_mentor_apprentice_and_enterprise(s, login_as):
    module = s.enrollment.modules[0]
    _log(login_as(s.mentor), s, module_id=module.id)
    _log(login_as(s.mentor), s, "2026-03-03", starts_at="", ends_at="", hours="1.5")  # no module
    url = f"/mentor-hours/a/{s.assignment.id}/{MARCH}"
    for user in (s.mentor, s.apprentice, s.cast.hr, s.cast.official):
        page = login_as(user).get(url).get_data(as_text=True)
        rows = {r[0]: r[1:4] for r in cells(page, "plan-progress")[1:]}
        assert rows[module.name] == [str(module.planned_hours), "2.5", "0"]
        assert rows["未关联培训模块"] == ["—", "1.5", "0"]
    stranger = factories.user(factories.org(), Role.ENTERPRISE_HR)
    assert login_as(stranger).get(url).status_code == 404


def test_the_plan_progress_and_the_hours_without_a_module_are_one_statement(s, login_as, app):
    _log(login_as(s.mentor), s, module_id=s.enrollment.modules[0].id)
    _log(login_as(s.mentor), s, "2026-03-03", starts_at="", ends_at="", hours="1.5")  # no module
    web = login_as(s.mentor)
    url = f"/mentor-hours/a/{s.assignment.id}/{MARCH}"
    web.get(url)
    with count_queries(app) as statements:
        assert "未关联培训模块" in web.get(url).get_data(as_text=True)
    progress = [st for st in statements if "sum(" in st.lower()]
    assert len(progress) == 1 and "UNION ALL" in progress[0]


def test_the_month_page_takes_a_fixed_number_of_queries(s, login_as, app):
    web = login_as(s.mentor)
    for day in range(2, 12):
        mf.entry(s.assignment, date(2026, 3, day))
    url = f"/mentor-hours/a/{s.assignment.id}/{MARCH}"
    web.get(url)
    with count_queries(app) as few:
        web.get(url)
    for day in range(12, 28):
        mf.entry(s.assignment, date(2026, 3, day))
    with count_queries(app) as many:
        assert "2026-03-27" in web.get(url).get_data(as_text=True)
    assert len(many) == len(few) <= 12


# ---------------------------------------------------------------- allowances

def _approve(s, login_as, month=MARCH):
    url = f"/mentor-hours/a/{s.assignment.id}/{month}"
    assert login_as(s.mentor).post(f"{url}/submit").status_code == 303
    assert login_as(s.apprentice).post(f"{url}/confirm").status_code == 303
    assert login_as(s.cast.hr).post(f"{url}/approve").status_code == 303


def test_the_statement_applies_the_enterprise_rule_with_its_monthly_cap_and_exports(s, login_as):
    hr = login_as(s.cast.hr)
    assert hr.post("/mentor-hours/rules", {"effective_from": "2026-01-01", "kind": "per_hour", "amount": "80",
                                           "monthly_cap": "600", "completion_bonus": "", "note": "带徒津贴"}
                   ).status_code == 303
    assert hr.post("/mentor-hours/rules", {"effective_from": "2026-01-01", "kind": "per_hour",
                                           "amount": "90"}).status_code == 422  # one rule per effective date
    for day in (2, 3, 4):
        mf.entry(s.assignment, date(2026, 3, day), hours="3")  # 9 h × 80 = 720 > 600
    _approve(s, login_as)
    sheet = db.session.scalar(sa.select(HourMonth))
    assert sheet.allowance == Decimal("600.00") and sheet.rule_id is not None
    for who in (hr, login_as(s.mentor)):
        page = who.get(f"/mentor-hours/statements?month={MARCH}").get_data(as_text=True)
        assert "720.00" in page and "600.00" in page and "已封顶" in page
    xlsx = hr.get(f"/mentor-hours/statements/{MARCH}.xlsx")
    rows = list(load_workbook(BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[1][2] == s.enrollment.person.name and Decimal(str(rows[1][9])) == Decimal("600")
    assert "已封顶" in rows[-1][-1]
    mine = login_as(s.mentor).get(f"/mentor-hours/statements/{s.assignment.mentor_id}/{s.cast.enterprise.id}/"
                                  f"{MARCH}.xlsx")
    assert mine.status_code == 200
    other = mf.setup(prefix="乙", policies=False)
    assert login_as(other.mentor).get(f"/mentor-hours/statements/{s.assignment.mentor_id}/"
                                      f"{s.cast.enterprise.id}/{MARCH}.xlsx").status_code == 404


def test_a_flat_rule_is_not_paid_for_months_after_withdrawal(s, login_as):
    mf.rule(s.cast.enterprise.id, AllowanceKind.PER_APPRENTICE_MONTH, "200")
    mf.entry(s.assignment, date(2026, 3, 2))
    _approve(s, login_as)
    e = s.enrollment
    e.status, e.withdrawn_on = EnrollmentStatus.WITHDRAWN, date(2026, 3, 20)
    mf.entry(s.assignment, date(2026, 4, 2))
    db.session.commit()
    _approve(s, login_as, "2026-04")
    march, april = db.session.scalars(sa.select(HourMonth).order_by(HourMonth.month)).all()
    assert march.allowance == Decimal("200.00") and april.allowance == Decimal("0.00")


def test_mentor_hours_by_month_adds_up_approved_hours_and_allowances(s, login_as):
    mf.rule(s.cast.enterprise.id, amount="50")
    mf.entry(s.assignment, date(2026, 3, 2), hours="4")
    _approve(s, login_as)
    mf.entry(s.assignment, date(2026, 4, 2), hours="3")  # not approved: not counted
    figures = services.mentor_hours_by_month(db.session, 2026)
    assert figures[2] == {"month": 3, "hours": Decimal("4"), "allowance": Decimal("200"), "sheets": 1}
    assert figures[3]["hours"] == 0
    assert services.mentor_hours_by_month(db.session, 2026, District.PUDONG)[2]["hours"] == 0


# ---------------------------------------------------------------- risk prompts

def _kinds(found):
    return {p.kind for p in found}


def test_each_risk_rule_finds_its_case_in_sql(s, req, login_as):
    af.policy("mentor.monthly_hours_ceiling", "30")
    second = af.approved(s.cast, af.apprentice(s.cast, "李小红"), starts=date(2026, 1, 1), ends=date(2027, 1, 1))
    b = second.mentor(s.assignment.kind)
    a = s.assignment
    # 13 h on one day, overlapping with another apprentice 10:00–12:00.
    mf.entry(a, date(2026, 3, 2), "9", time(8), time(17))
    mf.entry(b, date(2026, 3, 2), "4", time(10), time(14))
    # Back-filled 8 days late (7 is the default limit); 7 days late is fine.
    late = mf.entry(a, date(2026, 3, 3), "2", logged_on=date(2026, 3, 11))
    mf.entry(a, date(2026, 3, 4), "2", logged_on=date(2026, 3, 11), content="刀具保养")
    # Five identical entries of one mentor with one apprentice: copy-paste (the same lesson given to another
    # apprentice does not count towards it).
    mf.entry(a, date(2026, 3, 20), "2", time(9), time(11), content="同样的内容", place="同样的地点")
    for day in (9, 10, 11, 12, 13):
        mf.entry(b, date(2026, 3, day), "2", time(9), time(11), content="同样的内容", place="同样的地点")
    found = risks.prompts_for(date(2026, 3, 1), District.HUANGPU)
    kinds = _kinds(found)
    assert {"mentor_hours_daily", "mentor_hours_overlap", "mentor_hours_backfill", "mentor_hours_copy"} <= kinds
    assert "mentor_hours_burst" not in kinds
    assert "mentor_hours_monthly" not in kinds  # 9 + 4 + 2 + 2 + 2 + 10 = 29 ≤ 30
    copy = next(p for p in found if p.kind == "mentor_hours_copy")
    assert "5 条" in copy.title
    backfill = next(p for p in found if p.kind == "mentor_hours_backfill")
    assert "1 条" in backfill.title and str(late.id) in backfill.link
    mf.entry(a, date(2026, 3, 16), "2")
    assert "mentor_hours_monthly" in _kinds(risks.prompts_for(date(2026, 3, 1), District.HUANGPU))
    assert risks.prompts_for(date(2026, 3, 1), District.PUDONG) == []
    # April: five entries, four of them written up on the month's last days (80 %): a month-end burst.
    for day in (1, 2, 3, 6, 7):
        mf.entry(a, date(2026, 4, day), "2", content=f"第{day}天", logged_on=date(2026, 4, 29 if day != 1 else 1))
    april = risks.prompts_for(date(2026, 4, 1), District.HUANGPU, kind="mentor_hours_burst")
    assert len(april) == 1 and "4 / 5" in april[0].detail
    assert risks.prompts_for(date(2026, 2, 1), District.HUANGPU) == [] or all(
        p.kind == "mentor_hours_over_cap" for p in risks.prompts_for(date(2026, 2, 1), District.HUANGPU))


def test_hours_outside_the_enrollment_on_holidays_and_self_approval_are_prompted(s, req, login_as):
    e = s.enrollment
    mf.entry(s.assignment, date(2025, 12, 31), "2")  # before the start
    mf.entry(s.assignment, date(2026, 10, 1), "3")  # 国庆节
    assert "mentor_hours_outside" in _kinds(risks.prompts_for(date(2025, 12, 1), District.HUANGPU))
    assert date(2026, 10, 1) in risks.public_holidays(date(2026, 10, 1))
    assert date(2026, 10, 10) not in risks.public_holidays(date(2026, 10, 1))  # a Saturday, not a holiday
    assert "mentor_hours_holiday" in _kinds(risks.prompts_for(date(2026, 10, 1), District.HUANGPU))
    # The HR user logs (as if) and approves the same month.
    mf.entry(s.assignment, date(2026, 3, 2), "2", logged_by=s.cast.hr)
    sheet = HourMonth(assignment_id=s.assignment.id, enrollment_id=e.id, mentor_id=s.assignment.mentor_id,
                      enterprise_id=e.enterprise_id, district=e.district, month=date(2026, 3, 1),
                      status=MonthStatus.APPROVED, approved_by_id=s.cast.hr.id)
    db.session.add(sheet)
    db.session.commit()
    assert "mentor_hours_self_approval" in _kinds(risks.prompts_for(date(2026, 3, 1), District.HUANGPU))


def test_a_mentor_over_the_concurrent_cap_is_prompted(s, req):
    af.policy("mentor.max_concurrent_apprentices", "1", since=date(2026, 1, 2))
    from app.apprenticeships.models import Enrollment, MentorAssignment

    # A second enrollment of the same mentor (written directly: the service enforces the cap of its day).
    other = af.apprentice(s.cast, "李小红")
    e2 = Enrollment(person_id=other.id, enterprise_id=s.enrollment.enterprise_id,
                    institution_id=s.enrollment.institution_id, district=s.enrollment.district,
                    occupation_code="6-18-01-01", target_level=s.enrollment.target_level,
                    hire_type=s.enrollment.hire_type, contract_starts_on=date(2026, 1, 1), starts_on=date(2026, 1, 1),
                    ends_on=date(2027, 1, 1), status=EnrollmentStatus.IN_TRAINING)
    e2.mentors = [MentorAssignment(mentor_id=s.assignment.mentor_id, kind=s.assignment.kind,
                                   organisation_id=s.assignment.organisation_id)]
    db.session.add(e2)
    db.session.commit()
    found = risks.prompts_for(date(2026, 3, 1), District.HUANGPU, kind="mentor_hours_over_cap")
    assert len(found) == 1 and "2 人" in found[0].title


def test_an_official_reviews_a_backfill_prompt_on_the_risk_desk(app, ctx, login_as):
    today = today_in_shanghai()
    this = rules.month_start(today)
    starts = rules.month_start(this - timedelta(days=40))
    s = mf.setup(starts=starts, ends=starts.replace(year=starts.year + 1))
    worked = rules.month_start(this - timedelta(days=1))  # last month's first day, logged today
    mf.entry(s.assignment, worked, "3")
    db.session.execute(sa.update(HourEntry).values(logged_on=today, lag_days=(today - worked).days))
    db.session.commit()
    official = login_as(s.cast.official)
    page = official.get("/supervision/risks?kind=mentor_hours_backfill").get_data(as_text=True)
    assert "学时补录" in page and "/mentor-hours/entries?ids=" in page
    key = f"{s.assignment.mentor_id}:{worked.strftime('%Y-%m')}"
    done = official.post("/supervision/risks/review", {"kind": "mentor_hours_backfill", "subject_key": key,
                                                       "note": "已核实为系统故障后补录"})
    assert done.status_code == 303
    assert db.session.scalar(sa.select(RiskReview.note)) == "已核实为系统故障后补录"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "review_risk")) == 1
    link = f"/mentor-hours/entries?ids={db.session.scalar(sa.select(HourEntry.id))}"
    assert worked.isoformat() in official.get(link).get_data(as_text=True)
    # The enterprise sees its own prompt (with the review), another enterprise does not.
    hr_page = login_as(s.cast.hr).get(f"/mentor-hours/risks?month={worked.strftime('%Y-%m')}").get_data(as_text=True)
    assert "条学时补录" in hr_page and "已核查" in hr_page
    other = factories.user(factories.org(), Role.ENTERPRISE_HR)
    assert "条学时补录" not in login_as(other).get(
        f"/mentor-hours/risks?month={worked.strftime('%Y-%m')}").get_data(as_text=True)
    assert login_as(other).get(link).get_data(as_text=True).count(worked.isoformat()) == 0


# ---------------------------------------------------------------- record and reminders

def test_the_skills_record_shows_hours_as_mentor_and_as_apprentice(s, login_as):
    mf.rule(s.cast.enterprise.id, amount="50")
    mf.entry(s.assignment, date(2026, 3, 2), hours="4")
    _approve(s, login_as)
    official = login_as(factories.municipal_official())
    mentor_page = official.get(f"/supervision/people/{s.assignment.mentor_id}/record").get_data(as_text=True)
    assert "带徒学时与津贴" in mentor_page and "200.00" in mentor_page
    apprentice_page = official.get(f"/supervision/people/{s.enrollment.person_id}/record").get_data(as_text=True)
    assert "带徒学时与津贴" in apprentice_page and "接受带教 4 小时" in apprentice_page


def test_the_first_entry_of_a_month_schedules_the_submission_reminder_for_mentors_still_open(s, login_as,
                                                                                             fixed_clock):
    from app.mentor_hours.reminders import submission_recipients

    fixed_clock(af.NOW)  # a working day inside the enrollment
    today = today_in_shanghai()
    assert _log(login_as(s.mentor), s, today.isoformat()).status_code == 303
    month = today.strftime("%Y-%m")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder).where(
        Reminder.kind == "mentor_hours.month_submission", Reminder.subject_key == month)) >= 1
    assert [u.id for u in submission_recipients(month)] == [s.mentor.id]
    login_as(s.mentor).post(f"/mentor-hours/a/{s.assignment.id}/{month}/submit")
    assert submission_recipients(month) == []


def test_policy_keys_of_mentor_hours_are_configurable():
    from app.core.policy import POLICY_KEYS

    assert {"mentor.daily_hours_limit", "mentor.monthly_hours_ceiling", "mentor.backfill_days",
            "mentor.submission_day"} <= POLICY_KEYS.keys()


def test_the_enterprise_list_of_months_to_approve_takes_a_fixed_number_of_queries(app, ctx, login_as):
    s = mf.setup()
    web = login_as(s.cast.hr)

    def submitted(n: int) -> None:
        for _ in range(n):
            other = af.approved(s.cast, af.apprentice(s.cast, "学徒"), starts=date(2026, 1, 1),
                                ends=date(2027, 1, 1))
            a = other.mentor(s.assignment.kind)
            db.session.add(HourMonth(assignment_id=a.id, enrollment_id=other.id, mentor_id=a.mentor_id,
                                     enterprise_id=other.enterprise_id, district=other.district,
                                     month=date(2026, 3, 1), status=MonthStatus.CONFIRMED, hours=Decimal(4)))
        db.session.commit()

    af.policy("mentor.max_concurrent_apprentices", "100", since=date(2025, 1, 1))
    submitted(2)
    web.get("/mentor-hours/")
    with count_queries(app) as few:
        assert web.get("/mentor-hours/").get_data(as_text=True).count("待企业审批") == 2
    submitted(6)
    with count_queries(app) as many:
        assert web.get("/mentor-hours/").get_data(as_text=True).count("待企业审批") == 8
    assert len(many) == len(few)


def test_a_bad_week_start_shows_this_week(s, login_as):
    assert login_as(s.mentor).get(f"/mentor-hours/week/{s.assignment.id}?start=2026-13-01").status_code == 200


def test_the_demo_logs_hours_submits_a_month_and_raises_prompts_once(app, ctx):
    from app.apprenticeships import demo as apprenticeships_demo
    from app.core import demo as core_demo
    from app.mentor_hours import demo

    core_demo.seed(people=10)
    apprenticeships_demo.seed(date(2026, 11, 26))
    assert "new entries" in demo.seed(date(2026, 11, 26))
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry))
    statuses = set(db.session.scalars(sa.select(HourMonth.status)))
    assert entries > 50 and {MonthStatus.APPROVED, MonthStatus.SUBMITTED} <= statuses
    assert demo.seed(date(2026, 11, 26)) == "demo mentor hours ready (0 new entries)"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry)) == entries
    with app.test_request_context():
        kinds = {p.kind for p in risks.prompts_for(date(2026, 10, 1))}
    assert {"mentor_hours_backfill", "mentor_hours_daily", "mentor_hours_overlap"} <= kinds


def test_the_statements_page_takes_a_fixed_number_of_queries_whatever_the_number_of_mentors(s, login_as, app):
    from app.apprenticeships.enums import MentorKind

    mf.rule(s.cast.enterprise.id, amount="50")

    def approved_month(assignment) -> None:
        mf.entry(assignment, date(2026, 3, 2), hours="2")
        e = assignment.enrollment
        db.session.add(HourMonth(assignment_id=assignment.id, enrollment_id=e.id, mentor_id=assignment.mentor_id,
                                 enterprise_id=e.enterprise_id, district=e.district, month=date(2026, 3, 1),
                                 status=MonthStatus.APPROVED, hours=Decimal("2")))
        db.session.commit()

    def another_mentor(n: int) -> None:
        e = af.approved(s.cast, af.apprentice(s.cast, f"学徒{n}"), starts=date(2026, 1, 1), ends=date(2027, 1, 1))
        assignment = e.mentor(MentorKind.ENTERPRISE)
        assignment.mentor_id = factories.person(f"导师{n}", s.cast.enterprise).id
        db.session.commit()
        approved_month(assignment)

    approved_month(s.assignment)
    hr = login_as(s.cast.hr)
    with count_queries(app) as one:
        page = hr.get(f"/mentor-hours/statements?month={MARCH}").get_data(as_text=True)
    assert "100.00" in page
    for n in range(3):
        another_mentor(n)
    with count_queries(app) as four:
        page = hr.get(f"/mentor-hours/statements?month={MARCH}").get_data(as_text=True)
    assert all(f"导师{n}" in page for n in range(3)) and page.count("100.00") >= 4
    assert len(four) == len(one)


def test_stored_prompts_hold_facts_and_each_reader_reads_them_in_their_own_language(app, ctx, login_as):
    from flask_babel import force_locale

    from app.core import risks as core_risks
    from app.core.models import RiskPromptRow

    today = today_in_shanghai()
    this = rules.month_start(today)
    starts = rules.month_start(this - timedelta(days=40))
    s = mf.setup(starts=starts, ends=starts.replace(year=starts.year + 1))
    worked = rules.month_start(this - timedelta(days=1))
    mf.entry(s.assignment, worked, "3")
    db.session.execute(sa.update(HourEntry).values(logged_on=today, lag_days=(today - worked).days))
    db.session.commit()
    with app.test_request_context("/"), force_locale("en"):
        core_risks.refresh(["mentor_hours_backfill"])  # e.g. a stale desk refreshed during an English request
    [facts] = db.session.scalars(sa.select(RiskPromptRow.facts).where(RiskPromptRow.kind == "mentor_hours_backfill"))
    assert facts["n"] == 1 and facts["days"] == 7 and facts["month"] == rules.month_start(worked).strftime("%Y-%m")
    official = login_as(factories.municipal_official())
    chinese = official.get("/supervision/risks?kind=mentor_hours_backfill").get_data(as_text=True)
    assert "有 1 条学时补录" in chinese and "back-filled" not in chinese
    official.post("/locale", data={"locale": "en", "next": "/supervision/risks"})
    english = official.get("/supervision/risks?kind=mentor_hours_backfill").get_data(as_text=True)
    assert "back-filled 1 entries" in english and "补录" not in english.split('id="risk-desk"')[1]


# ---------------------------------------------------------------- the enrollment's bounds (issue 19)

def test_entries_outside_the_enrollment_or_after_the_withdrawal_are_refused_with_the_reason(s, login_as):
    from app.apprenticeships import services as apprenticeship_services

    web = login_as(s.mentor)
    response = _log(web, s, day="2025-12-30")  # the training starts on 2026-01-01
    assert response.status_code == 422
    assert "2025-12-30 不在 王小明 的培训期（2026-01-01 至 2027-01-01）内" in response.get_data(as_text=True)
    apprenticeship_services.transition(s.cast.hr, s.enrollment, "withdraw", today=date(2026, 3, 20),
                                       now=af.NOW, reason="离职", withdrawn_on=date(2026, 3, 10))
    def week_row(day):
        return web.post(f"/mentor-hours/week/{s.assignment.id}/{day}", {
            "assignment_id": s.assignment.id, "worked_on": day, "starts_at": "09:00", "ends_at": "11:30",
            "hours": "", "module_id": "", "content": "数控车床对刀", "place": "一车间"})

    assert week_row("2026-03-09").status_code == 200  # before the withdrawal: back-filling is fine
    response = week_row("2026-03-11")
    assert response.status_code == 422
    assert "王小明 已于 2026-03-10 退出学徒培训，之后的学时不能登记" in response.get_data(as_text=True)
    assert _log(web, s, day="2026-03-11").status_code == 422  # nor offered in the quick log any more
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry)) == 1


def test_the_quick_log_offers_no_withdrawn_apprentice_and_only_the_chosen_apprentices_modules(s, login_as):
    from app.apprenticeships import services as apprenticeship_services
    from app.apprenticeships.enums import MentorKind

    second = af.approved(s.cast, af.apprentice(s.cast, "李小红"), starts=date(2026, 1, 1), ends=date(2027, 1, 1),
                         modules=[apprenticeship_services.ModuleData("钳工基础", af.ModuleKind.CLASSROOM, 200),
                                  apprenticeship_services.ModuleData("装配实训", af.ModuleKind.PRACTICAL, 500)])
    other = second.mentor(MentorKind.ENTERPRISE)
    other.mentor_id = s.assignment.mentor_id
    db.session.commit()
    web = login_as(s.mentor)
    page = web.get("/mentor-hours/log").get_data(as_text=True)
    wang_modules = [m.name for m in s.enrollment.modules]
    # 李小红 comes first (name order): her modules only, not 王小明's.
    assert "李小红" in page and "王小明" in page and "钳工基础" in page and "装配实训" in page
    assert not any(f">{name}<" in page for name in wang_modules)
    swapped = web.get(f"/mentor-hours/log/modules?assignment_id={s.assignment.id}").get_data(as_text=True)
    assert all(f">{name}<" in swapped for name in wang_modules) and "钳工基础" not in swapped

    apprenticeship_services.transition(s.cast.hr, second, "withdraw", today=date(2026, 3, 20), now=af.NOW,
                                       reason="离职", withdrawn_on=date(2026, 3, 10))
    page = web.get("/mentor-hours/log").get_data(as_text=True)
    assert "李小红" not in page


def test_hours_after_a_withdrawal_are_flagged_on_the_approval_page_and_explained_on_the_statement(s, login_as):
    from app.apprenticeships import services as apprenticeship_services

    mf.rule(s.cast.enterprise.id, amount="50", since=date(2026, 1, 1))
    mf.entry(s.assignment, date(2026, 3, 2), hours="2")
    mf.entry(s.assignment, date(2026, 3, 12), hours="3")  # written before the withdrawal was recorded
    apprenticeship_services.transition(s.cast.hr, s.enrollment, "withdraw", today=date(2026, 3, 20), now=af.NOW,
                                       reason="离职", withdrawn_on=date(2026, 3, 10))
    _approve(s, login_as)
    hr = login_as(s.cast.hr)
    page = hr.get(f"/mentor-hours/a/{s.assignment.id}/{MARCH}").get_data(as_text=True)
    assert "王小明 已于 2026-03-10 退出学徒培训，退出后的学时不计发津贴。" in page
    assert "本月有 1 条退出后的记录：2026-03-12" in page
    statement = hr.get(f"/mentor-hours/statements?month={MARCH}").get_data(as_text=True)
    assert "已于 2026-03-10 退出学徒培训，退出后的学时不计发" in statement
    assert "培训期外的 3 小时不计发" in statement
