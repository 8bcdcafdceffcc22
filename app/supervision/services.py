"""Use cases of supervision: the person's skills record (培训电子档案)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.auth.permissions import official_district, require
from app.competitions import stats
from app.core import record
from app.core.enums import District
from app.core.models import Certificate, Person, User
from app.core.services import raise_not_found
from app.extensions import db


@dataclass
class SkillsRecord:
    person: Person
    sections: list[record.RecordSection]
    timeline: list[record.TimelineItem]


def skills_record(actor: User, person_id: int) -> SkillsRecord:
    """The whole record of one person: the person themselves, their unit's staff, officials in scope."""
    person = db.session.scalar(sa.select(Person).where(Person.id == person_id).options(
        selectinload(Person.employer), selectinload(Person.certificates).selectinload(Certificate.occupation)))
    if person is None:
        raise_not_found()
    require(actor, "record.view", person)
    return SkillsRecord(person, record.sections_for(actor, person), record.timeline_for(person))


# ---------------------------------------------------------------- dashboards

@dataclass
class Scope:
    year: int
    #: None: the whole city (municipal officials only); a district official always sees their own district.
    district: District | None


def scope_for(actor: User, year: int, district: District | None) -> Scope:
    require(actor, "supervision.view")
    own = official_district(actor)
    return Scope(year, own if own is not None else district)


@dataclass
class CompetitionDashboard:
    pyramid: list[stats.LevelCount]
    by_district: list[stats.MedalRow]
    by_unit: list[stats.MedalRow]
    squads: list[stats.SquadRow]


def competition_dashboard(scope: Scope) -> CompetitionDashboard:
    return CompetitionDashboard(stats.pyramid(scope.year, scope.district),
                                stats.medals_by_district(scope.year, scope.district),
                                stats.medals_by_unit(scope.year, scope.district),
                                stats.squad_pipeline(scope.year, scope.district))
