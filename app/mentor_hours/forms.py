"""Forms of 带徒学时: shape and field validation only (the rules live in rules.py and services.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.form_base import AppForm
from app.mentor_hours.models import AllowanceKind

REQUIRED = _l("此项为必填项")


def _int_or_none(value):  # noqa: ANN001, ANN202
    return int(value) if value not in (None, "", "None") else None


class EntryForm(AppForm):
    assignment_id = SelectField(_l("学徒"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    worked_on = DateField(_l("日期"), validators=[InputRequired(REQUIRED)])
    starts_at = TimeField(_l("开始"), validators=[Optional()])
    ends_at = TimeField(_l("结束"), validators=[Optional()])
    hours = DecimalField(_l("学时"), places=2,
                         validators=[Optional(), NumberRange(0.01, 24, _l("学时须大于 0 且不超过 24"))])
    module_id = SelectField(_l("培训计划模块"), coerce=_int_or_none, validate_choice=False)
    content = StringField(_l("带教内容"), validators=[DataRequired(REQUIRED), Length(max=200)])
    place = StringField(_l("地点"), validators=[Optional(), Length(max=100)])


class RuleForm(AppForm):
    effective_from = DateField(_l("生效日期"), validators=[InputRequired(REQUIRED)])
    kind = SelectField(_l("计发方式"), choices=AllowanceKind.choices, validators=[DataRequired(REQUIRED)])
    amount = DecimalField(_l("标准（元/小时 或 元/人月）"), places=2, validators=[InputRequired(REQUIRED),
                                                                       NumberRange(0, 1000000)])
    monthly_cap = DecimalField(_l("每名导师每月上限（元）"), places=2, validators=[Optional(), NumberRange(0, 1000000)])
    completion_bonus = DecimalField(_l("学徒通过认定奖励（元）"), places=2,
                                    validators=[Optional(), NumberRange(0, 1000000)])
    refund_on_early_end = BooleanField(_l("提前终止带徒时退回按人月发放的津贴"))
    note = StringField(_l("说明"), validators=[Optional(), Length(max=200)])
