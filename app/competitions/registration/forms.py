"""Forms of registration: entering people and reviewing entries; shape and field validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.competitions.events.forms import REQUIRED, _int_or_none
from app.core.form_base import AppForm


class RegisterForm(AppForm):
    person_id = SelectField(_l("选手"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    team_name = StringField(_l("队名（团体赛项）"), validators=[Optional(), Length(max=100)])


class RegistrationImportForm(AppForm):
    file = FileField(_l("Excel 文件（.xlsx）"), validators=[
        FileRequired(_l("请选择要上传的文件")), FileAllowed(["xlsx"], _l("只支持 .xlsx 文件"))])
