import threading
from datetime import date
from io import BytesIO

import sqlalchemy as sa
from openpyxl import load_workbook

from app.competitions.registration import services
from app.competitions.registration.imports import HEADERS
from app.competitions.registration.models import Registration
from app.core.enums import District, OrgKind, Role, SkillLevel
from app.core.models import Person, User
from app.core.types import utcnow
from app.errors import DomainError
from app.extensions import db
from tests import competition_factories as cf
from tests import factories


def _import(web, ev, rows):
    return web.post(f"/competitions/events/{ev.id}/import",
                    {"import-file": (BytesIO(factories.xlsx(HEADERS, rows)), "entrants.xlsx")},
                    content_type="multipart/form-data")


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


def test_template_has_the_columns(app, ctx, login_as):
    ev = cf.event()
    web = login_as(factories.user(factories.org(), Role.ENTERPRISE_HR))
    ws = load_workbook(BytesIO(web.get(f"/competitions/events/{ev.id}/import/template.xlsx").data)).active
    assert [c.value for c in ws[1]] == HEADERS


def test_a_sheet_with_one_bad_row_writes_nothing_and_reports_the_row(app, ctx, login_as):
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    hr = factories.user(unit, Role.ENTERPRISE_HR)
    ev = cf.event(born_on_or_after=date(2004, 1, 1))
    ok = factories.person("合格选手", unit, factories.valid_ric(birth=date(2005, 5, 5)))
    too_old = factories.person("超龄选手", unit, factories.valid_ric(birth=date(1990, 5, 5)))
    ok_number = factories.valid_ric(birth=date(2005, 5, 5))
    web = login_as(hr)
    from app.core.crypto import cipher

    rows = [["合格选手", "", cipher().decrypt(ok.id_number_encrypted)],
            ["超龄选手", "", cipher().decrypt(too_old.id_number_encrypted)],
            ["新员工", "居民身份证", ok_number]]
    response = _import(web, ev, rows)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "文件有误，未导入任何数据" in html and "年龄不符" in html
    assert _count() == 0
    assert db.session.scalar(sa.select(Person).where(Person.name == "新员工")) is None

    response = _import(web, ev, [rows[0], rows[2]])
    assert response.status_code == 303
    assert _count() == 2
    newcomer = db.session.scalar(sa.select(Person).where(Person.name == "新员工"))
    assert newcomer.employer_id == unit.id


def test_rows_beyond_the_quota_are_reported(app, ctx, login_as):
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    ev = cf.event(quota_per_unit=1)
    numbers = [factories.valid_ric(birth=date(2000, 2, i + 1)) for i in range(2)]
    response = _import(login_as(factories.user(unit, Role.ENTERPRISE_HR)), ev,
                       [["甲", "", numbers[0]], ["乙", "", numbers[1]]])
    assert response.status_code == 422 and "名额（1）已用完" in response.get_data(as_text=True)
    assert _count() == 0


def test_two_simultaneous_registrations_of_one_person_leave_one_row(app, ctx):
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    hr_id = factories.user(unit, Role.ENTERPRISE_HR).id
    ev_id = cf.event(quota_per_unit=5).id
    person_id = factories.person(employer=unit, level=SkillLevel.LEVEL_3).id
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list[str] = []
    real_lookup = services.eligibility_messages

    def wait_then_check(person, event):
        # Both requests have passed the "already registered" check before either writes.
        problems = real_lookup(person, event)
        barrier.wait()
        return problems

    def submit() -> None:
        with app.app_context():
            try:
                services.register(db.session.get(User, hr_id), db.session.get(cf.Event, ev_id),
                                  db.session.get(Person, person_id), utcnow())
                outcomes.append("created")
            except DomainError as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    services.eligibility_messages = wait_then_check
    try:
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        services.eligibility_messages = real_lookup
    assert sorted(outcomes) == ["created", "该选手已报名此赛项"]
    db.session.rollback()
    assert _count() == 1
