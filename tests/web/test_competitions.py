import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionLevel, Event, Locality
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.enums import District, OrgKind, Role, SkillLevel
from app.core.models import AuditEntry
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.conftest import count_queries


def _organizer(org=None):
    org = org or factories.org(OrgKind.ASSOCIATION, District.JINGAN, name="某行业协会")
    return factories.user(org, Role.ORGANIZER), org


def _event_form(**fields):
    return {"name": "焊接", "occupation_code": "6-18-01-01", "team_size": "1", "venue": "某技师学院",
            "starts_on": "2027-03-10", "ends_on": "2027-03-12", "registration_opens_at": "2027-01-01T09:00",
            "registration_closes_at": "2027-02-28T17:00", "quota_per_unit": "2", "min_level": "", "max_level": "",
            "locality": "any", "born_on_or_after": "", **fields}


def test_organizer_creates_a_competition_and_events_with_rules(app, ctx, login_as):
    factories.occupation()
    user, org = _organizer()
    web = login_as(user)
    response = web.post("/competitions/new", {"name": "2027年某行业职业技能竞赛", "level": "municipal",
                                              "klass": "class2", "organiser_id": org.id, "year": "2027",
                                              "host_district": ""})
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    comp = db.session.scalar(sa.select(Competition))
    assert comp.level is CompetitionLevel.MUNICIPAL and comp.organiser_id == org.id
    response = web.post(f"/competitions/{comp.id}/events/new", _event_form(
        born_on_or_after="2005-01-01", min_level="level4", max_level="level2", locality="shanghai",
        exclude_past_worldskills="y"))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    event = db.session.scalar(sa.select(Event))
    assert event.min_level is SkillLevel.LEVEL_4 and event.locality is Locality.SHANGHAI
    assert event.exclude_past_worldskills and event.born_on_or_after == date(2005, 1, 1)
    # Beijing time in the form, UTC in the database.
    assert event.registration_opens_at.isoformat() == "2027-01-01T01:00:00+00:00"
    page = web.get(f"/competitions/events/{event.id}").get_data(as_text=True)
    assert "2005-01-01 及以后出生" in page and "2027-01-01 09:00" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type.in_(["competitions", "events"]))) == 2


def test_event_form_errors_are_422_next_to_the_field(app, ctx, login_as):
    factories.occupation()
    user, org = _organizer()
    comp = cf.competition(org)
    web = login_as(user)
    response = web.post(f"/competitions/{comp.id}/events/new", _event_form(ends_on="2027-03-01"))
    assert response.status_code == 422 and "结束日期不能早于开始日期" in response.get_data(as_text=True)
    response = web.post(f"/competitions/{comp.id}/events/new", _event_form(registration_closes_at="2027-03-11T09:00"))
    assert response.status_code == 422 and "报名须在比赛开始前截止" in response.get_data(as_text=True)
    response = web.post(f"/competitions/{comp.id}/events/new", _event_form(min_level="level2", max_level="level4"))
    assert response.status_code == 422 and 'id="max_level-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_organizers_manage_only_their_own_competitions(app, ctx, login_as):
    user, org = _organizer()
    other_user, other_org = _organizer(factories.org(OrgKind.ASSOCIATION, District.XUHUI, name="另一协会"))
    mine, theirs = cf.competition(org, name="我的大赛"), cf.competition(other_org, name="别人的大赛")
    web = login_as(user)
    assert web.get(f"/competitions/{theirs.id}/edit").status_code == 403
    assert web.post(f"/competitions/{theirs.id}/events/new", _event_form()).status_code == 403
    response = web.post("/competitions/new", {"name": "冒名大赛", "level": "municipal", "klass": "none",
                                              "organiser_id": other_org.id, "year": "2027", "host_district": ""})
    assert response.status_code == 422
    assert web.get(f"/competitions/{mine.id}/edit").status_code == 200
    assert other_user


def test_qualifier_links_only_point_upwards(app, ctx, login_as):
    official = factories.municipal_official()
    city = cf.competition(official.organisation, CompetitionLevel.MUNICIPAL, name="市赛")
    district = cf.competition(official.organisation, CompetitionLevel.DISTRICT, host=District.PUDONG, name="区赛")
    upper = cf.event(city, name="市赛数控车")
    lower = cf.event(district, name="区赛数控车")
    web = login_as(official)
    response = web.post(f"/competitions/events/{upper.id}/edit", _event_form(
        name="市赛数控车", feeds_event_id=str(lower.id), feeds_top_n="3"))
    assert response.status_code == 422
    response = web.post(f"/competitions/events/{lower.id}/edit", _event_form(
        name="区赛数控车", feeds_event_id=str(upper.id), feeds_top_n="3"))
    assert response.status_code == 303
    upper_page = web.get(f"/competitions/events/{upper.id}").get_data(as_text=True)
    assert "选拔来源" in upper_page and "区赛数控车" in upper_page
    lower_page = web.get(f"/competitions/events/{lower.id}").get_data(as_text=True)
    assert "晋级到" in lower_page and "前3名" in lower_page


def test_pyramid_counts_each_level_for_a_year_and_links_to_its_list(app, ctx, login_as):
    official = factories.municipal_official()
    employer = factories.org()
    world = cf.competition(official.organisation, CompetitionLevel.WORLD, year=2026, name="世赛")
    cf.competition(official.organisation, CompetitionLevel.WORLD, year=2025, name="去年世赛")
    ev = cf.event(world)
    cf.event(world, name="焊接", starts=date(2027, 2, 1))
    cf.registration(ev, factories.person(employer=employer), employer)
    web = login_as(official)
    html = web.get("/competitions/?year=2026").get_data(as_text=True)
    assert "1 项大赛 · 2 个赛项 · 1 名选手" in html
    assert "/competitions/list?level=world&amp;year=2026" in html
    listing = web.get("/competitions/list?level=world&year=2026").get_data(as_text=True)
    assert "世赛" in listing and "去年世赛" not in listing


def _unit_hr(district=District.PUDONG):
    unit = factories.org(OrgKind.ENTERPRISE, district)
    return unit, factories.user(unit, Role.ENTERPRISE_HR)


def test_unit_registers_an_eligible_person_and_sees_the_reason_for_an_ineligible_one(app, ctx, login_as):
    unit, hr = _unit_hr()
    ev = cf.event(born_on_or_after=date(2004, 1, 1), min_level=SkillLevel.LEVEL_4)
    young = factories.person("年轻人", unit, factories.valid_ric(birth=date(2004, 1, 1)), level=SkillLevel.LEVEL_3)
    old = factories.person("老师傅", unit, factories.valid_ric(birth=date(2003, 12, 31)), level=SkillLevel.LEVEL_5)
    web = login_as(hr)
    assert web.post(f"/competitions/events/{ev.id}/register", {"person_id": young.id}).status_code == 303
    response = web.post(f"/competitions/events/{ev.id}/register", {"person_id": old.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "年龄不符：须在 2004-01-01 当天或之后出生" in html and "技能等级不足：至少须为中级工（四级）" in html
    rows = db.session.scalars(sa.select(Registration)).all()
    assert [(r.person_id, r.unit_id, r.status) for r in rows] == [(young.id, unit.id, RegistrationStatus.SUBMITTED)]


def test_a_person_is_entered_once_per_event(app, ctx, login_as):
    unit, hr = _unit_hr()
    ev = cf.event()
    person = factories.person(employer=unit)
    web = login_as(hr)
    assert web.post(f"/competitions/events/{ev.id}/register", {"person_id": person.id}).status_code == 303
    response = web.post(f"/competitions/events/{ev.id}/register", {"person_id": person.id})
    assert response.status_code == 422 and "该选手已报名此赛项" in response.get_data(as_text=True)


def test_the_window_is_enforced_by_the_server(app, ctx, login_as):
    unit, hr = _unit_hr()
    now = utcnow()
    early = cf.event(name="未开始", opens=now + timedelta(hours=1), closes=now + timedelta(days=2))
    late = cf.event(name="已截止", opens=now - timedelta(days=2), closes=now - timedelta(seconds=1),
                    starts=date(2027, 2, 1))
    person = factories.person(employer=unit)
    web = login_as(hr)
    response = web.post(f"/competitions/events/{early.id}/register", {"person_id": person.id})
    assert response.status_code == 422 and "报名尚未开始" in response.get_data(as_text=True)
    response = web.post(f"/competitions/events/{late.id}/register", {"person_id": person.id})
    assert response.status_code == 422 and "报名已截止" in response.get_data(as_text=True)


def test_quota_per_unit_and_withdrawal_frees_a_place(app, ctx, login_as):
    unit, hr = _unit_hr()
    ev = cf.event(quota_per_unit=2)
    people = [factories.person(f"选手{i}", unit, factories.valid_ric(birth=date(2000, 1, i + 1))) for i in range(3)]
    web = login_as(hr)
    for p in people[:2]:
        assert web.post(f"/competitions/events/{ev.id}/register", {"person_id": p.id}).status_code == 303
    response = web.post(f"/competitions/events/{ev.id}/register", {"person_id": people[2].id})
    assert response.status_code == 422 and "名额（2）已用完" in response.get_data(as_text=True)
    first = db.session.scalar(sa.select(Registration).where(Registration.person_id == people[0].id))
    assert web.post(f"/competitions/registrations/{first.id}/withdraw").status_code == 200
    assert web.post(f"/competitions/events/{ev.id}/register", {"person_id": people[2].id}).status_code == 303


def test_date_clash_and_past_worldskills_competitors(app, ctx, login_as):
    unit, hr = _unit_hr()
    official = factories.municipal_official()
    past_world = cf.competition(official.organisation, CompetitionLevel.WORLD, year=2024, name="上届世赛")
    past_event = cf.event(past_world, starts=date(2024, 9, 10))
    this_world = cf.competition(official.organisation, CompetitionLevel.WORLD, year=2026, name="本届世赛")
    ev = cf.event(this_world, exclude_past_worldskills=True, starts=date(2027, 1, 10))
    clash = cf.event(name="同期赛项", starts=date(2027, 1, 11))
    veteran = factories.person("老选手", unit, factories.valid_ric(birth=date(2002, 3, 3)))
    cf.registration(past_event, veteran, unit, status=RegistrationStatus.APPROVED)
    busy = factories.person("忙选手", unit, factories.valid_ric(birth=date(2002, 4, 4)))
    cf.registration(clash, busy, unit)
    web = login_as(hr)
    response = web.post(f"/competitions/events/{ev.id}/register", {"person_id": veteran.id})
    assert response.status_code == 422 and "已参加过世界技能大赛" in response.get_data(as_text=True)
    response = web.post(f"/competitions/events/{ev.id}/register", {"person_id": busy.id})
    assert response.status_code == 422 and "与已报名的赛项「同期赛项」比赛日期冲突" in response.get_data(as_text=True)


def test_host_district_rule(app, ctx, login_as):
    unit, hr = _unit_hr(District.XUHUI)
    comp = cf.competition(level=CompetitionLevel.DISTRICT, host=District.PUDONG)
    ev = cf.event(comp, locality=Locality.HOST_DISTRICT)
    person = factories.person(employer=unit)
    response = login_as(hr).post(f"/competitions/events/{ev.id}/register", {"person_id": person.id})
    assert response.status_code == 422 and "须为承办区（浦东新区）单位的职工" in response.get_data(as_text=True)


def test_units_register_only_their_own_people(app, ctx, login_as):
    unit, hr = _unit_hr()
    other = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    stranger = factories.person(employer=other)
    ev = cf.event()
    response = login_as(hr).post(f"/competitions/events/{ev.id}/register", {"person_id": stranger.id})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_team_events_count_teams_against_the_quota(app, ctx, login_as):
    unit, hr = _unit_hr()
    ev = cf.event(team_size=2, quota_per_unit=1)
    people = [factories.person(f"队员{i}", unit, factories.valid_ric(birth=date(2001, 1, i + 1))) for i in range(3)]
    web = login_as(hr)
    url = f"/competitions/events/{ev.id}/register"
    assert web.post(url, {"person_id": people[0].id, "team_name": "申港一队"}).status_code == 303
    assert web.post(url, {"person_id": people[1].id, "team_name": "申港一队"}).status_code == 303
    response = web.post(url, {"person_id": people[2].id, "team_name": "申港一队"})
    assert response.status_code == 422 and "该队已满" in response.get_data(as_text=True)
    response = web.post(url, {"person_id": people[2].id, "team_name": "申港二队"})
    assert response.status_code == 422 and "名额（1）已用完" in response.get_data(as_text=True)
    response = web.post(url, {"person_id": people[2].id})
    assert response.status_code == 422 and "团体赛项须填写队名" in response.get_data(as_text=True)


def test_organizer_approves_in_bulk_rejects_with_a_reason_and_the_unit_sees_it(app, ctx, login_as):
    organizer, org = _organizer()
    comp = cf.competition(org)
    ev = cf.event(comp)
    unit, hr = _unit_hr()
    regs = [cf.registration(ev, factories.person(f"报名{i}", unit, factories.valid_ric(birth=date(1999, 1, i + 1))),
                            unit) for i in range(3)]
    web = login_as(organizer)
    url = f"/competitions/events/{ev.id}/decide"
    response = web.post(url, {"decision": "reject", "registration_id": [regs[2].id]})
    assert response.status_code == 422 and "退回或不通过须填写原因" in response.get_data(as_text=True)
    response = web.post(url, {"decision": "approve", "registration_id": [regs[0].id, regs[1].id]},
                        headers={"HX-Request": "true"})
    assert response.status_code == 200 and "已处理 2 条报名" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    web.post(url, {"decide_one": f"{regs[2].id}:reject", "reason": "证书材料不全"})
    db.session.expire_all()
    assert [db.session.get(Registration, r.id).status for r in regs] == [
        RegistrationStatus.APPROVED, RegistrationStatus.APPROVED, RegistrationStatus.REJECTED]
    unit_view = login_as(hr).get(f"/competitions/events/{ev.id}?status=rejected").get_data(as_text=True)
    assert "报名2" in unit_view and "证书材料不全" in unit_view and "报名0" not in unit_view


def test_units_cannot_review_and_see_only_their_own_entrants(app, ctx, login_as):
    ev = cf.event()
    unit, hr = _unit_hr()
    other = factories.org(OrgKind.ENTERPRISE, District.XUHUI)
    mine = cf.registration(ev, factories.person("本单位选手", unit), unit)
    cf.registration(ev, factories.person("外单位选手", other, factories.valid_ric(District.XUHUI)), other)
    web = login_as(hr)
    page = web.get(f"/competitions/events/{ev.id}").get_data(as_text=True)
    assert "本单位选手" in page and "外单位选手" not in page
    assert web.post(f"/competitions/events/{ev.id}/decide", {"decision": "approve",
                                                              "registration_id": [mine.id]}).status_code == 403


def test_district_official_sees_entrants_of_their_district_units(app, ctx, login_as):
    ev = cf.event()
    pudong = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    xuhui = factories.org(OrgKind.ENTERPRISE, District.XUHUI)
    cf.registration(ev, factories.person("浦东选手", pudong), pudong)
    cf.registration(ev, factories.person("徐汇选手", xuhui, factories.valid_ric(District.XUHUI)), xuhui)
    page = login_as(factories.district_official(District.PUDONG)).get(f"/competitions/events/{ev.id}")
    html = page.get_data(as_text=True)
    assert "浦东选手" in html and "徐汇选手" not in html


def test_athlete_sees_own_registrations(app, ctx, login_as):
    unit = factories.org()
    ev = cf.event(name="我的赛项")
    me = factories.person("选手本人", unit)
    reg = cf.registration(ev, me, unit, status=RegistrationStatus.APPROVED)
    user = factories.user(unit, Role.PERSON, person_id=me.id)
    page = login_as(user).get("/competitions/mine").get_data(as_text=True)
    assert "我的赛项" in page and "已通过" in page
    assert reg.id


def test_the_event_page_links_the_event_it_feeds_and_its_qualifiers_from_one_statement(app, ctx, login_as):
    official = factories.municipal_official()
    city = cf.competition(official.organisation, CompetitionLevel.MUNICIPAL, name="市赛")
    top = cf.event(cf.competition(official.organisation, CompetitionLevel.NATIONAL, name="国赛"), name="国赛数控车")
    mid = cf.event(city, name="市赛数控车", feeds_event_id=top.id, feeds_top_n=5)
    lows = [cf.event(cf.competition(official.organisation, CompetitionLevel.DISTRICT, host=d, name=f"{d.label}赛"),
                     name=f"{d.label}数控车", feeds_event_id=mid.id, feeds_top_n=n)
            for d, n in ((District.XUHUI, 2), (District.PUDONG, 3))]
    web = login_as(official)
    with count_queries(app) as statements:
        page = web.get(f"/competitions/events/{mid.id}").get_data(as_text=True)
    assert f'晋级到：<a href="/competitions/events/{top.id}">国赛 · 国赛数控车</a>（前5名）' in page
    assert (f'<li><a href="/competitions/events/{lows[0].id}">徐汇区赛 · 徐汇区数控车</a>（前2名）</li>'
            f'<li><a href="/competitions/events/{lows[1].id}">浦东新区赛 · 浦东新区数控车</a>（前3名）</li>') in page
    assert "晋级候选" in page
    about_links = [s for s in statements if "events.feeds_event_id =" in s or "events.feeds_event_id IN" in s]
    assert len(about_links) == 1
    lone = web.get(f"/competitions/events/{top.id}").get_data(as_text=True)
    assert "不向上一级晋级" in lone and "市赛 · 市赛数控车" in lone


def test_registration_list_query_count_is_constant(app, ctx, login_as):
    official = factories.municipal_official()
    ev = cf.event()
    units = [factories.org() for _ in range(3)]
    cf.registration(ev, factories.person(employer=units[0]), units[0])
    web = login_as(official)
    with count_queries(app) as few:
        web.get(f"/competitions/events/{ev.id}")
    for i in range(30):
        unit = units[i % 3]
        cf.registration(ev, factories.person(f"人{i}", unit, factories.valid_ric(birth=date(1990, 1, 1 + i % 28))),
                        unit)
    with count_queries(app) as many:
        web.get(f"/competitions/events/{ev.id}")
    assert len(many) == len(few)


def test_competition_list_query_count_is_constant(app, ctx, login_as):
    official = factories.municipal_official()
    cf.competition(official.organisation)
    web = login_as(official)
    with count_queries(app) as few:
        web.get("/competitions/list")
    for i in range(10):
        comp = cf.competition(factories.org(), name=f"大赛{i}")
        cf.event(comp)
    with count_queries(app) as many:
        web.get("/competitions/list")
    assert len(many) == len(few)


def test_export_and_print_list_the_filtered_entrants_masked(app, ctx, login_as):
    from io import BytesIO

    from openpyxl import load_workbook

    ev = cf.event()
    unit = factories.org()
    number = factories.valid_ric()
    cf.registration(ev, factories.person("导出选手", unit, number), unit, status=RegistrationStatus.APPROVED)
    cf.registration(ev, factories.person("待审选手", unit, factories.valid_ric(District.PUDONG)), unit)
    web = login_as(factories.municipal_official())
    data = web.get(f"/competitions/events/{ev.id}/export.xlsx?status=approved").data
    rows = list(load_workbook(BytesIO(data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["导出选手"]
    assert number not in str(rows)
    printed = web.get(f"/competitions/events/{ev.id}/print").get_data(as_text=True)
    assert "导出选手" in printed and "待审选手" in printed and number not in printed


def test_an_entry_sent_back_for_changes_is_resubmitted_in_its_place(app, ctx, login_as):
    organizer, org = _organizer()
    ev = cf.event(cf.competition(org), quota_per_unit=1)
    unit, hr = _unit_hr()
    person = factories.person(employer=unit)
    reg = cf.registration(ev, person, unit)
    login_as(organizer).post(f"/competitions/events/{ev.id}/decide",
                             {"decide_one": f"{reg.id}:request_changes", "reason": "请补充证书"})
    web = login_as(hr)
    page = web.get(f"/competitions/events/{ev.id}").get_data(as_text=True)
    assert "需修改" in page and "请补充证书" in page
    assert web.post(f"/competitions/events/{ev.id}/register", {"person_id": person.id}).status_code == 303
    db.session.expire_all()
    again = db.session.get(Registration, reg.id)
    assert again.status is RegistrationStatus.SUBMITTED and again.reason == ""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_the_unit_gets_a_resubmit_link_that_preselects_the_entrant(app, ctx, login_as):
    ev = cf.event()
    unit, hr = _unit_hr()
    person = factories.person("待修改选手", unit)
    cf.registration(ev, person, unit, status=RegistrationStatus.CHANGES_REQUESTED, reason="照片不清晰")
    web = login_as(hr)
    page = web.get(f"/competitions/events/{ev.id}").get_data(as_text=True)
    assert "修改后重新提交" in page
    form = web.get(f"/competitions/events/{ev.id}/register?q=待修改选手&person={person.id}").get_data(as_text=True)
    assert f'<option selected value="{person.id}">' in form


def test_a_rejected_entry_cannot_be_approved_back_past_the_quota(app, ctx, login_as):
    organizer, org = _organizer()
    ev = cf.event(cf.competition(org), quota_per_unit=1)
    unit, hr = _unit_hr()
    first = cf.registration(ev, factories.person("甲", unit), unit, status=RegistrationStatus.REJECTED, reason="x")
    cf.registration(ev, factories.person("乙", unit, factories.valid_ric(District.PUDONG)), unit)
    response = login_as(organizer).post(f"/competitions/events/{ev.id}/decide",
                                        {"decision": "approve", "registration_id": [first.id]})
    assert response.status_code == 422 and "不能这样审核" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, first.id).status is RegistrationStatus.REJECTED


def test_decisions_only_touch_the_event_they_are_made_on(app, ctx, login_as):
    organizer, org = _organizer()
    comp = cf.competition(org)
    ev, other = cf.event(comp), cf.event(comp, name="另一赛项", starts=date(2027, 5, 1))
    unit, _hr = _unit_hr()
    reg = cf.registration(other, factories.person(employer=unit), unit)
    response = login_as(organizer).post(f"/competitions/events/{ev.id}/decide",
                                        {"decision": "approve", "registration_id": [reg.id]})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).status is RegistrationStatus.SUBMITTED


def test_resubmitting_into_another_team_needs_a_free_place(app, ctx, login_as):
    from app.competitions.registration.models import Team

    ev = cf.event(team_size=2, quota_per_unit=1)
    unit, hr = _unit_hr()
    team = Team(event_id=ev.id, unit_id=unit.id, name="一队")
    db.session.add(team)
    db.session.commit()
    a = factories.person("队员甲", unit)
    b = factories.person("队员乙", unit, factories.valid_ric(District.PUDONG))
    cf.registration(ev, a, unit, team_id=team.id)
    cf.registration(ev, b, unit, team_id=team.id, status=RegistrationStatus.CHANGES_REQUESTED)
    web = login_as(hr)
    response = web.post(f"/competitions/events/{ev.id}/register", {"person_id": b.id, "team_name": "二队"})
    assert response.status_code == 422 and "名额（1）已用完" in response.get_data(as_text=True)
    assert web.post(f"/competitions/events/{ev.id}/register",
                    {"person_id": b.id, "team_name": "一队"}).status_code == 303


def test_an_event_edit_cannot_shrink_the_quota_below_places_held(app, ctx, login_as):
    organizer, org = _organizer()
    ev = cf.event(cf.competition(org), quota_per_unit=3)
    unit, _hr = _unit_hr()
    for i in range(2):
        cf.registration(ev, factories.person(f"占位{i}", unit, factories.valid_ric(birth=date(1997, 1, i + 1))), unit)
    web = login_as(organizer)
    form = _event_form(name=ev.name, quota_per_unit="1", registration_opens_at="2026-01-01T09:00",
                       registration_closes_at="2026-12-31T17:00", starts_on="2027-01-10", ends_on="2027-01-12")
    response = web.post(f"/competitions/events/{ev.id}/edit", form)
    assert response.status_code == 422 and "已有单位占用 2 个名额" in response.get_data(as_text=True)
    assert web.post(f"/competitions/events/{ev.id}/edit", {**form, "quota_per_unit": "2"}).status_code == 303


def test_an_entry_sent_back_can_be_resubmitted_after_the_window_closed(app, ctx, login_as):
    now = utcnow()
    ev = cf.event(opens=now - timedelta(days=5), closes=now - timedelta(hours=1))
    unit, hr = _unit_hr()
    person = factories.person(employer=unit)
    cf.registration(ev, person, unit, status=RegistrationStatus.CHANGES_REQUESTED, reason="补材料")
    other = factories.person("迟到者", unit, factories.valid_ric(District.PUDONG))
    web = login_as(hr)
    assert web.post(f"/competitions/events/{ev.id}/register", {"person_id": person.id}).status_code == 303
    response = web.post(f"/competitions/events/{ev.id}/register", {"person_id": other.id})
    assert response.status_code == 422 and "报名已截止" in response.get_data(as_text=True)


def test_the_register_page_shows_the_places_left_and_a_closed_window(app, ctx, login_as):
    now = utcnow()
    unit, hr = _unit_hr()
    ev = cf.event(quota_per_unit=3)
    cf.registration(ev, factories.person(employer=unit), unit)
    web = login_as(hr)
    assert "本单位剩余名额：2" in web.get(f"/competitions/events/{ev.id}/register").get_data(as_text=True)
    closed = cf.event(name="已截止赛项", opens=now - timedelta(days=3), closes=now - timedelta(hours=1),
                      starts=date(2027, 3, 1))
    page = web.get(f"/competitions/events/{closed.id}/register").get_data(as_text=True)
    assert "只能为被退回修改的选手重新提交" in page


def test_the_picker_marks_ineligible_people_with_the_reason_and_hides_submit_after_the_window(app, ctx, login_as):
    unit, hr = _unit_hr()
    ev = cf.event(born_on_or_after=date(2004, 1, 1), min_level=SkillLevel.LEVEL_4)
    factories.person("年轻人", unit, factories.valid_ric(birth=date(2004, 1, 1)), level=SkillLevel.LEVEL_3)
    factories.person("老师傅", unit, factories.valid_ric(birth=date(2003, 12, 31)), level=SkillLevel.LEVEL_5)
    web = login_as(hr)
    html = web.get(f"/competitions/events/{ev.id}/register").get_data(as_text=True)
    options = {m.group(2).split()[0]: m.group(0) for m in re.finditer(r"<option([^>]*)>([^<]+)</option>", html)
               if m.group(2).strip() != "—"}
    assert "不符合报名条件" not in options["年轻人"]
    assert "不符合报名条件：年龄不符：须在 2004-01-01 当天或之后出生；技能等级不足" in options["老师傅"]
    assert 'data-ineligible="true"' in options["老师傅"]
    assert "提交报名" in html

    now = utcnow()
    closed = cf.event(name="已截止", opens=now - timedelta(days=2), closes=now - timedelta(seconds=1),
                      starts=date(2027, 2, 1))
    html = web.get(f"/competitions/events/{closed.id}/register").get_data(as_text=True)
    assert "报名已截止" in html and ">提交报名</button>" not in html


def test_the_entrant_list_filters_by_unit_and_name_prefix_and_shows_each_row(app, ctx, login_as):
    """The list's rows are plain result rows joined to the entrant, unit and team: the unit and name filters'
    subqueries on the same tables still filter (they are not correlated with the joins), and each cell shows."""
    from app.competitions.registration.models import Team

    ev = cf.event(team_size=2)
    east = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="东方机床厂")
    west = factories.org(OrgKind.ENTERPRISE, District.XUHUI, name="西区汽修")
    team = Team(event_id=ev.id, unit_id=east.id, name="东一队")
    db.session.add(team)
    db.session.commit()
    cf.registration(ev, factories.person("王东", east, level=SkillLevel("level3")), east, team_id=team.id,
                    status=RegistrationStatus.APPROVED)
    cf.registration(ev, factories.person("李西", west, factories.valid_ric(District.XUHUI)), west,
                    status=RegistrationStatus.CHANGES_REQUESTED, reason="照片<不清晰>")
    web = login_as(factories.municipal_official())
    whole = web.get(f"/competitions/events/{ev.id}").get_data(as_text=True)
    assert "<td>东方机床厂</td><td>东一队</td>" in whole and "<td>西区汽修</td><td></td>" in whole
    assert "照片&lt;不清晰&gt;" in whole and 'aria-label="选择 王东"' in whole
    by_unit = web.get(f"/competitions/events/{ev.id}?unit=东方").get_data(as_text=True)
    assert "王东" in by_unit and "李西" not in by_unit
    by_name = web.get(f"/competitions/events/{ev.id}?q=李").get_data(as_text=True)
    assert "李西" in by_name and "王东" not in by_name
