"""Use cases of supervision: the person's skills record (培训电子档案)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

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
from app.supervision import tallies


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
    medals = stats.medal_tables(scope.year, scope.district)  # both medal tables from one statement
    return CompetitionDashboard(tallies.pyramid(scope.year, scope.district), medals.by_district, medals.by_unit,
                                stats.squad_pipeline(scope.year, scope.district))


# ---------------------------------------------------------------- the risk desk

class DeskRow(NamedTuple):
    """A stored prompt as the desk shows it: its columns, its text in the reader's language (rendered once), and
    its review's note, reviewer and time (``reviewed`` False: not reviewed, the three None)."""

    id: int
    kind: str
    subject_key: str
    link: str | None
    district: District | None
    title: str
    detail: str
    reviewed: bool
    note: str | None
    reviewer: str | None
    reviewed_at: datetime | None


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


@lru_cache(maxsize=64)
def _desk_page(city: bool, status: str, by_kind: bool, after: bool, limit: int) -> sa.Select[Any]:
    """The desk's page statement for its shape, built once per process (its values are bound parameters:
    ``district``, ``kind``, ``after_id``): the shown columns of each stored prompt and of its review and reviewer,
    as result rows (no identity map or instance state for a page of prompts). A district pages through its own
    rows (one per prompt concerning it), the city through each prompt's lead row; newest first."""
    filters: list[sa.ColumnElement[bool]] = [RiskPromptRow.id < sa.bindparam("after_id")] if after else []
    filters.append(RiskPromptRow.lead == sa.true() if city else RiskPromptRow.district == sa.bindparam("district"))
    if status == "open":
        filters.append(RiskReview.id.is_(None))
    elif status == "reviewed":
        filters.append(RiskReview.id.is_not(None))
    if by_kind:
        filters.append(RiskPromptRow.kind == sa.bindparam("kind"))
    return (sa.select(RiskPromptRow.id, RiskPromptRow.kind, RiskPromptRow.subject_key, RiskPromptRow.facts,
                      RiskPromptRow.link, RiskPromptRow.district, RiskReview.id, RiskReview.note, User.display_name,
                      RiskReview.reviewed_at)
            .outerjoin(RiskReview, _reviewed()).outerjoin(User, User.id == RiskReview.reviewed_by_id)
            .where(*filters).order_by(RiskPromptRow.id.desc()).limit(limit))


def risk_counts(scope: Scope, status: str) -> dict[str, int]:
    """Stored prompts per kind in scope and status, from the tallies each refresh counts and each review moves:
    at most one row per kind, however many prompts there are (issue 21)."""
    def pick(open_: int, reviewed: int) -> int:
        return open_ if status == "open" else reviewed if status == "reviewed" else open_ + reviewed

    return {kind: n for kind, (o, r) in risks.tallies(scope.district).items() if (n := pick(o, r))}


def risk_desk(scope: Scope, kind: str | None, status: str, after: str | None = None,
              per_page: int | None = None) -> DeskPage:
    """One page of the stored prompts in scope (newest first), with their reviews; ``status`` is "open",
    "reviewed" or "all" (a LEFT JOIN to the reviews, in SQL). Stale stored prompts are found again first.
    A district pages through its own rows (one per prompt concerning it), the city through the lead rows."""
    risks.fresh_within(current_app.config.get("RISK_PROMPTS_WAIT_SECONDS", 1.0))
    per_page = per_page or current_app.config["PAGE_SIZE"]
    bound = decode_cursor(after, 1)
    if bound is None or not isinstance(bound[0], int):
        bound = None
    stmt = _desk_page(scope.district is None, status, kind is not None, bound is not None, per_page + 1)
    found = db.session.execute(stmt, {"district": scope.district, "kind": kind,
                                      "after_id": bound[0] if bound is not None else None}).all()
    more = len(found) > per_page
    text = risks.text
    rows = [DeskRow(id_, kind_, key, link, district, *text(kind_, facts), review_id is not None, note, reviewer, at)
            for id_, kind_, key, facts, link, district, review_id, note, reviewer, at in found[:per_page]]
    counts = risk_counts(scope, status)
    return DeskPage(rows, encode_cursor([rows[-1].id]) if more and rows else None, bound is not None,
                    counts, sum(counts.values()), risks.last_refreshed())


def _concerned(scope: Scope, kind: str, subject_key: str) -> list[District | None]:
    """The districts of the stored prompt (empty: it does not exist, or not in the official's scope)."""
    districts = list(db.session.scalars(sa.select(RiskPromptRow.district).where(
        RiskPromptRow.kind == kind, RiskPromptRow.subject_key == subject_key)))
    if scope.district is not None and scope.district not in districts:
        return []
    return districts


def in_scope(scope: Scope, kind: str, subject_key: str) -> bool:
    """Whether the stored prompt exists and is in the official's scope."""
    return bool(_concerned(scope, kind, subject_key))


def review_risk(actor: User, scope: Scope, kind: str, subject_key: str, note: str) -> RiskReview:
    require(actor, "supervision.view")
    if kind not in risks.RULES:
        raise DomainError(_("未知的风险类型"), "note")
    risks.fresh_within(current_app.config.get("RISK_PROMPTS_WAIT_SECONDS", 1.0))
    districts = _concerned(scope, kind, subject_key)
    if not districts:
        raise DomainError(_("该风险提示已不存在或不在您的范围内"), "note")
    if not note.strip():
        raise DomainError(_("请填写核查说明"), "note")
    review = RiskReview(kind=kind, subject_key=subject_key, note=note.strip()[:500], reviewed_by_id=actor.id)
    with unique_or_domain_error(_("该风险提示已核查"), "note", commit=False):
        db.session.add(review)
        audit.record(actor, "review_risk", review, after={"kind": kind, "subject_key": subject_key,
                                                          "note": review.note}, summary=subject_key)
        risks.count_review(kind, districts)
    db.session.commit()
    return review
