"""Merging duplicate person records (实名制): an official picks two, sees what each holds, merges them into one;
every reference moves, nothing is lost, the merge is audited; a conflict refuses the merge and writes nothing."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.apprenticeships.models import Enrollment
from app.competitions.registration.models import Registration
from app.core.enums import District, OrgKind, Role, SkillLevel
from app.core.models import AuditEntry, Certificate, Person, User
from app.extensions import db
from app.people import person_merge
from tests import apprenticeship_factories as af
from tests import competition_factories as cf
from tests import factories


@pytest.fixture()
def duplicates(app, ctx):
    """张伟 registered twice: the second record (a mistyped number) holds a registration, a certificate,
    an enrollment and the person's account; the first holds another registration."""
    af.policies()
    cast = af.cast(District.XUHUI)
    first = factories.person("张伟", cast.enterprise, factories.valid_ric(District.XUHUI, date(1996, 2, 3)), phone=None)
    second = factories.person("张伟", cast.enterprise, factories.valid_ric(District.XUHUI, date(1996, 2, 4)),
                              phone="13987654321", level=SkillLevel.LEVEL_5)
    ev1, ev2 = cf.event(name="数控车"), cf.event(name="数控铣")
    cf.registration(ev1, first, cast.enterprise)
    cf.registration(ev2, second, cast.enterprise)
    db.session.add(Certificate(person_id=second.id, level=SkillLevel.LEVEL_4, occupation_code="6-18-01-01",
                               issuer="上海市职业技能鉴定中心", number="S3100001", issued_on=date(2024, 6, 1)))
    db.session.commit()
    af.enrollment(cast, second)
    factories.user(cast.enterprise, Role.PERSON, username="zhangwei", person_id=second.id)
    return cast, first, second


def _refs_to(person_id: int) -> dict[str, int]:
    counts = {}
    for column in person_merge.references():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == person_id))
        if n:
            counts[f"{column.table.name}.{column.name}"] = n
    return counts


def test_the_official_sees_both_records_and_merges_everything_into_the_one_kept(duplicates, login_as):
    cast, first, second = duplicates
    first_id, second_id, second_masked = first.id, second.id, second.id_number_masked
    web = login_as(factories.municipal_official())
    html = web.get(f"/people/{first_id}/merge").get_data(as_text=True)
    assert f"other_id={second_id}" in html  # offered as a candidate (same name)
    html = web.get(f"/people/{first_id}/merge?other_id={second_id}").get_data(as_text=True)
    # What each holds, side by side.
    assert "赛项报名：1" in html and "职业技能等级证书：1" in html and "学徒培训：1" in html and "用户账号：1" in html

    expected = {}
    for refs in (_refs_to(first_id), _refs_to(second_id)):
        for k, v in refs.items():
            expected[k] = expected.get(k, 0) + v
    response = web.post(f"/people/{first_id}/merge", {"other_id": second_id, "keep": "this"})
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    assert db.session.get(Person, second_id) is None
    assert _refs_to(second_id) == {} and _refs_to(first_id) == expected  # every reference moved, none lost
    assert set(db.session.scalars(sa.select(Registration.person_id))) == {first_id}
    assert db.session.scalar(sa.select(Enrollment.person_id)) == first_id
    assert db.session.scalar(sa.select(User.person_id).where(User.username == "zhangwei")) == first_id
    kept = db.session.get(Person, first_id)
    assert kept.phone_masked == "139****4321" and kept.current_level is SkillLevel.LEVEL_5  # gaps filled
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "merge"))
    assert entry.entity_type == "people" and entry.entity_id == str(first_id)
    assert entry.after["merged"]["id"] == second_id and entry.after["moved"]["赛项报名"] == 1
    assert entry.after["merged"]["id_number_masked"] == second_masked


def test_keeping_the_other_record_merges_this_one_into_it(duplicates, login_as):
    cast, first, second = duplicates
    first_id, second_id = first.id, second.id
    web = login_as(factories.municipal_official())
    response = web.post(f"/people/{first_id}/merge", {"other_id": second_id, "keep": "other"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/people/{second_id}")
    db.session.expire_all()
    assert db.session.get(Person, first_id) is None
    assert set(db.session.scalars(sa.select(Registration.person_id))) == {second_id}


def test_two_records_registered_for_the_same_event_are_not_merged_and_nothing_moves(duplicates, login_as):
    cast, first, second = duplicates
    first_id, second_id = first.id, second.id
    ev = db.session.scalar(sa.select(Registration.event_id).where(Registration.person_id == first_id))
    db.session.add(Registration(event_id=ev, person_id=second_id, unit_id=cast.enterprise.id))
    db.session.commit()
    before = (_refs_to(first_id), _refs_to(second_id))
    web = login_as(factories.municipal_official())
    response = web.post(f"/people/{first_id}/merge", {"other_id": second_id, "keep": "this"})
    assert response.status_code == 422
    assert "赛项报名" in response.get_data(as_text=True) and "请先撤销其中一条再合并" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (_refs_to(first_id), _refs_to(second_id)) == before
    assert db.session.get(Person, second_id) is not None
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "merge")) is None


def test_only_officials_merge_and_only_people_in_their_district(duplicates, login_as):
    cast, first, second = duplicates
    hr = login_as(cast.hr)
    assert hr.get(f"/people/{first.id}/merge").status_code == 403
    assert hr.post(f"/people/{first.id}/merge", {"other_id": second.id, "keep": "this"}).status_code == 403
    outsider = factories.person("张伟", factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="浦东某厂"))
    xuhui = login_as(factories.district_official(District.XUHUI))
    assert xuhui.post(f"/people/{first.id}/merge", {"other_id": outsider.id, "keep": "this"}).status_code in (403, 404)
    assert db.session.get(Person, outsider.id) is not None
