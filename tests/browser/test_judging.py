"""Judging in a browser: an organiser imports a marking scheme and sets up the panel; three experts score on a
tablet (one disagreement is flagged, then re-discussed); results lock with medals; the top five become a squad,
stage assessments narrow it, and the final competitor is registered for the upper event."""

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.competitions.events.models import AwardRuleKind, CompetitionLevel
from app.competitions.judging.imports import HEADERS
from app.competitions.judging.models import Contestant
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.enums import Role
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser

SCHEME = [
    ["A", "零件加工", "A1", "尺寸", "主要尺寸在公差内", "M", 60, "每个尺寸超差扣相应分值", "", "", "", ""],
    ["B", "职业素养", "B1", "安全", "安全文明生产", "J", 40, "", "未完成", "基本符合", "符合标准", "优秀"],
]
MEASURED = {1: "58", 2: "55.5", 3: "52", 4: "47", 5: "40", 6: "30"}


def setup_event():
    upper = cf.event(cf.competition(level=CompetitionLevel.NATIONAL, name="全国技能大赛"), name="数控车（全国）",
                     starts=date(2027, 6, 1))
    ev = cf.event(cf.competition(name="上海市职业技能大赛"), name="数控车", feeds_event_id=upper.id, feeds_top_n=5,
                  award_rule=AwardRuleKind.NATIONAL)
    for i in range(6):
        unit = factories.org(name=f"参赛单位{i + 1}")
        cf.registration(ev, factories.person(f"选手{i + 1}", employer=unit), unit, status=RegistrationStatus.APPROVED)
    factories.user(ev.competition.organiser, Role.ORGANIZER, username="zhou", display_name="周组织")
    college = factories.org(name="上海申江技师学院")
    for n in (1, 2, 3):
        factories.user(college, Role.EXPERT, username=f"expert{n}", display_name=f"专家{n}")
    return ev, upper


def switch_user(page, username: str) -> None:
    page.context.clear_cookies()
    signed_in_as(page, username)


def score_as(page, username: str, ev, judgement: dict[int, int], measure: bool = False) -> None:
    switch_user(page, username)
    page.set_viewport_size({"width": 1024, "height": 768})  # a tablet
    page.goto("/competitions/judging/mine")
    page.get_by_role("link", name="去评分").click()
    expect(page.locator("h1")).to_contain_text("A1 主要尺寸在公差内")
    if measure:
        for bib, value in MEASURED.items():
            box = page.get_by_label(f"赛位 {bib} 测量得分")
            box.fill(value)
            box.press("Tab")
            expect(page.locator(f"tr:has(td.bib:text-is('{bib}')) .saved")).to_be_visible()
            htmx_settled(page)
    page.get_by_role("link", name="下一项").click()
    expect(page.locator("h1")).to_contain_text("B1 安全文明生产")
    for bib, value in judgement.items():
        group = page.get_by_role("group", name=f"赛位 {bib} 评分")
        group.get_by_role("button", name=str(value), exact=True).click()
        expect(group.get_by_role("button", name=str(value), exact=True)).to_have_attribute("aria-pressed", "true")
        htmx_settled(page)


@pytest.mark.long
def test_scheme_scoring_results_squad_and_the_final_pick(app, ctx, page):
    ev, upper = setup_event()
    signed_in_as(page, "zhou")
    page.goto(f"/competitions/events/{ev.id}")
    page.get_by_role("link", name="评分与裁判").click()
    page.get_by_label("评分方案（.xlsx）").set_input_files(
        files=[{"name": "scheme.xlsx", "mimeType": "application/octet-stream",
                "buffer": factories.xlsx(HEADERS, SCHEME)}])
    page.get_by_role("button", name="导入评分方案").click()
    expect(page.locator("#scheme-total")).to_have_text("100.00")
    for n in (1, 2, 3):
        page.get_by_label("裁判专家").select_option(label=f"专家{n}（上海申江技师学院）")
        page.get_by_role("button", name="加入裁判组").click()
        expect(page.locator("#expert-table")).to_contain_text(f"专家{n}")
    screenshot(page, "judging-desk")
    page.get_by_role("button", name="抽签并开始评分").click()
    expect(page.locator("#judging-state")).to_have_text("评分中")

    bib_of = {c.name: c.bib for c in db.session.scalars(sa.select(Contestant))}
    by_bib = {bib: 3 if bib <= 2 else 2 if bib <= 4 else 1 for bib in range(1, 7)}
    score_as(page, "expert1", ev, by_bib, measure=True)
    expect(page.locator("#score-progress")).to_contain_text("已评 12 / 12")
    score_as(page, "expert2", ev, by_bib)
    disagreeing = by_bib | {3: 0}  # two judges gave 2: a 0 is more than one point away
    score_as(page, "expert3", ev, disagreeing)
    row = page.locator("tr:has(td.bib:text-is('3'))")
    expect(row).to_contain_text("分差大于 1，请合议")
    screenshot(page, "judging-score-sheet-flagged")
    page.get_by_role("group", name="赛位 3 评分").get_by_role("button", name="1", exact=True).click()
    expect(row).not_to_contain_text("分差大于 1")

    page.set_viewport_size({"width": 1366, "height": 900})
    switch_user(page, "zhou")
    page.goto(f"/competitions/events/{ev.id}/results")
    expect(page.locator(".alert-info")).to_contain_text("已完成 12 / 12 项评分")
    page.get_by_role("button", name="锁定成绩并生成奖项").click()
    expect(page.locator("#judging-state")).to_have_text("成绩已锁定")
    rows = page.locator(".results-table tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(0)).to_contain_text("金牌")
    expect(rows.nth(1)).to_contain_text("银牌")
    expect(rows.nth(2)).to_contain_text("铜牌")
    expect(rows.nth(3)).not_to_contain_text("牌")  # national rule: top half of 6 is 3, all medallists
    expect(page.locator(".result-count")).to_contain_text("金牌 1 银牌 1 铜牌 1")
    screenshot(page, "judging-results")

    page.get_by_role("link", name="选拔集训队").click()
    page.get_by_label("集训队名称").fill("上海市世赛集训队（数控车）")
    page.get_by_label("梯队").fill("第一梯队")
    page.get_by_label("最终参加的上一级赛项").select_option(str(upper.id))
    page.get_by_role("button", name="组建集训队").click()
    expect(page.locator(".squad-table tbody tr")).to_have_count(5)

    page.get_by_label("考核名称").fill("五进二")
    page.get_by_label("考核日期").fill("2027-02-01")
    page.get_by_label("晋级人数").fill("2")
    page.get_by_role("button", name="添加").click()
    page.get_by_role("link", name="录入考核结果").click()
    name_of = {bib: name for name, bib in bib_of.items()}
    for bib, value in {1: "80", 2: "92", 3: "88", 4: "70", 5: "60"}.items():
        page.get_by_label(f"{name_of[bib]} 的成绩").fill(value)
    page.get_by_role("button", name="按成绩勾选晋级者").click()
    expect(page.get_by_label(f"{name_of[2]} 晋级")).to_be_checked()
    expect(page.get_by_label(f"{name_of[1]} 晋级")).not_to_be_checked()
    expect(page.get_by_label(f"{name_of[1]} 离队原因")).to_have_value("五进二 未晋级")
    page.get_by_role("button", name="确认去留").click()
    expect(page.locator(".squad-table")).to_contain_text("已离队")
    screenshot(page, "judging-squad-after-stage")

    page.get_by_label("考核名称").fill("二进一")
    page.get_by_label("考核日期").fill("2027-03-01")
    page.get_by_label("晋级人数").fill("1")
    page.get_by_role("button", name="添加").click()
    page.get_by_role("link", name="录入考核结果").click()
    page.get_by_label(f"{name_of[2]} 的成绩").fill("85")
    page.get_by_label(f"{name_of[3]} 的成绩").fill("90")
    page.get_by_role("button", name="按成绩勾选晋级者").click()
    expect(page.get_by_label(f"{name_of[3]} 晋级")).to_be_checked()
    page.get_by_role("button", name="确认去留").click()
    expect(page.locator(".stage-list")).not_to_contain_text("录入考核结果")
    page.get_by_role("button", name="确定最终人选并报名上一级赛项").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已入选并报名上一级赛项：{name_of[3]}")

    factories.municipal_official(username="official")
    switch_user(page, "official")
    page.goto(f"/competitions/events/{upper.id}")
    expect(page.locator("#registration-results")).to_contain_text(name_of[3])
    expect(page.locator("#registration-results")).to_contain_text("已通过")
    screenshot(page, "judging-final-pick-registered-above")
    registered = db.session.scalar(sa.select(Registration).where(Registration.event_id == upper.id))
    assert registered.person.name == name_of[3] and registered.status is RegistrationStatus.APPROVED
