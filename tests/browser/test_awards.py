"""Award incentives in a browser: an official generates awards from locked results, publishes the 公示, records
an objection, approves the rest, exports the payment file and marks it paid; the champion is promoted."""

from datetime import date, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.competitions.awards.models import AwardNotice
from app.competitions.judging import services as judging
from app.core.enums import SkillLevel
from app.core.models import Person
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.browser.conftest import screenshot, signed_in_as

pytestmark = pytest.mark.browser


@pytest.mark.long
def test_official_takes_awards_from_results_through_notice_objection_approval_and_payment(app, ctx, page):
    ev, aspects, panel, organiser = cf.judged_event(n=4, aspects=[("A", "M", "100")], experts=1)
    for person in db.session.scalars(sa.select(Person)):
        person.current_level = SkillLevel.LEVEL_3
    db.session.commit()
    cf.score_all(ev, aspects, panel, {b: [str(95 - 5 * b)] for b in range(1, 5)})
    judging.lock_results(organiser, ev, utcnow())
    cf.award_rule(band="gold", competitor_amount="10000", expert_team_amount="5000", promotion="to_level",
                  promotion_level=SkillLevel.LEVEL_2, promotion_alt_level=SkillLevel.LEVEL_1, name="市赛金牌")
    cf.award_rule(band="silver", competitor_amount="6000", name="市赛银牌")
    results = judging.results(ev)
    champion, runner_up = (results[i].contestant.members[0].person for i in (0, 1))
    factories.municipal_official(username="official", display_name="陈主任")

    signed_in_as(page, "official")
    page.goto(f"/competitions/events/{ev.id}/results")
    page.get_by_role("link", name="竞赛奖励").click()
    expect(page.locator("#preview-total")).to_have_text("21,000.00")
    screenshot(page, "awards-preview")
    page.get_by_role("button", name="生成以上奖励（草稿）").click()
    lines = page.locator("#award-lines tbody tr")
    expect(lines).to_have_count(3)
    expect(lines.first).to_contain_text("草稿")

    page.get_by_role("button", name="发布公示").click()  # from today, for five working days
    expect(page.locator("#award-lines")).to_contain_text("公示中")
    notice = page.get_by_role("link", name=f"{ev.competition.name} {ev.name} 奖励公示")
    notice_html = page.request.get(notice.get_attribute("href")).text()
    assert champion.name in notice_html and "10,000.00" in notice_html

    silver_row = page.locator("#award-lines tbody tr", has_text=runner_up.name)
    silver_row.get_by_label(f"{runner_up.name} 的异议").fill("有选手反映其作品非独立完成")
    silver_row.get_by_role("button", name="登记异议").click()
    expect(page.locator("#award-lines tbody tr", has_text=runner_up.name)).to_contain_text("异议暂缓")
    page.get_by_role("button", name="批准公示期满的奖励").click()
    expect(page.locator(".alert-danger")).to_contain_text("公示期满后才能批准")

    notice_row = db.session.scalar(sa.select(AwardNotice))  # two weeks pass
    notice_row.starts_on, notice_row.ends_on = date.today() - timedelta(days=14), date.today() - timedelta(days=8)
    db.session.commit()
    page.goto(f"/competitions/events/{ev.id}/awards")
    page.get_by_role("button", name="批准公示期满的奖励").click()
    expect(page.locator(".alert-success")).to_contain_text("已批准 2 条奖励")
    expect(page.locator("#award-lines tbody tr", has_text=champion.name)).to_contain_text("已批准")
    screenshot(page, "awards-approved-with-objection")

    page.get_by_role("link", name="技能竞赛", exact=True).click()
    page.get_by_role("link", name="奖励台账").click()
    expect(page.locator("#ledger-total")).to_have_text("21,000.00")
    page.get_by_role("button", name="生成支付批次（待支付 2 笔）").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载支付文件").click()
    sheet = load_workbook(BytesIO(download.value.path().read_bytes())).active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert champion.name in names and runner_up.name not in names
    assert sheet.cell(sheet.max_row, 6).value == 15000
    page.get_by_role("button", name="标记整批已发放").click()
    expect(page.locator("#batches .award-paid")).to_contain_text("已发放")
    expect(page.get_by_role("button", name="标记整批已发放")).to_have_count(0)
    screenshot(page, "awards-ledger-paid")

    page.goto(f"/people/{champion.id}")
    expect(page.locator(".level-badge")).to_have_text("技师（二级）")
    expect(page.locator(".record-awards")).to_contain_text("已发放")
