"""An official's 我的待办 in a browser, on a phone: 公示 ending and risk prompts to review, each a count that opens
its list; a prompt concerning three districts on a district desk, read in English."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from app.competitions.awards import services as awards
from app.competitions.awards.models import AwardLineStatus
from app.core import risks
from app.core.enums import District
from tests import factories
from tests.browser.conftest import screenshot, signed_in_as
from tests.web.test_awards import locked, standard_rules
from tests.web.test_officials_todos import notices
from tests.web.test_risk_prompts_per_district import three_district_duplicate

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_a_municipal_official_opens_notices_ending_and_prompts_to_review_from_the_home_page(
        app, ctx, page, fixed_clock, monkeypatch):
    fixed_clock(NOW)
    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)
    ev = locked()
    standard_rules()
    official = factories.municipal_official(username="city")
    awards.generate(official, ev)
    notices(ev, [(date(2026, 11, 20), AwardLineStatus.NOTICE), (date(2026, 11, 30), AwardLineStatus.NOTICE)])
    three_district_duplicate()
    risks.refresh()
    page.set_viewport_size(PHONE)
    signed_in_as(page, "city")
    page.goto("/")
    ending = page.locator("#todos").get_by_role("link", name="公示即将期满或已期满待批准")
    expect(ending.locator(".todo-count")).to_have_text("1")
    prompts = page.locator("#todos").get_by_role("link", name="待核查的风险提示")
    expect(prompts.locator(".todo-count")).not_to_have_text("0")
    open_prompts = prompts.locator(".todo-count").inner_text()
    screenshot(page, "phone-official-home")
    ending.click()
    expect(page.locator("#notices-due tbody tr")).to_have_count(1)
    expect(page.locator("#notices-due")).to_contain_text("公示至2026-11-20")
    screenshot(page, "phone-official-notices-due")
    page.goto("/")
    prompts.click()
    expect(page.locator("#risk-desk tbody tr")).to_have_count(int(open_prompts))


def test_a_district_official_reads_a_three_district_duplicate_in_english(app, ctx, page, monkeypatch):
    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)
    three_district_duplicate()
    risks.refresh()
    factories.district_official(District.XUHUI, username="xuhui")
    signed_in_as(page, "xuhui")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/supervision/risks?kind=duplicate_subsidy")
    expect(page.locator("#risk-desk")).to_contain_text("2026 年有 3 个学徒培训项目申领补贴")
    page.get_by_role("button", name="English").click()
    desk = page.locator("#risk-desk")
    expect(desk).to_contain_text("has subsidies claimed by 3 apprenticeships in 2026")
    expect(desk).to_contain_text("3 lines, CNY 7,500.00")
    screenshot(page, "supervision-risk-desk-english")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(desk).to_contain_text("has subsidies claimed by 3 apprenticeships in 2026")
    screenshot(page, "phone-supervision-risk-desk-english")
