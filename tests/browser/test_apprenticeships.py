"""企业新型学徒制 in a browser: an enterprise enrolls a class from Excel (one bad row refused, then fixed), attaches
the documents and submits; the district official approves; the advance is claimed; one apprentice withdraws (a
clawback line), another passes the assessment (a balance line); the ledger's totals match."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from playwright.sync_api import expect

from app.apprenticeships.imports import HEADERS, PLAN_HEADERS, PLAN_SHEET
from app.apprenticeships.models import SubsidyLine
from app.apprenticeships.rules import add_years
from app.core.enums import District, Role, SkillLevel
from app.core.views import today_in_shanghai
from app.extensions import db
from tests import apprenticeship_factories as af
from tests import factories
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


def class_sheet(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    plan = wb.create_sheet(PLAN_SHEET)
    plan.append(PLAN_HEADERS)
    plan.append(["安全生产与职业素养", "课堂", 60])
    plan.append(["数控车削理论", "课堂", 140])
    plan.append(["岗位技能实训", "岗位实践", 480])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def switch_user(page, username: str) -> None:
    page.context.clear_cookies()
    signed_in_as(page, username)


def row_status(page, name: str):
    return page.locator("#class-enrollments tbody tr", has_text=name).locator(".status-pill")


@pytest.mark.long
def test_a_class_goes_from_excel_to_approval_subsidies_clawback_balance_and_a_ledger_that_adds_up(app, ctx, page,
                                                                                                fixed_clock):
    af.policies()
    c = af.cast(District.HUANGPU)
    c.hr.username, c.official.username, c.college.username = "xu", "li", "zhao"
    factories.municipal_official(username="chen")
    db.session.commit()
    starts = today_in_shanghai() - timedelta(days=10)
    ends = add_years(starts, 1)
    numbers = [factories.valid_ric(birth=factories.date(2002, 3, 1 + i)) for i in range(3)]

    def row(name: str, number: str, mentor: str = "孙师傅") -> list[object]:
        return [name, "居民身份证", number, "新招用", "2026-01-01", "2029-12-31", mentor, "钱老师",
                starts.isoformat(), ends.isoformat(), ""]

    # The enterprise opens a class …
    signed_in_as(page, "xu")
    page.goto("/apprenticeships/")
    page.get_by_role("link", name="＋ 新建班级").click()
    page.get_by_label("班级名称").fill("2026级数控车工学徒班")
    page.get_by_label("培训机构").select_option(label="上海申江技师学院")
    page.get_by_label("目标等级").select_option(label="中级工（四级）")
    page.get_by_role("button", name="创建班级").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2026级数控车工学徒班")

    # … imports it from Excel: one row names a mentor who does not work there, so nothing is written …
    rows = [row("陈一鸣", numbers[0]), row("林晓", numbers[1]), row("周子豪", numbers[2], mentor="吴师傅")]
    upload = {"name": "学徒名单.xlsx", "mimeType": XLSX, "buffer": class_sheet(rows)}
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(upload)
    page.get_by_role("button", name="上传并导入").click()
    errors = page.locator("#class-import-errors")
    expect(errors.locator("tr.table-danger")).to_have_count(1)
    expect(errors.locator("tr.table-danger")).to_contain_text("企业导师「吴师傅」不是该单位职工")
    expect(page.locator("#class-enrollments tbody tr")).to_have_text(["班级中还没有学徒：请用 Excel 导入"])
    screenshot(page, "apprenticeships-import-bad-row")

    # … fixes the row and imports again.
    rows[2] = row("周子豪", numbers[2])
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(dict(upload, buffer=class_sheet(rows)))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#flash-messages")).to_contain_text("已导入 3 名学徒")
    expect(page.locator("#class-enrollments tbody tr")).to_have_count(3)

    # Submitting without documents is refused, naming what is missing.
    page.get_by_role("button", name="整班提交备案").click()
    expect(page.locator("#flash-messages")).to_contain_text("缺少文件：劳动合同")

    # The documents: one file per kind for the whole class (a fake "PDF" that is HTML is refused first).
    page.get_by_label("文件类型").select_option(label="劳动合同")
    page.get_by_label("文件（PDF、PNG 或 JPEG）").set_input_files(
        {"name": "劳动合同.pdf", "mimeType": "application/pdf", "buffer": b"<html>not a pdf</html>"})
    page.get_by_role("button", name="上传文件").click()
    expect(page.locator("#class-document")).to_contain_text("只接受 PDF、PNG 或 JPEG 文件")
    kinds = (("劳动合同", "劳动合同.pdf"), ("学徒培训合同（企业与学徒）", "学徒培训合同.pdf"),
             ("培训合作协议（企业与培训机构）", "合作协议.pdf"), ("培训计划", "培训计划.png"))
    for uploaded, (label, name) in enumerate(kinds, start=1):
        page.get_by_label("文件类型").select_option(label=label)
        content = af.PNG if name.endswith(".png") else af.PDF
        page.get_by_label("文件（PDF、PNG 或 JPEG）").set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": content})
        page.get_by_role("button", name="上传文件").click()
        expect(page.locator("#class-enrollments .docs-count")).to_have_text([f"{uploaded}/4"] * 3)
        expect(page.locator("#flash-messages")).to_contain_text("已为 3 名学徒附上文件")
    page.get_by_role("button", name="整班提交备案").click()
    expect(page.locator("#flash-messages")).to_contain_text("已为 3 名学徒提交备案")
    for name in ("陈一鸣", "林晓", "周子豪"):
        expect(row_status(page, name)).to_have_text("待审核")
    class_url = page.url
    screenshot(page, "apprenticeships-class-submitted")

    # The district official (黄浦区) approves the class.
    switch_user(page, "li")
    page.goto(class_url)
    page.get_by_role("button", name="整班审核通过").click()
    expect(page.locator("#flash-messages")).to_contain_text("已为 3 名学徒审核通过")
    expect(row_status(page, "林晓")).to_have_text("已备案")

    # The enterprise claims the advance: (5,000 + 黄浦区 3,000) × 50% each; training starts.
    switch_user(page, "xu")
    page.goto(class_url)
    page.get_by_role("button", name="申领预支").click()
    expect(page.locator("#flash-messages")).to_contain_text("已申领 3 名学徒的预支")
    expect(page.locator(".subsidy-lines tbody tr.line-advance .amount")).to_have_text(["4,000.00"] * 3)
    page.get_by_role("button", name="整班开始培训").click()
    expect(row_status(page, "陈一鸣")).to_have_text("培训中")

    # 林晓 withdraws: a clawback line for her advance.
    page.locator("#class-enrollments").get_by_role("link", name="林晓").click()
    page.get_by_label("退出原因").fill("个人原因离职")
    page.get_by_label("退出日期").fill((starts + timedelta(days=5)).isoformat())  # she left last week
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page.locator("#enrollment-status")).to_have_text("已退出")
    expect(page.locator("dl")).to_contain_text((starts + timedelta(days=5)).isoformat())
    expect(page.locator(".subsidy-lines tr.line-clawback .amount")).to_have_text("-4,000.00")
    expect(page.locator("#timeline")).to_contain_text("退出学徒培训")
    screenshot(page, "apprenticeships-withdrawn")

    # At the end of the year the institution records 陈一鸣's pass; the enterprise claims the balance
    # (a full year trained: the balance is the other half).
    fixed_clock(datetime.combine(ends - timedelta(days=3), time(2, 0), tzinfo=UTC))
    switch_user(page, "zhao")
    page.goto(class_url)
    page.locator("#class-enrollments").get_by_role("link", name="陈一鸣").click()
    page.get_by_label("认定结果").select_option(label="通过")
    page.get_by_label("证书编号").fill("S310000202600001")
    page.get_by_role("button", name="记录认定结果").click()
    expect(page.locator("#enrollment-status")).to_have_text("已认定")
    expect(page.locator("#assessment")).to_contain_text("通过 · 中级工（四级）")
    switch_user(page, "xu")
    page.goto(class_url)
    page.get_by_label("培训年度").select_option("1")
    page.get_by_role("button", name="申领尾款").click()
    expect(page.locator("#flash-messages")).to_contain_text("已申领 1 名学徒的尾款")
    expect(page.locator(".subsidy-lines tr.line-balance .amount")).to_have_text("4,000.00")
    screenshot(page, "apprenticeships-class-lines")

    # The official approves the claims; the ledger adds up to the lines.
    switch_user(page, "li")
    page.goto("/apprenticeships/ledger")
    expect(page.locator("#ledger-lines tbody tr")).to_have_count(5)
    for checkbox in page.locator("#ledger-lines tbody tr:not(.line-clawback) input[type=checkbox]").all():
        checkbox.check()
    page.get_by_role("button", name="核准所选").click()
    expect(page.locator("#flash-messages")).to_contain_text("已处理 4 条补贴记录")
    htmx_settled(page)
    total = page.locator("#ledger-total")
    expect(total.locator(".total-claimed")).to_have_text("16,000.00")
    expect(total.locator(".total-approved")).to_have_text("16,000.00")
    expect(total.locator(".total-paid")).to_have_text("0.00")
    expect(total.locator(".total-clawed-back")).to_have_text("-4,000.00")
    db.session.expire_all()
    amounts = db.session.scalars(sa.select(SubsidyLine.amount)).all()
    assert sum(a for a in amounts if a > 0) == Decimal("16000.00") and sum(amounts) == Decimal("12000.00")
    screenshot(page, "apprenticeships-ledger")

    # The city sees the same totals and its progress against the 60,000 target.
    switch_user(page, "chen")
    page.goto("/apprenticeships/ledger?group=district")
    expect(page.locator("#ledger-summary tbody tr")).to_have_count(1)
    expect(page.locator("#ledger-summary tbody tr")).to_contain_text("黄浦区")
    page.goto("/apprenticeships/")
    expect(page.locator("#plan-progress")).to_contain_text("60,000")
    screenshot(page, "apprenticeships-list")


def test_an_enterprise_enrolls_one_apprentice_by_the_form(app, ctx, page):
    af.policies()
    c = af.cast(District.HUANGPU)
    c.hr.username = "xu"
    db.session.commit()
    factories.person("何小伟", c.enterprise, level=SkillLevel.LEVEL_5)
    factories.user(c.enterprise, Role.MENTOR, username="sun", person_id=c.enterprise_mentor.id)
    signed_in_as(page, "xu")
    page.goto("/apprenticeships/new")
    page.get_by_label("学徒", exact=True).select_option(label=page.locator("#person_id option", has_text="何小伟")
                                                        .text_content())
    page.get_by_label("培训机构").select_option(label="上海申江技师学院")
    page.get_by_label("企业导师").select_option(label=page.locator("#enterprise_mentor_id option", has_text="孙师傅")
                                               .text_content())
    page.get_by_label("院校导师").select_option(label=page.locator("#institution_mentor_id option", has_text="钱老师")
                                               .text_content())
    page.get_by_label("劳动合同起始日").fill("2026-01-01")
    page.get_by_label("培训开始日期").fill("2026-03-01")
    page.get_by_label("培训结束日期").fill("2028-09-01")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".field-extension_reason .invalid-feedback")).to_contain_text("须说明延期原因")
    screenshot(page, "apprenticeships-form-error")
    page.get_by_label("延期原因（超过2年时必填）").fill("岗位技术复杂")
    # Two and a half years: 1,500 hours of which 400 in the classroom.
    page.get_by_label("计划学时 1").fill("200")
    page.get_by_label("计划学时 2").fill("200")
    page.get_by_label("计划学时 3").fill("1200")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#enrollment-status")).to_have_text("草稿")
    expect(page.locator(".mentor-enterprise")).to_contain_text("孙师傅 · 技师（二级）")
    expect(page.locator("#readiness")).to_contain_text("缺少文件：劳动合同")
    screenshot(page, "apprenticeships-enrollment-draft")
    switch_user(page, "sun")
    page.goto("/apprenticeships/")
    expect(page.locator("#enrollment-results tbody tr")).to_have_count(1)
    expect(page.locator("#enrollment-results tbody tr")).to_contain_text("何小伟")
