"""我的待办 on the home page: each role sees a count and a link straight to the action; the count is what the linked
list shows as waiting; each kind costs one query however much there is to do."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.apprenticeships import services as apprenticeship_services
from app.apprenticeships.enums import EnrollmentStatus
from app.competitions.judging import services as judging
from app.competitions.registration.models import RegistrationStatus
from app.core.enums import Role
from app.core.todos import providers_for, todos_for
from app.extensions import db
from app.mentor_hours import rules as hour_rules
from app.mentor_hours.models import HourMonth, MonthStatus
from tests import apprenticeship_factories as af
from tests import competition_factories as cf
from tests import factories
from tests import mentor_hours_factories as mf

#: Wednesday 2026-03-18, 10:00 in Shanghai.
NOW = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 18)


TODO = re.compile(r'<a class="todo-link" href="([^"]*)">\s*<span class="todo-count"[^>]*>(\d+)</span>\s*'
                  r'<span class="todo-text"><span class="todo-label">([^<]*)</span>'
                  r'(?:\s*<span class="todo-detail">([^<]*)</span>)?')


def todo_items(page: str) -> list[tuple[str, int, str, str]]:
    """(label, count, link, detail) of each to-do on the home page."""
    return [(html_lib.unescape(label), int(count), html_lib.unescape(href), html_lib.unescape(detail or ""))
            for href, count, label, detail in TODO.findall(page)]


def part(page: str, element_id: str, end: str = "</table>") -> str:
    """The markup from the element with this id to the end of its table (or ``end``)."""
    start = page.index(f'id="{element_id}"')
    return page[start:page.index(end, start)]


def only(items: list, label: str) -> tuple[str, int, str, str]:
    matching = [i for i in items if i[0] == label]
    assert len(matching) == 1, items
    return matching[0]


def month_sheet(s: mf.Setup, month: date, status: MonthStatus) -> HourMonth:
    e = s.enrollment
    sheet = HourMonth(assignment_id=s.assignment.id, enrollment_id=e.id, mentor_id=s.assignment.mentor_id,
                      enterprise_id=e.enterprise_id, district=e.district, month=month, status=status,
                      hours=Decimal(2))
    db.session.add(sheet)
    db.session.commit()
    return sheet


@pytest.fixture()
def s(app, ctx, fixed_clock):
    fixed_clock(NOW)
    return mf.setup(starts=date(2025, 9, 1), ends=date(2026, 9, 1))


def test_the_apprentice_sees_months_to_confirm_and_the_list_shows_as_many(s, login_as):
    web = login_as(s.apprentice)
    assert todo_items(web.get("/").get_data(as_text=True)) == []
    assert "暂无待办事项" in web.get("/").get_data(as_text=True)
    month_sheet(s, date(2026, 2, 1), MonthStatus.SUBMITTED)
    month_sheet(s, date(2026, 1, 1), MonthStatus.APPROVED)
    label, count, link, detail = only(todo_items(web.get("/").get_data(as_text=True)), "带徒学时待我确认")
    # One month: straight to it, where she confirms.
    assert (count, link, detail) == (1, f"/mentor-hours/a/{s.assignment.id}/2026-02", "2026-02")
    page = web.get(link).get_data(as_text=True)
    assert "确认本月学时" in page
    month_sheet(s, date(2025, 12, 1), MonthStatus.SUBMITTED)
    _label, count, link, _detail = only(todo_items(web.get("/").get_data(as_text=True)), "带徒学时待我确认")
    assert count == 2 and link == "/mentor-hours/#to-confirm"
    assert part(web.get(link).get_data(as_text=True), "to-confirm").count("status-submitted") == count


def test_the_mentor_sees_the_days_of_this_week_without_hours_as_the_week_page_shows_them(s, login_as):
    mf.entry(s.assignment, date(2026, 3, 16))  # Monday logged; Tuesday and Wednesday (today) not
    mf.entry(s.assignment, date(2026, 3, 13))  # last week's Friday does not count
    web = login_as(s.mentor)
    _label, count, link, detail = only(todo_items(web.get("/").get_data(as_text=True)), "本周未登记学时的天数")
    assert (count, detail) == (2, "王小明")
    assert link == f"/mentor-hours/week/{s.assignment.id}?start=2026-03-16"
    week = web.get(link).get_data(as_text=True)
    days = [date(2026, 3, 16) + timedelta(days=n) for n in range(7)]
    empty_workdays = [d for d in days if d <= TODAY and d.weekday() < 5
                      and "未登记" in part(week, f"day-{d.isoformat()}", "</section>")]
    assert empty_workdays == [date(2026, 3, 17), date(2026, 3, 18)] and len(empty_workdays) == count


def test_the_mentor_sees_disputed_entries_per_month_as_the_month_page_marks_them(s, login_as):
    first = mf.entry(s.assignment, date(2026, 2, 3))
    second = mf.entry(s.assignment, date(2026, 2, 4))
    mf.entry(s.assignment, date(2026, 2, 5))
    first.dispute, second.dispute = "那天没有带教", "只有一小时"
    month_sheet(s, date(2026, 2, 1), MonthStatus.DISPUTED)
    web = login_as(s.mentor)
    _label, count, link, detail = only(todo_items(web.get("/").get_data(as_text=True)), "学徒有异议的学时记录")
    assert (count, link, detail) == (2, f"/mentor-hours/a/{s.assignment.id}/2026-02", "王小明 · 2026-02")
    month = part(web.get(link).get_data(as_text=True), "month-entries")
    assert len(re.findall(r'<td class="dispute">[^<\s]', month)) == count


def test_hr_sees_months_to_approve_subsidy_claims_and_classes_sent_back(s, login_as):
    month_sheet(s, date(2026, 2, 1), MonthStatus.CONFIRMED)
    month_sheet(s, date(2026, 1, 1), MonthStatus.SUBMITTED)  # waits for the apprentice, not for HR
    klass = af.klass(s.cast)
    sent_back = af.enrollment(s.cast, af.apprentice(s.cast, "李小红"), class_id=klass.id)
    af.documents(sent_back)
    apprenticeship_services.transition(s.cast.hr, sent_back, "submit", today=TODAY, now=NOW)
    apprenticeship_services.transition(s.cast.official, sent_back, "return", today=TODAY, now=NOW,
                                       reason="合同复印件不清晰")
    af.enrollment(s.cast, af.apprentice(s.cast, "赵小刚"), class_id=klass.id)  # a draft never sent: not a to-do
    web = login_as(s.cast.hr)
    items = todo_items(web.get("/").get_data(as_text=True))
    _label, count, link, _detail = only(items, "带徒月报待审批")
    assert count == 1 and link == "/mentor-hours/#to-approve"
    assert part(web.get(link).get_data(as_text=True), "to-approve").count("status-confirmed") == count
    _label, count, link, detail = only(items, "被退回修改的学徒班级")
    assert (count, link, detail) == (1, f"/apprenticeships/classes/{klass.id}", klass.name)
    page = web.get(link).get_data(as_text=True)
    assert "合同复印件不清晰" in page or "李小红" in page


def test_an_official_sees_enrollments_to_approve_as_the_filtered_list_shows_them(app, ctx, fixed_clock, login_as):
    fixed_clock(NOW)
    af.policies()
    c = af.cast()
    for name in ("李小红", "赵小刚"):
        e = af.enrollment(c, af.apprentice(c, name))
        af.documents(e)
        apprenticeship_services.transition(c.hr, e, "submit", today=TODAY, now=NOW)
    af.enrollment(c, af.apprentice(c, "钱小多"))  # a draft: not the bureau's yet
    other = af.cast(factories.District.PUDONG, prefix="浦东")
    e = af.enrollment(other, af.apprentice(other, "孙小浦"))
    af.documents(e)
    apprenticeship_services.transition(other.hr, e, "submit", today=TODAY, now=NOW)
    web = login_as(c.official)
    _label, count, link, _detail = only(todo_items(web.get("/").get_data(as_text=True)), "待审核的学徒备案")
    assert count == 2 and link == "/apprenticeships/?status=submitted"
    page = web.get(link).get_data(as_text=True)
    assert part(page, "enrollment-results").count("status-pill status-submitted") == count
    assert str(EnrollmentStatus.SUBMITTED.label) in page


def test_an_expert_sees_the_marks_left_per_event_as_the_score_sheet_counts_them(app, ctx, fixed_clock, login_as):
    fixed_clock(NOW)
    ev, aspects, panel, _organiser = cf.judged_event(n=3)
    judging.save_score(panel[0], ev, judging.contestants(ev)[0].id, aspects[1].id, "2")
    web = login_as(panel[0])
    _label, count, link, detail = only(todo_items(web.get("/").get_data(as_text=True)), "待评分项")
    assert count == 3 * 3 - 1 and link == f"/competitions/events/{ev.id}/score"
    assert detail == f"{ev.competition.name} · {ev.name}"
    progress = re.search(r"已评 (\d+) / (\d+)", web.get(link).get_data(as_text=True))
    assert progress and int(progress.group(2)) - int(progress.group(1)) == count


def test_an_organiser_sees_registrations_to_review_and_events_ready_to_lock(app, ctx, fixed_clock, login_as):
    fixed_clock(NOW)
    ev, aspects, panel, organiser = cf.judged_event(n=2)
    open_event = cf.event(ev.competition, name="焊工")
    for i in range(3):
        unit = factories.org()
        cf.registration(open_event, factories.person(f"报名{i}", employer=unit), unit,
                        status=RegistrationStatus.SUBMITTED if i < 2 else RegistrationStatus.APPROVED)
    web = login_as(organiser)
    items = todo_items(web.get("/").get_data(as_text=True))
    _label, count, link, detail = only(items, "待审核的报名")
    assert count == 2 and detail.endswith("焊工")
    assert link == f"/competitions/events/{open_event.id}?status=submitted#registration-results"
    page = part(web.get(link).get_data(as_text=True), "registration-results")
    assert len(re.findall(r'<tr id="registration-\d+"', page)) == count
    assert [i for i in items if i[0] == "评分已完成，可锁定成绩"] == []
    cf.score_all(ev, aspects, panel, {1: ["30", "2", "30"], 2: ["20", "1", "25"]})
    _label, count, link, detail = only(todo_items(web.get("/").get_data(as_text=True)), "评分已完成，可锁定成绩")
    assert count == 1 and link == f"/competitions/events/{ev.id}/results" and detail.endswith(ev.name)
    assert "锁定成绩并生成奖项" in web.get(link).get_data(as_text=True)


def _queries(app, fn) -> int:
    """How many SQL statements ``fn`` sends (in a request context, as the home page calls it)."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context("/"):
            fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_each_kind_of_to_do_costs_one_query_however_much_there_is_to_do(s, app):
    mentor = s.mentor
    roles_user = factories.user(s.cast.enterprise, Role.MENTOR, Role.ENTERPRISE_HR, Role.PERSON,
                                person_id=s.assignment.mentor_id, username="everyone")
    db.session.refresh(roles_user)
    _ = roles_user.roles, roles_user.organisation  # loaded before counting: the page has them already
    kinds = len(providers_for(roles_user))
    assert kinds >= 5
    few = _queries(app, lambda: todos_for(roles_user, TODAY))
    # Much more to do: more apprentices, months, entries and disputes.
    for n in range(4):
        more = mf.setup(prefix=f"第{n}", starts=date(2025, 9, 1), ends=date(2026, 9, 1), policies=False)
        more.assignment.mentor_id = s.assignment.mentor_id
        for day in range(2, 20):
            entry = mf.entry(more.assignment, date(2026, 2, day))
            entry.dispute = "有异议"
        month_sheet(more, date(2026, 2, 1), MonthStatus.DISPUTED)
        month_sheet(more, date(2026, 1, 1), MonthStatus.CONFIRMED)
    db.session.commit()
    db.session.expire_all()
    _ = roles_user.roles, roles_user.organisation
    many = _queries(app, lambda: todos_for(roles_user, TODAY))
    assert few == many == kinds
    assert mentor is not None and hour_rules.month_start(TODAY - timedelta(days=20)) == date(2026, 2, 1)
