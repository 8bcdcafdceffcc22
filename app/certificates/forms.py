"""Forms of certificates: shape and field validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.core.form_base import AppForm


class RevokeForm(AppForm):
    reason = StringField(_l("作废原因"), validators=[DataRequired(_l("请填写作废原因")), Length(max=300)])
