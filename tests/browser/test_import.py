"""Excel import of people: template download, upload, a preview of every bad row with its reason, confirm."""

import re
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.core.enums import District, Role
from app.core.models import Person
from app.extensions import db
from tests import factories
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser

HEADERS = ["姓名*", "证件类型", "证件号码*", "手机号", "工作单位（统一社会信用代码或名称）", "出生日期", "性别"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"



def digits_only_ric(**kwargs) -> str:
    """A valid 身份证号 without the X check character, so it can also be written as a number."""
    while True:
        number = factories.valid_ric(**kwargs)
        if number.isdigit():
            return number


def xlsx(rows: list[list[object]], headers: list[str] = HEADERS) -> bytes:
    return factories.xlsx(headers, rows)


def upload(page, content: bytes, name: str = "人员名单.xlsx", mime: str = XLSX) -> None:
    page.get_by_label("Excel 文件（.xlsx）").set_input_files({"name": name, "mimeType": mime, "buffer": content})
    page.get_by_role("button", name="上传并检查").click()


def download_template(page):
    """Click the template link on the import page; the first worksheet of the downloaded file."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载导入模板").click()
    download = download_info.value
    assert download.suggested_filename == "people-import-template.xlsx"
    with open(download.path(), "rb") as fh:
        return load_workbook(BytesIO(fh.read())).worksheets[0]


def people_names() -> list[str]:
    return sorted(db.session.scalars(sa.select(Person.name)))


def test_import_with_bad_rows_lists_each_with_its_reason_and_imports_only_the_valid_rows(app, ctx, page):
    factories.municipal_official(username="chen")
    factories.org(name="上海临江智能装备股份有限公司", district=District.MINHANG)
    good_1, good_2 = factories.valid_ric(), factories.valid_ric(District.PUDONG, date(1985, 3, 9), male=False)
    numeric = digits_only_ric(birth=date(1992, 7, 1))
    bad_check = factories.valid_ric()
    bad_check = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")
    content = xlsx([
        ["沈一", "居民身份证", good_1, "13800001111", "上海临江智能装备股份有限公司", None, None],
        ["韩二", None, good_2, None, None, None, None],
        ["杨三", "居民身份证", int(numeric), None, None, None, None],
        ["朱四", "居民身份证", bad_check, None, None, None, None],
        [None, "居民身份证", factories.valid_ric(), None, None, None, None],
        ["秦五", "居民身份证", factories.valid_ric(), None, "不存在的公司", None, None],
    ])
    signed_in_as(page, "chen")
    page.goto("/people")
    page.get_by_role("link", name="Excel 导入").click()
    page.wait_for_url("**/people/import")
    upload(page, content)

    expect(page.locator("#import-preview .summary")).to_contain_text("可导入 2 行")
    expect(page.locator("#import-preview .summary")).to_contain_text("有误 4 行")
    rows = page.locator("#import-errors tbody tr")
    expect(rows).to_have_count(4)
    reasons = {r.locator("td").nth(0).inner_text(): r.locator("td").nth(3).inner_text() for r in rows.all()}
    assert "被存成了数字" in reasons["4"]
    assert reasons["5"] == "身份证号校验位不正确"
    assert reasons["6"].startswith("缺少姓名")
    assert reasons["7"] == "工作单位不存在或不在您的管辖范围：不存在的公司"
    # Excel kept only 15 significant digits, so even the masked tail shows what was lost.
    expect(rows.filter(has_text="杨三").locator("td").nth(2)).to_have_text(re.compile(r"^310\*{13}\d{2}$"))
    expect(page.get_by_text("文件有误，整份文件不会导入")).to_be_visible()
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    page_text = page.content()
    assert good_1 not in page_text and numeric not in page_text and bad_check not in page_text
    screenshot(page, "import-preview-bad-rows")
    assert people_names() == []

    page.get_by_role("button", name="只导入无误的 2 行").click()
    page.wait_for_url("**/people")
    expect(page.locator("#flash-messages")).to_contain_text("已导入 2 人")
    expect(page.locator("#people-results tbody tr td:first-child a")).to_have_text(["韩二", "沈一"])
    row = page.locator("#people-results tbody tr", has_text="沈一")
    expect(row).to_contain_text("上海临江智能装备股份有限公司")
    expect(row).to_contain_text("138****1111")
    screenshot(page, "import-done")
    assert people_names() == ["沈一", "韩二"]


def test_a_fully_valid_file_imports_with_confirm_and_skips_people_already_registered(app, ctx, page):
    factories.municipal_official(username="chen")
    already = factories.valid_ric()
    factories.person("许六", id_number=already)
    signed_in_as(page, "chen")
    page.goto("/people/import")
    upload(page, xlsx([
        ["何七", "居民身份证", factories.valid_ric(District.JINGAN, date(2001, 12, 31)), "13700007777"],
        ["吕八", "护照", "E12345678", None, None, "1990-06-15", "女"],
        ["许六", "居民身份证", already],
    ]))
    summary = page.locator("#import-preview .summary")
    expect(summary).to_contain_text("可导入 2 行")
    expect(summary).to_contain_text("已登记（跳过）1 行")
    expect(summary).to_contain_text("有误 0 行")
    expect(page.locator("#import-errors")).to_have_count(0)
    expect(page.get_by_role("button", name="只导入无误的")).to_have_count(0)
    screenshot(page, "import-preview-ok")

    page.get_by_role("button", name="确认导入 2 人").click()
    page.wait_for_url("**/people")
    expect(page.locator("#flash-messages")).to_contain_text("已导入 2 人")
    assert people_names() == ["何七", "吕八", "许六"]
    passport_holder = page.locator("#people-results tbody tr", has_text="吕八")
    expect(passport_holder.locator("td").nth(2)).to_have_text("女")
    expect(passport_holder.locator("td").nth(3)).to_have_text("1990")  # the list shows the birth year only


def test_the_downloaded_template_has_the_import_headers_and_a_text_id_column(app, ctx, page):
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    page.goto("/people/import")
    ws = download_template(page)
    assert [c.value for c in ws[1]] == HEADERS
    assert ws["C2"].number_format == "@", "the ID column must be text in the template"
    assert ws["D2"].number_format == "@", "the phone column must be text in the template"


def test_the_downloaded_template_filled_in_below_its_example_row_imports_cleanly(app, ctx, page):
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    page.goto("/people/import")
    ws = download_template(page)
    assert ws["A2"].value == "张三", "the example row should sit right under the header"
    ws.delete_rows(2)  # the example row, as the template's notes ask
    for row, values in enumerate([["何七", "居民身份证", factories.valid_ric(), "13700007777"]], start=2):
        for column, value in enumerate(values, start=1):
            ws.cell(row=row, column=column, value=value)
    buf = BytesIO()
    ws.parent.save(buf)
    upload(page, buf.getvalue(), name="template-filled.xlsx")
    expect(page.locator("#import-preview .summary")).to_contain_text("有误 0 行")


def test_uploading_a_file_that_is_not_the_template_shows_the_error_by_the_file_field(app, ctx, page):
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    page.goto("/people/import")
    upload(page, b"name,id\n", name="people.csv", mime="text/csv")
    expect(page.locator(".field-file .invalid-feedback")).to_have_text("只支持 .xlsx 文件")
    htmx_settled(page)

    upload(page, xlsx([["张三", "110101199003071234"]], headers=["名字", "身份证"]))
    expect(page.locator(".field-file .invalid-feedback")).to_have_text("表头与模板不一致，请使用下载的模板")
    expect(page.locator("#import-preview")).to_have_count(0)


def test_enterprise_hr_imports_people_into_their_own_unit(app, ctx, page):
    own = factories.org(name="上海云栖餐饮管理有限公司", district=District.HUANGPU)
    factories.user(own, Role.ENTERPRISE_HR, username="hr")
    signed_in_as(page, "hr")
    page.goto("/people/import")
    upload(page, xlsx([["施九", "居民身份证", factories.valid_ric(District.HUANGPU)]]))
    page.get_by_role("button", name="确认导入 1 人").click()
    page.wait_for_url("**/people")
    expect(page.locator("#people-results tbody tr", has_text="施九")).to_contain_text("上海云栖餐饮管理有限公司")


def test_a_row_without_a_name_is_reported_once(app, ctx, page):
    factories.municipal_official(username="chen")
    signed_in_as(page, "chen")
    page.goto("/people/import")
    upload(page, xlsx([[None, "居民身份证", factories.valid_ric()]]))
    reason = page.locator("#import-errors tbody tr td:nth-child(4)")
    expect(reason).to_contain_text("缺少姓名")
    assert reason.inner_text().strip() == "缺少姓名"
