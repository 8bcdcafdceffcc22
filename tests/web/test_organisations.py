import sqlalchemy as sa

from app.core.demo import fake_uscc
from app.core.enums import District, OrgKind, Role
from app.core.models import AuditEntry, Organisation, User
from app.extensions import db
from tests import factories
from tests.conftest import count_queries


def _uscc(district=District.PUDONG) -> str:
    import random

    return fake_uscc(random.Random(99), district)


def test_official_registers_an_enterprise_and_the_write_is_audited(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    response = web.post("/organisations/new", {"name": "上海测试精工有限公司", "kind": "enterprise",
                                               "uscc": _uscc(), "district": "pudong", "active": "y",
                                               "contact_phone": "13912345678"})
    assert response.status_code == 303
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "上海测试精工有限公司"))
    assert org.district is District.PUDONG and org.contact_phone_masked == "139****5678"
    assert "13912345678" not in (org.contact_phone_encrypted or "")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "organisations"))
    assert entry.action == "create" and entry.after["name"] == "上海测试精工有限公司"
    assert "13912345678" not in str(entry.after)
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "上海测试精工有限公司" in page and "变更记录" in page


def test_enterprise_with_bad_credit_code_gets_422_and_nothing_is_written(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    bad = _uscc()[:-1] + ("0" if _uscc()[-1] != "0" else "1")
    response = web.post("/organisations/new", {"name": "坏代码公司", "kind": "enterprise", "uscc": bad,
                                               "district": "pudong"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "统一社会信用代码校验位不正确" in html and 'id="uscc-error"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(
        Organisation.name == "坏代码公司")) == 0


def test_enterprise_needs_a_credit_code_and_a_district(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    response = web.post("/organisations/new", {"name": "无代码公司", "kind": "enterprise", "district": "pudong"})
    assert response.status_code == 422 and "企业须填写统一社会信用代码" in response.get_data(as_text=True)
    response = web.post("/organisations/new", {"name": "某技师学院", "kind": "technician_college", "district": ""})
    assert response.status_code == 422 and "请选择所在区" in response.get_data(as_text=True)


def test_duplicate_credit_code_is_refused(app, ctx, login_as):
    existing = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    web = login_as(factories.municipal_official())
    response = web.post("/organisations/new", {"name": "另一家", "kind": "enterprise", "uscc": existing.uscc,
                                               "district": "pudong"})
    assert response.status_code == 422 and "该统一社会信用代码已登记" in response.get_data(as_text=True)


def test_district_official_sees_and_edits_only_their_district(app, ctx, login_as):
    mine = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="浦东某公司")
    other = factories.org(OrgKind.ENTERPRISE, District.XUHUI, name="徐汇某公司")
    web = login_as(factories.district_official(District.PUDONG))
    listing = web.get("/organisations").get_data(as_text=True)
    assert "浦东某公司" in listing and "徐汇某公司" not in listing
    assert web.get(f"/organisations/{other.id}").status_code == 403
    assert web.get(f"/organisations/{other.id}/edit").status_code == 403
    response = web.post(f"/organisations/{mine.id}/edit", {"name": "浦东某公司（更名）", "kind": "enterprise",
                                                          "uscc": mine.uscc, "district": "xuhui", "active": "y"})
    assert response.status_code == 422 and "区人社局只能管理本区的单位" in response.get_data(as_text=True)
    response = web.post(f"/organisations/{mine.id}/edit", {"name": "浦东某公司（更名）", "kind": "enterprise",
                                                          "uscc": mine.uscc, "district": "pudong", "active": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organisation, mine.id).name == "浦东某公司（更名）"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "update"))
    assert entry.before == {"name": "浦东某公司"} and entry.after == {"name": "浦东某公司（更名）"}


def test_staff_without_official_role_cannot_manage_organisations(app, ctx, login_as):
    org = factories.org()
    web = login_as(factories.user(org, Role.ENTERPRISE_HR))
    assert web.get("/organisations").status_code == 403
    assert web.post("/organisations/new", {"name": "x", "kind": "enterprise"}).status_code == 403


def test_organisation_filters_live_in_the_url_and_htmx_gets_only_the_rows(app, ctx, login_as):
    factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="浦东甲公司")
    factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG, name="浦东技师学院")
    web = login_as(factories.municipal_official())
    fragment = web.get("/organisations?kind=technician_college", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "浦东技师学院" in html and "浦东甲公司" not in html
    assert "<html" not in html and 'id="flash-messages"' in html  # rows plus the out-of-band flash area
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = web.get("/organisations?kind=technician_college", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    restore = web.get("/organisations", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_organisation_list_query_count_does_not_grow_with_rows(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    factories.org()
    with count_queries(app) as few:
        web.get("/organisations")
    for _ in range(30):
        factories.org()
    with count_queries(app) as many:
        web.get("/organisations")
    assert len(many) == len(few)


def test_official_creates_a_user_with_roles_in_a_unit(app, ctx, login_as):
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    web = login_as(factories.municipal_official())
    response = web.post("/users/new", {"username": "newhr", "display_name": "新人事", "organisation_id": org.id,
                                       "roles": ["enterprise_hr", "mentor"], "password": "long-enough-pw",
                                       "active": "y"})
    assert response.status_code == 303
    user = db.session.scalar(sa.select(User).where(User.username == "newhr"))
    assert user.roles == {Role.ENTERPRISE_HR, Role.MENTOR} and user.organisation_id == org.id
    assert "long-enough-pw" not in str(db.session.scalars(sa.select(AuditEntry.after)).all())


def test_official_role_only_for_bureau_staff_and_short_passwords_refused(app, ctx, login_as):
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    web = login_as(factories.municipal_official())
    response = web.post("/users/new", {"username": "bad", "display_name": "x", "organisation_id": org.id,
                                       "roles": ["official"], "password": "long-enough-pw"})
    assert response.status_code == 422 and "人社工作人员角色只能授予人社局的用户" in response.get_data(as_text=True)
    response = web.post("/users/new", {"username": "bad", "display_name": "x", "organisation_id": org.id,
                                       "roles": ["mentor"], "password": "short"})
    assert response.status_code == 422 and "密码至少10位" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "bad")) is None


def test_district_official_manages_only_users_of_their_district(app, ctx, login_as):
    mine = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    other = factories.org(OrgKind.ENTERPRISE, District.XUHUI)
    theirs = factories.user(other, Role.ENTERPRISE_HR, username="xuhui_hr")
    factories.user(mine, Role.ENTERPRISE_HR, username="pudong_hr")
    web = login_as(factories.district_official(District.PUDONG))
    listing = web.get("/users").get_data(as_text=True)
    assert "pudong_hr" in listing and "xuhui_hr" not in listing
    assert web.get(f"/users/{theirs.id}/edit").status_code == 403
    response = web.post("/users/new", {"username": "sneaky", "display_name": "x", "organisation_id": other.id,
                                       "roles": ["mentor"], "password": "long-enough-pw"})
    assert response.status_code == 422


def test_users_list_query_count_does_not_grow_with_rows(app, ctx, login_as):
    org = factories.org()
    web = login_as(factories.municipal_official())
    factories.user(org, Role.MENTOR)
    with count_queries(app) as few:
        web.get("/users")
    for _ in range(20):
        factories.user(factories.org(), Role.MENTOR, Role.COACH)
    with count_queries(app) as many:
        web.get("/users")
    assert len(many) == len(few)


def test_a_person_account_is_linked_by_document_number(app, ctx, login_as):
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    number = factories.valid_ric()
    athlete = factories.person("选手甲", org, number)
    web = login_as(factories.municipal_official())
    form = {"username": "athlete1", "display_name": "选手甲", "organisation_id": org.id, "roles": ["person"],
            "password": "long-enough-pw", "active": "y"}
    response = web.post("/users/new", form)
    assert response.status_code == 422 and "个人角色须填写本人证件号码" in response.get_data(as_text=True)
    response = web.post("/users/new", {**form, "person_id_number": factories.valid_ric(District.JINSHAN)})
    assert response.status_code == 422 and "人员库中没有此证件号码" in response.get_data(as_text=True)
    assert web.post("/users/new", {**form, "person_id_number": number}).status_code == 303
    user = db.session.scalar(sa.select(User).where(User.username == "athlete1"))
    assert user.person_id == athlete.id
    assert number not in str(db.session.scalars(sa.select(AuditEntry.after)).all())


def test_an_official_cannot_lock_themselves_out(app, ctx, login_as):
    me = factories.municipal_official(username="me")
    web = login_as(me)
    form = {"display_name": "我", "organisation_id": me.organisation_id, "roles": ["organizer"], "active": "y"}
    response = web.post(f"/users/{me.id}/edit", form)
    assert response.status_code == 422 and "不能停用自己的账号" in response.get_data(as_text=True)
    response = web.post(f"/users/{me.id}/edit", {**form, "roles": ["official"], "active": ""})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, me.id).roles == {Role.OFFICIAL} and db.session.get(User, me.id).active
