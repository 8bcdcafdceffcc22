"""The stored risk prompts in a browser: a district official pages through them (htmx) and filters by kind."""

import re

import pytest
from playwright.sync_api import expect

from app.core import risks
from app.core.enums import District
from tests import factories
from tests.browser.conftest import screenshot, signed_in_as
from tests.web.test_risk_prompts_table import KIND, FakeRule, fake_text

pytestmark = pytest.mark.browser


def test_a_district_official_pages_through_stored_prompts_and_filters_by_kind(app, ctx, page, monkeypatch):
    fake = FakeRule()
    monkeypatch.setitem(risks.RULES, KIND, ("测试风险", fake))
    monkeypatch.setitem(risks.TEXTS, KIND, fake_text)
    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    fake.found = [(f"k{i}", District.PUDONG) for i in range(3)] + [("x", District.XUHUI)]
    risks.refresh()
    fake.fail = True  # fresh: the pages never run the rule
    factories.district_official(District.PUDONG, username="pudong")

    page.set_viewport_size({"width": 1366, "height": 768})
    signed_in_as(page, "pudong")
    page.goto("/supervision/risks")
    rows = page.locator("#risk-desk tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#risk-summary")).to_contain_text("共 3 条")
    expect(page.locator("#risk-refreshed")).to_contain_text("更新于")
    page.get_by_role("link", name=re.compile("下一页")).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("提示 k0")
    expect(page).to_have_url(re.compile(r"after="))
    page.get_by_label("风险类型").select_option(KIND)
    expect(page).to_have_url(re.compile(rf"kind={KIND}"))
    expect(rows).to_have_count(2)
    expect(page.locator("#risk-desk")).not_to_contain_text("提示 x")
    screenshot(page, "supervision-risk-desk-pages")
