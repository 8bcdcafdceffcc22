"""The policy table: configurable numbers with an effective-from date and an optional district.

The keys (what may be configured) are code; the numbers are data that officials edit. Code asks
``value_in_force(key, on=..., qualifier=..., district=...)``: the newest row on or before that date,
a district's own row winning over the city-wide one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.enums import District
from app.core.models import PolicyValue
from app.extensions import db


@dataclass(frozen=True)
class PolicyKey:
    key: str
    label: object
    unit: object
    #: Allowed qualifiers with their labels; empty when the key takes none.
    qualifiers: dict[str, object] = field(default_factory=dict)
    #: The largest sensible value (a ratio is at most 1), or None.
    max_value: Decimal | None = None


TARGET_LEVELS = {"level5": _l("初级工"), "level4": _l("中级工"), "level3": _l("高级工"),
                 "level2": _l("技师"), "level1": _l("高级技师")}

POLICY_KEYS: dict[str, PolicyKey] = {k.key: k for k in [
    PolicyKey("apprenticeship.subsidy_per_year", _l("学徒培训补贴（每人每年）"), _l("元")),
    PolicyKey("apprenticeship.district_topup", _l("区级学徒补贴加码（每人每年）"), _l("元"), TARGET_LEVELS),
    PolicyKey("apprenticeship.advance_ratio", _l("补贴预支比例上限"), _l("比例"), max_value=Decimal("1")),
    PolicyKey("apprenticeship.claim_window_months", _l("补贴申领期限"), _l("月")),
    PolicyKey("apprenticeship.min_hours_per_year", _l("年度最少培训学时"), _l("学时")),
    PolicyKey("apprenticeship.min_classroom_hours_per_year", _l("年度最少课堂学时"), _l("学时")),
    PolicyKey("apprenticeship.max_period_years", _l("培训期限上限"), _l("年")),
    PolicyKey("apprenticeship.max_period_years_special", _l("特殊情况培训期限上限"), _l("年")),
    PolicyKey("mentor.max_concurrent_apprentices", _l("导师同时带徒上限"), _l("人")),
    PolicyKey("mentor.daily_hours_limit", _l("导师单日带徒学时风险线"), _l("小时"), max_value=Decimal("24")),
    PolicyKey("mentor.monthly_hours_ceiling", _l("导师月度带徒学时上限"), _l("小时")),
    PolicyKey("mentor.backfill_days", _l("带徒学时补录风险天数"), _l("天")),
    PolicyKey("mentor.submission_day", _l("带徒学时月报提交截止（次月第几日）"), _l("日"), max_value=Decimal("28")),
    PolicyKey("training_base.funding_per_athlete_day", _l("集训基地经费（每人每天）"), _l("元")),
    PolicyKey("training_base.log_correction_days", _l("教练训练日志可自行更正天数"), _l("天")),
    PolicyKey("training_base.facility_hours_per_day", _l("集训设施每日可用时数"), _l("小时")),
    PolicyKey("reminder.offset_days", _l("截止提醒提前天数"), _l("天"),
              {"first": _l("第一次提醒"), "second": _l("第二次提醒"), "third": _l("第三次提醒")}),
    PolicyKey("reminder.send_hour", _l("提醒发送时刻（上海时间）"), _l("时"), max_value=Decimal("23")),
    PolicyKey("reminder.working_days_only", _l("提醒遇节假日提前到上一个工作日（1=是，0=否）"), _l("开关"),
              max_value=Decimal("1")),
    PolicyKey("apprenticeship.plan_target", _l("学徒培训规划目标（2021–2025）"), _l("人次")),
    PolicyKey("apprenticeship.min_period_years", _l("培训期限下限"), _l("年")),
    PolicyKey("apprenticeship.min_contract_years", _l("学徒劳动合同最短期限"), _l("年")),
    PolicyKey("apprenticeship.min_enterprise_mentor_grade", _l("企业导师最低技能等级（填级别：5=五级/初级工 … "
              "1=一级/高级技师；0=不限）"), _l("级"), max_value=Decimal("5")),
]}


def value_in_force(key: str, on: date, qualifier: str = "", district: District | None = None) -> Decimal | None:
    """The value of ``key`` in force on ``on``; a district's own row beats the city-wide one."""
    if key not in POLICY_KEYS:
        raise KeyError(f"unknown policy key {key!r}")
    districts: list[sa.ColumnElement[bool]] = [PolicyValue.district.is_(None)]
    if district is not None:
        districts.append(PolicyValue.district == district)
    rows = db.session.execute(
        sa.select(PolicyValue.district, PolicyValue.value)
        .where(PolicyValue.key == key, PolicyValue.qualifier == qualifier, PolicyValue.effective_from <= on,
               sa.or_(*districts))
        .order_by(PolicyValue.effective_from.desc(), PolicyValue.id.desc())
    ).all()
    own = next((value for d, value in rows if d is not None), None)
    if own is not None:
        return own
    return next((value for d, value in rows if d is None), None)
