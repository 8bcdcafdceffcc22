"""Route × role: nobody reads or writes across organisations."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.competitions.registration.models import RegistrationStatus
from app.core.enums import District, OrgKind, Role
from tests import competition_factories as cf
from tests import factories

SECRET_NAME = "乙单位选手"


@pytest.fixture()
def world(app, ctx):
    """Organiser A runs an event; unit B (Pudong) entered a person; outsiders belong to unit C (Xuhui)."""
    org_a = factories.org(OrgKind.ASSOCIATION, District.JINGAN, name="甲协会")
    unit_b = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="乙企业")
    unit_c = factories.org(OrgKind.ENTERPRISE, District.XUHUI, name="丙企业")
    comp = cf.competition(org_a)
    ev = cf.event(comp)
    reg = cf.registration(ev, factories.person(SECRET_NAME, unit_b), unit_b)
    outsiders = {
        "organizer_of_c": factories.user(unit_c, Role.ORGANIZER),
        "hr_of_c": factories.user(unit_c, Role.ENTERPRISE_HR),
        "college_staff_of_c": factories.user(unit_c, Role.COLLEGE_STAFF),
        "xuhui_official": factories.district_official(District.XUHUI),
        "person": factories.user(unit_c, Role.PERSON),
        "coach": factories.user(unit_c, Role.COACH),
    }
    return {"comp": comp, "event": ev, "reg": reg, "outsiders": outsiders}


WRITES = [
    ("GET", "/competitions/{comp}/edit"),
    ("POST", "/competitions/{comp}/edit"),
    ("GET", "/competitions/{comp}/events/new"),
    ("POST", "/competitions/{comp}/events/new"),
    ("GET", "/competitions/events/{event}/edit"),
    ("POST", "/competitions/events/{event}/edit"),
    ("POST", "/competitions/registrations/{reg}/withdraw"),
]
OUTSIDERS = ["organizer_of_c", "hr_of_c", "college_staff_of_c", "xuhui_official", "person", "coach"]


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize("method, path", WRITES)
def test_outsiders_cannot_manage_another_organisations_competition(world, login_as, role, method, path):
    web = login_as(world["outsiders"][role])
    url = path.format(comp=world["comp"].id, event=world["event"].id, reg=world["reg"].id)
    response = web.get(url) if method == "GET" else web.post(url, {})
    assert response.status_code == 403


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_review_another_organisations_entrants(world, login_as, role):
    web = login_as(world["outsiders"][role])
    response = web.post(f"/competitions/events/{world['event'].id}/decide",
                        {"decision": "approve", "registration_id": [world["reg"].id]})
    assert response.status_code in (403, 422)
    from app.extensions import db

    db.session.refresh(world["reg"])
    assert world["reg"].status is RegistrationStatus.SUBMITTED


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_read_no_other_units_entrants(world, login_as, role):
    web = login_as(world["outsiders"][role])
    ev = world["event"].id
    assert SECRET_NAME not in web.get(f"/competitions/events/{ev}").get_data(as_text=True)
    assert SECRET_NAME not in web.get(f"/competitions/events/{ev}/print").get_data(as_text=True)
    rows = list(load_workbook(BytesIO(web.get(f"/competitions/events/{ev}/export.xlsx").data)).active.iter_rows(
        values_only=True))
    assert len(rows) == 1  # the header only


@pytest.mark.parametrize("insider, sees", [("organiser", True), ("unit", True), ("pudong_official", True)])
def test_insiders_see_the_entrant(world, login_as, insider, sees):
    import sqlalchemy as sa

    from app.core.models import Organisation
    from app.extensions import db

    org_a = db.session.scalar(sa.select(Organisation).where(Organisation.name == "甲协会"))
    unit_b = db.session.scalar(sa.select(Organisation).where(Organisation.name == "乙企业"))
    user = {"organiser": lambda: factories.user(org_a, Role.ORGANIZER),
            "unit": lambda: factories.user(unit_b, Role.ENTERPRISE_HR),
            "pudong_official": lambda: factories.district_official(District.PUDONG)}[insider]()
    page = login_as(user).get(f"/competitions/events/{world['event'].id}").get_data(as_text=True)
    assert (SECRET_NAME in page) is sees
