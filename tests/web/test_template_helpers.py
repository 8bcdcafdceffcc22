"""The list pages' per-page helpers give what the per-row calls they replace gave (issue 21)."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from flask import Flask, url_for
from flask_babel import force_locale
from markupsafe import Markup, escape

from app import i18n
from app.auth.permissions import can
from app.core.enums import Role
from app.core.labels import NAV
from app.i18n import NamedMessage, NamedText, message_template
from app.templating import _nav, fixed_url, url_query


def render(app: Flask, source: str, **context: object) -> str:
    return app.jinja_env.from_string(source).render(**context)


@pytest.mark.parametrize("args", [
    {"year": 2026, "district": "pudong", "medal": "gold"},
    {"unit": 17, "year": 2026, "district": ""},
    {"district": None, "year": 2026},
    {"q": "王 小明", "unit": "上海&电气=集团/1:2?x+y%"},
    {},
])
def test_url_query_builds_the_link_url_for_builds(app: Flask, args: dict[str, object]) -> None:
    with app.test_request_context("/"):
        assert url_query("supervision.medallists")(**args) == url_for("supervision.medallists", **args)
        assert url_query("competitions.event_detail", event_id=3)(**args) == \
            url_for("competitions.event_detail", event_id=3, **args)


def test_fixed_url_gives_what_url_for_gives_per_script_root_and_routes_once(app: Flask, monkeypatch) -> None:
    for base in ("http://localhost/", "http://localhost/site/"):
        with app.test_request_context("/", base_url=base):
            assert fixed_url("static", filename="css/app.css") == url_for("static", filename="css/app.css")
            assert fixed_url("core.people") == url_for("core.people")
    routed = []
    monkeypatch.setattr("app.templating.url_for", lambda *a, **k: routed.append(a) or "/x")
    with app.test_request_context("/", base_url="http://localhost/site/"):
        assert fixed_url("core.people") == "/site/people"  # from the first call, not routed again
    assert routed == []


def test_templates_gettext_escapes_and_formats_as_jinjas_newstyle_gettext(app: Flask) -> None:
    with app.test_request_context("/"):
        # Autoescaped: the value is escaped, the message is not; "%%" is a literal percent sign even without
        # values (the message is always a format string).
        assert render(app, "{{ _('选择 %(name)s', name=n) }}", n="<b>") == "选择 &lt;b&gt;"
        assert render(app, "{{ _('100%%') }}") == "100%"
        assert render(app, "{{ gettext('人员') }}") == "人员"
        assert render(app, "{% autoescape false %}{{ _('选择 %(name)s', name=n) }}{% endautoescape %}",
                      n="<b>") == "选择 <b>"
        with force_locale("en"):
            assert render(app, "{{ _('选择 %(name)s', name=n) }}", n="A&B") == "Select A&amp;B"


def test_a_message_template_is_filled_per_row_with_the_value_escaped(app: Flask) -> None:
    source = ("{% set t = message_template('选择 %(name)s') %}"
              "{% for n in names %}{{ t % {'name': n} }}|{{ _('选择 %(name)s', name=n) }};{% endfor %}")
    with app.test_request_context("/"):
        out = render(app, source, names=["王<i>", "李&"])
        assert out == "选择 王&lt;i&gt;|选择 王&lt;i&gt;;选择 李&amp;|选择 李&amp;;"
        with force_locale("en"):
            assert render(app, source, names=["x"]) == "Select x|Select x;"


@pytest.mark.parametrize("value", ["王<i>", "A&B \"q\" 'r'", Markup("<b>kept</b>"), 5, 2.5, True, None, Role.OFFICIAL,
                                   Markup("%(name)s"), "%(name)s 100%%"])
@pytest.mark.parametrize("message", ["选择 %(name)s", "%(name)s 与 %(name)s，100%%", "无占位"])
def test_a_named_message_fills_as_markup_does(message: str, value: object) -> None:
    named = NamedMessage(message)
    expected = Markup(message) % {"name": value}
    assert named % {"name": value} == expected
    assert isinstance(named % {"name": value}, Markup)


@pytest.mark.parametrize("value", ["王<i>", "A&B \"q\" 'r'", Markup("<b>kept</b>"), 5, 2.5, True, None, Role.OFFICIAL,
                                   Markup("%(name)s"), "%(name)s 100%%"])
@pytest.mark.parametrize("message", ["选择 %(name)s", "%(name)s 与 %(name)s，100%%", "无占位"])
def test_a_named_text_filled_and_output_escaped_is_what_markup_fills(message: str, value: object) -> None:
    expected = Markup(message) % {"name": value}
    assert escape(NamedText(message) % {"name": value}) == expected


def test_a_named_text_output_in_a_template_is_escaped_once(app: Flask) -> None:
    source = "{{ t % {'name': n} }}|{{ t % {'name': m} }}"
    with app.test_request_context("/"):
        out = render(app, source, t=NamedText("确定让 %(name)s 退赛？"), n="A&<b>'\"", m=Markup("<b>m</b>"))
    assert out == "确定让 A&amp;&lt;b&gt;&#39;&#34; 退赛？|确定让 <b>m</b> 退赛？"


def test_a_message_template_is_a_named_text_only_where_escaping_cannot_change_its_text(app: Flask) -> None:
    with app.test_request_context("/"):
        counted = message_template("共 %(n)d 条")
        assert not isinstance(counted, NamedMessage | NamedText)
        assert counted % {"n": 3} == Markup("共 3 条")
        assert isinstance(message_template("选择 %(name)s"), NamedText)
        with force_locale("en"):
            assert isinstance(message_template("选择 %(name)s"), NamedText)
    with app.test_request_context("/"), patch.object(i18n, "gettext", lambda m: "Remove %(name)s's entry?"):
        quoted = message_template("确定让 %(name)s 退赛？")
        assert isinstance(quoted, NamedMessage)
        assert quoted % {"name": "<x>"} == Markup("Remove &lt;x&gt;'s entry?")
    assert NamedMessage("%s 号") % ("<x>",) == Markup("&lt;x&gt; 号")


@pytest.mark.parametrize("roles", [frozenset(), frozenset({Role.OFFICIAL}), frozenset({Role.MENTOR}),
                                   frozenset({Role.ENTERPRISE_HR, Role.PERSON}), frozenset(Role)])
def test_the_menu_made_per_set_of_roles_is_the_one_can_allows(app: Flask, roles: frozenset[Role]) -> None:
    class Signed:
        is_authenticated = True

        def __init__(self, roles: frozenset[Role]) -> None:
            self.roles = roles

    with app.test_request_context("/"):
        user = Signed(roles)
        expected = [ep for _pos, ep, _label, perm in NAV if perm is None or can(user, perm)]  # type: ignore[arg-type]
        assert [ep for ep, _label in _nav(("zh",), roles, len(NAV))] == expected


def test_the_menu_kept_per_page_endpoint_marks_the_page_it_is_on(app: Flask, ctx, login_as) -> None:  # noqa: ANN001
    from tests import factories

    client = login_as(factories.municipal_official())
    pages = {"/people": ("/people", "人员"), "/organisations": ("/organisations", "组织机构")}
    for _round in range(2):  # the second round reads the menus kept by the first
        for page, (href, label) in pages.items():
            html = client.get(page).get_data(as_text=True)
            marked = [line for line in html.splitlines() if "nav-link active" in line]
            assert marked == [f'        <li class="nav-item"><a class="nav-link active" aria-current="page" '
                              f'href="{href}">{label}</a></li>']
            assert html.count('<li class="nav-item">') > 5
    client.post("/locale", data={"locale": "en", "next": "/people"})
    english = client.get("/people").get_data(as_text=True)
    assert '<a class="nav-link active" aria-current="page" href="/people">People</a>' in english
