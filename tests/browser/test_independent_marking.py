"""Independent marking in a browser: expert A saves a judgement and sees no other score; experts B and C save;
A now sees all three; the chief expert follows who has saved, and the organiser sees the disagreement."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.competitions.judging.models import Contestant, EventExpert
from app.core.enums import Role
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser


def setup_event():
    ev, aspects, panel, organiser = cf.judged_event(n=3)
    for n, user in enumerate(panel, start=1):
        user.username = f"judge{n}"
    chief = factories.user(factories.org(name="上海市技能竞赛裁判委员会"), Role.EXPERT, username="chief",
                           display_name="裁判长甲")
    db.session.add(EventExpert(event_id=ev.id, user_id=chief.id, is_chief=True))
    organiser.username = "organiser"
    db.session.commit()
    bib = db.session.scalar(sa.select(Contestant.bib).where(Contestant.event_id == ev.id).order_by(Contestant.bib))
    return ev, bib


def switch_user(page, username: str) -> None:
    page.context.clear_cookies()
    signed_in_as(page, username)


def judge(page, ev, username: str, bib: int, value: int) -> None:
    switch_user(page, username)
    page.goto(f"/competitions/events/{ev.id}/score?aspect=2")
    group = page.get_by_role("group", name=f"赛位 {bib} 评分")
    group.get_by_role("button", name=str(value), exact=True).click()
    expect(group.get_by_role("button", name=str(value), exact=True)).to_have_attribute("aria-pressed", "true")
    htmx_settled(page)


def test_an_expert_sees_the_others_scores_only_after_all_three_saved(app, ctx, page):
    ev, bib = setup_event()
    others = page.locator(f"tr:has(td.bib:text-is('{bib}')) td.others")

    judge(page, ev, "judge1", bib, 2)
    expect(others).to_have_text("待齐：已保存 1 / 3")
    expect(page.locator("#independent-marking")).to_contain_text("三位专家都保存本项评分后")
    screenshot(page, "independent-marking-waiting")

    judge(page, ev, "judge2", bib, 3)
    expect(others).to_have_text("待齐：已保存 2 / 3")

    switch_user(page, "chief")
    page.goto("/competitions/judging/mine")
    page.get_by_role("link", name="评分进度（裁判长）").click()
    page.get_by_role("link", name="A2 评分项2").click()
    row = page.locator(f"table.contestant-progress-table tr:has(td.bib:text-is('{bib}'))")
    expect(row).to_contain_text("专家1、专家2")
    expect(row).to_contain_text("全部保存后显示")
    expect(row).not_to_contain_text("2 · 3")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "independent-marking-chief-progress-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    judge(page, ev, "judge3", bib, 0)
    expect(others).to_contain_text("0 · 2 · 3")
    expect(others).to_contain_text("分差大于 1，请合议")

    switch_user(page, "judge1")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/competitions/events/{ev.id}/score?aspect=2")
    expect(others).to_contain_text("0 · 2 · 3")
    screenshot(page, "independent-marking-all-saved-phone")

    page.set_viewport_size({"width": 1366, "height": 900})
    switch_user(page, "organiser")
    page.goto(f"/competitions/events/{ev.id}/judging")
    expect(page.locator("#scoring-progress")).to_contain_text("1 项裁判分差大于 1 分")
    page.get_by_role("link", name="各评分项进度与分歧").click()
    page.get_by_role("link", name="A2 评分项2").click()
    expect(page.locator("#aspect-title")).to_have_text("A2 评分项2")
    expect(row).to_contain_text("专家1、专家2、专家3")
    expect(row).to_contain_text("0 · 2 · 3")
    screenshot(page, "independent-marking-organiser-progress")
