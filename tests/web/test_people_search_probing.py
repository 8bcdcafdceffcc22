"""Issue 18: /people?q= must not let a role that may not reveal ID numbers learn their masked characters.

The rule (app/people/services.py ``_people_query``): a search matches a document number only as the whole, valid
number (by its keyed hash, whatever its spelling: full-width digits, spaces, a lower-case x); no fragment ever
matches, except the last four characters for a role that may reveal the number anyway (officials, audited)."""

from __future__ import annotations

from datetime import date

import pytest

from app.core.enums import District, DocType, OrgKind, Role
from tests import factories


@pytest.fixture()
def scene(app, ctx):
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="浦东某厂")
    number = factories.valid_ric(District.PUDONG, date(1992, 6, 15), male=True)
    person = factories.person("测试人", unit, id_number=number)
    passport = factories.person("持照人", unit, id_number="E12345678", doc_type=DocType.PASSPORT)
    return unit, number, person, passport


def _found(web, q: str) -> bool:
    html = web.get("/people", query_string={"q": q}).get_data(as_text=True)
    return "测试人" in html or "持照人" in html


def _fragments(number: str) -> list[str]:
    """Every substring of the number except the number itself."""
    return sorted({number[i:j] for i in range(len(number)) for j in range(i + 1, len(number) + 1)} - {number})


@pytest.mark.parametrize("role", [Role.ENTERPRISE_HR, Role.COLLEGE_STAFF])
def test_no_fragment_of_an_id_finds_the_person_for_a_role_without_reveal(scene, login_as, role):
    unit, number, person, _ = scene
    viewer = factories.user(unit, role) if role is Role.ENTERPRISE_HR else None
    if viewer is None:  # college staff see the people of their college
        college = factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG)
        person.employer_id = college.id
        viewer = factories.user(college, role)
    web = login_as(viewer)
    assert _found(web, "测试")  # the person is in the viewer's scope
    for fragment in _fragments(number):
        assert not _found(web, fragment), fragment
        assert not _found(web, fragment.lower()), fragment
    export = web.get("/people/export.xlsx", query_string={"q": number[-4:]})
    assert export.status_code == 200 and "测试人".encode() not in export.data  # (shared strings are plain UTF-8)


def test_no_fragment_of_a_passport_number_finds_its_holder(scene, login_as):
    unit, *_ = scene
    web = login_as(factories.user(unit, Role.ENTERPRISE_HR))
    assert _found(web, "E12345678") and _found(web, "e12345678")
    for fragment in _fragments("E12345678"):
        assert not _found(web, fragment), fragment


def test_the_whole_number_finds_the_person_whatever_its_spelling(scene, login_as):
    unit, number, _, _ = scene
    web = login_as(factories.user(unit, Role.ENTERPRISE_HR))
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    for spelled in (number, number.lower(), f" {number[:6]} {number[6:14]} {number[14:]} ", full_width):
        assert _found(web, spelled), spelled


def test_a_whole_number_with_a_wrong_check_character_finds_nobody(scene, login_as):
    unit, number, _, _ = scene
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert not _found(login_as(factories.user(unit, Role.ENTERPRISE_HR)), wrong)


def test_a_district_official_who_may_reveal_finds_by_the_last_four_but_by_no_other_fragment(scene, login_as):
    _, number, _, _ = scene
    web = login_as(factories.district_official(District.PUDONG))
    assert _found(web, number[-4:]) and _found(web, number)
    for fragment in _fragments(number):
        if fragment != number[-4:]:
            assert not _found(web, fragment), fragment


def test_the_search_box_says_what_it_matches(scene, login_as):
    unit, *_ = scene
    hr_page = login_as(factories.user(unit, Role.ENTERPRISE_HR)).get("/people").get_data(as_text=True)
    assert "姓名（前缀）或完整证件号" in hr_page and "后4位" not in hr_page
    official_page = login_as(factories.municipal_official()).get("/people").get_data(as_text=True)
    assert "姓名（前缀）、完整证件号或证件号后4位" in official_page


def test_whole_number_guesses_by_a_role_without_reveal_are_rate_limited_per_user(scene, login_as, monkeypatch, app):
    """The whole number still finds the person, but a role that may not reveal IDs can try only so many whole
    numbers an hour (ID_SEARCH_RATE_LIMIT): the candidates the mask and the birth year leave cannot be walked."""
    from app.extensions import limiter

    unit, number, _person, _ = scene
    monkeypatch.setitem(app.config, "ID_SEARCH_RATE_LIMIT", "3 per hour")
    limiter.reset()
    hr = login_as(factories.user(unit, Role.ENTERPRISE_HR))
    assert _found(hr, number)
    guesses = [factories.valid_ric(District.PUDONG, date(1992, 6, 15), male=True) for _ in range(2)]
    assert [hr.get("/people", query_string={"q": g}).status_code for g in guesses] == [200, 200]
    refused = hr.get("/people", query_string={"q": number})
    assert refused.status_code == 429 and "操作过于频繁" in refused.get_data(as_text=True)
    assert hr.get("/people/export.xlsx", query_string={"q": number}).status_code == 429
    assert _found(hr, "测试人")  # a name search is not counted
    official = login_as(factories.municipal_official())  # a role that may reveal IDs: not limited
    assert all(official.get("/people", query_string={"q": number}).status_code == 200 for _ in range(5))
    limiter.reset()
