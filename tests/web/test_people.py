from datetime import date

import sqlalchemy as sa

from app.core.enums import District, OrgKind, Role, Sex, SkillLevel
from app.core.models import AuditEntry, Person
from app.extensions import db
from tests import factories
from tests.conftest import count_queries


def _person_form(**fields):
    return {"name": "李雷", "doc_type": "ric", "id_number": factories.valid_ric(District.XUHUI, date(1999, 3, 8), True),
            "phone": "13912340000", **fields}


def test_registering_a_person_derives_birth_date_and_sex_and_encrypts_the_id(app, ctx, login_as):
    employer = factories.org(OrgKind.ENTERPRISE, District.XUHUI)
    web = login_as(factories.municipal_official())
    form = _person_form(employer_id=employer.id)
    response = web.post("/people/new", form)
    assert response.status_code == 303
    person = db.session.scalar(sa.select(Person).where(Person.name == "李雷"))
    assert person.birth_date == date(1999, 3, 8) and person.sex is Sex.MALE
    raw = db.session.execute(sa.text("SELECT id_number_encrypted, id_number_masked, phone_encrypted FROM people"))
    stored = " ".join(str(v) for row in raw for v in row)
    assert form["id_number"] not in stored and "13912340000" not in stored
    assert person.id_number_masked == form["id_number"][:3] + "*" * 13 + form["id_number"][-2:]
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "1999-03-08" in page and "男" in page and form["id_number"] not in page


def test_bad_check_digit_is_shown_next_to_the_id_field_and_nothing_is_written(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    good = factories.valid_ric()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = web.post("/people/new", _person_form(id_number=bad))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "身份证号校验位不正确" in html and 'id="id_number-error"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "people")) == 0


def test_a_person_is_registered_only_once(app, ctx, login_as):
    existing = factories.person()
    number = db.session.scalar(sa.select(Person.id_number_encrypted).where(Person.id == existing.id))
    from app.core.crypto import cipher

    web = login_as(factories.municipal_official())
    response = web.post("/people/new", _person_form(id_number=cipher().decrypt(number)))
    assert response.status_code == 422 and "该证件号码已登记" in response.get_data(as_text=True)


def test_other_document_types_take_birth_date_and_sex_from_the_form(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    response = web.post("/people/new", {"name": "John Smith", "doc_type": "passport", "id_number": "E12345678",
                                        "birth_date": "1990-01-02", "sex": "M"})
    assert response.status_code == 303
    person = db.session.scalar(sa.select(Person).where(Person.name == "John Smith"))
    assert person.birth_date == date(1990, 1, 2) and person.id_number_masked == "E******78"


def test_bad_phone_is_refused_next_to_the_field(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    response = web.post("/people/new", _person_form(phone="12345"))
    assert response.status_code == 422 and "请输入11位中国大陆手机号" in response.get_data(as_text=True)


def test_list_masks_ids_and_phones(app, ctx, login_as):
    number = factories.valid_ric()
    factories.person(name="韩梅梅", id_number=number, phone="13600001111")
    web = login_as(factories.municipal_official())
    html = web.get("/people").get_data(as_text=True)
    assert "韩梅梅" in html and number not in html and "13600001111" not in html
    assert number[:3] + "*" * 13 + number[-2:] in html and "136****1111" in html


def test_search_by_name_prefix_id_tail_and_employer(app, ctx, login_as):
    acme = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="申港精密")
    other = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="东浦汽车")
    wang = factories.person(name="王小明", employer=acme)
    factories.person(name="王大力", employer=other)
    factories.person(name="李四", employer=other, id_number=factories.valid_ric(District.PUDONG))
    web = login_as(factories.municipal_official())

    names = web.get("/people?q=王").get_data(as_text=True)
    assert "王小明" in names and "王大力" in names and "李四" not in names

    tail = web.get(f"/people?q={wang.id_tail}").get_data(as_text=True)
    assert "王小明" in tail and "李四" not in tail

    by_employer = web.get("/people?employer=申港").get_data(as_text=True)
    assert "王小明" in by_employer and "王大力" not in by_employer


def test_level_filter_and_htmx_fragment(app, ctx, login_as):
    factories.person(name="技师甲", level=SkillLevel.LEVEL_2)
    factories.person(name="高级工乙", level=SkillLevel.LEVEL_3)
    web = login_as(factories.municipal_official())
    response = web.get("/people?level=level2", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "技师甲" in html and "高级工乙" not in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def _walk_pages(web, url: str) -> list[tuple[int, str, str]]:
    """Every row of a people list followed through its "next" links: (person id, name, employer shown)."""
    rows = []
    while url:
        html = web.get(url).get_data(as_text=True)
        for chunk in html.split('<tr id="person-')[1:]:
            cells = chunk.split("</tr>")[0].split("<td")
            rows.append((int(chunk.split('"')[0]), cells[1].split(">")[2].split("<")[0],
                         cells[6].split(">", 1)[1].split("<")[0]))
        marker = 'rel="next" href="'
        url = html.split(marker)[1].split('"')[0].replace("&amp;", "&") if marker in html else ""
    return rows


def test_keyset_pages_walk_the_whole_list_without_repeats(app, ctx, login_as):
    app.config["PAGE_SIZE"] = 5
    try:
        for i in range(12):
            factories.person(name=f"王{i:02d}", id_number=factories.valid_ric(birth=date(1990, 1, i + 1)))
        web = login_as(factories.municipal_official())
        assert [name for _id, name, _employer in _walk_pages(web, "/people?q=王")] == [f"王{i:02d}" for i in range(12)]
    finally:
        app.config["PAGE_SIZE"] = 50


def test_employer_filter_pages_through_every_matching_employer_in_the_list_order(app, ctx, login_as):
    """The employer filter finds the page from its sort keys first and reads the rows after (a deferred join):
    the pages still walk every employee of every matching employer once, in the list's order, each row with its
    own employer's name."""
    app.config["PAGE_SIZE"] = 4
    try:
        brand = [factories.org(OrgKind.ENTERPRISE, District.PUDONG, name=name)
                 for name in ("申港精密", "申港物流", "申港电子")]
        other = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="东浦汽车")
        made = []
        for i in range(14):
            employer = other if i % 4 == 3 else brand[i % 3]
            level = SkillLevel.LEVEL_2 if i % 3 else SkillLevel.LEVEL_3
            person = factories.person(name=f"{'王李'[i % 2]}{i:02d}", employer=employer, level=level,
                                      id_number=factories.valid_ric(birth=date(1990, 1, i + 1)))
            made.append((person.id, person.name, employer.name, level))
        web = login_as(factories.municipal_official())
        in_brand = [m for m in made if m[2].startswith("申港")]

        assert _walk_pages(web, "/people?employer=申港") == [m[:3] for m in sorted(in_brand, reverse=True)]
        wang = sorted((m for m in in_brand if m[1].startswith("王")), key=lambda m: (m[1], m[0]))
        assert _walk_pages(web, "/people?employer=申港&q=王") == [m[:3] for m in wang]
        level2 = [m[:3] for m in sorted(in_brand, reverse=True) if m[3] is SkillLevel.LEVEL_2]
        assert _walk_pages(web, "/people?employer=申港&level=level2") == level2
        assert len(level2) > 4  # more than one page
    finally:
        app.config["PAGE_SIZE"] = 50


def test_employer_filter_reads_whole_rows_and_employers_for_the_page_only(app, ctx, login_as):
    """An employer prefix can match employers with many people: the statement picks the page from the sort keys
    alone (which the (employer_id, id) and (employer_id, name, id) indexes cover) in a LIMITed subquery, and only
    outside it reads the people's other columns and joins their employer."""
    acme = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="申港精密")
    factories.person(name="王小明", employer=acme)
    web = login_as(factories.municipal_official())
    for url in ("/people?employer=申港", "/people?employer=申港&q=王", "/people?employer=申港&level=level2"):
        with count_queries(app) as statements:
            assert web.get(url).status_code == 200
        [listing] = [s for s in statements if "id_number_masked" in s]
        inner = listing.split("JOIN (", 1)[1].split(") AS page", 1)[0]
        assert "LIMIT" in inner and "id_number_masked" not in inner and "employer" not in inner.split("WHERE")[0]
        assert "AS employer" not in inner and "organisations AS employer ON" in listing


def test_people_list_query_count_does_not_grow_with_rows(app, ctx, login_as):
    employers = [factories.org() for _ in range(3)]
    factories.person(employer=employers[0])
    web = login_as(factories.municipal_official())
    with count_queries(app) as few:
        web.get("/people")
    for i in range(40):
        factories.person(name=f"人{i}", employer=employers[i % 3],
                         id_number=factories.valid_ric(birth=date(1980, 1, 1 + i % 28)))
    with count_queries(app) as many:
        web.get("/people")
    assert len(many) == len(few)


def test_enterprise_hr_sees_and_registers_only_own_employees(app, ctx, login_as):
    mine = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    other = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    factories.person(name="本单位员工", employer=mine)
    stranger = factories.person(name="外单位员工", employer=other, id_number=factories.valid_ric(District.PUDONG))
    web = login_as(factories.user(mine, Role.ENTERPRISE_HR))
    listing = web.get("/people").get_data(as_text=True)
    assert "本单位员工" in listing and "外单位员工" not in listing
    assert web.get(f"/people/{stranger.id}").status_code == 403
    response = web.post("/people/new", _person_form(employer_id=other.id))
    assert response.status_code == 422 and 'id="employer_id-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2


def test_district_official_sees_people_employed_in_their_district(app, ctx, login_as):
    pudong = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    xuhui = factories.org(OrgKind.ENTERPRISE, District.XUHUI)
    factories.person(name="浦东人", employer=pudong)
    factories.person(name="徐汇人", employer=xuhui, id_number=factories.valid_ric(District.XUHUI))
    web = login_as(factories.district_official(District.PUDONG))
    listing = web.get("/people").get_data(as_text=True)
    assert "浦东人" in listing and "徐汇人" not in listing


def test_revealing_the_full_id_needs_permission_and_is_audited(app, ctx, login_as):
    employer = factories.org()
    number = factories.valid_ric()
    person = factories.person(employer=employer, id_number=number)
    hr = login_as(factories.user(employer, Role.ENTERPRISE_HR))
    assert number not in hr.get(f"/people/{person.id}").get_data(as_text=True)
    assert hr.post(f"/people/{person.id}/reveal").status_code == 403

    official = factories.municipal_official()
    web = login_as(official)
    response = web.post(f"/people/{person.id}/reveal", headers={"HX-Request": "true"})
    assert response.status_code == 200 and number in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "reveal_id_number"))
    assert entry.actor_id == official.id and entry.entity_id == str(person.id)
    assert number not in str(entry.summary)


def test_certificate_raises_current_level_and_appears_on_the_record(app, ctx, login_as):
    factories.occupation("6-18-01-01", "车工")
    person = factories.person(level=SkillLevel.LEVEL_4)
    web = login_as(factories.municipal_official())
    response = web.post(f"/people/{person.id}/certificates", {
        "level": "level2", "occupation_code": "6-18-01-01", "issuer": "上海市职业技能鉴定中心",
        "number": "S2024-0001", "issued_on": "2024-06-01"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Person, person.id).current_level is SkillLevel.LEVEL_2
    page = web.get(f"/people/{person.id}").get_data(as_text=True)
    assert "S2024-0001" in page and "车工" in page


def test_certificate_in_the_future_or_duplicate_is_refused(app, ctx, login_as):
    factories.occupation()
    person = factories.person()
    web = login_as(factories.municipal_official())
    form = {"level": "level3", "occupation_code": "6-18-01-01", "issuer": "鉴定中心", "number": "N1",
            "issued_on": "2099-01-01"}
    response = web.post(f"/people/{person.id}/certificates", form)
    assert response.status_code == 422 and "发证日期不能晚于今天" in response.get_data(as_text=True)
    assert web.post(f"/people/{person.id}/certificates", {**form, "issued_on": "2020-01-01"}).status_code == 303
    response = web.post(f"/people/{person.id}/certificates", {**form, "issued_on": "2020-01-01"})
    assert response.status_code == 422 and "证书编号已登记" in response.get_data(as_text=True)


def test_editing_a_person_audits_before_and_after_with_masked_ids(app, ctx, login_as):
    person = factories.person(name="旧名")
    web = login_as(factories.municipal_official())
    new_number = factories.valid_ric(District.HUANGPU, date(2001, 2, 3), False)
    response = web.post(f"/people/{person.id}/edit", {"name": "新名", "doc_type": "ric", "id_number": new_number})
    assert response.status_code == 303
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "update"))
    assert entry.before["name"] == "旧名" and entry.after["name"] == "新名"
    assert new_number not in str(entry.after) and entry.after["id_number_masked"].endswith(new_number[-2:])
    assert entry.after["sex"] == "F"


def test_the_export_link_follows_the_filters_in_the_list_fragment(app, ctx, login_as):
    factories.person(name="王导")
    web = login_as(factories.municipal_official())
    fragment = web.get("/people?q=王", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="people-export"' in fragment and "/people/export.xlsx?q=" in fragment
