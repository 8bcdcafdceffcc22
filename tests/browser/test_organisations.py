"""Organisations: adding and editing a unit, the filtered list, and a district official's view of their district."""

import random
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.demo import fake_uscc
from app.core.enums import District, OrgKind
from app.core.models import Organisation
from app.extensions import db
from tests import factories
from tests.browser.conftest import (
    htmx_settled,
    screenshot,
    set_window_marker,
    signed_in_as,
    small_pages,
    window_marker_survived,
)

pytestmark = pytest.mark.browser

RNG = random.Random(2024)


def fact(page, label: str):
    return page.locator(f"dl.facts dt:text-is('{label}') + dd")


def listed_units(page) -> list[str]:
    return page.locator("#organisation-results tbody tr td:first-child a").all_inner_texts()


def test_adding_an_enterprise_with_a_bad_uscc_shows_the_error_by_the_field_then_a_valid_one_lands_on_its_page(
        app, ctx, page):
    factories.municipal_official(username="chen")
    uscc = fake_uscc(RNG, District.PUDONG)
    bad_uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    signed_in_as(page, "chen")
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="组织机构").click()
    page.wait_for_url("**/organisations")
    page.get_by_role("link", name="添加单位").click()
    page.wait_for_url("**/organisations/new")

    page.get_by_label("单位名称").fill("上海申港精密机械有限公司")
    page.get_by_label("类型").select_option(label="企业")
    page.get_by_label("统一社会信用代码").fill(bad_uscc)
    page.get_by_label("所在区").select_option(label="浦东新区")
    page.get_by_label("地址").fill("上海市浦东新区张江路 88 号")
    page.get_by_label("联系人", exact=True).fill("黄经理")
    page.get_by_label("联系人手机").fill("13611112222")
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".field-uscc .invalid-feedback")).to_have_text("统一社会信用代码校验位不正确")
    htmx_settled(page)
    expect(page.get_by_label("统一社会信用代码")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_label("单位名称")).to_have_value("上海申港精密机械有限公司")
    assert page.url.endswith("/organisations/new")
    screenshot(page, "organisation-new-bad-uscc")
    assert db.session.scalar(sa.select(Organisation.id).where(Organisation.kind == OrgKind.ENTERPRISE)) is None

    page.get_by_label("统一社会信用代码").fill(uscc.lower())
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("上海申港精密机械有限公司")
    expect(page.locator("#flash-messages")).to_contain_text("已添加单位：上海申港精密机械有限公司")
    expect(fact(page, "类型")).to_have_text("企业")
    expect(fact(page, "所在区")).to_have_text("浦东新区")
    expect(fact(page, "统一社会信用代码")).to_have_text(uscc)
    expect(fact(page, "联系人")).to_have_text("黄经理 136****2222")
    assert "13611112222" not in page.content()
    expect(page.locator(".history tbody tr")).to_have_count(1)
    screenshot(page, "organisation-detail")
    detail_url = page.url

    page.get_by_role("link", name="查看本单位人员").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query) == {"employer": ["上海申港精密机械有限公司"]})
    expect(page.get_by_label("工作单位")).to_have_value("上海申港精密机械有限公司")
    expect(page.locator("#people-results .empty")).to_have_text("没有符合条件的人员")
    page.goto(detail_url)

    page.get_by_role("link", name="组织机构", exact=True).first.click()
    page.wait_for_url("**/organisations")
    row = page.locator("#organisation-results tbody tr", has_text="上海申港精密机械有限公司")
    expect(row).to_contain_text(uscc)
    expect(row).to_contain_text("启用")


def test_an_enterprise_without_a_uscc_is_refused_by_the_field(app, ctx, page):
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    page.goto("/organisations/new")
    page.get_by_label("单位名称").fill("无代码公司")
    page.get_by_label("类型").select_option(label="企业")
    page.get_by_label("所在区").select_option(label="徐汇区")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-uscc .invalid-feedback")).to_have_text("企业须填写统一社会信用代码")


def test_editing_a_unit_with_the_phone_left_blank_keeps_the_stored_phone(app, ctx, page):
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    page.goto("/organisations/new")
    page.get_by_label("单位名称").fill("上海市第一技师学院")
    page.get_by_label("类型").select_option(label="新型技师学院")
    page.get_by_label("所在区").select_option(label="杨浦区")
    page.get_by_label("联系人手机").fill("13500001234")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    detail_url = page.url

    page.get_by_role("link", name="编辑").click()
    page.wait_for_url("**/edit")
    expect(page.get_by_label("联系人手机")).to_have_value("")
    expect(page.get_by_label("所在区")).to_have_value("yangpu")
    page.get_by_label("地址").fill("上海市杨浦区军工路 100 号")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(detail_url)
    expect(page.locator("#flash-messages")).to_contain_text("已保存")
    expect(fact(page, "地址")).to_have_text("上海市杨浦区军工路 100 号")
    expect(fact(page, "联系人")).to_contain_text("135****1234")
    expect(page.locator(".history tbody tr")).to_have_count(2)
    expect(page.locator(".history tbody tr").first.locator("td").nth(2)).to_have_text("修改")


def test_official_filters_units_by_kind_and_district_and_pages_through_them(app, ctx, page, monkeypatch):
    small_pages(app, monkeypatch, 2)
    factories.municipal_official(username="chen")
    for name in ("上海甲机械有限公司", "上海乙机械有限公司", "上海丙机械有限公司"):
        factories.org(name=name, district=District.JIADING)
    factories.org(OrgKind.TECHNICAL_SCHOOL, District.JIADING, name="上海嘉定技工学校")
    factories.org(name="上海丁机械有限公司", district=District.MINHANG)
    signed_in_as(page, "chen")
    page.goto("/organisations")
    set_window_marker(page)

    page.get_by_label("类型").select_option(label="企业")
    page.get_by_label("所在区").select_option(label="嘉定区")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query) == {"kind": ["enterprise"], "district": ["jiading"]})
    expect(page.locator(".result-count")).to_have_text("共 3 个单位")
    expect(page.locator("#organisation-results tbody tr")).to_have_count(2)
    expect(page.get_by_text("第 1 / 2 页")).to_be_visible()
    first_page = listed_units(page)

    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("page") == ["2"])
    expect(page.locator("#organisation-results tbody tr")).to_have_count(1)
    assert sorted(first_page + listed_units(page)) == sorted(
        ["上海甲机械有限公司", "上海乙机械有限公司", "上海丙机械有限公司"])
    page.get_by_role("link", name="上一页").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("page") == ["1"])
    expect(page.locator("#organisation-results tbody tr td:first-child a")).to_have_text(first_page)

    page.get_by_label("搜索").fill("技工")
    page.get_by_label("类型").select_option(label="全部类型")
    expect(page.locator("#organisation-results tbody tr td:first-child a")).to_have_text(["上海嘉定技工学校"])
    assert window_marker_survived(page), "filtering reloaded the whole page"


def test_district_official_sees_only_units_of_their_district(app, ctx, page, expected_statuses):
    expected_statuses.add(403)
    factories.district_official(District.XUHUI, username="xu", display_name="徐科长")
    factories.org(name="上海徐光数据科技有限公司", district=District.XUHUI)
    pudong_id = factories.org(name="上海申港精密机械有限公司", district=District.PUDONG).id
    factories.municipal_bureau()
    signed_in_as(page, "xu")
    page.goto("/organisations")
    units = listed_units(page)
    assert "上海徐光数据科技有限公司" in units
    assert "上海申港精密机械有限公司" not in units
    assert not any(name.startswith("上海市人力资源和社会保障局") for name in units)
    expect(page.locator("#organisation-results tbody tr td:nth-child(3)")).to_have_text(["徐汇区"] * len(units))
    screenshot(page, "organisations-district")

    page.goto(f"/organisations/{pudong_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("没有权限")

    page.goto("/organisations/new")
    page.get_by_label("单位名称").fill("浦东某培训机构")
    page.get_by_label("类型").select_option(label="培训机构")
    page.get_by_label("所在区").select_option(label="浦东新区")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-district .invalid-feedback")).to_have_text("区人社局只能管理本区的单位")
