"""Jinja filters and globals shared by every template. It knows no area: areas register their labels and menu
entries in ``app.core.labels`` and their own filters on their blueprint."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user

from app.auth import permissions
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


def init_app(app: Flask) -> None:
    from app import i18n

    i18n.init_app(app)  # after Flask-Babel's own: template translations looked up once per locale
    app.jinja_env.filters.update(localtime=localtime, fmt_date=fmt_date, money=money, label=label,
                                 audit_label=audit_label, audit_value=audit_value)
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
        nav = [(ep, lbl) for _position, ep, lbl, perm in NAV if user and (perm is None or permissions.can(user, perm))]
        return {
            "nav_items": nav,
            # Babel spells zh_CN as "zh_Hans_CN"; templates compare against our LANGUAGES keys.
            "current_locale": "zh_CN" if getattr(get_locale(), "language", "zh") == "zh" else "en",
            "languages": current_app.config["LANGUAGES"],
            "can": lambda action, obj=None: user is not None and permissions.can(user, action, obj),
            "active_endpoint": request.endpoint or "",
        }
