"""The competition part of a person's record: entries with their results and medals, squads with stages."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from app.competitions.models import (
    ContestantMember,
    Event,
    Registration,
    Result,
    SquadMember,
    SquadStage,
    StageScore,
)
from app.core import record
from app.core.models import Person, User
from app.extensions import db


@dataclass
class Entry:
    registration: Registration
    result: Result | None


def entries(person_id: int) -> list[Entry]:
    """Every registration of the person, newest event first, with the locked result where there is one."""
    rows = db.session.execute(
        sa.select(Registration, Result)
        .join(Event, Event.id == Registration.event_id)
        .outerjoin(ContestantMember, ContestantMember.registration_id == Registration.id)
        .outerjoin(Result, Result.contestant_id == ContestantMember.contestant_id)
        .where(Registration.person_id == person_id)
        .order_by(Event.starts_on.desc(), Registration.id.desc())
        .options(selectinload(Registration.event), selectinload(Registration.unit))).all()
    return [Entry(r, res) for r, res in rows]


def squad_history(person_id: int) -> list[tuple[SquadMember, list[tuple[SquadStage, StageScore]]]]:
    members = list(db.session.scalars(
        sa.select(SquadMember).where(SquadMember.person_id == person_id).order_by(SquadMember.id)
        .options(selectinload(SquadMember.squad))))
    if not members:
        return []
    scores = db.session.execute(
        sa.select(StageScore, SquadStage).join(SquadStage, SquadStage.id == StageScore.stage_id)
        .where(StageScore.member_id.in_([m.id for m in members])).order_by(SquadStage.position)).all()
    by_member: dict[int, list[tuple[SquadStage, StageScore]]] = {}
    for score, stage in scores:
        by_member.setdefault(score.member_id, []).append((stage, score))
    return [(m, by_member.get(m.id, [])) for m in members]


@record.section
def awards_section(actor: User, person: Person) -> record.RecordSection | None:
    from app.competitions.awards import person_awards

    lines, honours = person_awards(person.id)
    if not lines and not honours:
        return None
    return record.RecordSection(_("奖励与荣誉"), "competitions/_record_awards.html",
                                {"lines": lines, "honours": honours})


@record.section
def competition_section(actor: User, person: Person) -> record.RecordSection | None:
    rows = entries(person.id)
    squads = squad_history(person.id)
    if not rows and not squads:
        return None
    return record.RecordSection(_("技能竞赛与集训"), "competitions/_record.html",
                                {"entries": rows, "squads": squads})





def my_awards_html(actor: User) -> Markup | None:
    """The signed-in athlete's own awards and honours (their record's award section), or None."""
    from app.competitions.awards import person_awards
    from app.competitions.models import AwardLineStatus

    if actor.person_id is None:
        return None
    lines, honours = person_awards(actor.person_id)
    published = [ln for ln in lines if ln.status is not AwardLineStatus.DRAFT]  # drafts are not public yet
    if not published and not honours:
        return None
    return Markup(render_template("competitions/_record_awards.html", lines=published, honours=honours))
