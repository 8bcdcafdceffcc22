"""The keyboard alone (Tab, Shift+Tab, typing, Space, Enter; never the mouse) does the scoring sheet, the mentor's
week and the registration review, on a phone-sized window; after each save the focus stays where the user was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.competitions.registration.models import RegistrationStatus
from app.core.views import today_in_shanghai
from app.mentor_hours import rules
from tests import competition_factories as cf
from tests import factories
from tests import mentor_hours_factories as mf
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator, back: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab with ``back``) until ``locator`` has the focus: it must be reachable that way."""
    for _ in range(limit):
        if is_focused(locator):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{locator} not reached with {'Shift+' if back else ''}Tab")


def test_an_expert_scores_with_the_keyboard_alone(app, ctx, page):
    ev, _aspects, panel, _organiser = cf.judged_event(n=2)  # aspects: measurement, judgement, measurement
    page.set_viewport_size(PHONE)
    signed_in_as(page, panel[0].username)
    page.goto(f"/competitions/events/{ev.id}/score")
    for bib, mark in ((1, "31.5"), (2, "28")):
        field = page.get_by_label(f"赛位 {bib} 测量得分")
        tab_to(page, field)
        page.keyboard.type(mark)
        page.keyboard.press("Tab")  # leaving the field saves it
        expect(page.locator(".score-row", has=page.get_by_label(f"赛位 {bib} 测量得分"))).to_contain_text("已保存")
    expect(page.locator("#score-progress")).to_contain_text("已评 2 / 6")
    htmx_settled(page)
    tab_to(page, page.get_by_role("link", name="下一项"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("评分项2")
    htmx_settled(page)
    for bib, mark in ((1, "3"), (2, "2")):
        button = page.get_by_role("group", name=f"赛位 {bib} 评分").get_by_role("button", name=mark, exact=True)
        tab_to(page, button)
        page.keyboard.press("Enter")
        pressed = page.get_by_role("group", name=f"赛位 {bib} 评分").get_by_role("button", name=mark, exact=True)
        expect(pressed).to_have_attribute("aria-pressed", "true")
        htmx_settled(page)
        assert is_focused(pressed), "the focus left the score just given"
    expect(page.locator("#score-progress")).to_contain_text("已评 4 / 6")
    screenshot(page, "phone-expert-score-sheet")


def test_a_mentor_fills_the_week_with_the_keyboard_alone(app, ctx, page):
    today = today_in_shanghai()
    last_month = rules.month_start(rules.month_start(today) - timedelta(days=1))
    monday = last_month + timedelta(days=(7 - last_month.weekday()) % 7)
    starts = rules.month_start(last_month - timedelta(days=1))
    s = mf.setup(starts=starts, ends=starts.replace(year=starts.year + 1))
    page.set_viewport_size(PHONE)
    signed_in_as(page, s.mentor.username)
    page.goto(f"/mentor-hours/week/{s.assignment.id}?start={monday.isoformat()}")
    for n, (begin, end) in enumerate((("08:30", "11:45"), ("13:00", "17:00"))):
        day = (monday + timedelta(days=n)).isoformat()
        for label, text in ((f"{day} 开始", begin), (f"{day} 结束", end), (f"{day} 带教内容", f"游标卡尺第{n + 1}课"),
                            (f"{day} 地点", "质检室")):
            tab_to(page, page.get_by_label(label, exact=True))
            page.keyboard.press("Control+A")
            page.keyboard.type(text)
        save = page.get_by_role("button", name=f"保存 {day}")
        tab_to(page, save)
        page.keyboard.press("Enter")
        card = page.locator(f"#day-{day}")
        expect(card.get_by_role("status")).to_have_text("✓ 已保存")
        expect(card).to_contain_text(f"{begin}–{end}")
        htmx_settled(page)
        assert is_focused(page.get_by_role("button", name=f"保存 {day}")), "the focus left the day just saved"
    screenshot_day = (monday + timedelta(days=1)).isoformat()
    expect(page.locator(f"#day-{screenshot_day}")).to_contain_text("游标卡尺第2课")
    page.locator(f"#day-{screenshot_day}").scroll_into_view_if_needed()
    screenshot(page, "phone-mentor-week")


def test_an_organiser_reviews_registrations_with_the_keyboard_alone(app, ctx, page):
    ev = cf.event()
    organiser = factories.user(ev.competition.organiser, factories.Role.ORGANIZER)
    for name in ("林一", "林二", "林三"):
        unit = factories.org()
        cf.registration(ev, factories.person(name, employer=unit), unit, status=RegistrationStatus.SUBMITTED)
    page.set_viewport_size(PHONE)
    signed_in_as(page, organiser.username)
    page.goto(f"/competitions/events/{ev.id}")
    for name in ("林一", "林三"):
        box = page.get_by_label(f"选择 {name}")
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    tab_to(page, page.get_by_role("button", name="批量通过所选"), back=True)
    page.keyboard.press("Enter")
    results = page.locator("#registration-results")
    for name in ("林一", "林三"):
        expect(results.locator("tr", has_text=name)).to_contain_text("已通过")
    expect(results.locator("tr", has_text="林二")).to_contain_text("待审核")
    htmx_settled(page)
    tab_to(page, page.get_by_role("button", name="通过 林二"))
    page.keyboard.press("Enter")
    expect(results.locator("tr", has_text="林二")).to_contain_text("已通过")
    screenshot(page, "phone-organiser-registrations")
