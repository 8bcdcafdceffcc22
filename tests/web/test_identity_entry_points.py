"""One identity rule at every entry point (实名制): the same table of 身份证号 cases runs through the person form,
the people import, the registration import, the enrollment import and user–person linking.

A number that is the known person's number in another spelling (full-width digits, spaces, a lower-case x)
finds that person — never a second one; a number that breaks the rule is refused with the rule's message and
nothing is written."""

from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from stdnum.cn import ric

from app.apprenticeships.imports import HEADERS as CLASS_HEADERS
from app.apprenticeships.imports import PLAN_HEADERS, PLAN_SHEET
from app.apprenticeships.models import Enrollment
from app.competitions.registration.imports import HEADERS as ENTRANT_HEADERS
from app.competitions.registration.models import Registration
from app.core.models import Person, User
from app.extensions import db
from app.people.imports import HEADERS as PEOPLE_HEADERS
from tests import apprenticeship_factories as af
from tests import competition_factories as cf
from tests import factories

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
KNOWN = "310104199001010013"  # the known person's number: 徐汇区, 1990-01-01 (check character computed below)


def _checked(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _known_number() -> str:
    """A valid number ending in X, so that a lower-case x can be typed."""
    for seq in range(1, 999):
        number = _checked(f"31010419900101{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError


def _full_width(number: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)


SAME = None  # the case names the known person
CASES = {
    "full-width digits": (lambda n: _full_width(n), SAME),
    "spaces and a lower-case x": (lambda n: f" {n[:6]} {n[6:14]} {n[14:].lower()} ", SAME),
    "wrong check character": (lambda n: n[:-1] + "1", "身份证号校验位不正确"),
    "not a real date": (lambda n: _checked("31010419990230001"), "身份证号中的出生日期不是真实日期"),
    "unknown region": (lambda n: _checked("99000019900101001"), "身份证号前6位不是有效的地区码"),
    "born in the future": (lambda n: _checked("31010420300101001"), "身份证号中的出生日期晚于今天"),
    "too young to work": (lambda n: _checked("31010420150101001"), "年龄不在16–100周岁之间"),
    "old 15 digits": (lambda n: "310104900101001", "这是15位旧身份证号，请填写18位身份证号"),
}


@pytest.fixture()
def world(app, ctx, fixed_clock):
    fixed_clock(NOW)
    af.policies()
    cast = af.cast()
    number = _known_number()
    known = factories.person("王五", cast.enterprise, number)
    event = cf.event(opens=NOW - timedelta(days=1), closes=NOW + timedelta(days=10), starts=date(2026, 6, 1))
    klass = af.klass(cast)
    yield cast, known, number, event, klass
    fixed_clock(None)


def _people() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def _xlsx(headers, rows, plan=False) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    if plan:
        sheet = wb.create_sheet(PLAN_SHEET)
        sheet.append(PLAN_HEADERS)
        sheet.append(["安全生产", "课堂", 200])
        sheet.append(["岗位实训", "岗位实践", 500])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def person_form(web_for, world, typed):
    cast, known, *_ = world
    response = web_for(cast.hr).post("/people/new", {"name": "王五", "doc_type": "ric", "id_number": typed,
                                                     "employer_id": cast.enterprise.id})
    html = response.get_data(as_text=True)
    # The known person is found: the form refuses a second registration of the same number.
    found = response.status_code == 422 and "该证件号码已登记" in html
    return response.status_code, html, found


def people_import(web_for, world, typed):
    cast, known, *_ = world
    web = web_for(cast.hr)
    response = web.post("/people/import", {"file": (BytesIO(_xlsx(PEOPLE_HEADERS, [["王五", "居民身份证", typed]])),
                                                    "people.xlsx")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    # The preview lists the row's problem; confirming the whole file is then refused.
    confirmed = web.post("/people/import", {"token": token, "confirm": "all"})
    return confirmed.status_code, html, "已登记（跳过）1 行" in html


def registration_import(web_for, world, typed):
    cast, known, _, event, _ = world
    response = web_for(cast.hr).post(
        f"/competitions/events/{event.id}/import",
        {"import-file": (BytesIO(_xlsx(ENTRANT_HEADERS, [["王五", "", typed]])), "entrants.xlsx")},
        content_type="multipart/form-data")
    found = db.session.scalar(sa.select(Registration.person_id)) == known.id
    return response.status_code, response.get_data(as_text=True), found


def enrollment_import(web_for, world, typed):
    cast, known, _, _, klass = world
    row = ["王五", "", typed, "新招用", "2026-01-01", "2029-01-01", "孙师傅", "钱老师", "2026-03-01", "2027-03-01", ""]
    response = web_for(cast.hr).post(
        f"/apprenticeships/classes/{klass.id}/import",
        {"import-file": (BytesIO(_xlsx(CLASS_HEADERS, [row], plan=True)), "class.xlsx")},
        content_type="multipart/form-data")
    found = db.session.scalar(sa.select(Enrollment.person_id)) == known.id
    return response.status_code, response.get_data(as_text=True), found


def user_linking(web_for, world, typed):
    cast, known, *_ = world
    response = web_for(factories.municipal_official()).post("/users/new", {
        "username": "wangwu", "display_name": "王五", "organisation_id": cast.enterprise.id, "roles": ["person"],
        "password": "long-enough-pw", "active": "y", "person_id_number": typed})
    found = db.session.scalar(sa.select(User.person_id).where(User.username == "wangwu")) == known.id
    return response.status_code, response.get_data(as_text=True), found


ENTRY_POINTS = [person_form, people_import, registration_import, enrollment_import, user_linking]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=[f.__name__ for f in ENTRY_POINTS])
def test_every_entry_point_applies_the_one_identity_rule(world, login_as, entry, case):
    spell, refusal = CASES[case]
    typed = spell(world[2])
    before = _people()
    status, html, found = entry(login_as, world, typed)
    if refusal is SAME:
        assert found, html[-3000:]
    else:
        assert status == 422 and refusal in html, (status, html[-3000:])
        assert not found
    assert _people() == before  # never a second person, never a half-written one
