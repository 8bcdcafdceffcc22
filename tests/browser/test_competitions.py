"""The competition pyramid in a browser: an organizer sets up a competition and its events, a unit enters people
one by one or from an Excel sheet, the organizer reviews them, the athlete sees the outcome."""

import re
from datetime import date, datetime, timedelta
from io import BytesIO
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.competitions.events.models import CompetitionLevel, Event, Locality
from app.competitions.registration.imports import HEADERS
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.enums import District, OrgKind, Role, SkillLevel
from app.core.models import Person
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.browser.conftest import (
    htmx_settled,
    screenshot,
    set_window_marker,
    sign_in,
    signed_in_as,
    window_marker_survived,
)

pytestmark = pytest.mark.browser

BEIJING = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVENT_URL = re.compile(r"/competitions/events/\d+$")


# ---------------------------------------------------------------- helpers

def this_year() -> int:
    return datetime.now(BEIJING).year


def xlsx(rows: list[list[object]]) -> bytes:
    return factories.xlsx(HEADERS, rows)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def organizer(username: str = "zhou") -> tuple:
    """An industry association whose organizer runs competitions."""
    association = factories.org(OrgKind.ASSOCIATION, District.JINGAN, name="上海市机械工程学会")
    return association, factories.user(association, Role.ORGANIZER, username=username, display_name="周组织")


def enterprise(username: str = "hr") -> tuple:
    """An enterprise whose HR enters its employees."""
    unit = factories.org(name="上海申港精密机械有限公司", district=District.MINHANG)
    return unit, factories.user(unit, Role.ENTERPRISE_HR, username=username, display_name="许人事")


def employee(name: str, unit, born: date = date(2005, 6, 1), level: SkillLevel | None = SkillLevel.LEVEL_3,
             id_number: str | None = None) -> Person:
    return factories.person(name, employer=unit, id_number=id_number or factories.valid_ric(birth=born),
                            level=level)


def registration_rows(page):
    return page.locator("#registration-results tbody tr")


def registration_row(page, name: str):
    return page.locator("#registration-results tbody tr", has_text=name)


def status_of(page, name: str):
    return registration_row(page, name).locator(".status-pill")


def choose_person(page, name: str) -> None:
    """Pick the person shown as ``name`` (followed by the masked ID and employer) in the 选手 select."""
    option = page.locator("#person_id option", has_text=name)
    expect(option).to_have_count(1)
    page.get_by_label("选手", exact=True).select_option(value=option.get_attribute("value"))


def registrations_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))



def upload_entrants(page, content: bytes, name: str = "报名表.xlsx") -> None:
    page.get_by_label("Excel 文件（.xlsx）").set_input_files({"name": name, "mimeType": XLSX, "buffer": content})
    page.get_by_role("button", name="上传并导入").click()


def contrast_with_white(locator) -> float:
    """WCAG contrast ratio of an element's text colour against white."""
    rgb = [int(v) for v in re.findall(r"\d+", locator.evaluate("el => getComputedStyle(el).color"))[:3]]
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def local(dt: datetime) -> str:
    """A datetime-local input's value."""
    return dt.strftime("%Y-%m-%dT%H:%M")


def fill_event_form(page, *, name: str, starts: date, ends: date, opens: datetime, closes: datetime,
                    team_size: int = 1, quota: int = 3, venue: str = "上海市工业技术学校") -> None:
    page.get_by_label("赛项名称").fill(name)
    page.get_by_label("对应职业（工种）").select_option(label="6-18-01-01 车工")
    page.get_by_label("每队人数（个人赛填1）").fill(str(team_size))
    page.get_by_label("比赛地点").fill(venue)
    page.get_by_label("比赛开始日期").fill(starts.isoformat())
    page.get_by_label("比赛结束日期").fill(ends.isoformat())
    page.get_by_label("报名开始（北京时间）").fill(local(opens))
    page.get_by_label("报名截止（北京时间）").fill(local(closes))
    page.get_by_label("每单位名额").fill(str(quota))


# ---------------------------------------------------------------- organizer: competition and events

def test_organizer_creates_a_competition_and_adds_an_individual_and_a_team_event_with_eligibility_rules(
        app, ctx, page):
    factories.occupation()
    association, _user = organizer()
    year = this_year()
    national = cf.competition(factories.municipal_bureau(), CompetitionLevel.NATIONAL, year, name="全国职业技能大赛")
    cf.event(national, name="数控车（国赛）")
    now = datetime.now(BEIJING).replace(second=0, microsecond=0)
    opens, closes = now - timedelta(days=1), now + timedelta(days=20)
    starts = (now + timedelta(days=40)).date()

    signed_in_as(page, "zhou")
    page.goto("/competitions/")
    page.get_by_role("link", name="创建大赛").click()
    page.wait_for_url("**/competitions/new")
    page.get_by_label("大赛名称").fill(f"{year}年上海市机械行业职业技能竞赛")
    page.get_by_label("届次年份").fill(str(year))
    page.get_by_label("层级", exact=True).select_option(label="市级技能大赛")
    page.get_by_label("类别", exact=True).select_option(label="二类")
    page.get_by_label("承办区", exact=True).select_option(label="静安区")
    expect(page.get_by_label("主办单位")).to_have_value(str(association.id))
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/competitions/\d+$"))
    expect(page.locator("#flash-messages")).to_contain_text(f"已创建大赛：{year}年上海市机械行业职业技能竞赛")
    expect(page.locator("#event-rows .empty")).to_have_text("还没有赛项")
    competition_url = page.url

    # The first event ends before it starts: the error shows next to the end date, nothing is saved.
    page.get_by_role("link", name="添加赛项").click()
    page.wait_for_url("**/events/new")
    fill_event_form(page, name="数控车", starts=starts, ends=starts - timedelta(days=1), opens=opens, closes=closes)
    page.get_by_label("出生日期不早于").fill(f"{year - 22}-01-01")
    page.get_by_label("最低技能等级").select_option(label="中级工（四级）")
    page.get_by_label("已参加过世赛者不得报名").check()
    page.get_by_label("晋级到（上一级赛项）").select_option(label=f"{year} 全国职业技能大赛 · 数控车（国赛）")
    page.get_by_label("晋级名额（前 N 名）").fill("3")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-ends_on .invalid-feedback")).to_have_text("结束日期不能早于开始日期")
    expect(page.get_by_label("比赛结束日期")).to_have_class(re.compile(r"\bis-invalid\b"))
    # What was typed is kept.
    expect(page.get_by_label("赛项名称")).to_have_value("数控车")
    expect(page.get_by_label("最低技能等级")).to_have_value("level4")
    expect(page.get_by_label("晋级名额（前 N 名）")).to_have_value("3")
    htmx_settled(page)
    screenshot(page, "competitions-event-form-error")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1  # only the national one

    page.get_by_label("比赛结束日期").fill((starts + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(competition_url)
    expect(page.locator("#flash-messages")).to_contain_text("已添加赛项：数控车")

    page.get_by_role("link", name="添加赛项").click()
    page.wait_for_url("**/events/new")
    fill_event_form(page, name="工业机器人系统集成", starts=starts + timedelta(days=5), ends=starts + timedelta(days=6),
                    opens=opens, closes=closes, team_size=3, quota=2)
    page.get_by_label("单位所在地要求").select_option(label="在沪单位")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(competition_url)
    expect(page.locator("#flash-messages")).to_contain_text("已添加赛项：工业机器人系统集成")

    rows = page.locator("#event-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("数控车")
    expect(rows.nth(0)).to_contain_text("个人")
    expect(rows.nth(0)).to_contain_text("数控车（国赛） · 前3名")
    expect(rows.nth(0)).to_contain_text(f"{local(opens).replace('T', ' ')} – {local(closes).replace('T', ' ')}")
    expect(rows.nth(1)).to_contain_text("工业机器人系统集成")
    expect(rows.nth(1)).to_contain_text("团体（每队3人）")
    expect(page.locator("dl.facts")).to_contain_text("市级技能大赛 · 二类")
    screenshot(page, "competitions-competition-page")

    db.session.expire_all()
    individual = db.session.scalar(sa.select(Event).where(Event.name == "数控车"))
    team = db.session.scalar(sa.select(Event).where(Event.name == "工业机器人系统集成"))
    assert individual.born_on_or_after == date(year - 22, 1, 1) and individual.min_level is SkillLevel.LEVEL_4
    assert individual.exclude_past_worldskills and individual.feeds_top_n == 3
    assert individual.feeds.name == "数控车（国赛）"
    # The form speaks Beijing time; the database holds the same instant.
    assert individual.registration_opens_at == opens
    assert team.team_size == 3 and team.quota_per_unit == 2 and team.locality is Locality.SHANGHAI

    # The rules read back on the event's page.
    page.get_by_role("link", name="数控车", exact=True).click()
    expect(page).to_have_url(EVENT_URL)
    rules = page.locator("ul.rules")
    expect(rules).to_contain_text(f"{year - 22}-01-01 及以后出生")
    expect(rules).to_contain_text("技能等级不低于中级工（四级）")
    expect(rules).to_contain_text("未参加过世界技能大赛")


# ---------------------------------------------------------------- unit: registering one by one

def test_unit_registers_an_eligible_employee_and_is_told_why_an_ineligible_one_cannot_enter(app, ctx, page):
    unit, _hr = enterprise()
    competition = cf.competition(organizer()[0], name="上海市机械行业职业技能竞赛")
    event = cf.event(competition, name="数控车", born_on_or_after=date(2004, 1, 1), min_level=SkillLevel.LEVEL_4)
    employee("沈一", unit, born=date(2005, 3, 9), level=SkillLevel.LEVEL_3)
    employee("沈老师", unit, born=date(1985, 3, 9), level=SkillLevel.LEVEL_5)
    employee("韩二", unit, born=date(2006, 1, 2), level=SkillLevel.LEVEL_4)

    signed_in_as(page, "hr")
    page.goto(f"/competitions/events/{event.id}")
    expect(page.locator("h1 .badge")).to_have_text("报名中")
    page.get_by_role("link", name="报名选手").click()
    page.wait_for_url(f"**/competitions/events/{event.id}/register")
    expect(page.locator("#person_id option")).to_have_count(4)  # "—" and three employees

    # Typing a name narrows the list of employees.
    page.get_by_label("按姓名查找本单位人员").fill("沈")
    expect(page.locator("#person_id option")).to_have_count(3)
    htmx_settled(page)
    choose_person(page, "沈一")
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_url(f"**/competitions/events/{event.id}")
    expect(page.locator("#flash-messages")).to_contain_text("已为 沈一 报名，等待组织方审核")
    expect(status_of(page, "沈一")).to_have_text("待审核")
    assert registrations_count() == 1

    page.get_by_role("link", name="报名选手").click()
    page.wait_for_url("**/register")
    choose_person(page, "沈老师")
    page.get_by_role("button", name="提交报名").click()
    error = page.locator(".field-person_id .invalid-feedback")
    expect(error).to_have_text("年龄不符：须在 2004-01-01 当天或之后出生；技能等级不足：至少须为中级工（四级）")
    expect(page.get_by_label("选手", exact=True)).to_have_class(re.compile(r"\bis-invalid\b"))
    assert registrations_count() == 1

    # Entering the same person twice is refused by the field too.
    choose_person(page, "沈一")
    page.get_by_role("button", name="提交报名").click()
    expect(error).to_have_text("该选手已报名此赛项")
    assert registrations_count() == 1


def test_a_team_event_asks_for_the_team_name_and_lists_each_member_with_their_team(app, ctx, page):
    unit, _hr = enterprise()
    event = cf.event(cf.competition(organizer()[0]), name="工业机器人系统集成", team_size=2)
    employee("沈一", unit)
    employee("韩二", unit)
    signed_in_as(page, "hr")
    page.goto(f"/competitions/events/{event.id}/register")
    expect(page.get_by_text("同一队的队员填写相同队名（每队2人）")).to_be_visible()

    choose_person(page, "沈一")
    page.get_by_role("button", name="提交报名").click()
    expect(page.locator(".field-team_name .invalid-feedback")).to_have_text("团体赛项须填写队名")
    assert registrations_count() == 0

    for name in ("沈一", "韩二"):
        page.goto(f"/competitions/events/{event.id}/register")
        choose_person(page, name)
        page.get_by_label("队名（团体赛项）").fill("申港一队")
        page.get_by_role("button", name="提交报名").click()
        expect(page).to_have_url(EVENT_URL)
        expect(page.locator("#flash-messages")).to_contain_text(f"已为 {name} 报名")
    expect(page.locator("#registration-results thead")).to_contain_text("队名")
    expect(registration_rows(page)).to_have_count(2)
    for name in ("沈一", "韩二"):
        expect(registration_row(page, name)).to_contain_text("申港一队")


# ---------------------------------------------------------------- unit: registering from an Excel sheet

def test_an_entry_sheet_with_a_bad_row_lists_the_row_and_writes_nothing_then_the_fixed_sheet_enters_everyone(
        app, ctx, page):
    unit, _hr = enterprise()
    event = cf.event(cf.competition(organizer()[0]), name="数控车", born_on_or_after=date(2004, 1, 1),
                     quota_per_unit=5)
    already = employee("沈一", unit)
    cf.registration(event, already, unit)
    han_id, yang_id, zhu_id = (factories.valid_ric(birth=date(2005, 1, 1) + timedelta(days=n)) for n in (1, 2, 3))
    employee("韩二", unit, id_number=han_id)
    bad_zhu_id = zhu_id[:-1] + ("0" if zhu_id[-1] != "0" else "1")
    people_before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))

    signed_in_as(page, "hr")
    page.goto(f"/competitions/events/{event.id}")
    expect(registration_rows(page)).to_have_count(1)
    page.get_by_role("link", name="报名选手").click()
    page.wait_for_url("**/register")
    upload_entrants(page, xlsx([
        ["韩二", "居民身份证", han_id, None],
        ["杨三", None, yang_id, None],  # not yet in the people register: the unit's HR registers them too
        ["朱四", "居民身份证", bad_zhu_id, None],
    ]))
    expect(page.get_by_role("alert").filter(has_text="文件有误，未导入任何数据")).to_be_visible()
    rows = page.locator("#registration-import-errors tbody tr")
    expect(rows).to_have_count(3)
    bad = rows.filter(has_text="朱四")
    expect(bad.locator("td").nth(0)).to_have_text("4")
    expect(bad.locator("td").nth(3)).to_have_text("身份证号校验位不正确")
    expect(bad).to_have_class(re.compile(r"\btable-danger\b"))
    expect(rows.filter(has_text="韩二").locator("td").nth(3)).to_have_text("无误")
    expect(rows.filter(has_text="杨三").locator("td").nth(2)).to_have_text(re.compile(r"^\d{3}\*{13}\d[\dX]$"))
    assert han_id not in page.content() and yang_id not in page.content()
    htmx_settled(page)
    screenshot(page, "competitions-register-import-error")
    assert registrations_count() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == people_before

    page.locator("nav.crumbs").get_by_role("link", name="数控车").click()
    expect(page).to_have_url(EVENT_URL)
    expect(registration_rows(page)).to_have_count(1)
    expect(registration_rows(page)).to_contain_text("沈一")

    # Fill in the downloaded template this time, with the check digit corrected.
    page.get_by_role("link", name="报名选手").click()
    page.wait_for_url("**/register")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载报名模板").click()
    with open(download_info.value.path(), "rb") as fh:
        wb = load_workbook(BytesIO(fh.read()))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    # Under the header: the template pre-formats the ID column as text far down, so append() would land below.
    for row, values in enumerate((["韩二", "居民身份证", han_id], ["杨三", None, yang_id],
                                  ["朱四", "居民身份证", zhu_id]), start=2):
        for column, value in enumerate(values, start=1):
            ws.cell(row=row, column=column, value=value)
    buf = BytesIO()
    wb.save(buf)
    upload_entrants(page, buf.getvalue())
    expect(page).to_have_url(EVENT_URL)
    expect(page.locator("#flash-messages")).to_contain_text("已导入 3 名选手的报名")
    expect(registration_rows(page)).to_have_count(4)
    for name in ("沈一", "韩二", "杨三", "朱四"):
        expect(status_of(page, name)).to_have_text("待审核")
    assert registrations_count() == 4


# ---------------------------------------------------------------- organizer: review

def test_organizer_approves_in_bulk_and_one_by_one_and_rejects_with_a_reason_without_reloading_the_page(
        app, ctx, page):
    association, _user = organizer()
    unit, _hr = enterprise()
    other = factories.org(name="上海云栖智能装备有限公司", district=District.PUDONG)
    event = cf.event(cf.competition(association, name="上海市机械行业职业技能竞赛"), name="数控车")
    for name in ("沈一", "韩二", "杨三"):
        cf.registration(event, employee(name, unit), unit)
    cf.registration(event, employee("朱四", other), other)

    signed_in_as(page, "zhou")
    page.goto(f"/competitions/events/{event.id}")
    expect(registration_rows(page)).to_have_count(4)
    for label in ("退回修改", "不通过"):  # outline buttons: coloured text on white
        contrast = contrast_with_white(page.locator(".bulk-bar").get_by_role("button", name=label))
        assert contrast >= 4.5, f"{label} is hard to read ({contrast:.1f}:1)"
    set_window_marker(page)

    page.get_by_label("选择 沈一").check()
    page.get_by_label("选择 韩二").check()
    page.get_by_role("button", name="批量通过所选").click()
    expect(page.locator("#flash-messages")).to_contain_text("已处理 2 条报名")
    expect(status_of(page, "沈一")).to_have_text("已通过")
    expect(status_of(page, "韩二")).to_have_text("已通过")
    expect(status_of(page, "杨三")).to_have_text("待审核")
    htmx_settled(page)

    registration_row(page, "杨三").get_by_role("button", name="通过 杨三", exact=True).click()
    expect(status_of(page, "杨三")).to_have_text("已通过")
    expect(page.locator("#flash-messages")).to_contain_text("已处理 1 条报名")
    htmx_settled(page)

    # Rejecting needs a reason: without one, nothing changes and the bar says why.
    page.get_by_label("选择 朱四").check()
    page.get_by_role("button", name="不通过").click()
    expect(page.locator("#flash-messages")).to_contain_text("退回或不通过须填写原因")
    expect(status_of(page, "朱四")).to_have_text("待审核")
    htmx_settled(page)

    page.get_by_label("选择 朱四").check()
    page.get_by_label("原因", exact=True).fill("技能等级证书与报名信息不一致")
    page.get_by_role("button", name="不通过").click()
    expect(status_of(page, "朱四")).to_have_text("未通过")
    expect(registration_row(page, "朱四")).to_contain_text("技能等级证书与报名信息不一致")
    expect(page.locator("#registration-results .result-count")).to_have_text(re.compile(r"已通过 3\s+未通过 1"))
    assert window_marker_survived(page), "a decision reloaded the whole page"
    htmx_settled(page)
    screenshot(page, "competitions-event-registrations")

    page.get_by_label("状态", exact=True).select_option(label="已通过")
    page.wait_for_url(lambda url: query_of(url).get("status") == ["approved"])
    expect(registration_rows(page)).to_have_count(3)
    expect(registration_row(page, "朱四")).to_have_count(0)
    assert window_marker_survived(page), "the status filter reloaded the whole page"

    db.session.expire_all()
    statuses = dict(db.session.execute(
        sa.select(Person.name, Registration.status).join(Registration.person)).tuples().all())
    assert statuses == {"沈一": RegistrationStatus.APPROVED, "韩二": RegistrationStatus.APPROVED,
                        "杨三": RegistrationStatus.APPROVED, "朱四": RegistrationStatus.REJECTED}


def test_unit_withdraws_an_entrant_and_the_freed_place_takes_another(app, ctx, page):
    unit, _hr = enterprise()
    event = cf.event(cf.competition(organizer()[0]), name="数控车", quota_per_unit=1)
    cf.registration(event, employee("沈一", unit), unit)
    employee("韩二", unit)
    signed_in_as(page, "hr")
    page.goto(f"/competitions/events/{event.id}/register")
    choose_person(page, "韩二")
    page.get_by_role("button", name="提交报名").click()
    expect(page.locator(".alert-danger")).to_contain_text("本单位在此赛项的名额（1）已用完")

    page.goto(f"/competitions/events/{event.id}")
    set_window_marker(page)
    page.once("dialog", lambda dialog: dialog.accept())  # "确定让 沈一 退赛？"
    registration_row(page, "沈一").get_by_role("button", name="退赛").click()
    expect(status_of(page, "沈一")).to_have_text("已退出")
    expect(page.locator("#flash-messages")).to_contain_text("沈一 已退出，名额已释放")
    expect(registration_row(page, "沈一").get_by_role("button", name="退赛")).to_have_count(0)
    assert window_marker_survived(page)

    page.get_by_role("link", name="报名选手").click()
    page.wait_for_url("**/register")
    choose_person(page, "韩二")
    page.get_by_role("button", name="提交报名").click()
    expect(page).to_have_url(EVENT_URL)
    expect(status_of(page, "韩二")).to_have_text("待审核")


# ---------------------------------------------------------------- athlete

def test_athlete_signs_in_and_sees_their_registrations_with_statuses_and_reasons(app, ctx, page):
    unit, _hr = enterprise()
    association, _organizer = organizer()
    competition = cf.competition(association, name="上海市机械行业职业技能竞赛")
    turning = cf.event(competition, name="数控车", starts=date(2027, 1, 10))
    milling = cf.event(competition, name="数控铣", starts=date(2027, 2, 10))
    athlete = employee("沈一", unit)
    cf.registration(turning, athlete, unit, status=RegistrationStatus.APPROVED)
    cf.registration(milling, athlete, unit, status=RegistrationStatus.REJECTED, reason="报名材料不全")
    cf.registration(turning, employee("韩二", unit), unit)  # someone else's: not shown
    factories.user(unit, Role.PERSON, username="shenyi", display_name="沈一", person_id=athlete.id)

    sign_in(page, "shenyi")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="技能竞赛").click()
    page.wait_for_url("**/competitions/")
    page.get_by_role("link", name="我的报名").click()
    page.wait_for_url("**/competitions/mine")
    rows = page.locator("#my-registrations tbody tr")
    expect(rows).to_have_count(2)
    turning_row = rows.filter(has_text="数控车")
    expect(turning_row.locator(".status-pill")).to_have_text("已通过")
    expect(turning_row).to_contain_text("上海市机械行业职业技能竞赛")
    expect(turning_row).to_contain_text("上海申港精密机械有限公司")
    expect(turning_row).to_contain_text("2027-01-10 – 2027-01-12")
    milling_row = rows.filter(has_text="数控铣")
    expect(milling_row.locator(".status-pill")).to_have_text("未通过")
    expect(milling_row).to_contain_text("报名材料不全")
    screenshot(page, "competitions-mine")

    # On the event page the athlete sees only their own entry, and cannot review or enter anyone.
    turning_row.get_by_role("link", name="数控车").click()
    expect(page).to_have_url(EVENT_URL)
    expect(registration_rows(page)).to_have_count(1)
    expect(status_of(page, "沈一")).to_have_text("已通过")
    expect(page.get_by_role("button", name="批量通过所选")).to_have_count(0)
    expect(page.get_by_role("link", name="报名选手")).to_have_count(0)


# ---------------------------------------------------------------- the pyramid and qualifier links

def test_pyramid_counts_by_year_update_in_place_and_a_level_lists_its_competitions(app, ctx, page):
    unit, _hr = enterprise()
    year = this_year()
    bureau = factories.municipal_bureau()
    municipal_a = cf.competition(bureau, CompetitionLevel.MUNICIPAL, year, name=f"{year}年上海市职业技能大赛")
    cf.competition(bureau, CompetitionLevel.MUNICIPAL, year, name=f"{year}年上海市青年技能大赛")
    cf.competition(bureau, CompetitionLevel.DISTRICT, year, host=District.MINHANG, name=f"{year}年闵行区技能竞赛")
    turning = cf.event(municipal_a, name="数控车")
    cf.event(municipal_a, name="焊接")
    cf.registration(turning, employee("沈一", unit), unit)
    cf.registration(turning, employee("韩二", unit), unit, status=RegistrationStatus.WITHDRAWN)
    cf.competition(bureau, CompetitionLevel.NATIONAL, year - 1, name="第二届全国职业技能大赛")
    factories.municipal_official(username="chen")

    signed_in_as(page, "chen")
    page.goto("/competitions/")
    levels = page.locator("ol.pyramid li")
    expect(levels).to_have_count(5)
    expect(levels.locator(".pyramid-name")).to_have_text(
        ["世界技能大赛", "国家级技能竞赛", "市级技能大赛", "区域性技能竞赛", "岗位练兵/技能比武"])
    municipal = page.locator("li.level-municipal")
    expect(municipal).to_contain_text("2 项大赛 · 2 个赛项 · 1 名选手")  # the withdrawn entrant is not counted
    expect(page.locator("li.level-district")).to_contain_text("1 项大赛 · 0 个赛项 · 0 名选手")
    expect(page.locator("li.level-national")).to_contain_text("0 项大赛")
    expect(page.get_by_label("年份")).to_have_value(str(year))
    htmx_settled(page)
    screenshot(page, "competitions-pyramid")

    set_window_marker(page)
    page.get_by_label("年份").select_option(str(year - 1))
    page.wait_for_url(lambda url: query_of(url) == {"year": [str(year - 1)]})
    expect(page.locator("li.level-national")).to_contain_text("1 项大赛 · 0 个赛项 · 0 名选手")
    expect(municipal).to_contain_text("0 项大赛")
    assert window_marker_survived(page), "the year select reloaded the whole page"

    page.get_by_label("年份").select_option(str(year))
    expect(municipal).to_contain_text("2 项大赛")
    municipal.get_by_role("link").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/competitions/list"
                      and query_of(url) == {"level": ["municipal"], "year": [str(year)]})
    expect(page.locator("h1")).to_have_text(f"市级技能大赛 · {year}")
    expect(page.locator("#competition-results .result-count")).to_have_text("共 2 项大赛")
    names = page.locator("#competition-results tbody tr td:first-child a")
    expect(names).to_have_count(2)
    assert sorted(names.all_inner_texts()) == sorted([f"{year}年上海市职业技能大赛", f"{year}年上海市青年技能大赛"])
    listed = page.locator("#competition-results tbody tr", has_text=f"{year}年上海市职业技能大赛")
    expect(listed.locator("td.num")).to_have_text(["2", "1"])

    listed.get_by_role("link").click()
    page.wait_for_url(f"**/competitions/{municipal_a.id}")
    expect(page.locator("#event-rows tbody tr")).to_have_count(2)


def test_an_event_links_up_to_the_event_it_qualifies_for_and_the_upper_event_lists_its_sources(app, ctx, page):
    year = this_year()
    bureau = factories.municipal_bureau()
    national = cf.event(cf.competition(bureau, CompetitionLevel.NATIONAL, year, name="第二届全国职业技能大赛"),
                        name="数控车", starts=date(2027, 9, 1))
    municipal = cf.event(cf.competition(bureau, CompetitionLevel.MUNICIPAL, year, name="上海市职业技能大赛"),
                         name="数控车", feeds_event_id=national.id, feeds_top_n=3)
    minhang = cf.competition(bureau, CompetitionLevel.DISTRICT, year, host=District.MINHANG, name="闵行区技能竞赛")
    district = cf.event(minhang, name="数控车", feeds_event_id=municipal.id, feeds_top_n=5)
    factories.municipal_official(username="chen")

    signed_in_as(page, "chen")
    page.goto(f"/competitions/events/{district.id}")
    path = page.locator("section.qualifier-links")
    expect(path).to_contain_text("晋级到：上海市职业技能大赛 · 数控车（前5名）")

    path.get_by_role("link", name="上海市职业技能大赛 · 数控车").click()
    page.wait_for_url(f"**/competitions/events/{municipal.id}")
    expect(path).to_contain_text("晋级到：第二届全国职业技能大赛 · 数控车（前3名）")
    expect(path).to_contain_text("选拔来源：")
    expect(path.locator("ul li")).to_have_text(["闵行区技能竞赛 · 数控车（前5名）"])

    path.get_by_role("link", name="第二届全国职业技能大赛 · 数控车").click()
    page.wait_for_url(f"**/competitions/events/{national.id}")
    expect(path).to_contain_text("不向上一级晋级")
    expect(path.locator("ul li")).to_have_text(["上海市职业技能大赛 · 数控车（前3名）"])


# ---------------------------------------------------------------- the registration window

def test_a_closed_event_shows_its_badge_and_offers_no_registration(app, ctx, page):
    unit, _hr = enterprise()
    now = utcnow()
    competition = cf.competition(organizer()[0])
    closed = cf.event(competition, name="数控车", opens=now - timedelta(days=10), closes=now - timedelta(minutes=1))
    not_yet = cf.event(competition, name="数控铣", opens=now + timedelta(days=1), closes=now + timedelta(days=5))
    employee("沈一", unit)

    signed_in_as(page, "hr")
    page.goto(f"/competitions/events/{closed.id}")
    expect(page.locator("h1 .badge")).to_have_text("报名已截止")
    expect(page.get_by_role("link", name="报名选手")).to_have_count(0)

    page.goto(f"/competitions/events/{not_yet.id}")
    expect(page.locator("h1 .badge")).to_have_text("报名未开始")
    expect(page.get_by_role("link", name="报名选手")).to_have_count(0)

    # Even reaching the form by its address, it offers no submit button (the server refuses a forged post:
    # tests/web/test_competitions.py::test_the_window_is_enforced_by_the_server) and nothing is written.
    page.goto(f"/competitions/events/{closed.id}/register")
    expect(page.locator("#window-closed")).to_contain_text("报名已截止")
    expect(page.get_by_role("button", name="提交报名")).to_have_count(0)
    screenshot(page, "register-closed")
    assert registrations_count() == 0



# ---------------------------------------------------------------- known defects (app/competitions/views.py)

def failed_import(page, event) -> None:
    """Sign in as the unit's HR and upload a sheet whose only row has a bad ID check digit."""
    signed_in_as(page, "hr")
    page.goto(f"/competitions/events/{event.id}/register")
    expect(page.locator("#person_id option", has_text="沈一")).to_have_count(1)
    good = factories.valid_ric()
    upload_entrants(page, xlsx([["朱四", "居民身份证", good[:-1] + ("0" if good[-1] != "0" else "1"), None]]))
    expect(page.locator("#registration-import-errors tbody tr")).to_have_count(1)


def test_after_a_failed_import_the_single_entry_form_still_lists_the_units_people(app, ctx, page):
    unit, _hr = enterprise()
    event = cf.event(cf.competition(organizer()[0]), name="数控车")
    employee("沈一", unit)
    failed_import(page, event)
    expect(page.locator("#person_id option", has_text="沈一")).to_have_count(1, timeout=1_000)


def test_reloading_the_page_after_a_failed_import_shows_the_register_page(app, ctx, page, expected_statuses):
    expected_statuses.add(405)
    unit, _hr = enterprise()
    event = cf.event(cf.competition(organizer()[0]), name="数控车")
    employee("沈一", unit)
    failed_import(page, event)
    response = page.reload()
    assert response is not None and response.ok, f"reload answered {response.status if response else None}"
    expect(page.get_by_role("button", name="上传并导入")).to_be_visible()
