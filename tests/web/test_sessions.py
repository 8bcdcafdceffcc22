"""Issue 18.4: sessions end on the server side; issue 21: the signed-in user costs at most one query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.enums import Role
from app.core.models import User
from app.extensions import db
from tests import factories
from tests.conftest import WebClient, count_queries


def _cookies(web: WebClient) -> dict[str, str]:
    return {c.key: c.value for c in web.client._cookies.values()}  # noqa: SLF001


def _copy_of(app, web: WebClient) -> WebClient:
    """A second browser holding copies of ``web``'s cookies (what an attacker who copied them has)."""
    thief = WebClient(app.test_client())
    for name, value in _cookies(web).items():
        thief.client.set_cookie(name, value)
    return thief


def _signed_in(web: WebClient) -> bool:
    return web.get("/people").status_code == 200


def test_a_copied_session_cookie_stops_working_after_sign_out(app, ctx, login_as):
    hr = factories.user(factories.org(), Role.ENTERPRISE_HR)
    web = login_as(hr)
    thief = _copy_of(app, web)
    assert _signed_in(thief)
    assert web.post("/logout").status_code == 303
    assert not _signed_in(thief) and not _signed_in(web)


def test_a_copied_remember_cookie_stops_working_after_sign_out_and_lasts_14_days(app, ctx, fixed_clock):
    hr = factories.user(factories.org(), Role.ENTERPRISE_HR)
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    fixed_clock(start)
    web = WebClient(app.test_client())
    web.get("/login")
    response = web.post("/login", {"username": hr.username, "password": factories.PASSWORD, "remember": "y"})
    assert response.status_code == 303
    remember = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "HttpOnly" in remember and app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=14)
    token = _cookies(web)["remember_token"]
    # A new browser with only the remember cookie is signed in (Flask-Login restores the session) ...
    fresh = WebClient(app.test_client())
    fresh.client.set_cookie("remember_token", token)
    assert _signed_in(fresh)
    # ... until 14 days after the sign-in, whatever the cookie's own expiry says.
    fixed_clock(start + timedelta(days=14, minutes=1))
    late = WebClient(app.test_client())
    late.client.set_cookie("remember_token", token)
    assert not _signed_in(late)
    fixed_clock(start + timedelta(days=1))
    web.post("/logout")
    again = WebClient(app.test_client())
    again.client.set_cookie("remember_token", token)
    assert not _signed_in(again)


def test_a_new_password_or_a_deactivation_ends_the_users_other_sessions(app, ctx, login_as):
    official = factories.municipal_official()
    org = factories.org()
    hr = factories.user(org, Role.ENTERPRISE_HR)
    victim = login_as(hr)
    admin = login_as(official)
    form = {"display_name": "测试用户", "email": "", "organisation_id": str(org.id), "roles": "enterprise_hr",
            "password": "Ze7!quartz-lantern-41", "person_id_number": "", "active": "y"}
    assert admin.post(f"/users/{hr.id}/edit", form).status_code == 303
    assert not _signed_in(victim)
    victim = WebClient(app.test_client())
    victim.login(hr.username, "Ze7!quartz-lantern-41")
    assert _signed_in(victim)
    form.update(password="")
    del form["active"]
    assert admin.post(f"/users/{hr.id}/edit", form).status_code == 303
    assert not _signed_in(victim)


def test_an_official_signs_a_user_out_everywhere(app, ctx, login_as):
    official = factories.municipal_official()
    hr = factories.user(factories.org(), Role.ENTERPRISE_HR)
    phone, laptop = login_as(hr), login_as(hr)
    admin = login_as(official)
    page = admin.get(f"/users/{hr.id}/edit").get_data(as_text=True)
    assert "在所有设备上退出登录" in page
    assert admin.post(f"/users/{hr.id}/end-sessions").status_code == 303
    assert not _signed_in(phone) and not _signed_in(laptop)
    assert _signed_in(admin)
    db.session.expire_all()
    assert db.session.get(User, hr.id).session_epoch == 1


def test_the_signed_in_user_and_roles_cost_one_query(app, ctx, login_as):
    hr = factories.user(factories.org(), Role.ENTERPRISE_HR, Role.COACH)
    web = login_as(hr)
    with count_queries(app) as statements:
        response = web.get("/reminders/badge") if "reminders.badge" in app.view_functions else web.get("/")
        assert response.status_code in (200, 204)
    user_queries = [s for s in statements if "FROM users" in s or "FROM user_roles" in s]
    assert len(user_queries) == 1, user_queries
    assert "user_roles" in user_queries[0] and "organisations" in user_queries[0]
