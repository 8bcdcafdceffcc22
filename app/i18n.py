"""Translations looked up once per locale, not once per use.

Flask-Babel translates each ``_()`` in a template and each ``str()`` of a lazy string afresh: a domain, a
translations cache and the locale, each behind Flask's context proxies (~15 µs). A list page makes a few
hundred such calls (the entrant list ~240 ``_()`` and ~100 enum labels: a quarter of its time). The
catalogue does not change while the app runs, so a message's translation in a locale is looked up once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Self

from flask import Flask
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

#: Distinct (locale, message) pairs kept; the templates' literals are ~2,000 messages per locale.
CACHE_SIZE = 16_384


LocaleKey = tuple[str, str | None, str | None, str | None] | None


def locale_key() -> LocaleKey:
    """The current locale as a hashable key; None outside an app context. Read where Flask-Babel keeps the
    request's locale (``force_locale`` included) on the app context's ``g``, reached through Flask's context
    variable rather than its proxies (a list page asks ~120 times); ``get_locale()`` when not yet chosen (it
    costs four of Flask's proxies, and ``str()`` of a Locale a Babel spelling)."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    locale = getattr(getattr(app_ctx.g, "_flask_babel", None), "babel_locale", None) or get_locale()
    if locale is None:
        return None
    return (locale.language, locale.territory, locale.script, locale.variant)


@lru_cache(maxsize=CACHE_SIZE)
def _gettext(locale: LocaleKey, message: str) -> str:
    # Called in a context of ``locale``: the first call for a message translates it there.
    return get_translations().ugettext(message)


@lru_cache(maxsize=CACHE_SIZE)
def _ngettext(locale: LocaleKey, singular: str, plural: str, n: int) -> str:
    return get_translations().ungettext(singular, plural, n)


def gettext(message: str) -> str:
    return _gettext(locale_key(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _ngettext(locale_key(), singular, plural, n)


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, message: str, /, **variables: object) -> str:
    """The templates' ``_()`` and ``gettext()``: what Jinja's newstyle gettext does (the translation, escaped
    in an autoescaped template, always treated as a ``%`` format string), called directly instead of through
    Jinja's ``_`` alias and its wrapper (two context look-ups and two context calls per message: a list page
    makes ~100)."""
    rv: str = _gettext(locale_key(), message)
    if eval_ctx.autoescape:
        rv = str.__new__(Markup, rv)  # a catalogue's plain str: what Markup(rv) gives, without its __html__ check
    if variables or "%" in rv:
        return rv % variables
    return rv


#: A message whose only placeholders are ``%(name)s`` (and ``%%``).
_NAMED_STRINGS_ONLY = re.compile(r"(?:[^%]|%%|%\(\w+\)s)*").fullmatch


class NamedMessage(Markup):
    """A translated message whose placeholders are all ``%(name)s``: ``message % {'name': value}`` gives what
    Markup's ``%`` gives (each value escaped, the text of a Markup value kept) by escaping each value once and
    formatting the plain string, without Markup's escaping wrapper objects (a dozen Python calls a fill; an
    entrant list fills three messages a row)."""

    __slots__ = ()

    def __mod__(self, values: Any, /) -> Self:
        if type(values) is dict:
            # The filled text is a plain str of escaped values: made a Markup directly, not through Markup's
            # ``__new__`` (its ``__html__`` check is for objects that are not plain strings).
            return str.__new__(self.__class__, str.__mod__(self, {key: escape(value) for key, value in values.items()}))
        return super().__mod__(values)


#: A character HTML escaping changes (markupsafe's escape: ``& < > " '``).
_HTML_SPECIAL = re.compile(r"[&<>\"']").search


class NamedText(str):
    """A translated message whose placeholders are all ``%(name)s`` and whose text has no character HTML escaping
    would change: ``message % {'name': value}`` fills it as plain text, which the template's autoescape escapes
    once where it is output, giving the bytes Markup's ``%`` gives (each value escaped, the message's text as it
    is) with no escaping and no Markup objects in the fill (the entrant list fills three messages a row). A value
    with its own HTML (``__html__``, e.g. a Markup) is filled as Markup's ``%`` fills it, keeping that HTML.
    Plain text: like any other value it must be output escaped (``{{ }}`` in an HTML template), never ``|safe``."""

    __slots__ = ()

    def __mod__(self, values: Any, /) -> Any:
        if type(values) is dict:
            for value in values.values():
                if hasattr(value, "__html__"):
                    break
            else:
                return str.__mod__(self, values)
        return Markup(self) % values


def message_template(message: str) -> Markup | NamedText:
    """The translation of a message with ``%(name)s`` placeholders, not yet filled in, for a row loop: once per
    page ``{% set t_select = message_template('选择 %(name)s') %}``, then per row ``{{ t_select % {'name': r.name} }}``,
    which outputs what ``_('选择 %(name)s', name=r.name)`` does (the value escaped) without Jinja's gettext wrapper
    and its two context calls per row. For autoescaped (HTML) templates only; `make messages` extracts it as a
    keyword. A ``NamedText`` when escaping cannot change the message's own text, else a ``NamedMessage``."""
    text = gettext(message)
    if not _NAMED_STRINGS_ONLY(text):
        return Markup(text)
    return NamedMessage(text) if _HTML_SPECIAL(text) else NamedText(text)


def init_app(app: Flask) -> None:
    """Replace Flask-Babel's template callables (``_``, ``gettext``, ``ngettext``) with the cached ones; the
    newstyle wrapper (escaping, ``%(name)s`` formatting) stays Jinja's."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=gettext, ngettext=ngettext, newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n))
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, message_template=message_template)
