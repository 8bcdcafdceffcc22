"""Use cases of judging: marking schemes, experts, scoring, results and qualification to the upper event.

Scores are aggregated in SQL (one row per contestant and aspect); ranking and medals are the pure
functions of ``rules``. Results are written once, when an organiser locks the scores.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.competitions import (
    require_marking_progress_reader,
    require_results_published,
    require_results_visible,
    require_scheme_reader,
)
from app.auth.permissions import require
from app.competitions.events.models import AwardRuleKind, Event, JudgingState
from app.competitions.events.services import get_event
from app.competitions.judging import rules, tallies
from app.competitions.judging.models import (
    Aspect,
    AspectKind,
    Contestant,
    ContestantMember,
    Criterion,
    EventExpert,
    MedalKind,
    Result,
    Score,
)
from app.competitions.registration import signals
from app.competitions.registration.models import Registration, RegistrationStatus, Team
from app.competitions.registration.services import REGISTRATION_FIELDS, eligibility_messages
from app.core import audit
from app.core.enums import Role
from app.core.models import Person, User, UserRole
from app.core.pagination import KeysetPage, keyset_page
from app.core.services import lock_row, raise_not_found, unique_or_domain_error
from app.core.signals import results_changed
from app.errors import DomainError
from app.extensions import db
from app.reminders.services import cancel_deadline, schedule_deadline

EVENT_RESULT_FIELDS = ["judging_state", "results_locked_at"]
#: The reminder of experts and organisers while marks are missing (kind registered in judging/reminders.py).
SCORES_DUE = "competition.scores_due"


def _plain_number(value: Decimal) -> str:
    """95.00 → "95", 2.50 → "2.5"."""
    return f"{value.normalize():f}"


def _manage(actor: User, event: Event) -> None:
    require(actor, "competition.manage", event)


# ---------------------------------------------------------------- marking scheme

@dataclass
class SchemeRow:
    criterion_code: str
    criterion_name: str
    sub_code: str
    sub_name: str
    kind: AspectKind
    description: str
    max_mark: Decimal
    rule: str = ""
    descriptors: tuple[str, str, str, str] = ("", "", "", "")


def scheme(event: Event) -> list[Criterion]:
    return list(db.session.scalars(
        sa.select(Criterion).where(Criterion.event_id == event.id).order_by(Criterion.code)
        .options(selectinload(Criterion.aspects))))


def aspects_of(event: Event) -> list[Aspect]:
    return list(db.session.scalars(sa.select(Aspect).where(Aspect.event_id == event.id).order_by(Aspect.position)))


def replace_scheme(actor: User, event: Event, rows: list[SchemeRow]) -> int:
    """Replace the event's marking scheme with ``rows`` (all or nothing); the marks must add up to 100."""
    _manage(actor, event)
    if event.judging_state is not JudgingState.NOT_STARTED:
        raise DomainError(_("评分已开始，不能再修改评分方案"), "file")
    if not rows:
        raise DomainError(_("评分方案中没有评分项"), "file")
    total = rules.scheme_total([r.max_mark for r in rows])
    if total != rules.SCHEME_TOTAL:
        raise DomainError(_("评分方案各项分值合计须为 100 分，现为 %(total)s 分", total=_plain_number(total)), "file")
    db.session.execute(sa.delete(Aspect).where(Aspect.event_id == event.id))
    db.session.execute(sa.delete(Criterion).where(Criterion.event_id == event.id))
    criteria: dict[str, Criterion] = {}
    for position, row in enumerate(rows, start=1):
        criterion = criteria.get(row.criterion_code)
        if criterion is None:
            criterion = Criterion(event_id=event.id, code=row.criterion_code, name=row.criterion_name)
            criteria[row.criterion_code] = criterion
            db.session.add(criterion)
        d0, d1, d2, d3 = row.descriptors
        criterion.aspects.append(Aspect(
            event_id=event.id, position=position, sub_code=row.sub_code, sub_name=row.sub_name, kind=row.kind,
            description=row.description, max_mark=row.max_mark, rule=row.rule,
            descriptor_0=d0, descriptor_1=d1, descriptor_2=d2, descriptor_3=d3))
    audit.record(actor, "import_scheme", event, after={"aspects": len(rows), "criteria": sorted(criteria)},
                 summary=event.name)
    db.session.commit()
    return len(rows)


# ---------------------------------------------------------------- experts and conflicts of interest

def experts(event: Event) -> list[EventExpert]:
    return list(db.session.scalars(
        sa.select(EventExpert).where(EventExpert.event_id == event.id).order_by(EventExpert.id)
        .options(selectinload(EventExpert.user).selectinload(User.organisation))))


def expert_candidates(event: Event, q: str = "", limit: int = 50) -> list[User]:
    """Active users with the expert role, not yet on the event."""
    assigned = sa.select(EventExpert.user_id).where(EventExpert.event_id == event.id)
    stmt = (sa.select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.EXPERT, User.active.is_(True), User.id.not_in(assigned))
            .order_by(User.display_name, User.id).limit(limit).options(selectinload(User.organisation)))
    if q:
        stmt = stmt.where(User.display_name.contains(q, autoescape=True))
    return list(db.session.scalars(stmt))


def assign_expert(actor: User, event: Event, user_id: int, is_chief: bool = False) -> EventExpert:
    _manage(actor, event)
    user = db.session.get(User, user_id)
    if user is None or not user.has_role(Role.EXPERT) or not user.active:
        raise DomainError(_("请选择具有裁判专家角色的用户"), "user_id")
    expert = EventExpert(event_id=event.id, user_id=user.id, is_chief=is_chief)
    with unique_or_domain_error(_("该专家已在本赛项裁判组中"), "user_id"):
        db.session.add(expert)
        audit.record(actor, "assign_expert", event, after={"user_id": user.id, "is_chief": is_chief},
                     summary=user.display_name)
    return expert


def remove_expert(actor: User, event: Event, user_id: int) -> None:
    _manage(actor, event)
    expert = db.session.scalar(sa.select(EventExpert).where(EventExpert.event_id == event.id,
                                                          EventExpert.user_id == user_id))
    if expert is None:
        raise_not_found()
    has_scores = db.session.scalar(sa.select(sa.func.count()).select_from(Score).join(Contestant).where(
        Contestant.event_id == event.id, Score.expert_id == user_id))
    if has_scores:
        raise DomainError(_("该专家已有评分记录，不能移出裁判组"), "user_id")
    db.session.delete(expert)
    audit.record(actor, "remove_expert", event, before={"user_id": user_id}, summary=expert.user.display_name)
    db.session.commit()


def conflicted_units(event: Event) -> dict[int, int]:
    """For each organisation with entrants in the event: how many entrants it has (by unit or employer).

    An expert whose organisation is a key here may not mark those entrants.
    """
    approved = (sa.select(Registration.unit_id.label("org"), Registration.id)
                .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED))
    by_employer = (sa.select(Person.employer_id.label("org"), Registration.id)
                   .join(Person, Person.id == Registration.person_id)
                   .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED,
                          Person.employer_id.is_not(None)))
    both = sa.union(approved, by_employer).subquery()
    rows = db.session.execute(sa.select(both.c.org, sa.func.count(sa.distinct(both.c.id))).group_by(both.c.org))
    return {org: n for org, n in rows}


def _conflict_clause(expert: User) -> sa.ColumnElement[bool]:
    """Contestants the expert may NOT mark: their unit, or any member's employer, is the expert's organisation."""
    member_employed = (sa.select(ContestantMember.contestant_id).join(Person)
                       .where(Person.employer_id == expert.organisation_id))
    return sa.or_(Contestant.unit_id == expert.organisation_id, Contestant.id.in_(member_employed))


def is_conflicted(expert: User, contestant: Contestant) -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(Contestant).where(
        Contestant.id == contestant.id, _conflict_clause(expert))))


def _require_expert(actor: User, event: Event) -> None:
    require(actor, "judging.score")
    assigned = db.session.scalar(sa.select(EventExpert.id).where(EventExpert.event_id == event.id,
                                                               EventExpert.user_id == actor.id))
    if assigned is None:
        raise DomainError(_("您不在本赛项的裁判组中"))


def events_to_mark(actor: User) -> list[Event]:
    return list(db.session.scalars(
        sa.select(Event).join(EventExpert, EventExpert.event_id == Event.id)
        .where(EventExpert.user_id == actor.id).order_by(Event.starts_on.desc(), Event.id)))


def chief_of(actor: User) -> set[int]:
    """The events on which the actor is the chief expert (裁判长)."""
    return set(db.session.scalars(sa.select(EventExpert.event_id).where(EventExpert.user_id == actor.id,
                                                                      EventExpert.is_chief.is_(True))))


# ---------------------------------------------------------------- opening the scoring

def open_scoring(actor: User, event: Event, now: datetime) -> int:
    """Draw start numbers for the approved entrants (one contestant per person, or per team) and start scoring."""
    _manage(actor, event)
    _lock(event)
    if event.judging_state is not JudgingState.NOT_STARTED:
        raise DomainError(_("评分已经开始"))
    aspects = aspects_of(event)
    if rules.scheme_total([a.max_mark for a in aspects]) != rules.SCHEME_TOTAL:
        raise DomainError(_("请先导入合计 100 分的评分方案"))
    panel = len(experts(event))
    if any(a.kind is AspectKind.JUDGEMENT for a in aspects) and panel < rules.JUDGES_PER_ASPECT:
        raise DomainError(_("评价类评分项须由三位专家评分，请至少安排三位裁判专家"))
    if panel == 0:
        raise DomainError(_("请先安排裁判专家"))
    approved = list(db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id,
                                      Registration.status == RegistrationStatus.APPROVED)
        .order_by(Registration.id).options(selectinload(Registration.person), selectinload(Registration.team))))
    if not approved:
        raise DomainError(_("没有审核通过的选手"))
    groups: dict[object, list[Registration]] = defaultdict(list)
    for registration in approved:
        groups[("team", registration.team_id) if event.is_team and registration.team_id else
               ("person", registration.id)].append(registration)
    entries = list(groups.values())
    random.Random(event.id).shuffle(entries)  # the draw: reproducible, not in registration order
    for bib, members in enumerate(entries, start=1):
        team: Team | None = members[0].team if event.is_team else None
        name = team.name if team else members[0].person.name
        contestant = Contestant(event_id=event.id, bib=bib, name=name, unit_id=members[0].unit_id,
                                team_id=team.id if team else None)
        contestant.members = [ContestantMember(person_id=r.person_id, registration_id=r.id) for r in members]
        db.session.add(contestant)
    before = audit.snapshot(event, EVENT_RESULT_FIELDS)
    event.judging_state = JudgingState.SCORING
    audit.record(actor, "open_scoring", event, before=before, after=audit.snapshot(event, EVENT_RESULT_FIELDS),
                 summary=_("抽签产生 %(n)d 个赛位", n=len(entries)))
    db.session.commit()
    return len(entries)


def _lock(event: Event, read: bool = False) -> None:
    """Row-lock the event: score saves take a shared lock, lock/unlock an exclusive one (PostgreSQL), so a
    score never lands after the results were locked."""
    lock_row(event, read=read, refresh=("judging_state",))


def contestants(event: Event, expert: User | None = None) -> list[Contestant]:
    """The event's contestants by start number; for an expert, only those they may mark."""
    stmt = (sa.select(Contestant).where(Contestant.event_id == event.id).order_by(Contestant.bib)
            .options(selectinload(Contestant.members).selectinload(ContestantMember.person)))
    if expert is not None:
        stmt = stmt.where(sa.not_(_conflict_clause(expert)))
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- scoring

def parse_score(aspect: Aspect, text: str) -> Decimal:
    """The typed score, checked against the aspect: 0–3 whole points for judgement, 0–max for measurement."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise DomainError(_("请输入数字"), "value") from exc
    if not value.is_finite():
        raise DomainError(_("请输入数字"), "value")
    if aspect.kind is AspectKind.JUDGEMENT:
        if value not in (0, 1, 2, 3) or value != value.to_integral_value():
            raise DomainError(_("评价分只能是 0、1、2、3"), "value")
    elif value < 0 or value > aspect.max_mark or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise DomainError(_("测量分须在 0 到 %(max)s 之间，最多两位小数", max=_plain_number(aspect.max_mark)), "value")
    return value


@dataclass
class AspectScores:
    """The scores one contestant has on one aspect, as an expert's tablet row shows them.

    Independent marking: for a judgement aspect the experts' values (and a disagreement) are only filled in once
    all three experts have saved theirs; until then ``saved`` says how many have, and ``values`` stays empty, so
    no page or fragment an expert fetches can carry another expert's score before theirs is in.
    """

    values: list[Decimal] = field(default_factory=list)
    mine: Decimal | None = None
    flagged: bool = False
    saved: int = 0
    complete: bool = False


def _visible_scores(aspect: Aspect, entry: AspectScores, values: list[Decimal]) -> AspectScores:
    entry.saved = len(values)
    entry.complete = rules.aspect_complete(aspect.kind.value, values)
    if aspect.kind is AspectKind.JUDGEMENT and not entry.complete:
        entry.values, entry.flagged = [], False
    else:
        entry.values = sorted(values) if aspect.kind is AspectKind.JUDGEMENT else values
        entry.flagged = aspect.kind is AspectKind.JUDGEMENT and rules.judges_disagree(values)
    return entry


def save_score(actor: User, event: Event, contestant_id: int, aspect_id: int, text: str) -> AspectScores:
    _require_expert(actor, event)
    _lock(event, read=True)
    if event.judging_state is not JudgingState.SCORING:
        raise DomainError(_("成绩已锁定，不能再修改评分") if event.judging_state is JudgingState.LOCKED
                          else _("评分尚未开始"), "value")
    contestant = db.session.get(Contestant, contestant_id)
    aspect = db.session.get(Aspect, aspect_id)
    if contestant is None or aspect is None or contestant.event_id != event.id or aspect.event_id != event.id:
        raise_not_found()
    if is_conflicted(actor, contestant):
        raise DomainError(_("回避：您与该选手同一单位，不能为其评分"), "value")
    value = parse_score(aspect, text)
    # Serialise the scores of one contestant so two experts cannot both take the third judgement seat.
    lock_row(contestant)
    existing = list(db.session.scalars(sa.select(Score).where(Score.contestant_id == contestant.id,
                                                             Score.aspect_id == aspect.id)))
    own = next((s for s in existing if s.expert_id == actor.id), None)
    if aspect.kind is AspectKind.MEASUREMENT and own is None and existing:
        own = existing[0]  # one measured mark per aspect: whoever measures last records it
    if own is None and aspect.kind is AspectKind.JUDGEMENT and len(existing) >= rules.JUDGES_PER_ASPECT:
        raise DomainError(_("该评分项已有三位专家评分"), "value")
    before = {"value": str(own.value), "expert_id": own.expert_id} if own else None
    if own is None:
        own = Score(event_id=event.id, contestant_id=contestant.id, aspect_id=aspect.id, expert_id=actor.id,
                    value=value)
        db.session.add(own)
    else:
        own.value, own.expert_id = value, actor.id
    summary = f"#{contestant.bib} {aspect.sub_code} {aspect.description[:40]}"
    audit.record(actor, "score" if before is None else "rescore", contestant, before=before,
                 after={"aspect_id": aspect.id, "value": str(value), "expert_id": actor.id}, summary=summary)
    with unique_or_domain_error(_("评分已被同时保存，请刷新后重试"), "value"):
        pass
    return aspect_scores(actor, contestant.id, aspect)


def aspect_scores(actor: User, contestant_id: int, aspect: Aspect) -> AspectScores:
    rows = list(db.session.execute(sa.select(Score.expert_id, Score.value).where(
        Score.contestant_id == contestant_id, Score.aspect_id == aspect.id)))
    values = [Decimal(v) for _e, v in rows]
    mine = next((Decimal(v) for e, v in rows if e == actor.id), None)
    if aspect.kind is AspectKind.MEASUREMENT and values:
        mine = values[0]
    return _visible_scores(aspect, AspectScores(mine=mine), values)


def scores_for_aspect(actor: User, event: Event, aspect: Aspect, contestant_ids: list[int]
                      ) -> dict[int, AspectScores]:
    """Every listed contestant's scores on one aspect, in one query (others' judgements only once all three
    are saved)."""
    result = {cid: AspectScores() for cid in contestant_ids}
    values: dict[int, list[Decimal]] = {cid: [] for cid in contestant_ids}
    rows = db.session.execute(sa.select(Score.contestant_id, Score.expert_id, Score.value).where(
        Score.aspect_id == aspect.id, Score.contestant_id.in_(contestant_ids)))
    for cid, expert_id, value in rows:
        values[cid].append(Decimal(value))
        if expert_id == actor.id or aspect.kind is AspectKind.MEASUREMENT:
            result[cid].mine = Decimal(value)
    return {cid: _visible_scores(aspect, entry, values[cid]) for cid, entry in result.items()}


def progress(actor: User, event: Event) -> tuple[int, int]:
    """(done, total) for one expert: every aspect of every contestant they may mark; a measurement
    counts as done once anyone has measured it, a judgement once this expert has scored it."""
    may_mark = sa.select(Contestant.id).where(Contestant.event_id == event.id, sa.not_(_conflict_clause(actor)))
    n_contestants = db.session.scalar(sa.select(sa.func.count()).select_from(may_mark.subquery())) or 0
    n_aspects = db.session.scalar(sa.select(sa.func.count()).where(Aspect.event_id == event.id)) or 0
    # A measured aspect has one score row whoever measured it; a judgement counts when it is this expert's.
    done = db.session.scalar(
        sa.select(sa.func.count()).select_from(Score).join(Aspect, Aspect.id == Score.aspect_id)
        .where(Score.event_id == event.id, Score.contestant_id.in_(may_mark),
               sa.or_(Aspect.kind == AspectKind.MEASUREMENT, Score.expert_id == actor.id))) or 0
    return done, n_contestants * n_aspects


def _aspect_groups(event: Event) -> sa.Subquery:
    """One row per (contestant, aspect) that has scores: how many, their sum, their spread."""
    return (sa.select(Score.contestant_id, Score.aspect_id, sa.func.count().label("n"),
                      sa.func.sum(Score.value).label("total"),
                      (sa.func.max(Score.value) - sa.func.min(Score.value)).label("spread"))
            .where(Score.event_id == event.id)
            .group_by(Score.contestant_id, Score.aspect_id).subquery())


@dataclass
class ScoringStatus:
    contestants: int
    aspects: int
    complete: int
    flagged: list[tuple[Contestant, Aspect, list[Decimal]]]

    @property
    def items(self) -> int:
        return self.contestants * self.aspects

    @property
    def missing(self) -> int:
        return self.items - self.complete


def scoring_status(event: Event) -> ScoringStatus:
    """How many contestant × aspect marks are complete, and the disagreements: judgements whose three scores
    (all saved: independent marking) are more than one point apart."""
    groups = _aspect_groups(event)
    required = sa.case((Aspect.kind == AspectKind.MEASUREMENT, 1), else_=rules.JUDGES_PER_ASPECT)
    complete = db.session.scalar(
        sa.select(sa.func.count()).select_from(groups).join(Aspect, Aspect.id == groups.c.aspect_id)
        .where(groups.c.n >= required)) or 0
    flagged_rows = db.session.execute(
        sa.select(groups.c.contestant_id, groups.c.aspect_id).join(Aspect, Aspect.id == groups.c.aspect_id)
        .where(Aspect.kind == AspectKind.JUDGEMENT, groups.c.n >= rules.JUDGES_PER_ASPECT,
               groups.c.spread > rules.MAX_JUDGE_SPREAD)
        .order_by(groups.c.contestant_id, groups.c.aspect_id).limit(200)).all()
    flagged = []
    if flagged_rows:
        people = {c.id: c for c in db.session.scalars(sa.select(Contestant).where(
            Contestant.id.in_({r[0] for r in flagged_rows})))}
        aspect_by_id = {a.id: a for a in db.session.scalars(sa.select(Aspect).where(
            Aspect.id.in_({r[1] for r in flagged_rows})))}
        values: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
        for cid, aid, v in db.session.execute(sa.select(Score.contestant_id, Score.aspect_id, Score.value).where(
                sa.tuple_(Score.contestant_id, Score.aspect_id).in_([tuple(r) for r in flagged_rows]))):
            values[(cid, aid)].append(Decimal(v))
        flagged = [(people[c], aspect_by_id[a], sorted(values[(c, a)])) for c, a in flagged_rows]
    n_contestants = db.session.scalar(sa.select(sa.func.count()).where(Contestant.event_id == event.id)) or 0
    n_aspects = db.session.scalar(sa.select(sa.func.count()).where(Aspect.event_id == event.id)) or 0
    return ScoringStatus(n_contestants, n_aspects, complete, flagged)


# ---------------------------------------------------------------- marking progress (chief expert, organiser)

def is_chief_expert(actor: User, event: Event) -> bool:
    return db.session.scalar(sa.select(EventExpert.id).where(
        EventExpert.event_id == event.id, EventExpert.user_id == actor.id, EventExpert.is_chief.is_(True))) is not None


def marks_event(actor: User, event: Event) -> bool:
    """Whether the actor is on the event's panel (and so may not see others' judgements before saving)."""
    return db.session.scalar(sa.select(EventExpert.id).where(
        EventExpert.event_id == event.id, EventExpert.user_id == actor.id)) is not None


def get_progress_event(actor: User, event_id: int) -> Event:
    """The event whose marking progress the actor may follow: its managers and its chief expert."""
    event = get_event(actor, event_id)
    require_marking_progress_reader(actor, event, is_chief_expert(actor, event))
    return event


@dataclass
class AspectProgress:
    aspect: Aspect
    #: Contestants whose mark on this aspect is complete (a measurement, or all three judgements).
    complete: int
    #: Complete judgements more than one point apart.
    flagged: int


@dataclass
class ContestantProgress:
    contestant: Contestant
    #: Who has saved a score, in the order they saved.
    saved_by: list[str]
    #: The scores as written ("2", "38.5"), only once the mark is complete (independent marking).
    values: list[str]
    complete: bool
    flagged: bool


@dataclass
class MarkingProgress:
    contestants: int
    aspects: list[AspectProgress]
    aspect: Aspect
    index: int
    rows: list[ContestantProgress]


def marking_progress(event: Event, aspect_position: int) -> MarkingProgress:
    """Per aspect how many marks are complete and disagree, and for one aspect who has saved for each
    contestant; values only where all the aspect's experts have saved (four queries whatever the field)."""
    aspects = aspects_of(event)
    if not aspects:
        raise DomainError(_("该赛项还没有评分方案"))
    index = min(max(aspect_position, 1), len(aspects)) - 1
    aspect = aspects[index]
    groups = _aspect_groups(event)
    required = sa.case((Aspect.kind == AspectKind.MEASUREMENT, 1), else_=rules.JUDGES_PER_ASPECT)
    complete = groups.c.n >= required
    per_aspect = {aid: (done or 0, flagged or 0) for aid, done, flagged in db.session.execute(
        sa.select(groups.c.aspect_id, sa.func.sum(sa.case((complete, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(complete, Aspect.kind == AspectKind.JUDGEMENT,
                                               groups.c.spread > rules.MAX_JUDGE_SPREAD), 1), else_=0)))
        .join(Aspect, Aspect.id == groups.c.aspect_id).group_by(groups.c.aspect_id))}
    people = list(db.session.scalars(sa.select(Contestant).where(Contestant.event_id == event.id)
                                     .order_by(Contestant.bib)))
    saved: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for cid, name, value in db.session.execute(
            sa.select(Score.contestant_id, User.display_name, Score.value).join(User, User.id == Score.expert_id)
            .where(Score.aspect_id == aspect.id).order_by(Score.id)):
        saved[cid].append((name, Decimal(value)))
    rows = []
    for contestant in people:
        values = [v for _n, v in saved[contestant.id]]
        done = rules.aspect_complete(aspect.kind.value, values)
        shown = [_plain_number(v) for v in sorted(values)] if done else []
        rows.append(ContestantProgress(
            contestant, [n for n, _v in saved[contestant.id]], shown, done,
            done and aspect.kind is AspectKind.JUDGEMENT and rules.judges_disagree(values)))
    return MarkingProgress(len(people), [AspectProgress(a, *per_aspect.get(a.id, (0, 0))) for a in aspects],
                           aspect, index, rows)


# ---------------------------------------------------------------- results

def award_rule(event: Event) -> rules.AwardRule:
    return rules.AwardRule(
        kind=event.award_rule.value, tie_break=event.tie_break_order, margin=Decimal(event.medal_margin),
        shares=(Decimal(event.share_gold), Decimal(event.share_silver), Decimal(event.share_bronze),
                Decimal(event.share_merit)), merit_rounding=event.merit_rounding or "down")


def rule_statement(event: Event) -> str:
    """What the event's award rule does, including how it rounds and how it treats ties."""
    kind = event.award_rule.value
    if kind == "national":
        rounding = _("向下取整") if (event.merit_rounding or "down") == "down" else _("向上取整")
        return str(_("全国大赛规则：前三名分获金、银、铜牌；排名在前一半的其余选手获优胜奖，参赛人数为奇数时一半%(r)s"
                 "（如 7 人时前 %(k)d 名）。并列：总分相同按决胜顺序区分，仍相同则名次并列、获同一奖项。",
                 r=rounding, k=rules.merit_places(7, event.merit_rounding or "down")))
    if kind == "worldskills":
        return str(_("世赛规则：总分换算为世赛分（中位数 700 分）；按世赛分分组，"
                 "与组内最高分相差不超过 %(m)d 分的选手获同一奖牌，"
                 "依次为金、银、铜牌；其余 700 分及以上者获优胜奖。并列：世赛分在差值内即获同一奖牌，"
                 "全部选手成绩相同时全部为第 1 名、均获金牌。", m=event.medal_margin))
    return str(_("比例规则：金、银、铜牌和优胜奖名额按累计比例 × 参赛人数四舍五入取整；并列名次获得相同奖项。"))


#: Marks are compared at this precision: aggregated in SQL, a judgement mark such as 20 × 5 ÷ 9 is a repeating
#: decimal (and a float on SQLite); real differences between contestants are far larger than 0.0001.
MARK_PLACES = Decimal("0.0001")


def _decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value.quantize(MARK_PLACES)
    return Decimal(repr(float(value))).quantize(MARK_PLACES)  # type: ignore[arg-type]


def standings(event: Event) -> list[rules.Standing]:
    """Every contestant's total and per-criterion marks, aggregated in SQL in two steps: the aspect's mark
    from its scores (measurement: the mark, judgement: max × mean ÷ 3), then the sum per criterion."""
    groups = _aspect_groups(event)
    max_mark = Aspect.max_mark
    aspect_mark = sa.case(
        (Aspect.kind == AspectKind.MEASUREMENT, groups.c.total / groups.c.n),
        else_=max_mark * groups.c.total / (groups.c.n * rules.JUDGES_PER_ASPECT))
    rows = db.session.execute(
        sa.select(groups.c.contestant_id, Criterion.code, sa.func.sum(aspect_mark, type_=sa.Numeric(24, 10)))
        .join(Aspect, Aspect.id == groups.c.aspect_id).join(Criterion, Criterion.id == Aspect.criterion_id)
        .group_by(groups.c.contestant_id, Criterion.code))
    criteria: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for cid, code, mark in rows:
        criteria[cid][code] = _decimal(mark)
    times = dict(db.session.execute(sa.select(Contestant.id, Contestant.time_seconds)
                                    .where(Contestant.event_id == event.id)).tuples().all())
    return [rules.Standing(cid, sum(criteria[cid].values(), Decimal(0)), criteria[cid], times[cid])
            for cid in times]


def preview_withheld(actor: User, event: Event, status: ScoringStatus) -> bool:
    """A manager who is also on the event's panel sees no preview (it sums the other experts' judgements)
    until every mark is in."""
    return status.missing > 0 and marks_event(actor, event)


def preview(event: Event) -> rules.Outcome:
    return rules.award(standings(event), award_rule(event))


def lock_results(actor: User, event: Event, now: datetime) -> int:
    """Refuse while scores are missing, judges disagree, or (national rule) medal places are tied; else write
    the results and lock the scores."""
    _manage(actor, event)
    _lock(event)
    if event.judging_state is not JudgingState.SCORING:
        raise DomainError(_("当前状态不能锁定成绩"))
    status = scoring_status(event)
    if status.missing:
        raise DomainError(_("还有 %(n)d 项评分未完成，不能锁定成绩", n=status.missing))
    if status.flagged:
        raise DomainError(_("有 %(n)d 项评分的裁判分差大于 1 分，须重新合议后再锁定", n=len(status.flagged)))
    all_standings = standings(event)
    outcome = rules.award(all_standings, award_rule(event))
    if outcome.unresolved_ties:
        raise DomainError(_("奖牌名次出现无法区分的并列，请在赛项设置中补充决胜规则（如用时）"))
    by_key = {s.key: s for s in all_standings}
    # Results are updated in place on a re-lock: award lines and squads refer to them.
    existing = {r.contestant_id: r for r in db.session.scalars(sa.select(Result).where(Result.event_id == event.id))}
    before_relock = {r.id: (r.rank, r.medal) for r in existing.values()}
    for p in outcome.placings:
        result = existing.get(p.key) or Result(event_id=event.id, contestant_id=p.key)
        result.rank, result.total, result.scale_score = p.rank, p.total.quantize(MARK_PLACES), p.scale
        result.medal = MedalKind(p.medal.value) if p.medal else None
        result.breakdown = {code: str(v.quantize(MARK_PLACES)) for code, v in by_key[p.key].criteria.items()}
        db.session.add(result)
    before = audit.snapshot(event, EVENT_RESULT_FIELDS)
    tallies.count_event(event, 1)  # the officials' medal tables count the locked results' medals
    event.judging_state, event.results_locked_at, event.results_locked_by_id = JudgingState.LOCKED, now, actor.id
    cancel_deadline(SCORES_DUE, event.id)  # the task is done
    changed = [r.id for r in existing.values() if before_relock[r.id] != (r.rank, r.medal)]
    if changed:  # a re-lock after an unlock changed these placings: their certificates no longer hold
        results_changed.send(event, result_ids=changed, actor=actor, now=now)
    audit.record(actor, "lock_results", event, before=before, after=audit.snapshot(event, EVENT_RESULT_FIELDS),
                 summary=event.name)
    db.session.commit()
    return len(outcome.placings)


def unlock_results(actor: User, event: Event, reason: str, now: datetime) -> None:
    """An official reopens locked scores for correction, with a reason (audited); the results are withdrawn from
    view until the scores are locked again."""
    require(actor, "results.unlock")
    _lock(event)
    if event.judging_state is not JudgingState.LOCKED:
        raise DomainError(_("成绩未锁定"))
    if not reason.strip():
        raise DomainError(_("请填写解锁原因"), "reason")
    before = audit.snapshot(event, EVENT_RESULT_FIELDS)
    # The last locked results stay (awards and squads refer to them) but are not shown until locked again.
    tallies.count_event(event, -1)
    event.judging_state, event.results_locked_at, event.results_locked_by_id = JudgingState.SCORING, None, None
    audit.record(actor, "unlock_results", event, before=before | {"reason": ""},
                 after=audit.snapshot(event, EVENT_RESULT_FIELDS) | {"reason": reason.strip()[:300]},
                 summary=reason.strip()[:100])
    db.session.commit()


def _results_query(event: Event) -> sa.Select[tuple[Result]]:
    return (sa.select(Result).where(Result.event_id == event.id)
            .options(selectinload(Result.contestant).selectinload(Contestant.members)
                     .selectinload(ContestantMember.person)))


def results(event: Event) -> list[Result]:
    """Every result in rank order (exports, the public notice, squads)."""
    return list(db.session.scalars(_results_query(event).order_by(Result.rank, Result.id)))


def results_page(event: Event, cursor: str | None, per_page: int) -> KeysetPage[Result]:
    return keyset_page(_results_query(event), [(Result.rank, False), (Result.id, False)], cursor, per_page)


def medal_counts(event: Event) -> dict[MedalKind, int]:
    rows = db.session.execute(sa.select(Result.medal, sa.func.count()).where(
        Result.event_id == event.id, Result.medal.is_not(None)).group_by(Result.medal))
    return {medal: n for medal, n in rows.tuples() if medal is not None}


def set_time(actor: User, event: Event, contestant_id: int, minutes: str) -> None:
    _manage(actor, event)
    if event.judging_state is JudgingState.LOCKED:
        raise DomainError(_("成绩已锁定，不能再修改"), "time")
    contestant = db.session.get(Contestant, contestant_id)
    if contestant is None or contestant.event_id != event.id:
        raise_not_found()
    try:
        seconds = None if not minutes.strip() else int(Decimal(minutes.strip()) * 60)
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("用时请填写分钟数"), "time") from exc
    if seconds is not None and seconds < 0:
        raise DomainError(_("用时请填写分钟数"), "time")
    before = {"time_seconds": contestant.time_seconds}
    contestant.time_seconds = seconds
    audit.record(actor, "update", contestant, before=before, after={"time_seconds": seconds},
                 summary=contestant.name)
    db.session.commit()


def get_results_event(actor: User, event_id: int) -> Event:
    """The event whose results (or, for its managers, their preview) the actor may read."""
    event = get_event(actor, event_id)
    require_results_visible(actor, event)
    return event


def get_published_event(actor: User, event_id: int) -> Event:
    """The event whose locked results may be downloaded or printed as a notice."""
    event = get_event(actor, event_id)
    require_results_published(event)
    return event


def scheme_for_download(actor: User, event: Event) -> list[Criterion]:
    """The marking scheme, for the event's managers and experts."""
    require_scheme_reader(actor, event)
    return scheme(event)


# ---------------------------------------------------------------- qualification to the upper event

@dataclass
class QualifierCandidate:
    source_event: Event
    result: Result
    person: Person
    unit_id: int
    problems: list[str]
    registered: bool


def qualifier_candidates(actor: User, upper: Event) -> list[QualifierCandidate]:
    """The top N of every locked qualifier event feeding ``upper``, with eligibility for the upper event."""
    _manage(actor, upper)
    sources = list(db.session.scalars(sa.select(Event).where(
        Event.feeds_event_id == upper.id, Event.judging_state == JudgingState.LOCKED).order_by(Event.id)))
    registered = set(db.session.scalars(sa.select(Registration.person_id).where(Registration.event_id == upper.id)))
    candidates = []
    for source in sources:
        top = (sa.select(Result).where(Result.event_id == source.id, Result.rank <= (source.feeds_top_n or 0))
               .order_by(Result.rank, Result.id)
               .options(selectinload(Result.contestant).selectinload(Contestant.members)
                        .selectinload(ContestantMember.person)))
        for result in db.session.scalars(top):
            for member in result.contestant.members:
                candidates.append(QualifierCandidate(
                    source, result, member.person, result.contestant.unit_id,
                    eligibility_messages(member.person, upper), member.person_id in registered))
    return candidates


def confirm_qualifiers(actor: User, upper: Event, person_ids: list[int], now: datetime) -> int:
    """Register the chosen qualified candidates for the upper event (approved), all or none."""
    chosen = {c.person.id: c for c in qualifier_candidates(actor, upper) if c.person.id in set(person_ids)}
    if not chosen:
        raise DomainError(_("请选择要确认的晋级选手"))
    for candidate in chosen.values():
        if candidate.registered:
            raise DomainError(_("%(name)s 已报名该赛项", name=candidate.person.name))
        if candidate.problems:
            raise DomainError(_("%(name)s 不符合报名条件：%(why)s", name=candidate.person.name,
                                why="；".join(candidate.problems)))
        _approved_registration(actor, upper, candidate.person, candidate.unit_id, now,
                               _("由 %(event)s 第 %(rank)d 名晋级", event=candidate.source_event.name,
                                 rank=candidate.result.rank))
    with unique_or_domain_error(_("有选手已报名该赛项"), "person_id"):
        pass
    return len(chosen)


def _approved_registration(actor: User, event: Event, person: Person, unit_id: int, now: datetime,
                           reason: str) -> Registration:
    registration = Registration(event_id=event.id, person_id=person.id, unit_id=unit_id,
                                status=RegistrationStatus.APPROVED, reason=reason[:300], created_by_id=actor.id,
                                created_at=now, decided_by_id=actor.id, decided_at=now)
    db.session.add(registration)
    audit.record(actor, "qualify", registration, after=audit.snapshot(registration, REGISTRATION_FIELDS),
                 summary=person.name)
    signals.announce([(None, signals.place_of(registration))])
    return registration


def uses_national_rule(event: Event) -> bool:
    return event.award_rule is AwardRuleKind.NATIONAL


# ---------------------------------------------------------------- settings

@dataclass
class JudgingSettings:
    award_rule: AwardRuleKind
    tie_break: str
    medal_margin: int
    share_gold: Decimal
    share_silver: Decimal
    share_bronze: Decimal
    share_merit: Decimal
    scores_due_at: datetime | None
    merit_rounding: str = "down"


SETTINGS_FIELDS = ["award_rule", "tie_break", "medal_margin", "share_gold", "share_silver", "share_bronze",
                   "share_merit", "scores_due_at", "merit_rounding"]


def update_settings(actor: User, event: Event, data: JudgingSettings) -> None:
    _manage(actor, event)
    if event.judging_state is JudgingState.LOCKED:
        raise DomainError(_("成绩已锁定，不能修改评奖规则"), "award_rule")
    items = [item.strip() for item in data.tie_break.replace("，", ",").split(",") if item.strip()]
    codes = {c.code for c in scheme(event)}
    for item in items:
        if item != "time" and not (item.startswith("criterion:") and item.partition(":")[2].upper() in codes):
            raise DomainError(_("无法识别的决胜项：%(item)s（可用 time 或 criterion:模块代码）", item=item),
                              "tie_break")
    shares = [data.share_gold, data.share_silver, data.share_bronze, data.share_merit]
    if any(s < 0 for s in shares) or sum(shares, Decimal(0)) > 1:
        raise DomainError(_("各奖项比例之和不能超过 100%"), "share_merit")
    before = audit.snapshot(event, SETTINGS_FIELDS)
    if data.merit_rounding not in ("down", "up"):
        raise DomainError(_("请选择优胜奖人数的取整方式"), "merit_rounding")
    event.award_rule, event.medal_margin, event.scores_due_at = data.award_rule, data.medal_margin, data.scores_due_at
    event.merit_rounding = data.merit_rounding
    event.tie_break = ",".join(i if i == "time" else "criterion:" + i.partition(":")[2].upper() for i in items)
    event.share_gold, event.share_silver, event.share_bronze, event.share_merit = shares
    if data.scores_due_at is not None:
        schedule_deadline(SCORES_DUE, event.id, data.scores_due_at)
    else:
        cancel_deadline(SCORES_DUE, event.id)
    audit.record(actor, "update", event, before=before, after=audit.snapshot(event, SETTINGS_FIELDS),
                 summary=event.name)
    db.session.commit()
