import sqlalchemy as sa

from app.core.enums import District, OrgKind, Role
from app.core.models import AuditEntry, User
from app.extensions import db
from tests import factories
from tests.conftest import WebClient, make_app


def test_wrong_password_is_refused_with_422_and_a_message_by_the_field(app, ctx, web):
    factories.municipal_official(username="chen")
    web.get("/login")
    response = web.post("/login", {"username": "chen", "password": "wrong-password"})
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_sign_in_is_audited_and_passwords_are_hashed(app, ctx, web):
    user = factories.municipal_official(username="chen")
    web.login("chen")
    assert factories.PASSWORD not in user.password_hash
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.actor_id == user.id)) == "login"


def test_inactive_user_cannot_sign_in(app, ctx, web):
    factories.municipal_official(username="gone", active=False)
    web.get("/login")
    assert web.post("/login", {"username": "gone", "password": factories.PASSWORD}).status_code == 422


def test_login_is_rate_limited(ctx):
    limited = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = WebClient(limited.test_client())
    client.get("/login")
    codes = [client.post("/login", {"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


def test_signed_out_page_request_redirects_to_sign_in(app, web):
    response = web.get("/people?q=王")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_signed_out_htmx_request_gets_hx_redirect_not_a_fragment(app, web):
    response = web.get("/people", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.get_data() == b""


def test_writes_without_csrf_token_are_refused(app, ctx, web):
    factories.municipal_official(username="chen")
    web.login("chen")
    response = web._request("POST", "/logout")
    assert response.status_code == 400
    assert "安全令牌无效" in response.get_data(as_text=True)


def test_htmx_writes_carry_the_token_in_a_header(app, ctx, web):
    factories.municipal_official(username="chen")
    web.login("chen")
    response = web._request("POST", "/logout", headers={"HX-Request": "true", "X-CSRFToken": web.csrf})
    assert response.status_code == 303


def test_session_cookie_is_httponly_and_samesite(app, ctx, web):
    factories.municipal_official(username="chen")
    web.get("/login")
    response = web.post("/login", {"username": "chen", "password": factories.PASSWORD})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_and_csp_without_inline_script(app, web):
    response = web.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)


def test_a_response_keeps_a_security_header_it_sets_itself_and_gets_each_other_one_once(app):
    from flask import Response

    from app.security import CSP, SECURITY_HEADERS

    hook = next(f for f in app.after_request_funcs[None] if getattr(f, "__name__", "") == "add_security_headers")
    response = Response("x", headers={"x-frame-options": "SAMEORIGIN"})
    with app.test_request_context("/"):
        hook(response)
        hook(response)  # a second pass adds nothing
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Content-Security-Policy") == [CSP]
    names = [key for key, _value in response.headers]
    assert names[-5:] == [key for key, _value in SECURITY_HEADERS if key != "X-Frame-Options"]


def test_forbidden_page_is_translated(app, ctx):
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    factories.user(org, Role.ENTERPRISE_HR, username="hr")
    client = WebClient(app.test_client())
    client.login("hr")
    response = client.get("/organisations")
    assert response.status_code == 403
    assert "没有权限" in response.get_data(as_text=True)
    client.post("/locale", {"locale": "en", "next": "/"})
    response = client.get("/organisations")
    assert response.status_code == 403
    assert "You do not have permission" in response.get_data(as_text=True)


def test_language_choice_sticks_for_the_user_across_sign_ins(app, ctx, web):
    user = factories.municipal_official(username="chen")
    web.login("chen")
    web.post("/locale", {"locale": "en", "next": "/"})
    assert 'lang="en"' in web.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "en"
    fresh = WebClient(app.test_client())
    fresh.login("chen")
    assert 'lang="en"' in fresh.get("/").get_data(as_text=True)
    fresh.post("/locale", {"locale": "zh_CN", "next": "/"})
    assert 'lang="zh-CN"' in fresh.get("/").get_data(as_text=True)


def test_sign_in_refuses_an_offsite_next_url(app, ctx, web):
    factories.municipal_official(username="chen")
    web.get("/login")
    response = web.post("/login?next=//evil.example/x", {"username": "chen", "password": factories.PASSWORD})
    assert response.headers["Location"] == "/"


def test_healthz_checks_the_database(app, web):
    response = web.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_user_roles_are_stored_once_each(app, ctx):
    org = factories.municipal_bureau()
    user = factories.user(org, Role.OFFICIAL, Role.ORGANIZER)
    user.set_roles({Role.OFFICIAL})
    db.session.commit()
    assert db.session.get(User, user.id).roles == {Role.OFFICIAL}


def test_after_signing_in_from_an_htmx_request_the_user_returns_to_the_page_not_the_fragment(app, web):
    from urllib.parse import parse_qs, urlsplit

    response = web.get("/people?level=level2", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/people?q=%E7%8E%8B"})
    # Search terms stay out of next= (issue 18.3).
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == ["/people"]


def test_a_hand_made_cursor_starts_from_the_first_page(app, ctx, login_as):
    from app.core.pagination import encode_cursor

    factories.person(name="第一页的人")
    web = login_as(factories.municipal_official())
    for cursor in (encode_cursor([{"a": 1}]), encode_cursor([[1, 2]]), "%%%"):
        response = web.get(f"/people?after={cursor}")
        assert response.status_code == 200 and "第一页的人" in response.get_data(as_text=True)
