"""Demo award rules (realistic figures) and the demo district event's awards under public notice. Idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.competitions.awards import services as awards
from app.competitions.awards.models import AwardBand, AwardLine, AwardRule, PromotionMode
from app.competitions.events.models import CompetitionClass, CompetitionLevel, Event, JudgingState
from app.core.enums import SkillLevel
from app.core.models import User
from app.core.types import utcnow
from app.extensions import db

MOHRSS = "人力资源社会保障部"
SH_GOV = "上海市人民政府"
SH_HRSS = "上海市人力资源和社会保障局"
L2, L1, L3 = SkillLevel.LEVEL_2, SkillLevel.LEVEL_1, SkillLevel.LEVEL_3
WORLD, NATIONAL, MUNICIPAL, DISTRICT = (CompetitionLevel.WORLD, CompetitionLevel.NATIONAL, CompetitionLevel.MUNICIPAL,
                                        CompetitionLevel.DISTRICT)

# name, level, class, band, competitor, expert team, unit, promotion, to, alternative, honour, honour level, body, funder, from, top-n (solo, pair, trio)
RULES = [
    ("世赛金牌（国家奖励）", WORLD, None, "gold", "300000", "300000", "0", "none", None, None, "", "", "", MOHRSS, date(2017, 10, 1), None),
    ("世赛银牌（国家奖励）", WORLD, None, "silver", "180000", "180000", "0", "none", None, None, "", "", "", MOHRSS, date(2017, 10, 1), None),
    ("世赛铜牌（国家奖励）", WORLD, None, "bronze", "120000", "120000", "0", "none", None, None, "", "", "", MOHRSS, date(2017, 10, 1), None),
    ("世赛优胜奖（国家奖励）", WORLD, None, "medallion", "50000", "50000", "0", "none", None, None, "", "", "", MOHRSS, date(2017, 10, 1), None),
    ("世赛金牌（上海市奖励）", WORLD, None, "gold", "500000", "0", "0", "to_level", L1, None, "", "", "", SH_GOV, date(2017, 10, 1), None),
    ("世赛优胜奖（上海市奖励）", WORLD, None, "medallion", "100000", "0", "0", "to_level", L2, L1, "", "", "", SH_GOV, date(2017, 10, 1), None),
    ("全国大赛金银铜牌晋升", NATIONAL, CompetitionClass.CLASS_1, "gold", "0", "0", "0", "to_level", L2, L1, "", "", "", MOHRSS, date(2020, 1, 1), None),
    ("全国大赛银牌晋升", NATIONAL, CompetitionClass.CLASS_1, "silver", "0", "0", "0", "to_level", L2, L1, "", "", "", MOHRSS, date(2020, 1, 1), None),
    ("全国大赛铜牌晋升", NATIONAL, CompetitionClass.CLASS_1, "bronze", "0", "0", "0", "to_level", L2, L1, "", "", "", MOHRSS, date(2020, 1, 1), None),
    ("全国大赛优胜奖晋升", NATIONAL, CompetitionClass.CLASS_1, "merit", "0", "0", "0", "to_level", L2, L1, "", "", "", MOHRSS, date(2020, 1, 1), None),
    ("全国技术能手（全国大赛）", NATIONAL, CompetitionClass.CLASS_1, "top_n", "0", "0", "0", "none", None, None, "全国技术能手", "国家级", MOHRSS, "", date(2020, 1, 1), (5, 3, 2)),
    ("市赛金牌", MUNICIPAL, None, "gold", "10000", "5000", "0", "to_level", L2, L1, "", "", "", SH_HRSS, date(2021, 1, 1), None),
    ("市赛银牌", MUNICIPAL, None, "silver", "6000", "3000", "0", "to_level", L2, L1, "", "", "", SH_HRSS, date(2021, 1, 1), None),
    ("市赛铜牌", MUNICIPAL, None, "bronze", "4000", "2000", "0", "to_level", L2, L1, "", "", "", SH_HRSS, date(2021, 1, 1), None),
    ("市赛优胜奖", MUNICIPAL, None, "merit", "1000", "0", "0", "to_level", L3, L2, "", "", "", SH_HRSS, date(2021, 1, 1), None),
    ("上海市技术能手（市赛前三名）", MUNICIPAL, CompetitionClass.CLASS_1, "top_n", "0", "0", "0", "none", None, None, "上海市技术能手", "市级", SH_HRSS, "", date(2021, 1, 1), (3, 2, 1)),
    ("区赛金牌", DISTRICT, None, "gold", "3000", "0", "2000", "none", None, None, "", "", "", "浦东新区人社局", date(2022, 1, 1), None),
    ("区赛银牌", DISTRICT, None, "silver", "2000", "0", "0", "none", None, None, "", "", "", "浦东新区人社局", date(2022, 1, 1), None),
    ("区赛铜牌", DISTRICT, None, "bronze", "1000", "0", "0", "none", None, None, "", "", "", "浦东新区人社局", date(2022, 1, 1), None),
]


def seed(today: date) -> str:
    official = db.session.scalar(sa.select(User).where(User.username == "official"))
    if official is None:
        return "demo awards skipped"
    made = 0
    for (name, level, klass, band, competitor, experts, unit, promotion, to, alt, honour, honour_level, body, funder,
         since, top) in RULES:
        if db.session.scalar(sa.select(AwardRule.id).where(AwardRule.name == name)) is not None:
            continue
        db.session.add(AwardRule(
            name=name, level=level, klass=klass, band=AwardBand(band), competitor_amount=Decimal(competitor),
            expert_team_amount=Decimal(experts), unit_amount=Decimal(unit), promotion=PromotionMode(promotion),
            promotion_level=to, promotion_alt_level=alt, honour_title=honour, honour_level=honour_level,
            honour_body=body, funder=funder, effective_from=since, top_n=top[0] if top else None,
            top_n_pair=top[1] if top else None, top_n_trio=top[2] if top else None, created_by_id=official.id))
        made += 1
    db.session.commit()
    district_event = db.session.scalar(sa.select(Event).join(Event.competition).where(
        Event.competition.has(level=DISTRICT), Event.judging_state == JudgingState.LOCKED))
    if district_event is not None and db.session.scalar(
            sa.select(AwardLine.id).where(AwardLine.event_id == district_event.id)) is None:
        awards.generate(official, district_event)
        awards.publish_notice(official, district_event, f"{district_event.competition.name}数控车奖励公示",
                              today, utcnow())
    return f"demo awards: {made} rules"
