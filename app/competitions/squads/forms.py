"""Forms of training squads and stage assessments: shape and field validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.competitions.events.forms import REQUIRED, _int_or_none
from app.core.form_base import AppForm


class SquadForm(AppForm):
    name = StringField(_l("集训队名称"), validators=[DataRequired(REQUIRED), Length(max=200)])
    tier = StringField(_l("梯队"), validators=[Optional(), Length(max=50)],
                       description=_l("如：第一梯队、国家集训队"))
    target_event_id = SelectField(_l("最终参加的上一级赛项"), coerce=_int_or_none, validators=[Optional()])
    final_size = IntegerField(_l("最终入选人数"), default=1,
                              validators=[InputRequired(REQUIRED), NumberRange(1, 50, _l("应为 1–50"))])


class StageForm(AppForm):
    name = StringField(_l("考核名称"), validators=[DataRequired(REQUIRED), Length(max=100)],
                       description=_l("如：十进五、五进二、二进一"))
    held_on = DateField(_l("考核日期"), validators=[InputRequired(REQUIRED)])
    advance_count = IntegerField(_l("晋级人数"), validators=[InputRequired(REQUIRED), NumberRange(1, 1000)])
