"""`flask users create-official`: the first account of a production site, from the terminal."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app.core.enums import OrgKind, Role
from app.core.models import AuditEntry, Organisation, User
from app.extensions import db
from tests import factories

SECRET = "Pudong-river-1990"


def _run(app, args, input_text):
    return app.test_cli_runner().invoke(args=["users", "create-official", *args], input=input_text)


def test_create_official_makes_the_municipal_bureau_and_an_official_who_can_sign_in(app, web, caplog):
    caplog.set_level(logging.DEBUG)
    result = _run(app, ["--username", "chen", "--name", "陈主任", "--email", "chen@example.gov.cn"],
                  f"{SECRET}\n{SECRET}\n")
    assert result.exit_code == 0, result.output
    assert "created the organisation 上海市人力资源和社会保障局" in result.output
    assert SECRET not in result.output and SECRET not in caplog.text
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "chen"))
        assert user.roles == {Role.OFFICIAL}
        assert user.organisation.kind is OrgKind.MUNICIPAL_BUREAU
        assert SECRET not in str([(e.before, e.after, e.summary) for e in db.session.scalars(sa.select(AuditEntry))])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.entity_type == "users")) == 1
    web.login("chen", SECRET)
    page = web.get("/users")
    assert page.status_code == 200  # an official of the municipal bureau manages accounts


def test_create_official_joins_the_existing_municipal_bureau(app, ctx):
    bureau = factories.municipal_bureau()
    result = _run(app, ["--username", "li", "--name", "李科长", "--password-stdin"], f"{SECRET}\n")
    assert result.exit_code == 0, result.output
    assert "created the organisation" not in result.output
    user = db.session.scalar(sa.select(User).where(User.username == "li"))
    assert user.organisation_id == bureau.id
    assert user.check_password(SECRET)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_create_official_refuses_two_passwords_that_differ(app, ctx):
    result = _run(app, ["--username", "wang", "--name", "王"], f"{SECRET}\nsomething-else-1\n\n\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_official_refuses_a_short_password_and_writes_nothing(app, ctx):
    result = _run(app, ["--username", "wang", "--name", "王", "--password-stdin"], "short\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_create_official_refuses_a_taken_username(app, ctx):
    factories.municipal_official(username="chen")
    result = _run(app, ["--username", "chen", "--name", "陈", "--password-stdin"], f"{SECRET}\n")
    assert result.exit_code == 1
    assert "taken" in result.output


def test_create_official_takes_no_password_argument(app):
    result = _run(app, ["--username", "chen", "--name", "陈", "--password", SECRET], "")
    assert result.exit_code == 2  # click: no such option
