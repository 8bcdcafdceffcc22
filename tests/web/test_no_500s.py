"""Issue 18.6: each input that answered HTTP 500 now gets a 4xx with a message, or the right page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.competitions.awards.models import AwardLineStatus
from app.core.enums import Role
from app.core.types import utcnow
from app.htmx import render
from tests import apprenticeship_factories as af
from tests import factories
from tests import training_base_factories as tf

HUGE = [str(2**63), str(2**64 + 7), "9" * 30, str(-(2**63) - 1)]


def test_render_takes_the_http_status_only_by_its_own_name(app):
    with app.test_request_context():
        with pytest.raises(TypeError):
            render("error.html", None, 404)  # the status cannot be passed by position either
        response = render("error.html", http_status=404, code=404, title="t", message="m", status="draft")
        assert response.status_code == 404


@pytest.mark.parametrize("status", [s.value for s in AwardLineStatus])
def test_award_ledger_filters_by_status_through_the_route(app, ctx, login_as, status):
    web = login_as(factories.municipal_official())
    response = web.get(f"/competitions/awards/ledger?status={status}")
    assert response.status_code == 200
    assert f'value="{status}" selected' in response.get_data(as_text=True)


def test_revealing_an_id_without_htmx_shows_the_whole_person_page(app, ctx, login_as):
    person = factories.person("韩梅梅", factories.org())
    web = login_as(factories.municipal_official())
    response = web.post(f"/people/{person.id}/reveal")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "韩梅梅" in html and "职业技能等级证书" in html


def test_person_edit_with_a_blank_sex_is_not_an_error(app, ctx, login_as):
    employer = factories.org()
    person = factories.person("李雷", employer)
    web = login_as(factories.user(employer, Role.ENTERPRISE_HR))
    response = web.post(f"/people/{person.id}/edit", {"name": "李雷", "doc_type": "ric", "id_number": "",
                                                      "employer_id": str(employer.id), "sex": " "})
    assert response.status_code in (303, 422), response.status_code


@pytest.fixture()
def camp_scene(app, ctx):
    return tf.setup()


def test_a_camp_module_with_a_validation_error_is_flashed_not_a_500(camp_scene, login_as):
    s = camp_scene
    web = login_as(s.manager)
    response = web.post(f"/training-bases/camps/{s.camp.id}/modules", {"name": "", "planned_hours": "NaN"})
    assert response.status_code == 303
    page = web.get(f"/training-bases/camps/{s.camp.id}").get_data(as_text=True)
    assert "此项为必填项" in page or "请输入有效的数字" in page


def test_camp_edit_with_a_blank_occupation_keeps_none(camp_scene, login_as):
    s = camp_scene
    web = login_as(s.manager)
    response = web.post(f"/training-bases/camps/{s.camp.id}/edit", {
        "name": s.camp.name, "occupation_code": " ", "starts_on": s.camp.starts_on.isoformat(),
        "ends_on": s.camp.ends_on.isoformat()})
    assert response.status_code in (303, 422), response.status_code


@pytest.mark.parametrize("score", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_a_coach_log_score_that_is_not_a_number_is_refused(camp_scene, login_as, score):
    s = camp_scene
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(days=1))
    web = login_as(s.coach_user)
    form = {"actual_hours": "2", "content": "练习", "notes": "", "score_kind": "mock_test", "max_score": "100"}
    for a in s.athletes:
        form[f"status-{a.id}"] = "present"
        form[f"score-{a.id}-0"] = score
    response = web.post(f"/training-bases/sessions/{session.id}", form)
    assert response.status_code == 422 and "成绩须为数字" in response.get_data(as_text=True)


def test_a_subsidy_claim_for_training_year_minus_one_is_refused(app, ctx, login_as):
    c = af.cast()
    af.policies()
    klass = af.klass(c)
    web = login_as(c.hr)
    response = web.post(f"/apprenticeships/classes/{klass.id}/claim", {"kind": "advance", "training_year": "-1"})
    assert response.status_code == 422 and "培训年度应为第1–3年" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", HUGE)
def test_integers_beyond_64_bits_in_query_strings_and_forms_are_no_500(app, ctx, login_as, value):
    web = login_as(factories.municipal_official())
    for url in (f"/people?page={value}", f"/organisations?page={value}", f"/users?page={value}",
                f"/competitions/awards/ledger?competition={value}", f"/competitions/list?year={value}",
                f"/apprenticeships/?class_id={value}"):
        assert web.get(url).status_code < 500, url
    for url, name in (("/competitions/awards/payments", "line_id"), ("/apprenticeships/ledger/decide", "line_id")):
        assert web.post(url, {name: value}).status_code < 500, url


def test_an_int_id_beyond_the_columns_range_is_not_found_on_every_route(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    routes = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert len(routes) > 90
    for rule in routes:
        url = rule.rule
        for name in rule._converters:
            url = url.replace(f"<int:{name}>", str(2**63)).replace(f"<{name}>", "x")
        method = "GET" if "GET" in rule.methods else "POST"
        response = web.get(url) if method == "GET" else web.post(url)
        assert response.status_code in (404, 405), (url, response.status_code)
