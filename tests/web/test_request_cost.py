"""The fixed cost of a signed-in request (issue 21): one statement loads the user with their organisation and
roles; a page that never asks who is signed in (/healthz) does not load them, not even for the request log."""

from __future__ import annotations

import json

from tests import factories
from tests.conftest import count_queries


def test_healthz_signed_in_runs_only_its_own_statement(app, ctx, login_as, captured_logs):
    web = login_as(factories.municipal_official())
    with count_queries(app) as statements:
        assert web.get("/healthz").status_code == 200
    assert [s.strip() for s in statements] == ["SELECT 1"]
    lines = [json.loads(ln) for ln in captured_logs.getvalue().splitlines() if '"app.request"' in ln]
    assert lines[-1]["msg"].startswith("GET /healthz 200 user=-")


def test_a_signed_in_page_loads_user_organisation_and_roles_in_one_statement(app, ctx, login_as, captured_logs):
    official = factories.municipal_official()
    web = login_as(official)
    web.get("/people")
    with count_queries(app) as statements:
        assert web.get("/people").status_code == 200
    about_the_user = [s for s in statements if "user_roles" in s or "FROM users" in s]
    assert len(about_the_user) == 1 and statements[0] == about_the_user[0]
    assert "organisations" in statements[0] and "user_roles" in statements[0]
    lines = [json.loads(ln) for ln in captured_logs.getvalue().splitlines() if '"app.request"' in ln]
    assert f"user={official.id}" in lines[-1]["msg"]


def test_url_pattern_gives_the_url_url_for_gives(app):
    from flask import url_for

    from app.templating import url_pattern

    with app.test_request_context("/"):
        person = url_pattern("core.person_detail", "person_id")
        withdraw = url_pattern("competitions.withdraw", "registration_id")
        for n in (1, 42, 1_000_000):
            assert person % n == url_for("core.person_detail", person_id=n)
            assert withdraw % n == url_for("competitions.withdraw", registration_id=n)


def test_url_pattern_keeps_the_percent_signs_of_an_encoded_url(app):
    from flask import url_for

    from app.templating import url_pattern

    with app.test_request_context("/", base_url="http://localhost/app%20root"):
        person = url_pattern("core.person_detail", "person_id", next="/people?q=王 5%")
        expected = url_for("core.person_detail", person_id=7, next="/people?q=王 5%")
        assert "%" in expected and person % 7 == expected


def test_the_people_page_links_each_row_to_its_person(app, ctx, login_as):
    official = factories.municipal_official()
    person = factories.person(name="王链接")
    page = login_as(official).get("/people?q=王链接").get_data(as_text=True)
    assert f'<a href="/people/{person.id}">王链接</a>' in page
