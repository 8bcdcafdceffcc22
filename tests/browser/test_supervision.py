"""Supervision in a browser: the dashboard filtered to a district, a chart bar opening its list, the risk desk."""

import re

import pytest
from playwright.sync_api import expect

from app.competitions.awards import services as awards
from app.competitions.judging import services as judging
from app.core.enums import District
from app.core.types import utcnow
from tests import competition_factories as cf
from tests import factories
from tests.browser.conftest import screenshot, signed_in_as
from tests.web.test_dashboard import field_in

pytestmark = pytest.mark.browser


def test_official_filters_the_dashboard_clicks_a_bar_and_reviews_a_risk(app, ctx, page):
    ev, organiser = field_in([District.PUDONG, District.XUHUI, District.PUDONG, District.MINHANG])
    cf.award_rule(band="gold", competitor_amount="1000", name="金牌")
    official = factories.municipal_official(username="official")
    awards.generate(official, ev)
    judging.unlock_results(official, ev, "复核", utcnow())  # awards now hang on unlocked results: a risk
    field_in([District.XUHUI, District.PUDONG])  # a locked event: gold Xuhui, silver Pudong

    page.set_viewport_size({"width": 1366, "height": 768})
    signed_in_as(page, "official")
    page.goto("/supervision/?year=2026")
    expect(page.locator("#district-medals tbody tr")).to_have_count(2)
    expect(page.locator("[data-dashboard-chart] canvas").first).to_be_visible()
    screenshot(page, "supervision-dashboard")
    page.get_by_label("区", exact=True).select_option(label="浦东新区")
    page.get_by_role("button", name="查看").click()
    expect(page.locator("#district-medals tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"district=pudong"))
    chart = page.locator("[data-dashboard-chart='bars']")
    chart.scroll_into_view_if_needed()
    expect(chart.locator("canvas")).to_be_visible()
    page.wait_for_timeout(300)  # ECharts lays the bars out after the canvas appears
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 80)  # the one bar, low down
    expect(page).to_have_url(re.compile(r"/supervision/medallists\?.*district=pudong"))
    expect(page.locator("#medallists tbody tr").first).to_contain_text("测试单位")

    page.goto("/supervision/risks")
    row = page.locator("#risk-desk tbody tr").first
    expect(row).to_contain_text("成绩已解锁")
    row.get_by_placeholder("核查说明").fill("已与组织方核实，奖励不变")
    row.get_by_role("button", name="标记已核查").click()
    expect(page.locator("#risk-desk")).to_contain_text("没有风险提示")
    page.get_by_label("核查状态").select_option("reviewed")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#risk-desk")).to_contain_text("已与组织方核实，奖励不变")
    screenshot(page, "supervision-risk-desk")
