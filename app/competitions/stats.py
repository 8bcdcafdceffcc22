"""Aggregates of the competition area for dashboards: every figure is one grouped SQL query.

``district`` narrows to entrants registered by units of that district (None: the whole city).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionLevel, Event, JudgingState
from app.competitions.judging import tallies
from app.competitions.judging.models import Contestant, MedalKind, Result
from app.competitions.judging.tallies import MedalTally
from app.competitions.registration.models import ACTIVE_STATUSES, Registration
from app.competitions.squads.models import Squad, SquadMember, SquadMemberStatus, SquadStage
from app.core.enums import District
from app.core.models import Organisation
from app.extensions import db


@dataclass
class LevelCount:
    level: CompetitionLevel
    competitions: int
    events: int
    entrants: int


def pyramid(year: int, district: District | None) -> list[LevelCount]:
    """Competitions, events and entrants per level; with a district, those its units entered."""
    stmt = (sa.select(Competition.level, sa.func.count(sa.distinct(Competition.id)),
                      sa.func.count(sa.distinct(Event.id)), sa.func.count(Registration.id))
            .join(Event, Event.competition_id == Competition.id)
            .join(Registration, Registration.event_id == Event.id)
            .where(Competition.year == year, Registration.status.in_(ACTIVE_STATUSES)))
    if district is not None:
        stmt = stmt.join(Organisation, Organisation.id == Registration.unit_id).where(Organisation.district == district)
    rows = {lv: (c, e, n) for lv, c, e, n in db.session.execute(stmt.group_by(Competition.level))}
    if district is None:  # competitions and events without entrants count too, city-wide
        comps = dict(db.session.execute(sa.select(Competition.level, sa.func.count()).where(
            Competition.year == year).group_by(Competition.level)).tuples().all())
        events = dict(db.session.execute(sa.select(Competition.level, sa.func.count(Event.id)).join(
            Event, Event.competition_id == Competition.id).where(Competition.year == year)
            .group_by(Competition.level)).tuples().all())
        return [LevelCount(lv, comps.get(lv, 0), events.get(lv, 0), rows.get(lv, (0, 0, 0))[2])
                for lv in CompetitionLevel]
    return [LevelCount(lv, *rows.get(lv, (0, 0, 0))) for lv in CompetitionLevel]


MEDALS = (MedalKind.GOLD, MedalKind.SILVER, MedalKind.BRONZE, MedalKind.MERIT, MedalKind.MEDALLION)


@dataclass
class MedalRow:
    key: Any  # a District (by district) or (unit id, unit name)
    counts: dict[MedalKind, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def points(self) -> int:
        """WorldSkills medal points: gold 4, silver 3, bronze 2, 优胜奖/Medallion 1."""
        weights = {MedalKind.GOLD: 4, MedalKind.SILVER: 3, MedalKind.BRONZE: 2}
        return sum(weights.get(m, 1) * n for m, n in self.counts.items())


def _rank(rows: dict[object, MedalRow]) -> list[MedalRow]:
    return sorted(rows.values(), key=lambda r: tuple(-r.counts.get(m, 0) for m in MEDALS) + (str(r.key),))


@dataclass
class MedalTables:
    by_district: list[MedalRow]
    by_unit: list[MedalRow]


@lru_cache(maxsize=8)
def _medal_tables_statement(by_district: bool, limit: int) -> sa.CompoundSelect:
    """The medal tables' statement (see :func:`medal_tables`), built once per shape (``year`` and ``district``
    bound parameters): its construction was a third of the competitions tab's Python (issue 21)."""
    t = MedalTally.__table__
    counts = tallies.counts_of(t)
    where = [t.c.year == sa.bindparam("year")]
    if by_district:
        where.append(t.c.district == sa.bindparam("district"))
    districts = (sa.select(sa.literal("d").label("part"), t.c.district, sa.cast(sa.null(), sa.Integer).label("unit_id"),
                           sa.cast(sa.null(), t.c.name.type).label("name"), *[sa.func.sum(c) for c in counts])
                 .where(*where).group_by(t.c.district))
    top = (sa.select(sa.literal("u").label("part"), t.c.district, t.c.unit_id, t.c.name, *counts)
           .where(*where, sum(counts[1:], counts[0]) > 0)  # rows back at zero after an unlock stay in the table
           .order_by(*[c.desc() for c in counts], t.c.name, t.c.unit_id).limit(limit).subquery())
    return sa.union_all(districts, sa.select(top))


def medal_tables(year: int, district: District | None = None, limit: int = 20) -> MedalTables:
    """Medals per district of the contestants' units and the first ``limit`` units, from one statement over the
    medal tallies kept on write (app/competitions/judging/tallies.py: one row per medalled unit of the year, not
    the year's medalled results): the districts summed from the unit rows and the units ranked and cut in SQL (the
    city's from the tallies' ranking index), so only ≤ 16 + ``limit`` rows come back however many units won a
    medal. A unit outside every district (e.g. the municipal bureau entering someone without an employer) is in no
    district's row. Units are ranked by gold, silver, bronze, 优胜奖, Medallion, then name, then id."""
    found = db.session.execute(_medal_tables_statement(district is not None, limit),
                               {"year": year, "district": district.value if district is not None else None})
    by_district: dict[object, MedalRow] = {}
    by_unit: list[MedalRow] = []
    for part, where_, unit_id, name, *ns in found:
        row_counts = {m: int(n) for m, n in zip(MEDALS, ns, strict=True) if n}
        if part == "u":
            by_unit.append(MedalRow((unit_id, name), row_counts))
        elif where_ != tallies.NO_DISTRICT and row_counts:
            by_district[District(where_)] = MedalRow(District(where_), row_counts)
    return MedalTables(_rank(by_district), by_unit)


def medals_by_district(year: int, district: District | None = None) -> list[MedalRow]:
    """Medals per district of the contestants' units (see :func:`medal_tables`)."""
    return medal_tables(year, district).by_district


def medals_by_unit(year: int, district: District | None = None, limit: int = 20) -> list[MedalRow]:
    """The first ``limit`` units by medals (see :func:`medal_tables`)."""
    return medal_tables(year, district, limit).by_unit


def medallists(year: int, district: District | None, unit_id: int | None, medal: MedalKind | None,
               limit: int = 500) -> list[tuple[Result, Event, Organisation]]:
    """The results behind a medal-table figure (bounded)."""
    stmt = (sa.select(Result, Event, Organisation).join(Contestant, Contestant.id == Result.contestant_id)
            .join(Event, Event.id == Result.event_id).join(Competition, Competition.id == Event.competition_id)
            .join(Organisation, Organisation.id == Contestant.unit_id)
            .where(Competition.year == year, Event.judging_state == JudgingState.LOCKED, Result.medal.is_not(None))
            .order_by(Competition.level, Event.id, Result.rank).limit(limit))
    if district is not None:
        stmt = stmt.where(Organisation.district == district)
    if unit_id is not None:
        stmt = stmt.where(Organisation.id == unit_id)
    if medal is not None:
        stmt = stmt.where(Result.medal == medal)
    return [tuple(row) for row in db.session.execute(stmt)]


@dataclass
class SquadRow:
    squad_id: int
    name: str
    tier: str
    skill: str
    stages: int
    active: int
    left: int
    selected: int


@lru_cache(maxsize=2)
def _squad_pipeline_statement(by_district: bool) -> sa.Select[Any]:
    """The squad pipeline's statement (see :func:`squad_pipeline`), built once per shape (``year`` and
    ``district`` bound parameters)."""
    def members_in(status: SquadMemberStatus) -> Any:
        return sa.func.sum(sa.case((SquadMember.status == status, 1), else_=0))

    year: sa.BindParameter[int] = sa.bindparam("year")
    in_year = (sa.select(Squad.id).join(Event, Event.id == Squad.source_event_id)
               .join(Competition, Competition.id == Event.competition_id).where(Competition.year == year))
    members = (sa.select(SquadMember.squad_id, members_in(SquadMemberStatus.ACTIVE).label("active"),
                         members_in(SquadMemberStatus.LEFT).label("left"),
                         members_in(SquadMemberStatus.SELECTED).label("selected"), sa.func.count().label("n"))
               .join(Organisation, Organisation.id == SquadMember.unit_id)
               .where(SquadMember.squad_id.in_(in_year)).group_by(SquadMember.squad_id))
    if by_district:
        members = members.where(Organisation.district == sa.bindparam("district"))
    m = members.subquery()
    stages = (sa.select(SquadStage.squad_id, sa.func.count().label("n"))
              .where(SquadStage.squad_id.in_(in_year), SquadStage.decided_at.is_not(None))
              .group_by(SquadStage.squad_id).subquery())
    return (sa.select(Squad.id, Squad.name, Squad.tier, Event.name, sa.func.coalesce(stages.c.n, 0),
                      sa.func.coalesce(m.c.active, 0), sa.func.coalesce(m.c.left, 0),
                      sa.func.coalesce(m.c.selected, 0), sa.func.coalesce(m.c.n, 0))
            .join(Event, Event.id == Squad.source_event_id).join(Competition, Competition.id == Event.competition_id)
            .outerjoin(m, m.c.squad_id == Squad.id).outerjoin(stages, stages.c.squad_id == Squad.id)
            .where(Competition.year == year).order_by(Event.name, Squad.id))


def squad_pipeline(year: int, district: District | None) -> list[SquadRow]:
    """Every squad from the year's events: members still in, gone, finally selected, and stages held — one
    statement (the members and the decided stages of the year's squads grouped per squad, joined to those
    squads: other years' squads are not read); a district sees the squads with a member from its units."""
    rows = db.session.execute(_squad_pipeline_statement(district is not None),
                              {"year": year, "district": district}).all()
    return [SquadRow(sid, name, tier, skill, int(held), int(active), int(left), int(selected))
            for sid, name, tier, skill, held, active, left, selected, n in rows if district is None or n]
