"""Use cases of supervision: the person's skills record (培训电子档案)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.permissions import official_district, require
from app.competitions import stats
from app.core import audit, record, risks
from app.core.enums import District
from app.core.models import Certificate, Person, RiskReview, User
from app.core.services import raise_not_found, unique_or_domain_error
from app.errors import DomainError
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
    from app.supervision import tallies

    return CompetitionDashboard(tallies.pyramid(scope.year, scope.district),
                                stats.medals_by_district(scope.year, scope.district),
                                stats.medals_by_unit(scope.year, scope.district),
                                stats.squad_pipeline(scope.year, scope.district))


# ---------------------------------------------------------------- the risk desk

@dataclass
class DeskRow:
    prompt: risks.RiskPrompt
    review: RiskReview | None


def risk_desk(scope: Scope, kind: str | None, status: str) -> list[DeskRow]:
    """Every prompt of every area in scope, with its review; ``status`` is "open", "reviewed" or "all"."""
    found = risks.prompts(scope.district, kind)
    keys = {(p.kind, p.subject_key) for p in found}
    reviews = {}
    if keys:
        rows = db.session.scalars(sa.select(RiskReview).where(
            RiskReview.kind.in_({k for k, _s in keys}), RiskReview.subject_key.in_({s for _k, s in keys})))
        reviews = {(r.kind, r.subject_key): r for r in rows}
    desk = [DeskRow(p, reviews.get((p.kind, p.subject_key))) for p in found]
    if status == "open":
        desk = [row for row in desk if row.review is None]
    elif status == "reviewed":
        desk = [row for row in desk if row.review is not None]
    return desk


def review_risk(actor: User, scope: Scope, kind: str, subject_key: str, note: str) -> RiskReview:
    require(actor, "supervision.view")
    if kind not in risks.RULES:
        raise DomainError(_("未知的风险类型"), "note")
    if not any(p.subject_key == subject_key for p in risks.prompts(scope.district, kind)):
        raise DomainError(_("该风险提示已不存在或不在您的范围内"), "note")
    if not note.strip():
        raise DomainError(_("请填写核查说明"), "note")
    review = RiskReview(kind=kind, subject_key=subject_key, note=note.strip()[:500], reviewed_by_id=actor.id)
    with unique_or_domain_error(_("该风险提示已核查"), "note", commit=False):
        db.session.add(review)
        audit.record(actor, "review_risk", review, after={"kind": kind, "subject_key": subject_key,
                                                          "note": review.note}, summary=subject_key)
    db.session.commit()
    return review
