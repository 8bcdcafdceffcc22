"""Each demo role's main flow, on the demo data, as the user guides (docs/user-guide/) describe it.

It signs in as every demo account of `flask seed-demo`, walks what the guide for that role walks and asserts
what the user sees. With ``UPDATE_SCREENSHOTS=1`` it also rewrites the pictures in docs/screenshots/ that the
README and the guides show (desktop 1280 px; 390 px for the roles that work from a phone or tablet):

    UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/browser/test_user_guides.py

The clock is fixed (Thursday 2026-11-26, 17:30 in Shanghai), so the demo data, and the pictures, are the same
on every run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.core import clock
from app.core.models import User
from tests import factories
from tests.browser.conftest import assert_fits_width, htmx_settled, signed_in_as

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: Thursday 26 November 2026, 17:30 in Shanghai: 陈立新's Thursday-afternoon session has just ended.
DEMO_NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def seed_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `flask seed-demo` loads, in its order (fewer generated people; the tests' cheap password hash)."""
    from app.demo import seed_all

    monkeypatch.setattr(User, "set_password", lambda user, _password: setattr(user, "password_hash",
                                                                                factories.PASSWORD_HASH))
    for _loaded in seed_all(clock.today(), clock.now(), people=40):
        pass


def picture(page, name: str) -> None:
    """Check the page fits its window; keep the picture for the docs when asked to (UPDATE_SCREENSHOTS=1)."""
    htmx_settled(page)
    page.evaluate("window.scrollTo(0, 0)")
    assert_fits_width(page)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # caret="initial": see tests/browser/conftest.py's screenshot().
        page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"), full_page=False, caret="initial")


def as_user(page, username: str, size: dict[str, int] = DESKTOP) -> None:
    page.context.clear_cookies()
    page.set_viewport_size(size)
    signed_in_as(page, username)  # the demo account, with the tests' password (see seed_demo)


@pytest.mark.long
def test_every_demo_role_walks_its_guide(app, ctx, page, monkeypatch):
    clock.set_now(DEMO_NOW)
    seed_demo(monkeypatch)

    # 组织方 (organizer): the pyramid, a competition, an event's entrants; approve one.
    as_user(page, "organizer")
    page.goto("/competitions/")
    expect(page.locator("main")).to_contain_text("市级技能大赛")
    picture(page, "organizer-pyramid")
    page.get_by_role("link", name="市级技能大赛").click()
    page.get_by_role("link", name="2026年上海市职业技能大赛").click()
    page.locator("table a", has_text="数控车").first.click()
    expect(page.locator("h1")).to_contain_text("数控车")
    waiting = page.locator("tr", has_text="陶涵轩")
    expect(waiting).to_contain_text("待审核")
    waiting.get_by_role("button", name="通过").click()
    expect(page.locator("tr", has_text="陶涵轩")).to_contain_text("已通过")
    picture(page, "organizer-entrants")

    # 裁判专家 (expert): my tasks, then score one contestant on a phone; the progress counts it.
    as_user(page, "expert")
    page.goto("/competitions/judging/mine")
    task = page.locator("tr", has_text="车工岗位练兵")
    expect(task).to_contain_text("已评 24 / 48")
    picture(page, "expert-tasks")
    page.set_viewport_size(PHONE)
    task.get_by_role("link", name="去评分").click()
    box = page.get_by_label("赛位 5 测量得分")
    box.fill("8")
    box.press("Tab")
    expect(page.locator("tr:has(td.bib:text-is('5')) .saved")).to_be_visible()
    expect(page.locator("#score-progress")).to_contain_text("已评 25 / 48")
    picture(page, "expert-score-phone")

    # 教练 (coach): the base's calendar, then the log of the session that has just ended.
    as_user(page, "coach")
    page.goto("/training-bases/")
    page.get_by_role("link", name="世赛上海集训基地（数控车）").first.click()
    page.get_by_role("link", name="训练日历").click()
    expect(page.locator("#training-calendar")).to_contain_text("数控车削加工")
    picture(page, "coach-calendar")
    page.goto("/training-bases/")
    page.get_by_role("link", name="世赛上海集训基地（数控车）").first.click()
    page.get_by_role("link", name="第48届世赛数控车项目上海集训（冲刺阶段）").click()
    session = page.locator("tr", has_text="2026-11-26 14:00–17:00")
    expect(session).to_contain_text("陈立新")
    expect(session).to_contain_text("未记录")
    session.get_by_role("link", name="2026-11-26 14:00–17:00").click()
    page.get_by_label("实际学时").fill("3")
    page.get_by_label("训练内容").fill("零件测量与质量控制：三坐标测量讲评")
    page.get_by_label("出勤 · 汤怡").select_option(label="迟到")
    page.get_by_role("button", name="保存日志").click()
    expect(page.get_by_text("已保存训练日志")).to_be_visible()
    picture(page, "coach-log")

    # 导师 (mentor), on a phone: log this afternoon's hours with an apprentice.
    as_user(page, "mentor", PHONE)
    page.goto("/mentor-hours/log")
    page.get_by_label("学徒").select_option(label="尹艳英 · 企业导师")
    page.get_by_label("日期").fill("2026-11-26")
    page.get_by_label("开始").fill("07:30")  # before the demo's own sessions of the day (09:00, 14:00)
    page.get_by_label("结束").fill("09:00")
    page.get_by_label("培训计划模块").select_option(label="岗位技能实训")  # the chosen apprentice's modules only
    page.get_by_label("带教内容").fill("螺纹加工与测量")
    page.get_by_label("地点").fill("一车间")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#saved")).to_contain_text("1.5 小时")
    picture(page, "mentor-log-phone")
    page.set_viewport_size(DESKTOP)
    page.goto("/mentor-hours/")
    expect(page.locator("tr", has_text="尹艳英")).to_contain_text("填报中")
    picture(page, "mentor-apprentices")

    # 学徒 (apprentice): the months, then confirm October's hours on a phone.
    as_user(page, "apprentice")
    page.goto("/mentor-hours/")
    expect(page.locator("tr", has_text="2026-09")).to_contain_text("已审批（锁定）")
    picture(page, "apprentice-months")
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="2026-10").click()
    expect(page.locator("#month-status")).to_have_text("待学徒确认")
    page.get_by_role("button", name="确认本月学时").click()
    expect(page.locator("#month-status")).to_have_text("待企业审批")
    picture(page, "apprentice-month-phone")

    # 企业人事 (enterprise HR): the apprentices, then approve the confirmed month.
    as_user(page, "hr")
    page.goto("/apprenticeships/")
    expect(page.locator("main")).to_contain_text("尹艳英")
    picture(page, "hr-apprentices")
    page.goto("/mentor-hours/")
    page.locator("tr", has_text="尹艳英").get_by_role("link", name="2026-10").click()
    expect(page.locator("#month-status")).to_have_text("待企业审批")
    page.get_by_role("button", name="审批并锁定").click()
    expect(page.locator("#month-status")).to_have_text("已审批（锁定）")
    picture(page, "hr-month-approved")

    # 人社官员 (official): the dashboards, then review a risk prompt with a note.
    as_user(page, "official")
    page.goto("/supervision/?tab=apprenticeships&year=2026")
    expect(page.locator("main")).to_contain_text("学徒培训进度")
    picture(page, "official-dashboard")
    page.goto("/supervision/risks")
    prompt = page.locator("#risk-desk tbody tr", has_text="条学时补录")
    expect(prompt).to_have_count(1)
    prompt.get_by_placeholder("核查说明").fill("导师外派培训，回厂后补录，已核实")
    prompt.get_by_role("button", name="标记已核查").click()
    expect(page.locator("#risk-desk tbody tr", has_text="条学时补录")).to_have_count(0)
    picture(page, "official-risks")

    # 区人社官员 (a district's official) sees only 浦东新区.
    as_user(page, "pudong")
    page.goto("/supervision/risks")
    expect(page.locator("main")).to_contain_text("浦东新区")
    expect(page.locator("#risk-desk tbody tr").first).to_contain_text("浦东新区")
