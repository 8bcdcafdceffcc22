"""The base of every form in the app: checks that hold for every field of a kind, applied in one place.

- A single-line text field (``StringField`` and its kin, not ``TextAreaField``) refuses control characters
  (CR, LF, NUL, …) and the Unicode line/paragraph separators: a display name ``"Evil\\r\\nBcc: …"`` never
  reaches an e-mail header, a log line or an export. A text area refuses control characters other than
  tab and line breaks.
- A number field refuses what the database cannot hold: ``NaN``/``Infinity`` in a ``DecimalField`` and an
  integer outside the 32-bit range in an ``IntegerField`` (with a message next to the field, never a 500).
- A single-choice field (``SelectField``) takes surrounding blanks off the submitted value, so ``" "`` is
  "nothing chosen" rather than a value that slips past ``Optional()`` and then fails to convert.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, Field, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
#: Characters a text area may hold although they are control characters.
TEXT_AREA_ALLOWED = frozenset("\t\r\n")


def control_characters(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The control characters (and line/paragraph separators) in ``text``, apart from ``allowed``."""
    return [c for c in text if c not in allowed and unicodedata.category(c) in ("Cc", "Zl", "Zp")]


def _raw_text(field: Field) -> str:
    return field.raw_data[0] if field.raw_data and isinstance(field.raw_data[0], str) else ""


def single_line(form: Any, field: Field) -> None:
    if control_characters(_raw_text(field)) or (isinstance(field.data, str) and control_characters(field.data)):
        raise StopValidation(str(_l("不能包含换行符或其他控制字符")))


def text_area(form: Any, field: Field) -> None:
    if control_characters(_raw_text(field), TEXT_AREA_ALLOWED):
        raise StopValidation(str(_l("不能包含控制字符")))


def finite_decimal(form: Any, field: Field) -> None:
    raw = _raw_text(field).strip()
    try:
        finite = not raw or Decimal(raw).is_finite()
    except InvalidOperation:
        return  # not a number at all: the field's own conversion error says so
    if not finite:
        field.data = None
        raise StopValidation(str(_l("请输入有效的数字")))


def integer_in_range(form: Any, field: Field) -> None:
    if isinstance(field.data, int) and not INT_MIN <= field.data <= INT_MAX:
        field.data = None
        raise StopValidation(str(_l("数值超出允许范围")))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _nothing_infinite(value: Any) -> Any:
    return None if isinstance(value, Decimal) and not value.is_finite() else value


def _int_in_range(value: Any) -> Any:
    return None if isinstance(value, int) and not INT_MIN <= value <= INT_MAX else value


class AppForm(FlaskForm):
    """Every form of the app derives from this (tests/web/test_form_base.py checks that none is left out)."""

    class Meta(DefaultMeta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            field = super().bind_field(form, unbound_field, options)
            harden(field)
            return field


def harden(field: Field) -> None:
    """Add the checks of its kind to one bound field (see the module's docstring)."""
    if isinstance(field, TextAreaField):
        field.validators = [text_area, *field.validators]
    elif isinstance(field, StringField):
        field.validators = [single_line, *field.validators]
    elif isinstance(field, DecimalField):
        field.validators = [finite_decimal, *field.validators]
        field.filters = (*field.filters, _nothing_infinite)
    elif isinstance(field, IntegerField):
        field.validators = [integer_in_range, *field.validators]
        field.filters = (*field.filters, _int_in_range)
    elif isinstance(field, SelectField) and not isinstance(field, SelectMultipleField):
        field.filters = (_strip, *field.filters)


__all__ = ["AppForm", "control_characters", "harden"]
