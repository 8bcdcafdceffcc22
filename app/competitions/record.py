"""The competition part of a person's record: entries with their results and medals, squads with stages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from app.competitions.awards.models import AwardLine, AwardLineStatus
from app.competitions.awards.services import person_awards
from app.competitions.events.models import Event, JudgingState
from app.competitions.judging.models import ContestantMember, Result
from app.competitions.registration.models import Registration
from app.competitions.squads.models import SquadMember, SquadStage, StageScore
from app.core import record, risks
from app.core.enums import District
from app.core.models import Organisation, Person, User
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
    if actor.person_id is None:
        return None
    lines, honours = person_awards(actor.person_id)
    published = [ln for ln in lines if ln.status is not AwardLineStatus.DRAFT]  # drafts are not public yet
    if not published and not honours:
        return None
    return Markup(render_template("competitions/_record_awards.html", lines=published, honours=honours))


@record.timeline
def competition_items(person: Person) -> list[record.TimelineItem]:
    """Entries and results, squads and stages, awards and honours."""
    items = []
    for entry in entries(person.id):
        r, result = entry.registration, entry.result
        detail = f"{r.event.competition.name} · {r.status.label}"
        if result is not None and r.event.judging_state.value == "locked":
            detail = _("第 %(rank)d 名，%(total)s 分", rank=result.rank, total=f"{result.total:.2f}")
            if result.scale_score is not None:
                detail += _("（世赛分 %(scale)d）", scale=result.scale_score)
            if result.medal is not None:
                detail += f" · {result.medal.label}"
        items.append(record.TimelineItem(r.event.ends_on, _("竞赛"), f"{r.event.competition.name} · {r.event.name}",
                                         detail, url_for("competitions.event_detail", event_id=r.event_id)))
    for member, stages in squad_history(person.id):
        items.append(record.TimelineItem(
            member.joined_at.date(), _("集训队"), _("进入%(squad)s", squad=member.squad.name), member.squad.tier,
            url_for("competitions.squad_detail", squad_id=member.squad_id)))
        for stage, score in stages:
            outcome = _("晋级") if score.continues else _("离队：%(why)s", why=score.reason)
            items.append(record.TimelineItem(stage.held_on, _("阶段考核"), f"{member.squad.name} · {stage.name}",
                                             f"{score.score} · {outcome}"))
    lines, honours = person_awards(person.id)
    for line in lines:
        if line.status in (AwardLineStatus.APPROVED, AwardLineStatus.PAID) and line.approved_at:
            detail = " · ".join(part for part in (
                _("%(amount)s 元", amount=f"{line.amount:,.2f}") if line.amount else "",
                _("晋升为%(level)s", level=line.promotion_to.label) if line.promotion_to else "") if part)
            items.append(record.TimelineItem(line.approved_at.date(), _("奖励"), line.rule.name, detail))
    items.extend(record.TimelineItem(h.conferred_on, _("荣誉"), h.title, f"{h.level} · {h.body}") for h in honours)
    return items


def _unlocked_text(facts: Mapping[str, Any]) -> tuple[str, str]:
    return (_("%(event)s：成绩已解锁，但已生成 %(n)d 条奖励", event=facts["event"], n=facts["n"]),
            _("涉及金额 %(amount)s 元", amount=f"{Decimal(facts['amount']):,.2f}"))


@risks.rule("award_unlocked_result", _l("奖励对应的成绩已解锁"), text=_unlocked_text)
def awards_for_unlocked_results(district: District | None) -> list[risks.RiskPrompt]:
    """Award lines whose event's results were unlocked after the awards were generated."""
    stmt = (sa.select(Event.id, Event.name, Organisation.district, sa.func.count(AwardLine.id),
                      sa.func.sum(AwardLine.amount))
            .join(AwardLine, AwardLine.event_id == Event.id).join(Organisation, Organisation.id == AwardLine.unit_id)
            .where(Event.judging_state != JudgingState.LOCKED)
            .group_by(Event.id, Event.name, Organisation.district))
    if district is not None:
        stmt = stmt.where(Organisation.district == district)
    return [risks.RiskPrompt("award_unlocked_result", f"event:{event_id}:{where.value if where else '-'}",
                             {"event": name, "n": n, "amount": f"{amount or 0:.2f}"},
                             url_for("competitions.event_awards", event_id=event_id), (where,) if where else ())
            for event_id, name, where, n, amount in db.session.execute(stmt)]
