"""The skills record in a browser: from the person page to the record, its timeline, the Excel export."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot, signed_in_as
from tests.web.test_skills_record import champion_with_history

pytestmark = pytest.mark.browser


def test_official_opens_a_persons_skills_record_and_exports_it(app, ctx, page):
    person, ev, _squad = champion_with_history()
    factories.municipal_official(username="official")
    signed_in_as(page, "official")
    page.goto(f"/people/{person.id}")
    page.get_by_role("link", name="技能档案").click()
    expect(page.locator("h1")).to_contain_text(person.name)
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(4)  # certificate, result, squad, award
    expect(page.locator("#timeline")).to_contain_text("市赛金牌")
    expect(page.locator("#timeline")).to_contain_text("第 1 名，90.00 分 · 金牌")
    expect(page.locator("#timeline")).to_contain_text("取得高级工（三级）证书")
    screenshot(page, "skills-record")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    sheet = load_workbook(BytesIO(download.value.path().read_bytes())).active
    assert sheet["B1"].value == person.name
    expect(page.get_by_role("button", name="打印")).to_be_visible()
