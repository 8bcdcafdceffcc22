"""Use cases of supervision: the person's skills record (培训电子档案)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.permissions import official_district, require
from app.competitions import stats
from app.core import audit, record, risks
from app.core.enums import District
from app.core.models import Certificate, Person, RiskPromptRow, RiskReview, User
from app.core.pagination import decode_cursor, encode_cursor
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
    prompt: RiskPromptRow
    review: RiskReview | None


@dataclass
class DeskPage:
    rows: list[DeskRow]
    next_cursor: str | None
    has_previous: bool
    #: Prompts per kind in scope and status (every kind, not only the one shown), and their total.
    counts: dict[str, int]
    total: int
    #: When the stored prompts were last found (the stalest kind's refresh).
    refreshed_at: datetime | None


STATUSES = ("open", "reviewed", "all")


def _reviewed() -> sa.ColumnElement[bool]:
    return sa.and_(RiskReview.kind == RiskPromptRow.kind, RiskReview.subject_key == RiskPromptRow.subject_key)


def _in_district(district: District) -> sa.ColumnElement[bool]:
    return sa.or_(RiskPromptRow.district == district, RiskPromptRow.also_district == district)


def _status_filters(status: str) -> list[sa.ColumnElement[bool]]:
    if status == "open":
        return [RiskReview.id.is_(None)]
    if status == "reviewed":
        return [RiskReview.id.is_not(None)]
    return []


def risk_counts(scope: Scope, status: str) -> dict[str, int]:
    """Stored prompts per kind in scope and status: one GROUP BY over the table (LEFT JOIN to the reviews)."""
    stmt = (sa.select(RiskPromptRow.kind, sa.func.count()).select_from(RiskPromptRow)
            .outerjoin(RiskReview, _reviewed()).where(*_status_filters(status)).group_by(RiskPromptRow.kind))
    if scope.district is not None:
        stmt = stmt.where(_in_district(scope.district))
    return {kind: n for kind, n in db.session.execute(stmt).all() if kind in risks.RULES}


def risk_desk(scope: Scope, kind: str | None, status: str, after: str | None = None,
              per_page: int | None = None) -> DeskPage:
    """One page of the stored prompts in scope (newest first), with their reviews; ``status`` is "open",
    "reviewed" or "all" (a LEFT JOIN to the reviews, in SQL). Stale stored prompts are found again first.

    In a district, the page's ids come from two index ranges — the prompts of the district, and those that
    also concern it — each at most a page long, merged (an OR of the two would sort the district's rows)."""
    risks.fresh_within(current_app.config.get("RISK_PROMPTS_WAIT_SECONDS", 1.0))
    per_page = per_page or current_app.config["PAGE_SIZE"]
    filters = _status_filters(status)
    if kind is not None:
        filters.append(RiskPromptRow.kind == kind)
    bound = decode_cursor(after, 1)
    if bound is not None and isinstance(bound[0], int):
        filters.insert(0, RiskPromptRow.id < bound[0])
    else:
        bound = None

    def ids(*where: sa.ColumnElement[bool]) -> sa.Select[tuple[int]]:
        return (sa.select(RiskPromptRow.id).outerjoin(RiskReview, _reviewed()).where(*where, *filters)
                .order_by(RiskPromptRow.id.desc()).limit(per_page + 1))

    stmt = sa.select(RiskPromptRow, RiskReview).outerjoin(RiskReview, _reviewed())
    if scope.district is None:
        stmt = stmt.where(*filters)
    else:
        parts = [ids(RiskPromptRow.district == scope.district).subquery(),
                 ids(RiskPromptRow.also_district == scope.district).subquery()]
        merged = sa.union_all(*[sa.select(part.c.id) for part in parts]).subquery()
        stmt = stmt.where(RiskPromptRow.id.in_(sa.select(merged.c.id)))
    stmt = stmt.order_by(RiskPromptRow.id.desc()).limit(per_page + 1)
    rows = [DeskRow(p, r) for p, r in db.session.execute(stmt).all()]
    more = len(rows) > per_page
    rows = rows[:per_page]
    counts = risk_counts(scope, status)
    return DeskPage(rows, encode_cursor([rows[-1].prompt.id]) if more and rows else None, bound is not None,
                    counts, sum(counts.values()), risks.last_refreshed())


def in_scope(scope: Scope, kind: str, subject_key: str) -> bool:
    """Whether the stored prompt exists and is in the official's scope."""
    stmt = sa.select(RiskPromptRow.id).where(RiskPromptRow.kind == kind, RiskPromptRow.subject_key == subject_key)
    if scope.district is not None:
        stmt = stmt.where(_in_district(scope.district))
    return db.session.scalar(stmt) is not None


def review_risk(actor: User, scope: Scope, kind: str, subject_key: str, note: str) -> RiskReview:
    require(actor, "supervision.view")
    if kind not in risks.RULES:
        raise DomainError(_("未知的风险类型"), "note")
    risks.fresh_within(current_app.config.get("RISK_PROMPTS_WAIT_SECONDS", 1.0))
    if not in_scope(scope, kind, subject_key):
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
