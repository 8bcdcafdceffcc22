"""我的待办 in a browser, on a phone: the apprentice sees the month waiting for her on her home page and confirms it
from there; the mentor sees the days of this week without hours and goes straight to the week; an expert sees the
marks left and goes straight to the score sheet."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.mentor_hours.models import HourMonth, MonthStatus
from tests import competition_factories as cf
from tests import mentor_hours_factories as mf
from tests.browser.conftest import screenshot, signed_in_as

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: Wednesday 2026-03-18, 10:00 in Shanghai.
NOW = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)


def test_the_apprentice_confirms_the_month_from_her_to_do_list(app, ctx, page, fixed_clock):
    fixed_clock(NOW)
    s = mf.setup(starts=date(2025, 9, 1), ends=date(2026, 9, 1))
    for day in (3, 4, 5):
        mf.entry(s.assignment, date(2026, 2, day), hours="3", content="数控车削")
    e = s.enrollment
    db.session.add(HourMonth(assignment_id=s.assignment.id, enrollment_id=e.id, mentor_id=s.assignment.mentor_id,
                             enterprise_id=e.enterprise_id, district=e.district, month=date(2026, 2, 1),
                             status=MonthStatus.SUBMITTED, hours=Decimal(9)))
    db.session.commit()
    page.set_viewport_size(PHONE)
    signed_in_as(page, s.apprentice.username)
    page.goto("/")
    todo = page.locator("#todos").get_by_role("link", name="带徒学时待我确认")
    expect(todo).to_contain_text("1")
    expect(todo).to_contain_text("2026-02")
    screenshot(page, "phone-apprentice-home")
    todo.click()
    expect(page.locator("#month-status")).to_have_text("待学徒确认")
    screenshot(page, "phone-apprentice-month")
    page.get_by_role("button", name="确认本月学时").click()
    expect(page.locator("#month-status")).to_have_text("待企业审批")
    page.goto("/")
    expect(page.locator("#todos")).to_contain_text("暂无待办事项")


def test_the_mentor_goes_from_his_to_do_list_to_the_week_missing_hours(app, ctx, page, fixed_clock):
    fixed_clock(NOW)
    s = mf.setup(starts=date(2025, 9, 1), ends=date(2026, 9, 1))
    mf.entry(s.assignment, date(2026, 3, 16))
    page.set_viewport_size(PHONE)
    signed_in_as(page, s.mentor.username)
    page.goto("/")
    todo = page.locator("#todos").get_by_role("link", name="本周未登记学时的天数")
    expect(todo.locator(".todo-count")).to_have_text("2")
    screenshot(page, "phone-mentor-home")
    todo.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026-03-16 – 2026-03-22")
    expect(page.locator("#day-2026-03-17")).to_contain_text("未登记")
    page.get_by_label("2026-03-17 开始", exact=True).fill("09:00")
    page.get_by_label("2026-03-17 结束", exact=True).fill("11:30")
    page.get_by_label("2026-03-17 带教内容", exact=True).fill("量具使用")
    page.get_by_role("button", name="保存 2026-03-17").click()
    expect(page.locator("#day-2026-03-17").get_by_role("status")).to_have_text("✓ 已保存")
    expect(page.locator("#day-2026-03-17")).to_contain_text("09:00–11:30")
    page.goto("/")
    gaps = page.locator("#todos").get_by_role("link", name="本周未登记学时的天数")
    expect(gaps.locator(".todo-count")).to_have_text("1")


def test_the_expert_goes_from_the_to_do_list_to_the_score_sheet(app, ctx, page):
    ev, _aspects, panel, _organiser = cf.judged_event(n=2)
    page.set_viewport_size(PHONE)
    signed_in_as(page, panel[0].username)
    page.goto("/")
    todo = page.locator("#todos").get_by_role("link", name="待评分项")
    expect(todo.locator(".todo-count")).to_have_text("6")
    expect(todo).to_contain_text(ev.name)
    screenshot(page, "phone-expert-home")
    todo.click()
    expect(page.locator("#score-progress")).to_contain_text("已评 0 / 6")
