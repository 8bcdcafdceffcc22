"""Forms of the training-base area: shape and field validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.form_base import AppForm
from app.core.forms import MultiCheckboxField
from app.training_bases.models import Designation, FacilityKind, MemberRole

REQUIRED = _l("此项为必填项")
WEEKDAYS = [("0", _l("周一")), ("1", _l("周二")), ("2", _l("周三")), ("3", _l("周四")), ("4", _l("周五")),
            ("5", _l("周六")), ("6", _l("周日"))]


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class BaseForm(AppForm):
    organisation_id = SelectField(_l("承建单位（院校或企业）"), coerce=_int_or_none,
                                  validators=[InputRequired(REQUIRED)])
    name = StringField(_l("基地名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    designation = SelectField(_l("认定类别"), choices=Designation.choices, validators=[DataRequired(REQUIRED)])
    skill_codes = MultiCheckboxField(_l("集训项目（职业）"), validators=[DataRequired(REQUIRED)])
    designated_from = DateField(_l("认定开始日期"), validators=[InputRequired(REQUIRED)])
    designated_until = DateField(_l("认定结束日期"), validators=[Optional()])


class FacilityForm(AppForm):
    name = StringField(_l("设施名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    kind = SelectField(_l("类型"), choices=FacilityKind.choices, validators=[DataRequired(REQUIRED)])
    capacity = IntegerField(_l("容量（同时可容纳选手数）"), default=1,
                            validators=[InputRequired(REQUIRED), NumberRange(1, 1000, _l("容量应为1–1000"))])
    skill_codes = MultiCheckboxField(_l("适用项目"), validators=[Optional()])
    active = BooleanField(_l("可用"), default=True)


class MemberForm(AppForm):
    person_id = SelectField(_l("人员"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    role = SelectField(_l("身份"), choices=MemberRole.choices, validators=[DataRequired(REQUIRED)])
    occupation_code = SelectField(_l("负责项目"), validators=[Optional()])
    title = StringField(_l("职务/职称"), validators=[Optional(), Length(max=100)])


class CampForm(AppForm):
    name = StringField(_l("集训名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    occupation_code = SelectField(_l("集训项目"), validators=[Optional()])
    starts_on = DateField(_l("开始日期"), validators=[InputRequired(REQUIRED)])
    ends_on = DateField(_l("结束日期"), validators=[InputRequired(REQUIRED)])
    athlete_ids = SelectMultipleField(_l("集训选手"), coerce=int, validators=[Optional()])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    modules = TextAreaField(_l("训练模块（每行一个：名称 | 评分标准模块代码 | 计划学时）"),
                            validators=[Optional(), Length(max=4000)])


class ModuleForm(AppForm):
    name = StringField(_l("模块名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    criterion_code = StringField(_l("评分标准模块代码"), validators=[Optional(), Length(max=10)])
    planned_hours = DecimalField(_l("计划学时"), places=1, default=0,
                                 validators=[Optional(), NumberRange(0, 10000)])


class SessionForm(AppForm):
    title = StringField(_l("课程内容"), validators=[Optional(), Length(max=100)])
    module_id = SelectField(_l("训练模块"), coerce=_int_or_none, validators=[Optional()])
    facility_id = SelectField(_l("设施"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    coach_id = SelectField(_l("教练"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    athlete_ids = MultiCheckboxField(_l("选手"), coerce=int, validators=[DataRequired(REQUIRED)])
    repeat = BooleanField(_l("每周重复"))
    first_day = DateField(_l("日期（重复时为首日）"), validators=[InputRequired(REQUIRED)])
    last_day = DateField(_l("重复至（含）"), validators=[Optional()])
    weekdays = MultiCheckboxField(_l("重复的星期"), choices=WEEKDAYS, validators=[Optional()])
    keep_holidays = BooleanField(_l("节假日照常安排"))
    start_time = TimeField(_l("开始时间（北京时间）"), validators=[InputRequired(REQUIRED)])
    end_time = TimeField(_l("结束时间（早于开始即次日结束）"), validators=[InputRequired(REQUIRED)])


class MoveForm(AppForm):
    starts_at = DateTimeLocalField(_l("开始"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(REQUIRED)])
    ends_at = DateTimeLocalField(_l("结束"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(REQUIRED)])


class LogForm(AppForm):
    actual_hours = DecimalField(_l("实际学时"), places=2,
                                validators=[InputRequired(REQUIRED), NumberRange(0, 24, _l("实际学时应在 0–24 之间"))])
    content = TextAreaField(_l("训练内容"), validators=[DataRequired(REQUIRED), Length(max=4000)])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=4000)])
    score_kind = SelectField(_l("成绩类型"), choices=[("mock_test", _l("模拟测试")), ("drill", _l("专项训练"))],
                             default="mock_test")
    max_score = DecimalField(_l("满分"), places=2, default=100, validators=[Optional(), NumberRange(0.01, 1000)])


class PeriodForm(AppForm):
    class Meta:
        csrf = False

    start = DateField(_l("从"), validators=[Optional()])
    end = DateField(_l("到"), validators=[Optional()])
