"""Jinja filters and globals shared by every template. It knows no area: areas register their labels and menu
entries in ``app.core.labels`` and their own filters on their blueprint."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from app import i18n
from app.auth import permissions
from app.core.audit import references as audit_refs
from app.core.enums import Role
from app.core.labels import NAV, audit_label, audit_value

MACROS = ("field", "form_errors", "keyset_nav", "offset_nav", "import_card")


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TZ"])).strftime(fmt)


def fmt_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def label(value: object) -> str:
    """The translated label of an enum member, or "" for None."""
    if value is None:
        return ""
    return getattr(value, "label", str(value))


#: A number no id reaches, put in place of a row's id to build its link once per page.
_SLOT = 987_654_321_987_654


def url_pattern(endpoint: str, key: str, **values: object) -> str:
    """``url_for`` once per page for a link every row has: ``url_pattern('core.person_detail', 'person_id')``
    gives a ``%`` format of the row's id, and ``person_url % id`` the URL ``url_for`` would give (``url_for`` per
    row is ~20 µs of routing: a list page's fifty rows spend a millisecond on it). A format, not a function: in a
    template ``%`` is Python's own operator, where a call goes through Jinja's ``Context.call`` (~10 calls a row)."""
    arguments: dict[str, Any] = {**values, key: _SLOT}
    before, _, after = url_for(endpoint, **arguments).partition(str(_SLOT))
    return f"{before.replace('%', '%%')}%s{after.replace('%', '%%')}"


#: URLs that are the same on every page (the menu, the static files, the forms of the header), per script root.
_FIXED_URLS: dict[tuple[str, str, tuple[tuple[str, Any], ...]], str] = {}
_FIXED_URLS_MAX = 512


def fixed_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` for a link whose arguments are constants of the template (the menu, the
    stylesheets and scripts): routed once per process and script root instead of on every page (~20 µs each, ~25
    of them in the page frame). Bounded: a template has a fixed set of such links."""
    key = (request.script_root, endpoint, tuple(values.items()))
    url = _FIXED_URLS.get(key)
    if url is None:
        if len(_FIXED_URLS) >= _FIXED_URLS_MAX:
            _FIXED_URLS.clear()
        url = _FIXED_URLS[key] = url_for(endpoint, **values)
    return url


#: What werkzeug leaves unescaped in a query string (werkzeug.urls._urlencode), so the links come out the same.
_QUERY_SAFE = "!$'()*,/:;?@"
#: A string ``quote_plus`` leaves as it is (ids, years, enum values): not run through it.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quoted(value: object) -> str:
    text = str(value)
    return text if _PLAIN(text) else quote_plus(text, safe=_QUERY_SAFE)


def url_query(endpoint: str, **values: Any) -> Callable[..., str]:
    """``url_for`` once per page for links to one endpoint that differ only in their query string:
    ``medallists = url_query('supervision.medallists')`` then ``medallists(year=2026, district='pudong')`` gives
    what ``url_for('supervision.medallists', year=2026, district='pudong')`` gives (the arguments in the order
    given, None left out), without routing each link (~90 calls each; a dashboard tab has ~100 such links)."""
    base = url_for(endpoint, **values)

    def build(**query: object) -> str:
        items = [f"{_quoted(k)}={_quoted(v)}" for k, v in query.items() if v is not None]
        return f"{base}?{'&'.join(items)}" if items else base
    return build


@cache
def _nav_labels(locale: object) -> dict[str, str]:
    """The menu's labels as plain strings in ``locale`` (made in a context of that locale): translated once,
    not as a dozen lazy strings on every page."""
    return {ep: str(lbl) for _position, ep, lbl, _perm in NAV}


@cache
def _nav(locale: object, roles: frozenset[Role], _entries: int) -> tuple[tuple[str, str], ...]:
    """The menu (endpoint, label) of a user with ``roles`` in ``locale``: an entry shows when ``permissions.can``
    would allow its permission without an object, which depends on the roles alone. Made once per locale and
    set of roles (and number of menu entries), not with a ``can()`` through Flask-Login's proxy per entry on
    every page."""
    labels = _nav_labels(locale)
    return tuple((ep, labels.get(ep) or str(lbl)) for _position, ep, lbl, perm in NAV
                 if perm is None or bool(permissions.ACTION_ROLES[perm] & roles))


@lru_cache(maxsize=1024)
def nav_menu(locale: object, roles: frozenset[Role], entries: int, active_endpoint: str, script_root: str,
             poll_seconds: int) -> Markup:
    """The menu's HTML (``_nav.html``) for a user with ``roles`` in ``locale`` on a page of ``active_endpoint``:
    rendered once per such combination (and script root and badge poll interval) and kept, instead of a loop of
    ~15 entries with their string splits and links on every page. Bounded: roles × endpoints × locales."""
    template = current_app.jinja_env.get_template("_nav.html")
    return Markup(template.render(nav_items=_nav(locale, roles, entries), active_endpoint=active_endpoint,
                                  poll_seconds=poll_seconds))


def init_app(app: Flask) -> None:

    i18n.init_app(app)  # after Flask-Babel's own: template translations looked up once per locale
    app.jinja_env.filters.update(localtime=localtime, fmt_date=fmt_date, money=money, label=label,
                                 audit_label=audit_label, audit_value=audit_value)
    app.jinja_env.globals.update(audit_refs=audit_refs, url_pattern=url_pattern, url_query=url_query,
                                 fixed_url=fixed_url)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def macros() -> dict[str, object]:
        # Fragments rendered alone (jinja2-fragments) skip a template's top-level imports, so the shared
        # macros are also offered to every template as context.
        if "macros" not in app.extensions or app.debug:
            module = app.jinja_env.get_template("macros.html").make_module()
            app.extensions["macros"] = {name: getattr(module, name) for name in MACROS}
        return app.extensions["macros"]

    @app.context_processor
    def inject() -> dict[str, object]:
        user = current_user if current_user.is_authenticated else None
        endpoint = request.endpoint or ""
        return {
            "nav_menu": nav_menu(i18n.locale_key(), user.roles, len(NAV), endpoint, request.script_root,
                                 current_app.config["REMINDER_BADGE_POLL_SECONDS"]) if user else "",
            # Babel spells zh_CN as "zh_Hans_CN"; templates compare against our LANGUAGES keys.
            "current_locale": "zh_CN" if getattr(get_locale(), "language", "zh") == "zh" else "en",
            "languages": current_app.config["LANGUAGES"],
            "can": lambda action, obj=None: user is not None and permissions.can(user, action, obj),
            "active_endpoint": endpoint,
        }
