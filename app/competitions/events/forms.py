"""Forms of competitions and their events; REQUIRED and _int_or_none are shared by the sub-packages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.competitions.events.models import CompetitionClass, CompetitionLevel, Locality
from app.core import clock
from app.core.enums import District, SkillLevel
from app.core.form_base import AppForm

REQUIRED = _l("此项为必填项")


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _levels() -> list[tuple[str, str]]:
    return [("", _l("不限"))] + SkillLevel.choices()


class CompetitionForm(AppForm):
    name = StringField(_l("大赛名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    level = SelectField(_l("层级"), choices=CompetitionLevel.choices, validators=[DataRequired(REQUIRED)])
    klass = SelectField(_l("类别"), choices=CompetitionClass.choices, default=CompetitionClass.NONE.value)
    organiser_id = SelectField(_l("主办单位"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    year = IntegerField(_l("届次年份"), default=lambda: clock.today().year,
                        validators=[InputRequired(REQUIRED), NumberRange(1950, 2100, _l("年份应在1950–2100之间"))])
    host_district = SelectField(_l("承办区"), choices=lambda: [("", _l("（无）"))] + District.choices())
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])


class EventForm(AppForm):
    name = StringField(_l("赛项名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    occupation_code = SelectField(_l("对应职业（工种）"), validators=[DataRequired(REQUIRED)])
    worldskills_no = StringField(_l("世赛项目编号"), validators=[Optional(), Length(max=10)])
    team_size = IntegerField(_l("每队人数（个人赛填1）"), default=1,
                             validators=[InputRequired(REQUIRED), NumberRange(1, 10, _l("每队人数应为1–10"))])
    venue = StringField(_l("比赛地点"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("比赛开始日期"), validators=[InputRequired(REQUIRED)])
    ends_on = DateField(_l("比赛结束日期"), validators=[InputRequired(REQUIRED)])
    registration_opens_at = DateTimeLocalField(_l("报名开始（北京时间）"), format="%Y-%m-%dT%H:%M",
                                               validators=[InputRequired(REQUIRED)])
    registration_closes_at = DateTimeLocalField(_l("报名截止（北京时间）"), format="%Y-%m-%dT%H:%M",
                                                validators=[InputRequired(REQUIRED)])
    quota_per_unit = IntegerField(_l("每单位名额"), default=3,
                                  validators=[InputRequired(REQUIRED), NumberRange(1, 10000, _l("名额至少为1"))])
    born_on_or_after = DateField(_l("出生日期不早于"), validators=[Optional()])
    min_level = SelectField(_l("最低技能等级"), choices=_levels)
    max_level = SelectField(_l("最高技能等级"), choices=_levels)
    locality = SelectField(_l("单位所在地要求"), choices=Locality.choices, default=Locality.ANY.value)
    exclude_past_worldskills = BooleanField(_l("已参加过世赛者不得报名"))
    feeds_event_id = SelectField(_l("晋级到（上一级赛项）"), coerce=_int_or_none, validators=[Optional()])
    feeds_top_n = IntegerField(_l("晋级名额（前 N 名）"), validators=[Optional(), NumberRange(1, 1000)])
