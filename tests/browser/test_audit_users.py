"""Users and roles, and the audit log that lists every write."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from app.core.enums import District, Role
from tests import factories
from tests.browser.conftest import (
    htmx_settled,
    screenshot,
    set_window_marker,
    sign_in,
    signed_in_as,
    small_pages,
    window_marker_survived,
)

pytestmark = pytest.mark.browser


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def role_badges(row) -> list[str]:
    return row.locator("td:nth-child(4) .badge").all_inner_texts()


def test_official_creates_a_user_with_roles_who_can_then_sign_in(app, ctx, page):
    factories.municipal_official(username="chen")
    factories.org(name="上海东浦汽车零部件有限公司", district=District.JIADING)
    signed_in_as(page, "chen")
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="用户").click()
    page.wait_for_url("**/users")
    page.get_by_role("link", name="添加用户").click()
    page.wait_for_url("**/users/new")

    page.get_by_label("用户名").fill("dongpu.hr")
    page.get_by_label("姓名").fill("王人事")
    page.get_by_label("电子邮箱").fill("hr@dongpu.example.cn")
    page.get_by_label("所属单位").select_option(label="上海东浦汽车零部件有限公司")
    page.get_by_label("企业人事").check()
    page.get_by_label("导师").check()
    page.get_by_label("密码").fill("short")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-password .invalid-feedback")).to_have_text("密码至少10位")
    htmx_settled(page)
    expect(page.get_by_label("企业人事")).to_be_checked()
    screenshot(page, "user-new-error")

    page.get_by_label("密码").fill("dongpu-2026-secret")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/users")
    expect(page.locator("#flash-messages")).to_contain_text("已创建用户")
    row = page.locator("#user-results tbody tr", has_text="dongpu.hr")
    expect(row).to_contain_text("王人事")
    expect(row).to_contain_text("上海东浦汽车零部件有限公司")
    assert sorted(role_badges(row)) == sorted(["企业人事", "导师"])
    screenshot(page, "users")

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login**")
    sign_in(page, "dongpu.hr", "dongpu-2026-secret")
    expect(page.get_by_role("heading", name="您好，王人事")).to_be_visible()
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="人员")).to_be_visible()
    expect(nav.get_by_role("link", name="组织机构")).to_have_count(0)
    expect(nav.get_by_role("link", name="审计日志")).to_have_count(0)


def test_the_official_role_is_refused_for_a_user_of_an_enterprise(app, ctx, page):
    factories.municipal_official(username="chen")
    factories.org(name="上海青浦新材料有限公司", district=District.QINGPU)
    signed_in_as(page, "chen")
    page.goto("/users/new")
    page.get_by_label("用户名").fill("qingpu.boss")
    page.get_by_label("姓名").fill("赵总")
    page.get_by_label("所属单位").select_option(label="上海青浦新材料有限公司")
    page.get_by_label("人社工作人员").check()
    page.get_by_label("密码").fill("qingpu-2026-secret")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-roles .invalid-feedback")).to_have_text("人社工作人员角色只能授予人社局的用户")


def test_official_changes_a_users_roles_and_the_list_filters_by_role(app, ctx, page):
    factories.municipal_official(username="chen")
    unit = factories.org(name="上海宝钢城焊接技术有限公司", district=District.BAOSHAN)
    user_id = factories.user(unit, Role.ENTERPRISE_HR, Role.MENTOR, username="baogang.hr", display_name="钱人事").id
    factories.user(unit, Role.COACH, username="baogang.coach", display_name="孙教练")
    signed_in_as(page, "chen")
    page.goto("/users")
    set_window_marker(page)
    page.get_by_label("角色").select_option(label="导师")
    page.wait_for_url(lambda url: query_of(url) == {"role": ["mentor"]})
    expect(page.locator("#user-results tbody tr td:first-child a")).to_have_text(["baogang.hr"])
    page.get_by_label("搜索").fill("教练")
    page.get_by_label("角色").select_option(label="全部角色")
    expect(page.locator("#user-results tbody tr td:first-child a")).to_have_text(["baogang.coach"])
    assert window_marker_survived(page), "filtering reloaded the whole page"

    page.goto(f"/users/{user_id}/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑用户：baogang.hr")
    expect(page.get_by_label("导师")).to_be_checked()
    page.get_by_label("导师").uncheck()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/users")
    expect(page.locator("#flash-messages")).to_contain_text("已保存")
    assert role_badges(page.locator(f"#user-{user_id}")) == ["企业人事"]

    page.goto(f"/users/{user_id}/edit")
    history = page.locator(".history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first.locator("td").nth(2)).to_have_text("修改")
    expect(history.first.locator("td").nth(3)).to_contain_text("导师")
    expect(history.first.locator("td").nth(4)).not_to_contain_text("导师")


def test_audit_log_lists_the_writes_just_made_and_filters_by_record(app, ctx, page):
    factories.municipal_official(username="chen", display_name="陈主任")
    ric = factories.valid_ric()
    signed_in_as(page, "chen")
    page.goto("/organisations/new")
    page.get_by_label("单位名称").fill("上海静禾养老服务有限公司")
    page.get_by_label("类型").select_option(label="培训机构")
    page.get_by_label("所在区").select_option(label="静安区")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    org_id = page.url.rsplit("/", 1)[1]

    page.goto("/people/new")
    page.get_by_label("姓名", exact=True).fill("孔静")
    page.get_by_label("证件号码").fill(ric)
    page.get_by_label("工作单位").select_option(label="上海静禾养老服务有限公司")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/people/\d+$"))
    person_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("button", name="查看完整号码").click()
    expect(page.locator("#id-number")).to_have_text(ric)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计日志").click()
    page.wait_for_url("**/audit")
    rows = page.locator("#audit-results tbody tr")
    # Newest first: the reveal, the registration, the new unit, the sign-in, each by the official who did it.
    expect(rows.locator("td:nth-child(3)")).to_have_text(["查看完整证件号", "新增", "新增", "登录"])
    expect(rows.locator("td:nth-child(4)")).to_have_text(
        [f"人员 #{person_id}", f"人员 #{person_id}", f"组织机构 #{org_id}", re.compile(r"^用户 #\d+$")])
    expect(rows.locator("td:nth-child(2)")).to_have_text(["陈主任"] * 4)
    expect(rows.nth(1).locator("td:nth-child(7)")).to_contain_text("证件号码: " + ric[:3] + "*" * 13 + ric[-2:])
    # A reference reads as the record's name, not its id.
    expect(rows.nth(1).locator("td:nth-child(7)")).to_contain_text("工作单位: 上海静禾养老服务有限公司")
    expect(rows.nth(1).locator("td:nth-child(7)")).not_to_contain_text(f"工作单位: {org_id}")
    expect(rows.nth(2)).to_contain_text("上海静禾养老服务有限公司")
    assert ric not in page.content(), "the audit log must show only the masked ID number"
    screenshot(page, "audit")

    set_window_marker(page)
    page.get_by_label("记录类型").select_option(label="组织机构")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(lambda url: query_of(url) == {"entity_type": ["organisations"]})
    expect(rows.locator("td:nth-child(4)")).to_have_text([f"组织机构 #{org_id}"])
    assert window_marker_survived(page)

    page.get_by_label("记录类型").select_option(label="全部记录类型")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(lambda url: not query_of(url))
    rows.locator("td:nth-child(4) a", has_text=f"人员 #{person_id}").first.click()
    page.wait_for_url(lambda url: query_of(url) == {"entity_type": ["people"], "entity_id": [person_id]})
    expect(rows.locator("td:nth-child(3)")).to_have_text(["查看完整证件号", "新增"])


def test_audit_log_pages_on_with_the_next_link(app, ctx, page, monkeypatch):
    small_pages(app, monkeypatch, 2)
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    for name in ("甲", "乙", "丙"):
        page.goto("/organisations/new")
        page.get_by_label("单位名称").fill(f"上海{name}培训中心")
        page.get_by_label("类型").select_option(label="培训机构")
        page.get_by_label("所在区").select_option(label="普陀区")
        page.get_by_role("button", name="保存").click()
        page.wait_for_url(re.compile(r"/organisations/\d+$"))
    page.goto("/audit")
    summaries = page.locator("#audit-results tbody tr td:nth-child(5)")
    expect(summaries).to_have_text(["上海丙培训中心", "上海乙培训中心"])
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(lambda url: "after" in query_of(url))
    expect(summaries).to_have_text(["上海甲培训中心", "chen"])  # the oldest: the sign-in
    expect(page.get_by_role("link", name="下一页")).to_have_count(0)
    page.get_by_role("link", name="回到第一页").click()
    page.wait_for_url(lambda url: not query_of(url))
    expect(summaries).to_have_text(["上海丙培训中心", "上海乙培训中心"])


def test_district_official_sees_the_writes_of_their_district_only(app, ctx, page):
    factories.district_official(District.PUTUO, username="putuo", display_name="普陀科员")
    factories.municipal_official(username="chen", display_name="陈主任")
    signed_in_as(page, "chen")
    page.goto("/organisations/new")
    page.get_by_label("单位名称").fill("市局新建的单位")
    page.get_by_label("类型").select_option(label="行业协会")
    page.get_by_label("所在区").select_option(label="普陀区")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login**")

    signed_in_as(page, "putuo")
    page.goto("/organisations/new")
    page.get_by_label("单位名称").fill("普陀区新建的单位")
    page.get_by_label("类型").select_option(label="行业协会")
    page.get_by_label("所在区").select_option(label="普陀区")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    page.goto("/audit")
    # Their own write and sign-in; not the municipal official's write, though it concerns a Putuo unit.
    expect(page.locator("#audit-results tbody tr td:nth-child(5)")).to_have_text(["普陀区新建的单位", "putuo"])
