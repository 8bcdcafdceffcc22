"""The password rule (app/core/passwords.py): common, guessable passwords and the account's own details are
refused everywhere a password is set, with the reason next to the field (issue 18: ``aaaaaaaaaa`` passed)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core.enums import District, OrgKind, Role
from app.core.models import Organisation, User
from app.core.passwords import password_problem
from app.extensions import db
from tests import factories

GUESSABLE = ["aaaaaaaaaa", "Password123!", "qwertyuiop", "1qaz2wsx3edc", "abcdefghijk", "1234567890",
             "iloveyou2026"]
STRONG = ["Ze7!quartz-lantern-41", "correct-horse-battery", "jinengtong2026", "Pudong-river-1990"]


@pytest.mark.parametrize("password", GUESSABLE)
def test_common_and_guessable_passwords_are_refused_with_the_reason(app, password):
    with app.test_request_context():
        problem = password_problem(password)
    assert problem is not None and problem.startswith("密码太容易被猜到（强度 "), problem
    assert "至少需要 3" in problem


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_pass(app, password):
    with app.test_request_context():
        assert password_problem(password, username="li", display_name="李四") is None


def test_the_reason_names_what_is_wrong_in_the_user_s_language(app):
    with app.test_request_context():
        assert "“aaa”这样的重复很容易被猜到" in password_problem("aaaaaaaaaa")
        assert "这与常用密码很相似" in password_problem("Password123!")
        with force_locale("en"):
            english = password_problem("aaaaaaaaaa")
    assert english.startswith("The password is too easy to guess (strength 0/4, at least 3 needed).")
    assert 'Repeats like "aaa" are easy to guess.' in english


def test_too_short_is_still_refused_first(app):
    with app.test_request_context():
        assert password_problem("Zq7!x") == "密码至少10位"


@pytest.mark.parametrize(("password", "details"), [
    ("zhangwei-lantern-41", {"username": "zhangwei"}),
    ("My-ZhangWei-lantern", {"username": "zw01", "email": "zhang.wei@example.cn"}),
    ("quartz-张伟伟-lantern", {"display_name": "张伟伟"}),
    ("xiaoming.lantern.7", {"email": "xiaoming@example.cn"}),
])
def test_the_account_s_own_username_name_or_e_mail_is_refused(app, password, details):
    with app.test_request_context():
        assert password_problem(password, **details) == "密码不能包含您的用户名、姓名或电子邮箱"
        assert password_problem(password) is None  # the same password for another account is fine


@pytest.mark.parametrize("password", ["iewgnahz2026", "zh4ngw3i!2026", "Zhangw3i2026"])
def test_a_password_close_to_the_username_is_refused(app, password):
    """Reversed or with l33t substitutions: zxcvbn is given the account's details as the first words to try."""
    with app.test_request_context():
        assert password_problem(password, username="zhangwei") == "密码与您的用户名、姓名或电子邮箱太接近，容易被猜到"


def test_the_minimum_score_is_configuration(app):
    with app.test_request_context():
        assert password_problem("Shanghai2026!") is None  # score 3
        app.config["PASSWORD_MIN_SCORE"] = 4
        assert "至少需要 4" in password_problem("Shanghai2026!")
        app.config["PASSWORD_MIN_SCORE"] = 1
        assert password_problem("Password123!") is None  # score 1
        app.config["PASSWORD_MIN_SCORE"] = 3


def test_a_long_password_is_estimated_quickly(app):
    import time

    started = time.perf_counter()
    with app.test_request_context():
        assert "重复" in password_problem("x7Q!" * 250)  # zxcvbn reads its first 72 characters
    assert time.perf_counter() - started < 2


def _new_user(web, org: Organisation, password: str, **fields):
    return web.post("/users/new", {"username": "liuyang", "display_name": "刘洋", "email": "liu.yang@example.cn",
                                   "organisation_id": org.id, "roles": ["enterprise_hr"], "password": password,
                                   "active": "y", **fields})


@pytest.mark.parametrize(("password", "reason"), [
    ("aaaaaaaaaa", "密码太容易被猜到"),
    ("Password123!", "这与常用密码很相似"),
    ("liuyang-lantern-9", "密码不能包含您的用户名、姓名或电子邮箱"),
    ("Liu.Yang.quartz", "密码不能包含您的用户名、姓名或电子邮箱"),
    ("gnayuil2026!", "密码与您的用户名、姓名或电子邮箱太接近"),
])
def test_an_official_creating_an_account_gets_the_reason_next_to_the_field(app, ctx, login_as, password, reason):
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    response = _new_user(login_as(factories.municipal_official()), org, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = html.split('id="password-error"')[1].split("</div></div>")[0]
    assert reason in error
    assert db.session.scalar(sa.select(User).where(User.username == "liuyang")) is None


def test_an_official_creating_an_account_with_a_strong_password_succeeds(app, ctx, login_as):
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    assert _new_user(login_as(factories.municipal_official()), org, "Ze7!quartz-lantern-41").status_code == 303
    assert db.session.scalar(sa.select(User).where(User.username == "liuyang")).check_password(
        "Ze7!quartz-lantern-41")


def test_resetting_a_password_refuses_a_guessable_one_and_keeps_the_old(app, ctx, login_as):
    """An official setting a new password on the edit form is how a forgotten password is reset."""
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    hr = factories.user(org, Role.ENTERPRISE_HR, username="wangfang")
    web = login_as(factories.municipal_official())
    form = {"display_name": "王芳", "email": "", "organisation_id": str(org.id), "roles": "enterprise_hr",
            "person_id_number": "", "active": "y"}
    for password, reason in (("aaaaaaaaaa", "密码太容易被猜到"), ("wangfang2026!", "密码不能包含您的用户名")):
        response = web.post(f"/users/{hr.id}/edit", {**form, "password": password})
        assert response.status_code == 422
        assert reason in response.get_data(as_text=True).split('id="password-error"')[1]
        db.session.expire_all()
        assert hr.check_password(factories.PASSWORD)
    assert web.post(f"/users/{hr.id}/edit", {**form, "password": "Ze7!quartz-lantern-41"}).status_code == 303
    db.session.expire_all()
    assert hr.check_password("Ze7!quartz-lantern-41")
    assert web.post(f"/users/{hr.id}/edit", {**form, "password": ""}).status_code == 303  # unchanged


def _create_official(app, password: str, username: str = "chen"):
    return app.test_cli_runner().invoke(args=["users", "create-official", "--username", username, "--name", "陈主任",
                                              "--email", "chen.zhuren@example.gov.cn", "--password-stdin"],
                                        input=f"{password}\n")


@pytest.mark.parametrize(("password", "reason"), [
    ("aaaaaaaaaa", "too easy to guess"),
    ("Password123!", "similar to a commonly used password"),
    ("chen-lantern-2026", "must not contain your username, name or e-mail"),
    ("chenzhuren-1990", "must not contain your username, name or e-mail"),
])
def test_create_official_refuses_a_weak_password_and_writes_nothing(app, ctx, password, reason):
    result = _create_official(app, password)
    assert result.exit_code == 1, result.output
    assert reason in result.output and password not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_create_official_accepts_a_strong_password(app, ctx):
    result = _create_official(app, "Pudong-river-1990")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User).where(User.username == "chen")).check_password("Pudong-river-1990")


def test_the_demo_password_is_strong_enough_though_demo_users_are_seeded_directly(app):
    from app.core.demo import DEMO_PASSWORD

    with app.test_request_context():
        assert password_problem(DEMO_PASSWORD) is None


def test_passwords_are_hashed_with_scrypt_unless_configured_otherwise(app):
    """Production keeps Werkzeug's scrypt; only the test suite (tests/conftest.py) asks for a cheap hash."""
    from app.config import Config
    from tests.conftest import make_app

    assert Config.PASSWORD_HASH_METHOD == "scrypt"
    for application, method in ((make_app(PASSWORD_HASH_METHOD=Config.PASSWORD_HASH_METHOD), "scrypt:"),
                                (app, "pbkdf2:sha256:1000$")):
        with application.app_context():
            user = User(username="hash-check")
            user.set_password("Ze7!quartz-lantern-41")
            assert user.password_hash.startswith(method) and user.check_password("Ze7!quartz-lantern-41")
