"""People (实名制): the list with its live filters, registering, the person's page, reveal, edit, export."""

import re
from datetime import date
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.core.enums import District, Role, SkillLevel
from app.core.models import AuditEntry, Person
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

MASKED_ID = re.compile(r"^310\*{13}\d[\dX]$")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def listed_names(page) -> list[str]:
    return page.locator("#people-results tbody tr td:first-child a").all_inner_texts()


def fact(page, label: str):
    """The value shown next to ``label`` on a details page (<dt>label</dt><dd>value</dd>)."""
    return page.locator(f"dl.facts dt:text-is('{label}') + dd")


def people_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def test_official_filters_people_by_name_prefix_pages_on_and_goes_back_without_reloading(
        app, ctx, page, monkeypatch):
    small_pages(app, monkeypatch, 2)
    factories.municipal_official(username="chen")
    employer = factories.org(name="上海申港精密机械有限公司")
    for name in ("王一", "王二", "王三", "李四"):
        factories.person(name, employer=employer, id_number=factories.valid_ric())
    signed_in_as(page, "chen")
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="人员").click()
    page.wait_for_url("**/people")
    expect(page.locator("#people-results tbody tr")).to_have_count(2)
    set_window_marker(page)

    page.get_by_label("姓名或证件号后4位").fill("王")
    page.wait_for_url(lambda url: query_of(url) == {"q": ["王"]})
    # In the order of the (name, id) index: 一 U+4E00 < 三 U+4E09 < 二 U+4E8C.
    expect(page.locator("#people-results tbody tr")).to_have_count(2)
    assert listed_names(page) == ["王一", "王三"]
    assert window_marker_survived(page), "the filter reloaded the whole page"
    screenshot(page, "people-filtered")

    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(lambda url: "after" in query_of(url) and query_of(url)["q"] == ["王"])
    expect(page.locator("#people-results tbody tr")).to_have_count(1)
    assert listed_names(page) == ["王二"]
    assert page.get_by_role("link", name="回到第一页").is_visible()
    assert page.get_by_role("link", name="下一页").count() == 0

    page.go_back()
    page.wait_for_url(lambda url: query_of(url) == {"q": ["王"]})
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["王一", "王三"])
    expect(page.get_by_label("姓名或证件号后4位")).to_have_value("王")

    page.go_back()
    page.wait_for_url(lambda url: urlsplit(url).path == "/people" and not urlsplit(url).query)
    expect(page.get_by_label("姓名或证件号后4位")).to_have_value("")
    expect(page.locator("#people-results tbody tr")).to_have_count(2)
    assert window_marker_survived(page), "going back reloaded the whole page"


def test_official_finds_a_person_by_id_tail_and_narrows_by_employer_and_level(app, ctx, page):
    factories.municipal_official(username="chen")
    shengang = factories.org(name="上海申港精密机械有限公司")
    yunqi = factories.org(name="上海云栖餐饮管理有限公司")
    ric = factories.valid_ric(birth=date(1990, 1, 2))
    factories.person("赵敏", employer=shengang, id_number=ric, level=SkillLevel.LEVEL_3)
    factories.person("钱进", employer=shengang, level=SkillLevel.LEVEL_4)
    factories.person("孙丽", employer=yunqi, level=SkillLevel.LEVEL_3)
    signed_in_as(page, "chen")
    page.goto("/people")
    set_window_marker(page)

    page.get_by_label("姓名或证件号后4位").fill(ric[-4:])
    page.wait_for_url(lambda url: query_of(url).get("q") == [ric[-4:]])
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["赵敏"])

    page.get_by_label("姓名或证件号后4位").fill("")
    page.get_by_label("工作单位").fill("上海申港")
    page.wait_for_url(lambda url: query_of(url) == {"employer": ["上海申港"]})
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["钱进", "赵敏"])

    page.get_by_label("技能等级").select_option(label="高级工（三级）")
    page.wait_for_url(lambda url: query_of(url) == {"employer": ["上海申港"], "level": ["level3"]})
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["赵敏"])
    assert window_marker_survived(page)

    page.get_by_label("姓名或证件号后4位").fill("没有这个人")
    expect(page.locator("#people-results .empty")).to_have_text("没有符合条件的人员")


def test_registering_a_person_with_a_bad_check_digit_shows_the_error_by_the_id_field_and_writes_nothing(
        app, ctx, page):
    factories.municipal_official(username="chen")
    factories.org(name="上海徐光数据科技有限公司")
    ric = factories.valid_ric(District.XUHUI, birth=date(1998, 5, 17), male=False)
    bad_ric = ric[:-1] + ("0" if ric[-1] != "0" else "1")
    signed_in_as(page, "chen")
    page.goto("/people")
    page.get_by_role("link", name="登记人员").click()
    page.wait_for_url("**/people/new")

    page.get_by_label("姓名", exact=True).fill("李梅")
    page.get_by_label("证件号码").fill(bad_ric)
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_label("工作单位").select_option(label="上海徐光数据科技有限公司")
    page.get_by_role("button", name="保存").click()

    error = page.locator(".field-id_number .invalid-feedback")
    expect(error).to_have_text("身份证号校验位不正确")
    expect(page.get_by_label("证件号码")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_label("证件号码")).to_have_attribute("aria-describedby", "id_number-help id_number-error")
    expect(page.locator("#id_number-help")).to_have_count(1)
    expect(page.locator("#id_number-error")).to_have_count(1)
    htmx_settled(page)
    assert page.url.endswith("/people/new")
    # What the person typed is kept, so only the wrong digit needs correcting.
    expect(page.get_by_label("姓名", exact=True)).to_have_value("李梅")
    screenshot(page, "person-new-bad-id")
    assert people_count() == 0

    page.get_by_label("证件号码").fill(ric)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/people/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("李梅")
    expect(page.locator("#flash-messages")).to_contain_text("已登记人员：李梅")
    expect(fact(page, "出生日期")).to_have_text("1998-05-17")
    expect(fact(page, "性别")).to_have_text("女")
    expect(fact(page, "手机号")).to_have_text("139****5678")
    expect(fact(page, "工作单位")).to_have_text("上海徐光数据科技有限公司")
    expect(page.locator("#id-number")).to_have_text(MASKED_ID)
    screenshot(page, "person-detail")
    assert people_count() == 1

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="人员").click()
    page.wait_for_url("**/people")
    row = page.locator("#people-results tbody tr", has_text="李梅")
    expect(row.locator("td").nth(1)).to_have_text(ric[:3] + "*" * 13 + ric[-2:])
    expect(row.locator("td").nth(2)).to_have_text("女")
    expect(row.locator("td").nth(4)).to_have_text("139****5678")
    assert ric not in page.content()
    assert "13912345678" not in page.content()


def test_registering_an_already_registered_id_number_is_refused_by_the_field(app, ctx, page):
    factories.municipal_official(username="chen")
    ric = factories.valid_ric()
    factories.person("张三", id_number=ric)
    signed_in_as(page, "chen")
    page.goto("/people/new")
    page.get_by_label("姓名", exact=True).fill("张三丰")
    page.get_by_label("证件号码").fill(ric)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-id_number .invalid-feedback")).to_have_text("该证件号码已登记（每人只能登记一次）")
    assert people_count() == 1


def test_official_reveals_the_full_id_number_in_place_and_the_reveal_is_audited(app, ctx, page):
    factories.municipal_official(username="chen", display_name="陈主任")
    ric = factories.valid_ric()
    person_id = factories.person("周杰", id_number=ric).id
    signed_in_as(page, "chen")
    page.goto(f"/people/{person_id}")
    expect(page.locator("#id-number")).to_have_text(MASKED_ID)
    set_window_marker(page)

    page.get_by_role("button", name="查看完整号码").click()
    expect(page.locator("#id-number")).to_have_text(ric)
    expect(page.get_by_role("button", name="查看完整号码")).to_have_count(0)
    assert page.url.endswith(f"/people/{person_id}")
    assert window_marker_survived(page), "the reveal reloaded the whole page"
    screenshot(page, "person-revealed")

    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity_type == "people")).all()
    assert actions == ["reveal_id_number"]


def test_enterprise_hr_sees_only_own_employees_and_no_reveal_button(app, ctx, page):
    own = factories.org(name="上海松韵电气有限公司", district=District.SONGJIANG)
    other = factories.org(name="上海奉城生物医药有限公司", district=District.FENGXIAN)
    factories.user(own, Role.ENTERPRISE_HR, username="hr")
    mine = factories.person("吴芳", employer=own).id
    factories.person("郑强", employer=other)
    signed_in_as(page, "hr")
    page.goto("/people")
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["吴芳"])
    page.get_by_role("link", name="吴芳").click()
    page.wait_for_url(f"**/people/{mine}")
    expect(page.locator("#id-number")).to_have_text(MASKED_ID)
    expect(page.get_by_role("button", name="查看完整号码")).to_have_count(0)
    expect(page.locator(".history")).to_have_count(0)


def test_district_official_sees_only_people_employed_in_their_district(app, ctx, page, expected_statuses):
    expected_statuses.add(403)
    factories.district_official(District.JIADING, username="jd")
    ric = factories.valid_ric(District.JIADING)
    dongpu = factories.org(name="上海东浦汽车零部件有限公司", district=District.JIADING)
    shengang = factories.org(name="上海申港精密机械有限公司", district=District.PUDONG)
    jiading_id = factories.person("嘉定人", id_number=ric, employer=dongpu).id
    pudong_id = factories.person("浦东人", employer=shengang).id
    factories.person("无单位的人")
    signed_in_as(page, "jd")
    page.goto("/people")
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["嘉定人"])
    page.get_by_role("link", name="嘉定人").click()
    page.wait_for_url(f"**/people/{jiading_id}")
    page.get_by_role("button", name="查看完整号码").click()
    expect(page.locator("#id-number")).to_have_text(ric)
    page.goto(f"/people/{pudong_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("没有权限")


def test_official_adds_a_certificate_and_the_person_gets_that_level(app, ctx, page):
    factories.municipal_official(username="chen")
    factories.occupation("6-18-01-01", "车工")
    person_id = factories.person("冯刚").id
    signed_in_as(page, "chen")
    page.goto(f"/people/{person_id}")
    expect(page.locator("#certificate-rows .empty")).to_have_text("暂无证书")
    form = page.locator("#certificate-form")
    expect(form).to_be_hidden()

    page.locator("details.add-panel summary").click()
    form.get_by_label("等级").select_option(label="高级工（三级）")
    form.get_by_label("职业（工种）").select_option(label="6-18-01-01 车工")
    form.get_by_label("发证机构").fill("上海市职业技能鉴定中心")
    form.get_by_label("证书编号").fill("S2024-000123")
    form.get_by_label("发证日期").fill("2099-01-01")
    form.get_by_role("button", name="添加证书").click()
    expect(page.locator(".field-issued_on .invalid-feedback")).to_have_text("发证日期不能晚于今天")
    htmx_settled(page)
    expect(page.locator("#certificate-form")).to_be_visible()  # the panel stays open on an error

    page.locator("#certificate-form").get_by_label("发证日期").fill("2024-03-01")
    page.locator("#certificate-form").get_by_role("button", name="添加证书").click()
    expect(page.locator("#flash-messages")).to_contain_text("已添加证书")
    expect(page.locator("#certificate-rows tbody tr")).to_have_count(1)
    expect(page.locator("#certificate-rows tbody tr")).to_contain_text("6-18-01-01 车工")
    expect(page.locator("h1 .level-badge")).to_have_text("高级工（三级）")
    expect(fact(page, "当前技能等级")).to_have_text("高级工（三级）")
    screenshot(page, "person-certificate")


def test_editing_a_person_keeps_the_id_left_blank_and_shows_the_new_masked_phone(app, ctx, page):
    factories.municipal_official(username="chen")
    ric = factories.valid_ric()
    person_id = factories.person("陈晨", id_number=ric, phone="13812345678").id
    signed_in_as(page, "chen")
    page.goto(f"/people/{person_id}")
    page.get_by_role("link", name="编辑").click()
    page.wait_for_url(f"**/people/{person_id}/edit")
    expect(page.get_by_label("证件号码")).to_have_value("")
    expect(page.locator(".field-id_number .form-text")).to_contain_text(ric[:3] + "*" * 13 + ric[-2:])
    assert ric not in page.content()
    screenshot(page, "person-edit")

    page.get_by_label("手机号").fill("13700001111")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/people/{person_id}")
    expect(fact(page, "手机号")).to_have_text("137****1111")
    expect(page.locator("#id-number")).to_have_text(ric[:3] + "*" * 13 + ric[-2:])
    expect(page.locator(".history tbody tr").first.locator("td").nth(2)).to_have_text("修改")


def test_export_downloads_the_filtered_list_with_masked_numbers_only(app, ctx, page):
    factories.municipal_official(username="chen")
    ric = factories.valid_ric()
    factories.person("褚红", id_number=ric, phone="13812345678")
    factories.person("卫东")
    signed_in_as(page, "chen")
    page.goto("/people?q=褚")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出当前列表").click()
    download = download_info.value
    assert download.suggested_filename.startswith("people-") and download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        sheet = load_workbook(BytesIO(fh.read()), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["姓名", "证件类型", "证件号码（脱敏）"]
    assert [r[0] for r in rows[1:]] == ["褚红"]
    assert rows[1][2] == ric[:3] + "*" * 13 + ric[-2:]
    assert rows[1][5] == "138****5678"


def test_switching_to_english_shows_english_labels_on_the_people_page(app, ctx, page):
    factories.municipal_official(username="chen")
    factories.person("蒋伟", level=SkillLevel.LEVEL_2)
    signed_in_as(page, "chen")
    page.goto("/people")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People (real-name register)")
    assert page.locator("html").get_attribute("lang") == "en"
    assert urlsplit(page.url).path == "/people"
    expect(page.get_by_role("link", name="Register person")).to_be_visible()
    headers = page.locator("#people-results thead th").all_inner_texts()
    assert "ID number" in headers and "Mobile" in headers and "Employer" in headers
    assert page.get_by_role("button", name="Search").is_visible()
    screenshot(page, "people-en")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人员（实名制）")


def test_correcting_a_persons_name_keeps_their_phone(app, ctx, page):
    factories.municipal_official(username="chen")
    ric = factories.valid_ric()
    person_id = factories.person("陈辰", id_number=ric, phone="13812345678").id
    signed_in_as(page, "chen")
    page.goto(f"/people/{person_id}/edit")
    page.get_by_label("姓名", exact=True).fill("陈晨")
    page.get_by_label("证件号码").fill(ric)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/people/{person_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("陈晨")
    assert fact(page, "手机号").inner_text() == "138****5678"
