"""Training bases in a browser: an official designates a base, its manager adds a facility and a camp; a coach
schedules a recurring series that clashes once, fixes it, drags a session on the calendar, logs a session, and
the athlete's progress chart shows the hours."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core import clock
from app.core.enums import District, OrgKind, Role
from app.core.types import utcnow
from app.extensions import db
from app.training_bases.models import SessionLog, TrainingBase, TrainingCamp, TrainingSession
from tests import factories
from tests import training_base_factories as tf
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser


def _today() -> date:
    return clock.today()


def test_an_official_designates_a_base_and_its_manager_adds_a_facility_and_a_camp(app, ctx, page):
    factories.occupation()
    tf.policies()
    college = factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG, name="上海申江技师学院")
    official = factories.municipal_official(username="official")
    manager = factories.user(college, Role.COLLEGE_STAFF, username="zhao", display_name="赵老师")
    athletes = [factories.person(n, employer=college) for n in ("李明", "王芳")]
    assert official and manager

    signed_in_as(page, "official")
    page.goto("/training-bases/")
    page.get_by_role("link", name="＋ 认定基地").click()
    page.get_by_label("承建单位（院校或企业）").select_option(label="上海申江技师学院")
    page.get_by_label("基地名称").fill("世赛上海集训基地（数控车）")
    page.get_by_label("认定类别").select_option(label="世赛上海集训基地")
    page.get_by_label("6-18-01-01 车工").check()
    page.get_by_label("认定开始日期").fill("2025-01-01")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name=re.compile("世赛上海集训基地（数控车）"))).to_be_visible()
    base_id = db.session.scalar(sa.select(TrainingBase.id))

    page.context.clear_cookies()
    signed_in_as(page, "zhao")
    page.goto(f"/training-bases/{base_id}")
    page.get_by_text("＋ 添加设施").click()
    page.get_by_label("设施名称").fill("数控车实训车间A")
    page.get_by_label("类型").select_option(label="实训车间")
    page.get_by_label("容量（同时可容纳选手数）").fill("6")
    page.get_by_role("button", name="添加设施").click()
    expect(page.locator("#facility-rows")).to_contain_text("数控车实训车间A")
    expect(page.locator("#facility-rows")).to_contain_text("6")

    page.get_by_role("link", name="＋ 新建集训").click()
    page.get_by_label("集训名称").fill("第48届世赛数控车集训")
    page.get_by_label("开始日期").fill("2026-03-01")
    page.get_by_label("结束日期").fill("2026-04-30")
    page.get_by_label("集训选手").select_option([str(a.id) for a in athletes])
    page.get_by_label(re.compile("训练模块（每行一个")).fill("工艺编制与程序编写 | A | 40\n数控车削加工 | B | 120")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#module-rows")).to_contain_text("数控车削加工")
    expect(page.locator("#camp-athletes")).to_contain_text("王芳")
    screenshot(page, "training-bases-camp")
    camp = db.session.scalar(sa.select(TrainingCamp))
    assert camp.name == "第48届世赛数控车集训" and len(camp.modules) == 2


def _drag(page, session_id: int, day: date, hh_mm: str) -> None:
    """Drag a session on the week view so that it starts at ``hh_mm`` on ``day``."""
    event = page.locator(f'#training-calendar a[href="/training-bases/sessions/{session_id}"]')
    box = event.bounding_box()
    column = page.locator(f'#training-calendar [data-date="{day.isoformat()}"]').last.bounding_box()
    row = page.locator(f'#training-calendar [data-time="{hh_mm}:00"]').last.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 4)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + 20, steps=5)
    page.mouse.move(column["x"] + column["width"] / 2, row["y"] + 4, steps=15)
    page.mouse.up()


@pytest.mark.long
def test_a_coach_schedules_a_series_fixes_a_clash_moves_a_session_and_logs_one(app, ctx, page, fixed_clock):
    fixed_clock(datetime(2026, 11, 4, 2, tzinfo=UTC))  # the series runs 2026-11-09 to 12-04: no public holiday
    s = tf.setup(n_athletes=2, capacity=4, camp_start=date(2026, 10, 15))
    athlete = s.athletes[0]
    factories.user(s.base.organisation, Role.PERSON, username="liming", person_id=athlete.id)
    s.coach_user.username = "chen"
    db.session.commit()
    monday = _today() + timedelta(days=7 - _today().weekday())
    # The coach already trains elsewhere on the second Wednesday morning.
    elsewhere = tf.base(name="闵行焊接基地")
    other_camp = tf.camp(elsewhere, [factories.person("路人甲")])
    tf.session(other_camp, tf.facility(elsewhere, capacity=3), s.coach, other_camp.athletes,
               tf.at(monday + timedelta(days=9), 9), title="闵行带训")
    # A session last week, ready to be logged.
    past = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(days=2, hours=3),
                      title="零件测量")

    signed_in_as(page, "chen")
    page.goto(f"/training-bases/camps/{s.camp.id}")
    page.get_by_text("＋ 安排课程（可每周重复）").click()
    page.get_by_label("课程内容").fill("数控车削加工")
    page.get_by_label("设施").select_option(label="数控车实训车间（4）")
    page.get_by_label("日期（重复时为首日）").fill(monday.isoformat())
    page.get_by_label("开始时间（北京时间）").fill("08:30")
    page.get_by_label("结束时间（早于开始即次日结束）").fill("11:30")
    page.get_by_label("每周重复").check()
    page.get_by_label("重复至（含）").fill((monday + timedelta(days=25)).isoformat())
    for day in ("周一", "周二", "周三", "周四", "周五"):
        page.get_by_label(day, exact=True).check()
    page.get_by_role("button", name="安排").click()
    clash = page.locator(".clash-list")
    expect(clash).to_contain_text("闵行带训")
    expect(page.locator("#session-form")).to_contain_text(
        f"1 天冲突（{(monday + timedelta(days=9)).isoformat()}）：陈教练。整组课程均未保存")
    htmx_settled(page)
    screenshot(page, "training-bases-series-clash")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)
                             .where(TrainingSession.camp_id == s.camp.id)) == 1

    page.get_by_label("开始时间（北京时间）").fill("13:30")
    page.get_by_label("结束时间（早于开始即次日结束）").fill("16:30")
    page.get_by_role("button", name="安排").click()
    expect(page.get_by_text("已安排 20 次课程")).to_be_visible()
    db.session.rollback()
    first = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.camp_id == s.camp.id,
                                                               TrainingSession.series_key.is_not(None))
                              .order_by(TrainingSession.starts_at))

    page.set_viewport_size({"width": 1366, "height": 1600})  # the whole day fits: no scrolling mid-drag
    page.goto(f"/training-bases/{s.base.id}/calendar?date={monday.isoformat()}")
    expect(page.locator(f'#training-calendar a[href="/training-bases/sessions/{first.id}"]')).to_be_visible()
    # Onto Tuesday afternoon, where the same coach and athletes are already booked: refused and moved back.
    _drag(page, first.id, monday + timedelta(days=1), "14:00")
    expect(page.locator("#calendar-message")).to_contain_text("已有安排")
    db.session.rollback()
    assert db.session.get(TrainingSession, first.id).starts_at == first.starts_at
    # Onto Monday evening: saved.
    _drag(page, first.id, monday, "18:00")
    expect(page.locator("#calendar-message")).to_contain_text("已调整到")
    db.session.rollback()
    moved = db.session.get(TrainingSession, first.id)
    assert moved.starts_at.astimezone(tf.BEIJING).strftime("%Y-%m-%d %H:%M") == f"{monday.isoformat()} 18:00"
    screenshot(page, "training-bases-calendar")
    page.locator("#training-calendar button").filter(has_text=re.compile("^月$")).click()
    expect(page.locator(f'#training-calendar a[href="/training-bases/sessions/{first.id}"]')).to_be_visible()
    screenshot(page, "training-bases-calendar-month")

    page.goto(f"/training-bases/sessions/{past.id}")
    page.get_by_label("实际学时").fill("2.5")
    page.get_by_label("训练内容").fill("千分尺与三坐标测量练习")
    page.get_by_label(f"出勤 · {s.athletes[1].name}").select_option(label="迟到")
    page.get_by_label(f"成绩 · 总分 · {athlete.name}").fill("86")
    page.get_by_label(f"成绩 · 总分 · {s.athletes[1].name}").fill("78.5")
    page.get_by_role("button", name="保存日志").click()
    expect(page.get_by_text("已保存训练日志")).to_be_visible()
    log = db.session.scalar(sa.select(SessionLog).where(SessionLog.session_id == past.id))
    assert log is not None and len(log.scores) == 2

    page.context.clear_cookies()
    signed_in_as(page, "liming")
    page.goto(f"/training-bases/athletes/{athlete.id}")
    expect(page.locator("#progress-summary")).to_contain_text("期间累计训练 2.50 学时")
    expect(page.locator("#chart-weeks canvas")).to_be_visible()
    expect(page.locator("#score-rows")).to_contain_text("86.00 / 100.00")
    screenshot(page, "training-bases-athlete-progress")


def test_a_series_over_national_day_skips_the_holidays_and_the_page_names_them(app, ctx, page, fixed_clock):
    fixed_clock(datetime(2026, 9, 20, 2, tzinfo=UTC))
    s = tf.setup(n_athletes=2, capacity=4, camp_start=date(2026, 9, 21))
    s.coach_user.username = "chen"
    db.session.commit()
    signed_in_as(page, "chen")
    page.goto(f"/training-bases/camps/{s.camp.id}")
    page.get_by_text("＋ 安排课程（可每周重复）").click()
    expect(page.locator("#session-form")).to_contain_text("法定节假日（元旦、春节、国庆等）默认跳过")
    page.get_by_label("课程内容").fill("数控车削加工")
    page.get_by_label("设施").select_option(label="数控车实训车间（4）")
    page.get_by_label("日期（重复时为首日）").fill("2026-09-28")
    page.get_by_label("开始时间（北京时间）").fill("08:30")
    page.get_by_label("结束时间（早于开始即次日结束）").fill("11:30")
    page.get_by_label("每周重复").check()
    page.get_by_label("重复至（含）").fill("2026-10-09")
    for day in ("周一", "周三", "周五"):
        page.get_by_label(day, exact=True).check()
    page.get_by_role("button", name="安排").click()
    expect(page.get_by_text("已安排 3 次课程")).to_be_visible()
    warning = page.locator(".alert-warning").filter(has_text="法定节假日")
    expect(warning).to_contain_text("已跳过，未安排课程：2026-10-02（国庆节）、2026-10-05（国庆节）、2026-10-07（国庆节）")
    screenshot(page, "training-bases-series-holidays-skipped")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(warning).to_be_visible()
    screenshot(page, "training-bases-series-holidays-skipped-phone")
    rows = page.locator("#session-rows tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#session-rows")).not_to_contain_text("10-02")
