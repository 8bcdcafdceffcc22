"""Forms of judging and selection: shape and field validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, DateTimeLocalField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.competitions.forms import REQUIRED, _int_or_none
from app.competitions.models import AwardRuleKind
from app.core.form_base import AppForm


class JudgingSettingsForm(AppForm):
    award_rule = SelectField(_l("评奖规则"), choices=AwardRuleKind.choices, validators=[DataRequired(REQUIRED)])
    tie_break = StringField(_l("决胜顺序"), validators=[Optional(), Length(max=100)],
                            description=_l("总分相同时依次比较，用逗号分隔：criterion:A 表示 A 模块得分高者胜，"
                                           "time 表示用时少者胜"))
    medal_margin = IntegerField(_l("世赛分并列差值"), default=0,
                                validators=[InputRequired(REQUIRED), NumberRange(0, 50, _l("应为 0–50 分"))])
    share_gold = DecimalField(_l("金牌比例"), places=3, validators=[InputRequired(REQUIRED), NumberRange(0, 1)])
    share_silver = DecimalField(_l("银牌比例"), places=3, validators=[InputRequired(REQUIRED), NumberRange(0, 1)])
    share_bronze = DecimalField(_l("铜牌比例"), places=3, validators=[InputRequired(REQUIRED), NumberRange(0, 1)])
    share_merit = DecimalField(_l("优胜奖比例"), places=3, validators=[InputRequired(REQUIRED), NumberRange(0, 1)])
    scores_due_at = DateTimeLocalField(_l("评分截止（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[Optional()])


class SchemeImportForm(AppForm):
    file = FileField(_l("评分方案（.xlsx）"), validators=[
        FileRequired(_l("请选择要上传的文件")), FileAllowed(["xlsx"], _l("只支持 .xlsx 文件"))])


class ExpertForm(AppForm):
    user_id = SelectField(_l("裁判专家"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    is_chief = BooleanField(_l("裁判长"))


class UnlockForm(AppForm):
    reason = StringField(_l("解锁原因"), validators=[DataRequired(_l("请填写解锁原因")), Length(max=300)])


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
