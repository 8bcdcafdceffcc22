"""Demo competitions across the five levels of the pyramid, with qualifier links (registration/demo.py enters
people).

Idempotent: competitions and events are found by name before they are created.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionClass, CompetitionLevel, Event, Locality
from app.competitions.events.rules import worldskills_cutoff
from app.core.enums import District, OrgKind, SkillLevel
from app.core.models import Organisation
from app.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def city_competition_name(year: int) -> str:
    """The demo's municipal competition (its 数控车 event takes the demo entries)."""
    return f"{year}年上海市职业技能大赛"


def _competition(name: str, level: CompetitionLevel, klass: CompetitionClass, organiser: Organisation, year: int,
                 host: District | None, description: str) -> Competition:
    found = db.session.scalar(sa.select(Competition).where(Competition.name == name))
    if found is None:
        found = Competition(name=name, level=level, klass=klass, organiser=organiser, year=year,
                            host_district=host, description=description)
        db.session.add(found)
        db.session.flush()
    return found


def _event(competition: Competition, name: str, code: str, starts: date, opens: date, closes: date, **rules) -> Event:
    found = db.session.scalar(sa.select(Event).where(Event.competition_id == competition.id, Event.name == name))
    if found is None:
        found = Event(competition=competition, name=name, occupation_code=code, starts_on=starts,
                      ends_on=starts + timedelta(days=rules.pop("days", 3) - 1), registration_opens_at=_at(opens, 9),
                      registration_closes_at=_at(closes, 17), **rules)
        db.session.add(found)
        db.session.flush()
    return found


def seed(today: date) -> str:
    municipal = db.session.scalar(sa.select(Organisation).where(Organisation.kind == OrgKind.MUNICIPAL_BUREAU))
    pudong = db.session.scalar(sa.select(Organisation).where(Organisation.kind == OrgKind.DISTRICT_BUREAU,
                                                             Organisation.district == District.PUDONG))
    enterprise = db.session.scalar(sa.select(Organisation).where(Organisation.name == "上海申港精密机械有限公司"))
    if municipal is None:
        return "no municipal bureau (run the core demo first)"
    year = today.year
    world = _competition(f"第48届世界技能大赛（{year}·上海）" if year == 2026 else f"{year}年世界技能大赛",
                         CompetitionLevel.WORLD, CompetitionClass.NONE, municipal, year, District.PUDONG,
                         "世界技能大赛，技能领域的“奥林匹克”。")
    national = _competition(f"{year}年全国技能大赛（世赛全国选拔赛）", CompetitionLevel.NATIONAL,
                            CompetitionClass.CLASS_1, municipal, year, None, "世赛全国选拔赛，前5名进入国家集训队。")
    city = _competition(city_competition_name(year), CompetitionLevel.MUNICIPAL, CompetitionClass.CLASS_1, municipal,
                        year, None, "市级技能大赛为主体，金银铜牌获得者按规定晋升技能等级。")
    district = _competition(f"{year}年浦东新区职业技能竞赛", CompetitionLevel.DISTRICT, CompetitionClass.NONE,
                            pudong or municipal, year, District.PUDONG, "区域性技能竞赛，前3名推荐参加市赛。")
    grassroots = _competition(f"申港精密{year}年岗位练兵技能比武", CompetitionLevel.GRASSROOTS, CompetitionClass.NONE,
                              enterprise or municipal, year, District.PUDONG, "企业岗位练兵。")
    ws = _event(world, "数控车", "6-18-01-01", date(year, 12, 20), date(year - 1, 12, 1), date(year, 1, 15),
                worldskills_no="05", born_on_or_after=worldskills_cutoff(year), exclude_past_worldskills=True,
                quota_per_unit=1, venue="国家会展中心（上海）")
    nat = _event(national, "数控车", "6-18-01-01", today + timedelta(days=40), today - timedelta(days=30),
                 today + timedelta(days=20), worldskills_no="05", born_on_or_after=worldskills_cutoff(year + 1),
                 exclude_past_worldskills=True, quota_per_unit=2, feeds=ws, feeds_top_n=1, venue="天津")
    city_lathe = _event(city, "数控车", "6-18-01-01", today + timedelta(days=25), today - timedelta(days=20),
                        today + timedelta(days=15), min_level=SkillLevel.LEVEL_4, locality=Locality.SHANGHAI,
                        quota_per_unit=3, feeds=nat, feeds_top_n=5, venue="上海申江技师学院")
    _event(city, "焊接", "6-18-02-04", today + timedelta(days=25), today - timedelta(days=20), today + timedelta(days=15),
           locality=Locality.SHANGHAI, quota_per_unit=3, venue="上海滨江高级技工学校")
    _event(city, "中式烹调", "4-03-02-01", today + timedelta(days=30), today - timedelta(days=10),
           today + timedelta(days=18), quota_per_unit=2, venue="上海云栖餐饮培训中心", days=2)
    _event(city, "养老护理（团体）", "4-10-01-05", today + timedelta(days=32), today - timedelta(days=10),
           today + timedelta(days=18), team_size=2, quota_per_unit=2, venue="静安区养老服务中心", days=2)
    _event(district, "数控车", "6-18-01-01", today - timedelta(days=30), today - timedelta(days=80),
           today - timedelta(days=40), locality=Locality.HOST_DISTRICT, quota_per_unit=5, feeds=city_lathe,
           feeds_top_n=3, venue="浦东新区职业技能实训基地")
    _event(grassroots, "车工岗位练兵", "6-18-01-01", today + timedelta(days=10), today - timedelta(days=5),
           today + timedelta(days=5), quota_per_unit=50, venue="申港精密一车间", days=1)
    db.session.commit()
    return "demo competitions ready"

