"""Translations are looked up once per locale, not once per row: a list page's Babel look-ups do not grow with
its rows, and each locale (a forced one included) still gets its own words."""

from __future__ import annotations

import flask_babel
import pytest
from flask_babel import force_locale

from app import i18n
from app.core.enums import Sex, SkillLevel
from tests import factories


@pytest.fixture()
def babel_lookups(monkeypatch):  # noqa: ANN001, ANN201
    """How many times Flask-Babel looked up a catalogue (each uncached _() and each str() of a lazy label)."""
    calls = []
    real = flask_babel.Domain.get_translations

    def counting(self):  # noqa: ANN001, ANN202
        calls.append(1)
        return real(self)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", counting)
    return calls


def people_page_lookups(client, babel_lookups) -> int:  # noqa: ANN001
    client.get("/people")  # the first request in a locale fills the caches
    babel_lookups.clear()
    page = client.get("/people").get_data(as_text=True)
    assert 'id="person-' in page
    return len(babel_lookups)


def test_a_list_page_looks_up_translations_a_fixed_number_of_times_whatever_its_rows(app, ctx, login_as,
                                                                                     babel_lookups):
    employer = factories.org()
    client = login_as(factories.municipal_official())
    factories.person("张一", employer, level=SkillLevel("level4"))
    few = people_page_lookups(client, babel_lookups)
    for i in range(2, 22):
        factories.person(f"张{i}", employer, id_number=factories.valid_ric(male=i % 2 == 0, birth=_birth(i)),
                         level=SkillLevel("level3"))
    many = people_page_lookups(client, babel_lookups)
    assert many == few  # 20 more rows, each with two labels: no more look-ups
    assert few <= 15  # the nav's lazy labels; the templates' _() and the enum labels come from the caches


def _birth(i: int):  # noqa: ANN202
    from datetime import date

    return date(1990, 1 + i % 12, 1 + i)


def test_each_locale_gets_its_own_labels_and_words_from_the_caches(app, ctx, login_as):
    employer = factories.org()
    factories.person("李四", employer, level=SkillLevel("level4"))
    client = login_as(factories.municipal_official())
    chinese = client.get("/people").get_data(as_text=True)
    client.post("/locale", data={"locale": "en", "next": "/people"})
    english = client.get("/people").get_data(as_text=True)
    assert "男" in chinese and "人员（实名制）" in chinese
    assert "Male" in english and "男" not in english.split("<tbody>")[1]
    client.post("/locale", data={"locale": "zh_CN", "next": "/people"})
    assert "男" in client.get("/people").get_data(as_text=True)


def test_a_forced_locale_inside_a_request_gets_its_own_words(app, ctx):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert Sex.MALE.label == "Male"
            assert i18n.gettext("男") == "Male"
        with force_locale("zh_CN"):
            assert Sex.MALE.label == "男"
            assert i18n.gettext("男") == "男"


def test_member_labels_gives_each_members_label_in_the_current_locale(app, ctx):
    from app.apprenticeships.models import EnrollmentStatus
    from app.core.enums import District, member_labels

    with app.test_request_context("/"):
        with force_locale("en"):
            english = member_labels(District, EnrollmentStatus, SkillLevel)
            # every member's label, and a value not recorded (None) as blank
            classes = (District, EnrollmentStatus, SkillLevel)
            assert english == {None: "", **{m: m.label for cls in classes for m in cls}}
            assert english[District.PUDONG] == "Pudong New Area"
            assert english[EnrollmentStatus.IN_TRAINING] == "In training"
        with force_locale("zh_CN"):
            assert member_labels(District, EnrollmentStatus, SkillLevel)[District.PUDONG] == "浦东新区"


def test_member_labels_refuses_classes_whose_members_would_share_a_key(app, ctx):
    from app.core.enums import LabelledEnum, member_labels

    class Light(LabelledEnum):
        ON = "on"

    class Switch(LabelledEnum):
        ON = "on"

    with app.test_request_context("/"), pytest.raises(ValueError, match="shares members"):
        member_labels(Light, Switch)
