"""The person's skills record (培训电子档案): one page with a timeline from every area, printable and exported."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import load_workbook

from app.competitions.awards import services as awards
from app.competitions.judging import services as judging
from app.competitions.squads import services as squads
from app.core.enums import Role, SkillLevel
from app.core.models import AuditEntry, Certificate
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.conftest import count_queries


def champion_with_history():
    ev, aspects, panel, organiser = cf.judged_event(n=3, aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"], 3: ["70"]})
    judging.lock_results(organiser, ev, utcnow())
    result = judging.results(ev)[0]
    person = result.contestant.members[0].person
    factories.occupation()
    db.session.add(Certificate(person_id=person.id, level=SkillLevel.LEVEL_3, occupation_code="6-18-01-01",
                               issuer="上海市职业技能鉴定中心", number="C2024001", issued_on=date(2024, 6, 1)))
    db.session.commit()
    squad = squads.create_squad(organiser, ev, name="市集训队", tier="第一梯队", target_event_id=None,
                                final_size=1, result_ids=[result.id])
    cf.award_rule(band="gold", competitor_amount="10000", name="市赛金牌")
    official = factories.municipal_official()
    awards.generate(official, ev)
    published = utcnow()
    starts = published.astimezone(ZoneInfo("Asia/Shanghai")).date()  # a notice starts no earlier than it is published
    awards.publish_notice(official, ev, "公示", starts, published)
    awards.approve(official, ev, today=starts + timedelta(days=18), now=utcnow())
    return person, ev, squad


def test_the_record_lists_certificates_results_squads_and_awards_on_one_timeline(app, ctx, login_as):
    person, ev, _squad = champion_with_history()
    page = login_as(factories.municipal_official()).get(f"/supervision/people/{person.id}/record").get_data(
        as_text=True)
    timeline = page[page.index('id="timeline"'):]
    for text in ("取得高级工（三级）证书", "第 1 名，90.00 分 · 金牌", "进入市集训队", "市赛金牌", "10,000.00 元"):
        assert text in timeline, text
    assert timeline.index("2024-06-01") > timeline.index(ev.ends_on.isoformat())  # newest first
    assert "奖励与荣誉" in page and "技能竞赛与集训" in page


def test_a_person_sees_their_own_record_but_not_anothers(app, ctx, login_as):
    person, ev, _squad = champion_with_history()
    someone_else = factories.person("李四", employer=factories.org())
    client = login_as(factories.user(person.employer, Role.PERSON, person_id=person.id))
    assert client.get("/supervision/my-record").headers["Location"].endswith(f"/supervision/people/{person.id}/record")
    assert client.get(f"/supervision/people/{person.id}/record").status_code == 200
    assert client.get(f"/supervision/people/{someone_else.id}/record").status_code == 403


def test_a_unit_sees_its_own_staff_only(app, ctx, login_as):
    person, _ev, _squad = champion_with_history()
    own_hr = login_as(factories.user(person.employer, Role.ENTERPRISE_HR))
    other_hr = login_as(factories.user(factories.org(), Role.ENTERPRISE_HR))
    assert own_hr.get(f"/supervision/people/{person.id}/record").status_code == 200
    assert other_hr.get(f"/supervision/people/{person.id}/record").status_code == 403


def test_revealing_the_full_id_number_from_the_record_is_audited(app, ctx, login_as):
    person, _ev, _squad = champion_with_history()
    client = login_as(factories.municipal_official())
    page = client.get(f"/supervision/people/{person.id}/record").get_data(as_text=True)
    assert person.id_number_masked in page and "查看完整号码" in page
    client.post(f"/people/{person.id}/reveal", headers={"HX-Request": "true"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "reveal_id_number", AuditEntry.entity_id == str(person.id))) == 1


def test_the_record_exports_to_excel(app, ctx, login_as):
    person, _ev, _squad = champion_with_history()
    client = login_as(factories.municipal_official())
    sheet = load_workbook(BytesIO(client.get(f"/supervision/people/{person.id}/record.xlsx").data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["姓名", person.name] and rows[1][:2] == ["证件号码", person.id_number_masked]
    kinds = [r[1] for r in rows[6:]]
    assert {"证书", "竞赛", "集训队", "奖励"} <= set(kinds)


def test_the_record_page_queries_do_not_grow_with_entries(app, ctx, login_as):
    person, _ev, _squad = champion_with_history()
    url = f"/supervision/people/{person.id}/record"
    client = login_as(factories.municipal_official())
    client.get(url)
    with count_queries(app) as few:
        client.get(url)
    for n in range(3):  # three more entries
        ev = cf.event(name=f"赛项{n}")
        cf.registration(ev, person, person.employer, status=judging.RegistrationStatus.APPROVED)
    with count_queries(app) as many:
        client.get(url)
    assert len(many) == len(few)
