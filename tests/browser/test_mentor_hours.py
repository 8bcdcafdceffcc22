"""带徒学时 in a browser: a mentor fills a week (row by row) and submits the month; the apprentice disputes one
entry, the mentor corrects it, the apprentice confirms, HR approves; the allowance statement shows the capped
amount; the district official sees the back-filling risk prompt and marks it reviewed."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.core.views import today_in_shanghai
from app.mentor_hours import rules
from app.mentor_hours.models import AllowanceKind
from tests import mentor_hours_factories as mf
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser


def switch_user(page, username: str) -> None:
    page.context.clear_cookies()
    signed_in_as(page, username)


def test_a_week_is_filled_submitted_disputed_corrected_confirmed_approved_capped_and_reviewed(app, ctx, page):
    today = today_in_shanghai()
    last_month = rules.month_start(rules.month_start(today) - timedelta(days=1))
    monday = last_month + timedelta(days=(7 - last_month.weekday()) % 7)  # the month's first Monday
    starts = rules.month_start(last_month - timedelta(days=1))
    s = mf.setup(starts=starts, ends=starts.replace(year=starts.year + 1))
    mf.rule(s.cast.enterprise.id, AllowanceKind.PER_HOUR, "80", cap="600", since=starts)
    ym = last_month.strftime("%Y-%m")

    # The mentor fills four days of the week, each row saved on its own.
    switch_user(page, s.mentor.username)
    page.goto(f"/mentor-hours/week/{s.assignment.id}?start={monday.isoformat()}")
    for n in range(4):
        day = (monday + timedelta(days=n)).isoformat()
        row = page.locator(f"#day-{day}")
        row.get_by_label(f"{day} 开始").fill("09:00")
        row.get_by_label(f"{day} 结束").fill("12:00")
        row.get_by_label(f"{day} 带教内容").fill(f"数控车削第{n + 1}课")
        row.get_by_label(f"{day} 地点").fill("一车间")
        row.get_by_role("button", name="保存").click()
        expect(page.locator(f"#day-{day}")).to_contain_text("已保存")
        expect(page.locator(f"#day-{day}")).to_contain_text(f"数控车削第{n + 1}课")
        htmx_settled(page)
    screenshot(page, "mentor_hours_week")
    page.goto(f"/mentor-hours/a/{s.assignment.id}/{ym}")
    expect(page.locator("#month-total")).to_contain_text("12 小时")
    page.get_by_role("button", name="提交本月学时").click()
    expect(page.locator("#month-status")).to_have_text("待学徒确认")

    # The apprentice disputes the second day.
    second = (monday + timedelta(days=1)).isoformat()
    switch_user(page, s.apprentice.username)
    page.goto(f"/mentor-hours/a/{s.assignment.id}/{ym}")
    page.get_by_label(f"对 {second} 记录的异议").fill("那天11点就结束了")
    page.locator("#month-entries tr", has_text=second).get_by_role("button", name="提出异议").click()
    expect(page.locator("#month-status")).to_have_text("学徒有异议")

    # The mentor corrects it and submits again.
    switch_user(page, s.mentor.username)
    page.goto(f"/mentor-hours/a/{s.assignment.id}/{ym}")
    expect(page.locator("#month-entries")).to_contain_text("那天11点就结束了")
    page.locator("#month-entries tr", has_text=second).get_by_role("link", name="更正").click()
    page.get_by_label("结束").fill("11:00")
    page.get_by_role("button", name="保存更正").click()
    expect(page).to_have_url(f"{page.url.split('/mentor-hours')[0]}/mentor-hours/a/{s.assignment.id}/{ym}")
    expect(page.locator("#month-total")).to_contain_text("11 小时")
    page.get_by_role("button", name="提交本月学时").click()
    expect(page.locator("#month-status")).to_have_text("待学徒确认")

    # The apprentice confirms; HR approves (locked).
    switch_user(page, s.apprentice.username)
    page.goto(f"/mentor-hours/a/{s.assignment.id}/{ym}")
    page.get_by_role("button", name="确认本月学时").click()
    expect(page.locator("#month-status")).to_have_text("待企业审批")
    switch_user(page, s.cast.hr.username)
    page.goto(f"/mentor-hours/a/{s.assignment.id}/{ym}")
    page.get_by_role("button", name="审批并锁定").click()
    expect(page.locator("#month-status")).to_have_text("已审批（锁定）")
    expect(page.locator("#month-allowance")).to_contain_text("600.00")
    screenshot(page, "mentor_hours_month_approved")

    # The statement: 11 h × 80 = 880, capped at 600.
    page.goto(f"/mentor-hours/statements?month={ym}")
    total = page.locator(".statement-total")
    expect(total).to_contain_text("880.00")
    expect(total.locator(".statement-amount")).to_have_text("600.00")
    expect(total.locator(".cap-applied")).to_have_text("已封顶")
    screenshot(page, "mentor_hours_statement")

    # The district official sees the back-filling prompt and marks it reviewed.
    switch_user(page, s.cast.official.username)
    page.goto("/supervision/risks?kind=mentor_hours_backfill")
    row = page.locator("#risk-desk tbody tr", has_text="条学时补录")
    expect(row).to_have_count(1)
    row.get_by_placeholder("核查说明").fill("导师外派培训，回厂后补录，已核实")
    row.get_by_role("button", name="标记已核查").click()
    expect(page.locator("#risk-desk tbody tr", has_text="条学时补录")).to_have_count(0)  # open prompts only
    page.goto("/supervision/risks?kind=mentor_hours_backfill&status=reviewed")
    reviewed = page.locator("#risk-desk tbody tr", has_text="条学时补录")
    expect(reviewed).to_contain_text("导师外派培训，回厂后补录，已核实")
    screenshot(page, "mentor_hours_risk_reviewed")


def test_the_quick_log_fits_a_phone_and_starts_from_the_last_entry(app, ctx, page):
    starts = rules.month_start(today_in_shanghai() - timedelta(days=40))
    s = mf.setup(starts=starts, ends=starts.replace(year=starts.year + 1))
    page.set_viewport_size({"width": 390, "height": 844})
    switch_user(page, s.mentor.username)
    page.goto("/mentor-hours/log")
    page.get_by_label("开始").fill("14:00")
    page.get_by_label("结束").fill("16:30")
    page.get_by_label("带教内容").fill("量具使用与保养")
    page.get_by_label("地点").fill("质检室")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#saved")).to_contain_text("2.5 小时")
    expect(page.get_by_label("带教内容")).to_have_value("量具使用与保养")
    expect(page.get_by_label("开始")).to_have_value("14:00")
    screenshot(page, "mentor_hours_quick_log_phone")
