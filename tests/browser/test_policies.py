"""The policy table: effective-dated values, added by officials, history kept."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.core.enums import District
from app.core.models import PolicyValue
from app.extensions import db
from tests import factories
from tests.browser.conftest import htmx_settled, screenshot, set_window_marker, signed_in_as, window_marker_survived

pytestmark = pytest.mark.browser

SUBSIDY = "学徒培训补贴（每人每年）"


def shanghai_today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def policy_value(key: str, effective_from, value: str, note: str = "", district: District | None = None) -> None:
    db.session.add(PolicyValue(key=key, qualifier="", district=district, effective_from=effective_from,
                               value=Decimal(value), note=note))
    db.session.commit()


def test_official_adds_a_future_value_which_is_listed_as_not_yet_in_force_with_the_old_value_kept(app, ctx, page):
    factories.municipal_official(username="chen", display_name="陈主任")
    in_force_since = shanghai_today() - timedelta(days=400)
    policy_value("apprenticeship.subsidy_per_year", in_force_since, "4000", "沪人社规〔2023〕5号")
    starts = shanghai_today() + timedelta(days=30)
    signed_in_as(page, "chen")
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="政策参数").click()
    page.wait_for_url("**/policies")
    rows = page.locator("#policy-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("4,000.00 元")
    expect(rows.first).to_contain_text("初始数据")

    form = page.locator("#policy-form")
    # The subsidy is the first key, already chosen. (Choosing a key reloads the form's scopes, see below.)
    expect(form.get_by_label("参数", exact=True).locator("option:checked")).to_have_text(SUBSIDY)
    form.get_by_label("适用区").select_option(label="全市")
    form.get_by_label("生效日期").fill(starts.isoformat())
    form.get_by_label("数值").fill("5000")
    form.get_by_label("依据/备注").fill("沪人社规〔2026〕2号")
    form.get_by_role("button", name="保存").click()

    page.wait_for_url("**/policies?key=apprenticeship.subsidy_per_year")
    expect(page.locator("#flash-messages")).to_contain_text("已添加新的取值，历史取值保留")
    expect(rows).to_have_count(2)
    new_row = rows.filter(has_text="沪人社规〔2026〕2号")
    old_row = rows.filter(has_text="沪人社规〔2023〕5号")
    expect(new_row).to_contain_text(starts.isoformat())
    expect(new_row).to_contain_text("5,000.00 元")
    expect(new_row.locator(".badge")).to_have_text("未生效")
    expect(new_row).to_contain_text("陈主任")
    expect(old_row).to_contain_text(in_force_since.isoformat())
    expect(old_row).to_contain_text("4,000.00 元")
    expect(old_row.locator(".badge")).to_have_count(0)
    screenshot(page, "policies")

    # The same key, scope and date again is refused next to the date.
    form = page.locator("#policy-form")
    expect(form.get_by_label("参数", exact=True).locator("option:checked")).to_have_text(SUBSIDY)
    form.get_by_label("生效日期").fill(starts.isoformat())
    form.get_by_label("数值").fill("5200")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".field-effective_from .invalid-feedback")).to_have_text(
        "同一生效日期已有取值，请选择新的生效日期")
    expect(page.locator("#policy-rows tbody tr")).to_have_count(2)


def test_choosing_a_key_with_scopes_offers_its_scopes_without_reloading(app, ctx, page):
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    page.goto("/policies")
    scope = page.locator("#policy-form").get_by_label("适用范围")
    expect(scope.locator("option")).to_have_text(["—"])
    set_window_marker(page)

    page.locator("#policy-form").get_by_label("参数", exact=True).select_option(label="截止提醒提前天数")
    scope = page.locator("#policy-form").get_by_label("适用范围")
    expect(scope.locator("option", has_text="第一次提醒")).to_have_count(1)
    expect(scope.locator("option")).to_have_text(["第一次提醒", "第二次提醒", "第三次提醒"])
    htmx_settled(page)
    expect(page.locator("#policy-form").get_by_label("参数", exact=True)).to_have_value("reminder.offset_days")
    assert window_marker_survived(page), "choosing a key reloaded the whole page"

    page.locator("#policy-form").get_by_label("适用范围").select_option(label="第二次提醒")
    page.locator("#policy-form").get_by_label("生效日期").fill("2025-01-01")
    page.locator("#policy-form").get_by_label("数值").fill("12")
    page.locator("#policy-form").get_by_role("button", name="保存").click()
    page.wait_for_url("**/policies?key=reminder.offset_days")
    row = page.locator("#policy-rows tbody tr", has_text="截止提醒提前天数")
    expect(row).to_contain_text("第二次提醒")
    expect(row).to_contain_text("12.00 天")


def test_district_official_may_only_set_values_for_their_own_district(app, ctx, page):
    factories.district_official(District.MINHANG, username="min")
    policy_value("apprenticeship.subsidy_per_year", shanghai_today() - timedelta(days=30), "4000")
    policy_value("apprenticeship.subsidy_per_year", shanghai_today() - timedelta(days=30), "4500",
                 district=District.PUDONG)
    signed_in_as(page, "min")
    page.goto("/policies")
    expect(page.locator("#policy-rows tbody tr")).to_have_count(1)  # the city-wide value, not Pudong's

    form = page.locator("#policy-form")
    form.get_by_label("适用区").select_option(label="全市")
    form.get_by_label("生效日期").fill((shanghai_today() + timedelta(days=1)).isoformat())
    form.get_by_label("数值").fill("6000")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".field-district .invalid-feedback")).to_have_text("区人社局只能设置本区的政策参数")
    htmx_settled(page)

    page.locator("#policy-form").get_by_label("适用区").select_option(label="闵行区")
    page.locator("#policy-form").get_by_role("button", name="保存").click()
    expect(page.locator("#flash-messages")).to_contain_text("已添加新的取值，历史取值保留")
    expect(page.locator("#policy-rows tbody tr", has_text="闵行区")).to_contain_text("6,000.00 元")
