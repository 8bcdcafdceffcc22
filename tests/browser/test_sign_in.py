import pytest

from tests import factories
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_official_signs_in_switches_language_and_signs_out(app, ctx, page):
    factories.municipal_official(username="chen", display_name="陈主任")
    sign_in(page, "chen")
    assert page.get_by_role("heading", name="您好，陈主任").is_visible()
    nav = page.get_by_role("navigation", name="主导航")
    for area in ("技能竞赛", "集训基地", "新型学徒制", "人员", "组织机构", "政策参数", "审计日志"):
        assert nav.get_by_role("link", name=area).is_visible()
    screenshot(page, "home-zh")

    page.get_by_role("button", name="English").click()
    page.wait_for_selector("text=Organisations")
    screenshot(page, "home-en")
    page.reload()
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("text=组织机构")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login**")
    assert page.get_by_role("button", name="登录").is_visible()
