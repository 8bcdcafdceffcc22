"""Forms of judging and selection: shape and field validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.competitions.events.forms import REQUIRED, _int_or_none
from app.competitions.events.models import AwardRuleKind
from app.core.form_base import AppForm


class JudgingSettingsForm(AppForm):
    award_rule = SelectField(_l("评奖规则"), choices=AwardRuleKind.choices, validators=[DataRequired(REQUIRED)])
    tie_break = StringField(_l("决胜顺序"), validators=[Optional(), Length(max=100)],
                            description=_l("总分相同时依次比较，用逗号分隔：criterion:A 表示 A 模块得分高者胜，"
                                           "time 表示用时少者胜"))
    medal_margin = IntegerField(_l("世赛分并列差值"), default=0,
                                validators=[InputRequired(REQUIRED), NumberRange(0, 50, _l("应为 0–50 分"))])
    merit_rounding = SelectField(_l("优胜奖“前一半”的取整（全国大赛规则）"),
                                 choices=[("down", _l("向下取整（7 人取前 3 名）")),
                                          ("up", _l("向上取整（7 人取前 4 名）"))],
                                 default="down", validators=[DataRequired(REQUIRED)])
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
