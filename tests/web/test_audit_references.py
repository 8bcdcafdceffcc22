"""Audit values that refer to another record (an organisation, a person, a user, an event, an occupation, a base…)
read as that record's label, looked up in bulk for the page; a deleted record shows its id with a note."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import sqlalchemy as sa
from openpyxl import load_workbook

from app.core import audit
from app.core.enums import District, OrgKind
from app.core.models import Organisation, Person
from app.extensions import db
from app.people.imports import HEADERS
from tests import competition_factories as cf
from tests import factories
from tests import training_base_factories as tf
from tests.conftest import count_queries


def changes(html: str) -> list[str]:
    """The "field: value" lines of the before/after cells, as read."""
    return [re.sub(r"<[^>]+>", "", line) for line in re.findall(r'<div><b>.*?</div>', html)]


def test_the_change_log_of_a_person_created_by_excel_import_names_the_employer(app, ctx, login_as):
    employer = factories.org(OrgKind.ENTERPRISE, District.MINHANG, name="闵行精密机械厂")
    web = login_as(factories.municipal_official())
    number = factories.valid_ric(District.MINHANG, date(1995, 1, 1), True)
    upload = web.post("/people/import", {"file": (BytesIO(factories.xlsx(HEADERS, [
        ["学员甲", "居民身份证", number, "", employer.name]])), "people.xlsx")}, content_type="multipart/form-data")
    token = upload.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    assert web.post("/people/import", {"token": token, "confirm": "all"}).status_code == 303
    person = db.session.scalar(sa.select(Person))
    lines = changes(web.get(f"/people/{person.id}").get_data(as_text=True))
    assert "工作单位: 闵行精密机械厂" in lines
    assert f"工作单位: {employer.id}" not in lines


def test_every_reference_on_the_audit_page_and_in_its_export_reads_as_a_label(app, ctx, login_as):
    official = factories.municipal_official(display_name="王审计", username="wangsj")
    unit = factories.org(name="浦东数控公司")
    athlete = factories.person("赵选手", employer=unit)
    ev = cf.event(cf.competition(name="上海市职业技能大赛"), name="数控车")
    registration = cf.registration(ev, athlete, unit)
    s = tf.setup()
    audit.record(official, "update", registration,
                 after={"event_id": ev.id, "unit_id": unit.id, "person_id": athlete.id, "user_id": official.id})
    audit.record(official, "update", s.camp, after={"occupation_code": "6-18-01-01", "base_id": s.base.id})
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(date(2026, 11, 2), 9))
    audit.record(official, "create", session, after={"facility_id": s.facility.id, "coach_id": s.coach.id})
    db.session.commit()
    web = login_as(official)
    values = [line.split(": ", 1)[1] for line in changes(web.get("/audit").get_data(as_text=True))]
    assert sorted(values) == sorted(["上海市职业技能大赛 · 数控车", "浦东数控公司", "赵选手", "王审计（wangsj）",
                                     "6-18-01-01 车工", s.base.name, "数控车实训车间", "陈教练"])
    sheet = load_workbook(BytesIO(web.get("/audit.xlsx").data)).active
    text = " ".join(str(c.value) for row in sheet.iter_rows(min_row=2) for c in row if c.value)
    assert "上海市职业技能大赛 · 数控车" in text and "浦东数控公司" in text and "数控车实训车间" in text
    assert f": {ev.id}；" not in text


def test_a_deleted_reference_shows_its_id_with_a_note(app, ctx, login_as):
    official = factories.municipal_official()
    gone = factories.org(name="已注销公司")
    person = factories.person("钱某")
    audit.record(official, "update", person, before={"employer_id": gone.id}, after={"employer_id": None})
    db.session.commit()
    gone_id = gone.id
    db.session.execute(sa.delete(Organisation).where(Organisation.id == gone_id))
    db.session.commit()
    lines = changes(login_as(official).get(f"/people/{person.id}").get_data(as_text=True))
    assert f"工作单位: {gone_id}（记录已删除）" in lines


def test_the_audit_page_looks_references_up_in_bulk(app, ctx, login_as):
    official = factories.municipal_official()
    web = login_as(official)

    def entries(n: int) -> None:
        for i in range(n):
            unit = factories.org(name=f"单位{i}")
            person = factories.person(f"人员{i}", employer=unit)
            audit.record(official, "update", person, after={"employer_id": unit.id, "person_id": person.id,
                                                            "user_id": official.id,
                                                            "occupation_code": "6-18-01-01"})
        db.session.commit()

    entries(1)
    with count_queries(app) as few:
        web.get("/audit")
    entries(12)
    with count_queries(app) as many:
        page = web.get("/audit").get_data(as_text=True)
    assert "单位11" in page and "人员11" in page
    assert len(many) == len(few)
