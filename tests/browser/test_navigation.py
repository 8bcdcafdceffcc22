"""Getting around: every area from the navigation bar, signing in on the way, error pages, a phone-sized screen."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import assert_fits_width, screenshot, sign_in

pytestmark = pytest.mark.browser

#: Navigation label -> (path, heading) of the core pages, for an official of the municipal bureau.
CORE_AREAS = {
    "人员": ("/people", "人员（实名制）"),
    "组织机构": ("/organisations", "组织机构"),
    "用户": ("/users", "用户与角色"),
    "政策参数": ("/policies", "政策参数"),
    "审计日志": ("/audit", "审计日志"),
    "首页": ("/", "您好，测试用户"),
}
#: Navigation label -> path of the areas reached from the navigation bar.
OTHER_AREAS = {
    "技能竞赛": "/competitions/",
    "集训基地": "/training-bases/",
    "新型学徒制": "/apprenticeships/",
    "监管": "/supervision/",
    "提醒": "/reminders/",
}


def test_official_reaches_every_area_from_the_navigation_bar_and_sees_where_they_are(app, ctx, page):
    factories.municipal_official(username="chen")
    sign_in(page, "chen")
    nav = page.get_by_role("navigation", name="主导航")
    for label, path in OTHER_AREAS.items():
        nav.get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(lambda url, path=path: urlsplit(url).path == path)
        expect(page.get_by_role("heading", level=1)).not_to_be_empty()
        expect(nav.locator("a.nav-link.active")).to_have_text([label])
        assert_fits_width(page)
    for label, (path, heading) in CORE_AREAS.items():
        nav.get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(lambda url, path=path: urlsplit(url).path == path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(nav.locator("a.nav-link.active")).to_have_text([label])
        assert_fits_width(page)


def test_a_signed_out_visitor_is_sent_to_sign_in_and_then_to_the_page_they_asked_for(app, ctx, page):
    factories.municipal_official(username="chen")
    factories.person("王小明")
    page.goto("/people?q=王")
    page.wait_for_url(lambda url: urlsplit(url).path == "/login")
    # The page, but never the search term (a name or an ID tail would land in the access logs).
    assert [unquote(n) for n in parse_qs(urlsplit(page.url).query)["next"]] == ["/people"]
    screenshot(page, "login")
    page.get_by_label("用户名").fill("chen")
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/people")
    expect(page.get_by_label("姓名或证件号后4位")).to_have_value("")
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["王小明"])


def test_a_wrong_password_is_refused_on_the_sign_in_page(app, ctx, page):
    factories.municipal_official(username="chen")
    page.goto("/login")
    page.get_by_label("用户名").fill("chen")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".field-password .invalid-feedback")).to_have_text("用户名或密码不正确")
    assert urlsplit(page.url).path == "/login"
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link")).to_have_count(1)  # the brand only


def test_an_unknown_address_shows_a_translated_not_found_page(app, ctx, page, expected_statuses):
    expected_statuses.add(404)
    factories.municipal_official(username="chen")
    sign_in(page, "chen")
    page.goto("/people/999999")
    expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def test_on_a_phone_the_navigation_folds_under_a_menu_button_and_the_pages_fit(app, ctx, page):
    factories.municipal_official(username="chen")
    factories.person("王小明", employer=factories.org(name="上海申港精密机械有限公司"))
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "chen")
    # The links fold under the 菜单 button: the header is one short row, the page starts right under it.
    menu = page.get_by_role("button", name="菜单")
    nav = page.get_by_role("navigation", name="主导航")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="人员", exact=True)).to_be_hidden()
    assert page.locator(".app-header").bounding_box()["height"] < 70
    screenshot(page, "home-phone")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    screenshot(page, "home-phone-menu")
    page.keyboard.press("Escape")  # closes the menu and gives the focus back to its button
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="人员", exact=True).click()
    page.wait_for_url("**/people")
    expect(page.get_by_role("button", name="菜单")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["王小明"])
    screenshot(page, "people-phone")
