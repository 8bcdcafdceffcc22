"""Use cases of athlete selection: squads (梯队/集训队) promoted from results, stage assessments, the final pick.

The history stays: members who leave keep their row (status, stage and reason); stage scores stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.permissions import require
from app.competitions.events.models import Event, JudgingState
from app.competitions.events.services import deadline_at
from app.competitions.judging.models import Contestant, ContestantMember, Result
from app.competitions.judging.services import _approved_registration
from app.competitions.registration.models import Registration
from app.competitions.registration.services import eligibility_messages
from app.competitions.squads.models import Squad, SquadMember, SquadMemberStatus, SquadStage, StageScore
from app.core import audit
from app.core.models import User
from app.core.services import raise_not_found, unique_or_domain_error
from app.errors import DomainError
from app.extensions import db
from app.reminders.services import cancel_deadline, schedule_deadline

SQUAD_FIELDS = ["name", "tier", "source_event_id", "target_event_id", "final_size"]
#: The reminder of a stage assessment to decide (kind registered in squads/reminders.py).
STAGE_ASSESSMENT = "competition.stage_assessment"


def _manage(actor: User, squad_or_event: Squad | Event) -> None:
    event = squad_or_event.source_event if isinstance(squad_or_event, Squad) else squad_or_event
    require(actor, "competition.manage", event)


def get_squad(actor: User, squad_id: int) -> Squad:
    squad = db.session.get(Squad, squad_id)
    if squad is None:
        raise_not_found()
    require(actor, "competition.view", squad.source_event)
    return squad


def squads_from(event: Event) -> list[Squad]:
    return list(db.session.scalars(sa.select(Squad).where(Squad.source_event_id == event.id).order_by(Squad.id)))


def create_squad(actor: User, source: Event, *, name: str, tier: str, target_event_id: int | None,
                 final_size: int, result_ids: list[int]) -> Squad:
    """Promote the chosen results' people (every member of a team) into a new squad."""
    _manage(actor, source)
    if source.judging_state is not JudgingState.LOCKED:
        raise DomainError(_("成绩锁定后才能选拔集训队"))
    if not name.strip():
        raise DomainError(_("请填写集训队名称"), "name")
    if final_size < 1:
        raise DomainError(_("最终入选人数至少为 1"), "final_size")
    if target_event_id is not None and db.session.get(Event, target_event_id) is None:
        raise DomainError(_("目标赛项不存在"), "target_event_id")
    chosen = list(db.session.scalars(
        sa.select(Result).where(Result.event_id == source.id, Result.id.in_(result_ids)).order_by(Result.rank)
        .options(selectinload(Result.contestant).selectinload(Contestant.members))))
    if not chosen:
        raise DomainError(_("请选择要进入集训队的选手"), "result_id")
    squad = Squad(name=name.strip(), tier=tier.strip(), source_event_id=source.id,
                  target_event_id=target_event_id, final_size=final_size, created_by_id=actor.id)
    db.session.add(squad)
    for result in chosen:
        for member in result.contestant.members:
            squad.members.append(SquadMember(person_id=member.person_id, unit_id=result.contestant.unit_id,
                                             source_rank=result.rank))
    if len(squad.members) < final_size:
        raise DomainError(_("集训队人数不能少于最终入选人数"), "final_size")
    with unique_or_domain_error(_("同一人不能重复进入同一集训队"), "result_id", commit=False):
        audit.record(actor, "create", squad, after=audit.snapshot(squad, SQUAD_FIELDS) |
                     {"members": len(squad.members)}, summary=squad.name)
    db.session.commit()
    return squad


def top_results(event: Event, n: int) -> list[int]:
    return list(db.session.scalars(sa.select(Result.id).where(Result.event_id == event.id, Result.rank <= n)))


def active_members(squad: Squad) -> list[SquadMember]:
    return [m for m in squad.members if m.status is SquadMemberStatus.ACTIVE]


def add_stage(actor: User, squad: Squad, *, name: str, held_on: date, advance_count: int) -> SquadStage:
    _manage(actor, squad)
    if squad.closed_at is not None:
        raise DomainError(_("集训队选拔已结束"))
    if any(s.decided_at is None for s in squad.stages):
        raise DomainError(_("上一阶段考核尚未确定去留"), "name")
    active = len(active_members(squad))
    if not name.strip():
        raise DomainError(_("请填写考核名称"), "name")
    if not 1 <= advance_count < active:
        raise DomainError(_("晋级人数须少于当前在队人数（%(n)d 人）", n=active), "advance_count")
    if advance_count < squad.final_size:
        raise DomainError(_("晋级人数不能少于最终入选人数"), "advance_count")
    stage = SquadStage(squad_id=squad.id, position=len(squad.stages) + 1, name=name.strip(), held_on=held_on,
                       advance_count=advance_count)
    db.session.add(stage)
    db.session.flush()
    schedule_deadline(STAGE_ASSESSMENT, stage.id, deadline_at(held_on))
    audit.record(actor, "create", stage, after={"name": stage.name, "advance_count": advance_count,
                                                "held_on": held_on.isoformat()}, summary=stage.name)
    db.session.commit()
    return stage


@dataclass
class StageEntry:
    member_id: int
    score: str
    continues: bool
    reason: str = ""


def record_stage(actor: User, stage: SquadStage, entries: list[StageEntry], now: datetime) -> None:
    """Record every active member's score and who continues; leavers need a reason. All or nothing."""
    squad = stage.squad
    _manage(actor, squad)
    if stage.decided_at is not None:
        raise DomainError(_("该阶段考核已确定去留"))
    active = {m.id: m for m in active_members(squad)}
    if {e.member_id for e in entries} != set(active):
        raise DomainError(_("请为每位在队选手录入考核成绩"), "score")
    continuing = [e for e in entries if e.continues]
    if len(continuing) != stage.advance_count:
        raise DomainError(_("应晋级 %(n)d 人，现选择了 %(m)d 人", n=stage.advance_count, m=len(continuing)),
                          "continues")
    for entry in entries:
        member = active[entry.member_id]
        try:
            score = Decimal(entry.score.strip())
        except InvalidOperation as exc:
            raise DomainError(_("%(name)s 的成绩不是数字", name=member.person.name), "score") from exc
        if not score.is_finite() or not 0 <= score <= 100:
            raise DomainError(_("%(name)s 的成绩须在 0 到 100 之间", name=member.person.name), "score")
        if not entry.continues and not entry.reason.strip():
            raise DomainError(_("请填写 %(name)s 离队的原因", name=member.person.name), "reason")
        db.session.add(StageScore(stage_id=stage.id, member_id=member.id, score=score, continues=entry.continues,
                                  reason=entry.reason.strip()[:300]))
        if not entry.continues:
            member.status, member.left_stage_id = SquadMemberStatus.LEFT, stage.id
            member.left_reason = entry.reason.strip()[:300]
    stage.decided_at = now
    cancel_deadline(STAGE_ASSESSMENT, stage.id)
    audit.record(actor, "decide_stage", stage, after={"continues": sorted(e.member_id for e in continuing)},
                 summary=f"{squad.name} {stage.name}")
    db.session.commit()


@dataclass
class FinalOutcome:
    registered: list[str]
    not_registered: list[tuple[str, list[str]]]


def finalise(actor: User, squad: Squad, now: datetime) -> FinalOutcome:
    """Close the squad: the remaining members are selected and registered for the target event where they
    pass its eligibility rules; those who do not are listed with the reasons."""
    _manage(actor, squad)
    if squad.closed_at is not None:
        raise DomainError(_("集训队选拔已结束"))
    remaining = active_members(squad)
    if len(remaining) != squad.final_size:
        raise DomainError(_("在队人数（%(n)d）须等于最终入选人数（%(m)d），请先完成阶段考核",
                            n=len(remaining), m=squad.final_size))
    outcome = FinalOutcome([], [])
    target = squad.target_event
    already = set()
    if target is not None:
        already = set(db.session.scalars(sa.select(Registration.person_id).where(
            Registration.event_id == target.id, Registration.person_id.in_([m.person_id for m in remaining]))))
    for member in remaining:
        member.status = SquadMemberStatus.SELECTED
        if target is None:
            continue
        problems = eligibility_messages(member.person, target)
        if member.person_id in already:
            problems = [_("已报名该赛项")]
        if problems:
            outcome.not_registered.append((member.person.name, problems))
            continue
        _approved_registration(actor, target, member.person, member.unit_id, now,
                               _("由%(squad)s选拔产生", squad=squad.name))
        outcome.registered.append(member.person.name)
    squad.closed_at = now
    audit.record(actor, "finalise", squad, after={"selected": [m.person_id for m in remaining],
                                                  "registered": outcome.registered}, summary=squad.name)
    db.session.commit()
    return outcome


def squad_history_for(person_id: int) -> list[SquadMember]:
    """A person's squads, with stage scores, for their record."""
    return list(db.session.scalars(
        sa.select(SquadMember).where(SquadMember.person_id == person_id).order_by(SquadMember.id)
        .options(selectinload(SquadMember.squad))))


def stage_scores(stage: SquadStage) -> dict[int, StageScore]:
    return {s.member_id: s for s in stage.scores}


def contestant_of(event: Event, person_id: int) -> Contestant | None:
    return db.session.scalar(sa.select(Contestant).join(ContestantMember).where(
        Contestant.event_id == event.id, ContestantMember.person_id == person_id))
