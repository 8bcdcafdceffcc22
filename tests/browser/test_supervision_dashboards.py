"""The new dashboards in a browser: each tab drawn at 1366×768 (screenshots looked at), the subsidy tab filtered
to a district, a bar opening the ledger behind it; a new risk prompt marked reviewed."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from app.apprenticeships.enums import EnrollmentStatus, SubsidyKind, SubsidyStatus
from app.apprenticeships.models import SubsidyLine
from app.core.enums import District, OrgKind
from app.extensions import db
from tests import apprenticeship_factories as af
from tests import factories
from tests import mentor_hours_factories as mf
from tests import training_base_factories as tf
from tests.browser.conftest import screenshot, signed_in_as
from tests.web.test_mentor_hours_dashboard import sheet
from tests.web.test_supervision_dashboards import enrollment_row
from tests.web.test_supervision_risks import second_enrollment

pytestmark = pytest.mark.browser


def some_of_everything() -> None:
    af.policies()
    tf.policies()
    for district, name in ((District.PUDONG, "上海市浦东新区数控技术集训基地"), (District.XUHUI, "徐汇焊接集训基地")):
        base = tf.base(factories.org(OrgKind.TECHNICIAN_COLLEGE, district), name=name)
        coach, _u = tf.coach(base)
        camp = tf.camp(base, [factories.person("选手甲"), factories.person("选手乙")], starts=date(2026, 3, 1))
        facility = tf.facility(base, capacity=4)
        for i in range(4 if district is District.PUDONG else 2):
            s = tf.session(camp, facility, coach, [], tf.at(date(2026, 3, 2) + timedelta(days=i), 9), hours=3)
            tf.log(s, "2.5")
    for i, district in enumerate([District.PUDONG, District.PUDONG, District.XUHUI, District.HUANGPU,
                                  District.PUDONG, District.MINHANG]):
        e = enrollment_row(district, date(2026, 1 + i * 2, 1), EnrollmentStatus.IN_TRAINING)
        for kind, status, amount in ((SubsidyKind.ADVANCE, SubsidyStatus.PAID, "2500"),
                                     (SubsidyKind.BALANCE, SubsidyStatus.CLAIMED, "2500")):
            db.session.add(SubsidyLine(enrollment_id=e.id, enterprise_id=e.enterprise_id, district=district,
                                       training_year=1, year=2026, kind=kind, amount=Decimal(amount),
                                       standard=Decimal("5000"), months=12, status=status))
    enrollment_row(District.PUDONG, date(2024, 5, 1), EnrollmentStatus.COMPLETED, ends=date(2026, 5, 1))
    db.session.commit()


def test_official_filters_a_new_dashboard_clicks_a_bar_and_reviews_a_new_risk(app, ctx, page):
    some_of_everything()
    first = enrollment_row(District.PUDONG, date(2026, 1, 1), EnrollmentStatus.COMPLETED, ends=date(2027, 1, 1))
    second_enrollment(first, District.PUDONG, date(2026, 6, 1), date(2027, 6, 1))  # two programmes at once
    factories.municipal_official(username="official")

    page.set_viewport_size({"width": 1366, "height": 768})
    signed_in_as(page, "official")
    for tab in ("training_bases", "apprenticeships", "subsidies"):
        page.goto(f"/supervision/?tab={tab}&year=2026")
        expect(page.locator("[data-dashboard-chart] canvas").first).to_be_visible()
        page.wait_for_timeout(300)
        screenshot(page, f"supervision-dashboard-{tab}")

    page.goto("/supervision/?year=2026")
    page.get_by_role("link", name="补贴申领与拨付").click()
    expect(page).to_have_url(re.compile(r"tab=subsidies"))
    page.get_by_label("区", exact=True).select_option(label="浦东新区")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"tab=subsidies.*district=pudong"))
    expect(page.locator("#subsidy-districts tbody tr")).to_have_count(1)
    chart = page.locator("[data-dashboard-chart='bars']")
    expect(chart.locator("canvas")).to_be_visible()
    page.wait_for_timeout(300)  # ECharts lays the bars out after the canvas appears
    box = chart.bounding_box()
    # One district, two bars side by side: the left one (claimed) is the taller; click low down in it.
    page.mouse.click(box["x"] + 56 + (box["width"] - 80) / 2 - 30, box["y"] + box["height"] - 60)
    expect(page).to_have_url(re.compile(r"/apprenticeships/ledger\?year=2026&district=pudong"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("补贴")

    page.goto("/supervision/risks?kind=overlapping_enrollments")
    row = page.locator("#risk-desk tbody tr").first
    expect(row).to_contain_text("同时在两个学徒培训项目中")
    row.get_by_placeholder("核查说明").fill("前一项目已提前结业，属正常衔接")
    row.get_by_role("button", name="标记已核查").click()
    expect(page.locator("#risk-desk")).to_contain_text("没有风险提示")
    page.get_by_label("核查状态").select_option("reviewed")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#risk-desk")).to_contain_text("前一项目已提前结业，属正常衔接")


def test_official_opens_the_mentor_hours_tab_and_a_months_hours_lead_to_the_month_sheets(app, ctx, page):
    huangpu = mf.setup(District.HUANGPU)
    pudong = mf.setup(District.PUDONG, prefix="浦东", policies=False)
    for month, hours, allowance in ((2, "30", "1500.00"), (3, "42.5", "2000.00"), (4, "18", "900.00")):
        sheet(huangpu, date(2026, month, 1), hours, allowance)
        sheet(pudong, date(2026, month, 1), str(Decimal(hours) / 2), str(Decimal(allowance) / 2))
    factories.municipal_official(username="official")

    page.set_viewport_size({"width": 1366, "height": 768})
    signed_in_as(page, "official")
    page.goto("/supervision/?year=2026")
    page.get_by_role("link", name="导师带徒").click()
    expect(page).to_have_url(re.compile(r"tab=mentor_hours"))
    expect(page.locator("[data-dashboard-chart] canvas")).to_have_count(2)
    page.wait_for_timeout(300)
    screenshot(page, "supervision-dashboard-mentor_hours")
    page.locator("#mentor-hour-months tr", has_text="3月").get_by_role("link", name="63.75").click()
    expect(page).to_have_url(re.compile(r"/supervision/mentor-months\?year=2026&month=3"))
    expect(page.locator("#mentor-month-list tbody tr")).to_have_count(2)
    expect(page.locator("#mentor-month-list")).to_contain_text(pudong.enrollment.person.name)
