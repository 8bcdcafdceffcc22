"""Use cases of registration: entering people for an event and reviewing their entries.

Each function checks permission at its boundary, owns its transaction and records audit rows.
Functions that depend on the clock take ``now`` (an aware datetime).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from app.auth.competitions import registration_scope
from app.auth.permissions import STAFF_ROLES, can, deny, people_scope, require
from app.competitions.events.models import Competition, CompetitionLevel, Event
from app.competitions.events.services import EntryHooks, EventData, register_entry_hooks
from app.competitions.registration import rules, signals
from app.competitions.registration.models import ACTIVE_STATUSES, Registration, RegistrationStatus, Team
from app.core import audit
from app.core.models import Organisation, Person, User
from app.core.pagination import KeysetPage, keyset_page
from app.core.services import lock_row, raise_not_found, unique_or_domain_error
from app.errors import DomainError
from app.extensions import db

REGISTRATION_FIELDS = ["event_id", "person_id", "unit_id", "team_id", "status", "reason"]


def problem_message(problem: rules.Problem) -> str:
    p: dict[str, Any] = problem.params
    messages = {
        "birth_date_unknown": lambda: _("缺少出生日期，无法核对年龄要求"),
        "too_old": lambda: _("年龄不符：须在 %(cutoff)s 当天或之后出生", cutoff=p["cutoff"]),
        "level_too_low": lambda: _("技能等级不足：至少须为%(level)s", level=p["level"].label),
        "level_too_high": lambda: _("技能等级过高：不得高于%(level)s", level=p["level"].label),
        "not_in_shanghai": lambda: _("须由在沪单位报名（工作单位不在上海）"),
        "not_in_host_district": lambda: _("须为承办区（%(district)s）单位的职工",
                                          district=p["district"].label if p["district"] else "—"),
        "past_worldskills": lambda: _("已参加过世界技能大赛，不能再次报名"),
        "date_clash": lambda: _("与已报名的赛项「%(event)s」比赛日期冲突", event=p["event"]),
    }
    return str(messages[problem.code]())


# ---------------------------------------------------------------- registration

def places_held(event: Event, unit_id: int) -> int:
    """Places a unit holds in an event: entrants, or teams for a team event."""
    active = sa.and_(Registration.event_id == event.id, Registration.unit_id == unit_id,
                     Registration.status.in_(ACTIVE_STATUSES))
    # A team holds one place however many members it has.
    column = sa.func.count(sa.distinct(Registration.team_id)) if event.is_team else sa.func.count(Registration.id)
    return db.session.scalar(sa.select(column).where(active)) or 0


def candidate(person: Person, event: Event) -> rules.Candidate:
    """What the eligibility rules need to know about a person, for one event (two small queries)."""
    world_before = db.session.scalar(
        sa.select(Registration.id).join(Registration.event).join(Event.competition)
        .where(Registration.person_id == person.id, Registration.status == RegistrationStatus.APPROVED,
               Competition.level == CompetitionLevel.WORLD, Competition.year < event.competition.year)
        .limit(1)) is not None
    clashes = db.session.scalars(
        sa.select(Event.name).join(Registration, Registration.event_id == Event.id)
        .where(Registration.person_id == person.id, Registration.status.in_(ACTIVE_STATUSES),
               Event.id != event.id, Event.starts_on <= event.ends_on, Event.ends_on >= event.starts_on)
        .order_by(Event.starts_on)).all()
    return rules.Candidate(birth_date=person.birth_date, level=person.current_level,
                           employer_district=person.employer.district if person.employer else None,
                           past_worldskills=world_before, clashing_events=tuple(clashes))


def eligibility_by_person(people: list[Person], event: Event) -> dict[int, list[str]]:
    """Why each of ``people`` may not enter ``event`` (empty when eligible), in two queries for all of them."""
    ids = [p.id for p in people]
    if not ids:
        return {}
    world = set(db.session.scalars(
        sa.select(Registration.person_id).join(Registration.event).join(Event.competition)
        .where(Registration.person_id.in_(ids), Registration.status == RegistrationStatus.APPROVED,
               Competition.level == CompetitionLevel.WORLD, Competition.year < event.competition.year)))
    clashes: dict[int, list[str]] = {}
    for person_id, name in db.session.execute(
            sa.select(Registration.person_id, Event.name).join(Registration, Registration.event_id == Event.id)
            .where(Registration.person_id.in_(ids), Registration.status.in_(ACTIVE_STATUSES), Event.id != event.id,
                   Event.starts_on <= event.ends_on, Event.ends_on >= event.starts_on)
            .order_by(Event.starts_on)):
        clashes.setdefault(person_id, []).append(name)
    limits = eligibility_rules(event)
    return {p.id: [problem_message(x) for x in rules.eligibility_problems(limits, rules.Candidate(
        birth_date=p.birth_date, level=p.current_level, employer_district=p.employer.district if p.employer else None,
        past_worldskills=p.id in world, clashing_events=tuple(clashes.get(p.id, []))))] for p in people}


def eligibility_rules(event: Event) -> rules.EligibilityRules:
    return rules.EligibilityRules(
        born_on_or_after=event.born_on_or_after, min_level=event.min_level, max_level=event.max_level,
        locality=event.locality.value, host_district=event.competition.host_district,
        exclude_past_worldskills=event.exclude_past_worldskills)


def eligibility_messages(person: Person, event: Event) -> list[str]:
    return [problem_message(p) for p in rules.eligibility_problems(eligibility_rules(event), candidate(person, event))]


def registering_unit(actor: User, person: Person) -> Organisation:
    """The unit that registers this person: the actor's own unit, or for an official the person's employer."""
    if actor.roles & STAFF_ROLES:
        return actor.organisation
    if person.employer is None:
        raise DomainError(_("该人员没有工作单位，无法由单位报名"), "person_id")
    return person.employer


def check_window(event: Event, now: datetime) -> None:
    state = rules.window_state(event.registration_opens_at, event.registration_closes_at, now)
    if state == "not_open":
        raise DomainError(_("报名尚未开始"))
    if state == "closed":
        raise DomainError(_("报名已截止"))


def register(actor: User, event: Event, person: Person, now: datetime, team_name: str = "",
             commit: bool = True) -> Registration:
    """Enter one person for an event on behalf of the actor's unit, after every check."""
    require(actor, "registration.submit")
    if not can(actor, "person.edit", person):
        raise DomainError(_("只能为本单位（本区）的人员报名"), "person_id")
    unit = registering_unit(actor, person)
    existing = db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id,
                                                               Registration.person_id == person.id))
    # Sent back for changes: submitting again resubmits the same entry, in the place it already holds —
    # also after the window has closed, since the organiser asked for it.
    resubmission = existing is not None and existing.status is RegistrationStatus.CHANGES_REQUESTED
    if not resubmission:
        check_window(event, now)
    if existing is not None and existing.status.holds_a_place and not resubmission:
        raise DomainError(_("该选手已报名此赛项"), "person_id")
    problems = eligibility_messages(person, event)
    if problems:
        raise DomainError("；".join(problems), "person_id")
    if resubmission and existing is not None and existing.team is not None and not team_name.strip():
        team_name = existing.team.name
    _lock_event(event)
    team = _team_for(event, unit, team_name)
    members = _team_members(team) if team is not None else 0
    # A resubmission keeps its place, unless it moves to another team (which then needs one of its own).
    keeps_place = resubmission and existing is not None and (team is None or existing.team_id == team.id)
    if keeps_place and team is not None:
        members -= 1  # the entrant's own seat in the team
    if not keeps_place and members == 0 and rules.quota_left(event.quota_per_unit,
                                                             places_held(event, unit.id)) == 0:
        raise DomainError(_("本单位在此赛项的名额（%(n)d）已用完", n=event.quota_per_unit))
    if team is not None and members >= event.team_size:
        raise DomainError(_("该队已满（每队 %(n)d 人）", n=event.team_size), "team_name")
    with unique_or_domain_error(_("该选手已报名此赛项"), "person_id", commit=commit):
        if existing is not None:  # re-entering after a withdrawal or rejection reuses the row
            before = audit.snapshot(existing, REGISTRATION_FIELDS)
            place_before = signals.place_of(existing)
            existing.status, existing.reason, existing.unit_id = RegistrationStatus.SUBMITTED, "", unit.id
            existing.team, existing.created_at, existing.created_by_id = team, now, actor.id
            existing.decided_by_id = existing.decided_at = None
            audit.record(actor, "update", existing, before=before,
                         after=audit.snapshot(existing, REGISTRATION_FIELDS), summary=person.name)
            signals.announce([(place_before, signals.place_of(existing))])
            registration = existing
        else:
            registration = Registration(event_id=event.id, person_id=person.id, unit_id=unit.id, team=team,
                                        created_by_id=actor.id, created_at=now)
            db.session.add(registration)
            audit.record(actor, "create", registration, after=audit.snapshot(registration, REGISTRATION_FIELDS),
                         summary=person.name)
            signals.announce([(None, signals.place_of(registration))])
    return registration


def _lock_event(event: Event) -> None:
    """Serialise registrations for one event while places are counted (PostgreSQL row lock; SQLite
    already serialises writers), so two simultaneous entries cannot both take the last place."""
    lock_row(event)


def _team_for(event: Event, unit: Organisation, team_name: str) -> Team | None:
    if not event.is_team:
        return None
    name = team_name.strip()
    if not name:
        raise DomainError(_("团体赛项须填写队名"), "team_name")
    team = db.session.scalar(sa.select(Team).where(Team.event_id == event.id, Team.name == name))
    if team is not None and team.unit_id != unit.id:
        raise DomainError(_("队名已被其他单位使用"), "team_name")
    if team is None:
        team = Team(event_id=event.id, unit_id=unit.id, name=name)
        db.session.add(team)
    return team


def _team_members(team: Team) -> int:
    if team.id is None:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.team_id == team.id, Registration.status.in_(ACTIVE_STATUSES))) or 0


@dataclass
class RegistrationFilter:
    status: RegistrationStatus | None = None
    unit: str = ""
    q: str = ""

    def as_args(self) -> dict[str, str]:
        args = {"status": self.status.value if self.status else "", "unit": self.unit, "q": self.q}
        return {k: v for k, v in args.items() if v}


#: The entrant, unit and team joined to the entrant list's rows (aliases: a scope or filter's subquery on people
#: or organisations must not be correlated with the joins).
_ENTRANT = aliased(Person, name="entrant")
_UNIT = aliased(Organisation, name="unit")
_TEAM = aliased(Team, name="team")
#: What the entrant list shows, as plain result rows (the person and unit joined by primary key, only the columns
#: shown): no ORM objects to make, track and fill for 51 registrations, their people and units. The list's template
#: (competitions/event_detail.html) unpacks each row in this order, ``team_name`` last.
LIST_PAGE_COLUMNS = (Registration.id, Registration.person_id, Registration.status, Registration.reason,
                     _ENTRANT.name, _ENTRANT.id_number_masked, _ENTRANT.birth_date, _ENTRANT.current_level,
                     _UNIT.name.label("unit_name"))


def _registrations_query(actor: User, event: Event, flt: RegistrationFilter,
                         stmt: sa.Select[Any] | None = None) -> sa.Select[Any]:
    """The registrations of ``event`` the actor may see, filtered (``stmt``: by default whole registrations
    with their person, unit and team)."""
    if stmt is None:
        stmt = sa.select(Registration).options(selectinload(Registration.person), selectinload(Registration.unit),
                                               selectinload(Registration.team))
    stmt = (
        stmt.join(Registration.event).join(Event.competition)
        .where(Registration.event_id == event.id,
               registration_scope(actor, Competition.organiser_id, Registration.unit_id, Registration.person_id))
    )
    if flt.status is not None:
        stmt = stmt.where(Registration.status == flt.status)
    if flt.unit:
        units = sa.select(Organisation.id).where(Organisation.name >= flt.unit,
                                                 Organisation.name < flt.unit + "\U0010ffff")
        stmt = stmt.where(Registration.unit_id.in_(units.scalar_subquery()))
    if flt.q:
        people = sa.select(Person.id).where(Person.name >= flt.q, Person.name < flt.q + "\U0010ffff")
        stmt = stmt.where(Registration.person_id.in_(people.scalar_subquery()))
    return stmt


def list_registrations(actor: User, event: Event, flt: RegistrationFilter, after: str | None,
                       per_page: int) -> KeysetPage[sa.Row[Any]]:
    """A page of the entrant list: rows of ``LIST_PAGE_COLUMNS`` (the registration's id, person_id, status and
    reason; the entrant's name, masked ID, birth date and level; ``unit_name``) and ``team_name`` (None unless
    the event is a team event)."""
    require(actor, "competition.view", event)
    return keyset_page(_registrations_query(actor, event, flt, _list_page(event.is_team)), [(Registration.id, False)],
                       after, per_page, rows=True)


@cache
def _list_page(is_team: bool) -> sa.Select[Any]:
    """The entrant list's columns and joins (the team's on team events): the same for every event and user, built
    once per process (the event, scope and filters go in its WHERE)."""
    stmt = (sa.select(*LIST_PAGE_COLUMNS, _TEAM.name.label("team_name") if is_team else sa.null().label("team_name"))
            .select_from(Registration)
            .join(_ENTRANT, Registration.person_id == _ENTRANT.id).join(_UNIT, Registration.unit_id == _UNIT.id))
    return stmt.outerjoin(_TEAM, Registration.team_id == _TEAM.id) if is_team else stmt


def registrations_for_export(actor: User, event: Event, flt: RegistrationFilter,
                             limit: int = 50_000) -> list[Registration]:
    require(actor, "competition.view", event)
    stmt = _registrations_query(actor, event, flt).order_by(Registration.id).limit(limit)
    return list(db.session.scalars(stmt))


@cache
def _counts_by_status() -> sa.Select[tuple[RegistrationStatus, int]]:
    """Registrations counted by status, through their event's competition (built once per process)."""
    return (sa.select(Registration.status, sa.func.count()).join(Registration.event).join(Event.competition)
            .group_by(Registration.status))


def status_counts(actor: User, event: Event) -> dict[RegistrationStatus, int]:
    scope = registration_scope(actor, Competition.organiser_id, Registration.unit_id, Registration.person_id)
    rows = db.session.execute(_counts_by_status().where(Registration.event_id == event.id, scope)).tuples().all()
    return dict(rows)


DECISIONS = {
    "approve": RegistrationStatus.APPROVED,
    "reject": RegistrationStatus.REJECTED,
    "request_changes": RegistrationStatus.CHANGES_REQUESTED,
}


#: The statuses each decision may be taken from (a rejected or withdrawn entry never comes back this way:
#: its unit registers again, through every check).
DECIDABLE_FROM = {
    "approve": (RegistrationStatus.SUBMITTED, RegistrationStatus.CHANGES_REQUESTED),
    "reject": (RegistrationStatus.SUBMITTED, RegistrationStatus.CHANGES_REQUESTED, RegistrationStatus.APPROVED),
    "request_changes": (RegistrationStatus.SUBMITTED, RegistrationStatus.APPROVED),
}


def decide(actor: User, event: Event, registration_ids: list[int], decision: str, reason: str,
           now: datetime) -> int:
    """Approve, reject or ask for changes, for one or many registrations of an event the actor organises."""
    if decision not in DECISIONS:
        raise DomainError(_("未知的审核操作"))
    status = DECISIONS[decision]
    if status is not RegistrationStatus.APPROVED and not reason.strip():
        raise DomainError(_("退回或不通过须填写原因"), "reason")
    if not registration_ids:
        raise DomainError(_("请先选择报名记录"))
    rows = list(db.session.scalars(
        sa.select(Registration).where(Registration.id.in_(registration_ids), Registration.event_id == event.id)
        .options(selectinload(Registration.event).joinedload(Event.competition), selectinload(Registration.person))))
    if len(rows) != len(set(registration_ids)):
        raise DomainError(_("部分报名记录不存在"))
    for row in rows:
        require(actor, "registration.review", row)
        if row.status not in DECIDABLE_FROM[decision]:
            raise DomainError(_("%(name)s 的报名当前为「%(status)s」，不能这样审核", name=row.person.name,
                                status=row.status.label))
    moves = []
    for row in rows:
        before = audit.snapshot(row, REGISTRATION_FIELDS)
        place_before = signals.place_of(row)
        row.status, row.reason = status, reason.strip()
        row.decided_by_id, row.decided_at = actor.id, now
        audit.record(actor, decision, row, before=before, after=audit.snapshot(row, REGISTRATION_FIELDS),
                     summary=row.person.name)
        moves.append((place_before, signals.place_of(row)))
    signals.announce(moves)
    db.session.commit()
    return len(rows)


def withdraw(actor: User, registration: Registration, now: datetime) -> None:
    """The registering unit withdraws its entrant; the place returns to its quota."""
    if not (can(actor, "registration.submit", registration) or can(actor, "registration.review", registration)):
        deny()
    if not registration.status.holds_a_place:
        raise DomainError(_("该报名已不在有效状态"))
    before = audit.snapshot(registration, REGISTRATION_FIELDS)
    place_before = signals.place_of(registration)
    registration.status = RegistrationStatus.WITHDRAWN
    registration.decided_at, registration.decided_by_id = now, actor.id
    audit.record(actor, "withdraw", registration, before=before,
                 after=audit.snapshot(registration, REGISTRATION_FIELDS), summary=registration.person.name)
    signals.announce([(place_before, None)])
    db.session.commit()


def get_registration(actor: User, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise_not_found()
    if not (can(actor, "registration.review", registration) or can(actor, "registration.submit", registration)
            or (actor.person_id is not None and registration.person_id == actor.person_id)):
        deny()
    return registration


def my_registrations(actor: User) -> list[Registration]:
    """An athlete's own registrations, newest first."""
    if actor.person_id is None:
        return []
    return list(db.session.scalars(
        sa.select(Registration).where(Registration.person_id == actor.person_id)
        .options(selectinload(Registration.event).joinedload(Event.competition), selectinload(Registration.unit))
        .order_by(Registration.id.desc())))


def registrable_people(actor: User, q: str = "", limit: int = 50) -> list[Person]:
    """People the actor may enter: their unit's (or district's) people, by name prefix."""
    stmt = sa.select(Person).where(people_scope(actor)).options(selectinload(Person.employer))
    if q:
        stmt = stmt.where(Person.name >= q, Person.name < q + "\U0010ffff")
    return list(db.session.scalars(stmt.order_by(Person.name, Person.id).limit(limit)))


# ---------------------------------------------------------------- what events ask of their entries

def entrants_by_competition(competition_ids: list[int]) -> dict[int, int]:
    """The active entrants of each competition (the competitions list)."""
    return dict(db.session.execute(
        sa.select(Event.competition_id, sa.func.count(Registration.id)).join(Registration.event)
        .where(Event.competition_id.in_(competition_ids), Registration.status.in_(ACTIVE_STATUSES))
        .group_by(Event.competition_id)).tuples().all())


def entrants_by_level(year: int) -> dict[CompetitionLevel, int]:
    """The active entrants of a year's competitions per pyramid level."""
    return dict(db.session.execute(
        sa.select(Competition.level, sa.func.count(Registration.id))
        .join(Event, Event.competition_id == Competition.id).join(Registration, Registration.event_id == Event.id)
        .where(Competition.year == year, Registration.status.in_(ACTIVE_STATUSES))
        .group_by(Competition.level)).tuples().all())


def check_places_still_fit(event: Event, data: EventData) -> None:
    """An edit may not shrink the quota or the team size below what units already hold."""
    active = sa.and_(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
    place = sa.distinct(Registration.team_id) if event.is_team else Registration.id
    per_unit = sa.select(sa.func.count(place).label("n")).where(active).group_by(Registration.unit_id).subquery()
    most = db.session.scalar(sa.select(sa.func.max(per_unit.c.n))) or 0
    if data.quota_per_unit < most:
        raise DomainError(_("已有单位占用 %(n)d 个名额，名额不能少于此数", n=most), "quota_per_unit")
    per_team = (sa.select(sa.func.count().label("n")).where(active, Registration.team_id.is_not(None))
                .group_by(Registration.team_id).subquery())
    biggest = db.session.scalar(sa.select(sa.func.max(per_team.c.n))) or 0
    if data.team_size < biggest:
        raise DomainError(_("已有队伍报名 %(n)d 人，每队人数不能少于此数", n=biggest), "team_size")


register_entry_hooks(EntryHooks(entrants_by_competition, entrants_by_level, check_places_still_fit))
