"""Forms of award incentives: shape and field validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.competitions.awards.models import AwardBand, PromotionMode
from app.competitions.events.forms import REQUIRED, _int_or_none
from app.competitions.events.models import CompetitionClass, CompetitionLevel
from app.core.enums import SkillLevel
from app.core.form_base import AppForm

MONEY_RANGE = NumberRange(0, 99_999_999, _l("金额应在 0 到 99,999,999 元之间"))


def _optional_levels() -> list[tuple[str, object]]:
    return [("", _l("（无）"))] + SkillLevel.choices()


class AwardRuleForm(AppForm):
    name = StringField(_l("规则名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    level = SelectField(_l("竞赛层级"), choices=CompetitionLevel.choices, validators=[DataRequired(REQUIRED)])
    klass = SelectField(_l("类别"), choices=lambda: [("", _l("不限"))] + CompetitionClass.choices())
    competition_id = SelectField(_l("仅限届次"), coerce=_int_or_none, validators=[Optional()])
    band = SelectField(_l("奖励对象"), choices=AwardBand.choices, validators=[DataRequired(REQUIRED)])
    top_n = IntegerField(_l("前 N 名（个人）"), validators=[Optional(), NumberRange(1, 1000)])
    top_n_pair = IntegerField(_l("前 N 名（双人团体）"), validators=[Optional(), NumberRange(1, 1000)])
    top_n_trio = IntegerField(_l("前 N 名（三人及以上团体）"), validators=[Optional(), NumberRange(1, 1000)])
    competitor_amount = DecimalField(_l("选手奖金（元）"), places=2, default=0,
                                     validators=[InputRequired(REQUIRED), MONEY_RANGE])
    split_team = BooleanField(_l("团体项目奖金由队员平分"))
    expert_team_amount = DecimalField(_l("专家教练团队奖金（元）"), places=2, default=0,
                                      validators=[InputRequired(REQUIRED), MONEY_RANGE])
    unit_amount = DecimalField(_l("贡献单位奖金（元）"), places=2, default=0,
                               validators=[InputRequired(REQUIRED), MONEY_RANGE])
    promotion = SelectField(_l("技能等级晋升"), choices=PromotionMode.choices, default=PromotionMode.NONE.value)
    promotion_level = SelectField(_l("晋升到"), choices=_optional_levels)
    promotion_alt_level = SelectField(_l("已达到该等级时晋升到"), choices=_optional_levels)
    honour_title = StringField(_l("荣誉称号"), validators=[Optional(), Length(max=100)])
    honour_level = StringField(_l("荣誉级别"), validators=[Optional(), Length(max=20)])
    honour_body = StringField(_l("授予机构"), validators=[Optional(), Length(max=100)])
    funder = StringField(_l("奖金出资方"), validators=[Optional(), Length(max=100)])
    effective_from = DateField(_l("生效日期"), validators=[InputRequired(REQUIRED)])
    effective_to = DateField(_l("失效日期"), validators=[Optional()])


class NoticeForm(AppForm):
    title = StringField(_l("公示标题"), validators=[DataRequired(REQUIRED), Length(max=200)])
    starts_on = DateField(_l("公示开始日期"), validators=[InputRequired(REQUIRED)])


class HoldForm(AppForm):
    reason = StringField(_l("异议内容"), validators=[DataRequired(_l("请填写异议内容")), Length(max=300)])


class EndRuleForm(AppForm):
    effective_to = DateField(_l("失效日期"), validators=[InputRequired(REQUIRED)])
