"""Issue 18.7: control characters are refused by every single-line text field, at the form level."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField, TextAreaField

import app as app_package
from app.core.enums import Role
from app.core.form_base import AppForm
from app.core.models import User
from app.extensions import db
from tests import factories


def _all_forms() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name.endswith(("forms", "form_base")):
            importlib.import_module(module.name)
    found, pending = [], list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("app."):
            found.append(cls)
    return found


def test_every_form_of_the_app_derives_from_the_hardened_base():
    forms = _all_forms()
    assert len(forms) > 20
    assert [f.__name__ for f in forms if not issubclass(f, AppForm)] == []


@pytest.mark.parametrize("bad", ["Evil\r\nBcc: x@example.com", "a\nb", "a\x00b", "a\u2028b", "a\x1bb"])
def test_every_single_line_text_field_of_every_form_refuses_control_characters(app, bad):
    checked = 0
    with app.test_request_context(method="POST"):
        for form_cls in _all_forms():
            try:
                form = form_cls(formdata=MultiDict(), meta={"csrf": False})
            except TypeError:
                continue  # forms that need arguments are built by their views; their fields are checked alike
            for field in form:
                if isinstance(field, StringField) and not isinstance(field, TextAreaField):
                    field.process(MultiDict({field.name: bad}))
                    field.validate(form)
                    assert any("控制字符" in str(e) for e in field.errors), (form_cls.__name__, field.name)
                    checked += 1
    assert checked > 30


def test_a_text_area_keeps_line_breaks_but_refuses_other_control_characters(app):
    from app.core.form_base import control_characters

    assert control_characters("第一行\r\n第二行\t完", frozenset("\t\r\n")) == []
    assert control_characters("a\x00b", frozenset("\t\r\n")) == ["\x00"]


def test_a_display_name_with_cr_lf_cannot_be_saved(app, ctx, login_as):
    official = factories.municipal_official()
    org = factories.org()
    target = factories.user(org, Role.ENTERPRISE_HR, display_name="王经理")
    web = login_as(official)
    response = web.post(f"/users/{target.id}/edit", {
        "display_name": "Evil\r\nBcc: victim@example.com", "email": "", "organisation_id": str(org.id),
        "roles": "enterprise_hr", "password": "", "person_id_number": "", "active": "y"})
    assert response.status_code == 422
    assert "不能包含换行符或其他控制字符" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).display_name == "王经理"
