"""Use cases of the competition pyramid: competitions and their events.

Each function checks permission at its boundary, owns its transaction and records audit rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.permissions import is_municipal_official, require
from app.competitions.events.models import (
    AwardRuleKind,
    Competition,
    CompetitionClass,
    CompetitionLevel,
    Event,
    Locality,
)
from app.competitions.events.signals import year_changed
from app.core import audit
from app.core.enums import District, Role, SkillLevel
from app.core.models import Occupation, Organisation, User, UserRole
from app.core.services import lock_row, raise_not_found
from app.errors import DomainError
from app.extensions import db
from app.reminders.services import schedule_deadline

COMPETITION_FIELDS = ["name", "level", "klass", "organiser_id", "year", "host_district", "description"]
EVENT_FIELDS = ["name", "occupation_code", "worldskills_no", "team_size", "venue", "starts_on", "ends_on",
                "registration_opens_at", "registration_closes_at", "quota_per_unit", "born_on_or_after",
                "min_level", "max_level", "locality", "exclude_past_worldskills", "feeds_event_id", "feeds_top_n"]
#: The award rule a new event starts with (the organiser may change it on the judging page).
DEFAULT_AWARD_RULE = {
    CompetitionLevel.WORLD: AwardRuleKind.WORLDSKILLS, CompetitionLevel.NATIONAL: AwardRuleKind.NATIONAL,
    CompetitionLevel.MUNICIPAL: AwardRuleKind.NATIONAL, CompetitionLevel.DISTRICT: AwardRuleKind.SHARE,
    CompetitionLevel.GRASSROOTS: AwardRuleKind.SHARE,
}


# ---------------------------------------------------------------- competitions

@dataclass
class CompetitionData:
    name: str
    level: CompetitionLevel
    klass: CompetitionClass
    organiser_id: int
    year: int
    host_district: District | None
    description: str = ""


def _check_competition(actor: User, data: CompetitionData) -> None:
    if not data.name.strip():
        raise DomainError(_("请填写大赛名称"), "name")
    organiser = db.session.get(Organisation, data.organiser_id)
    if organiser is None:
        raise DomainError(_("主办单位不存在"), "organiser_id")
    if not is_municipal_official(actor) and organiser.id != actor.organisation_id:
        raise DomainError(_("只能以本单位名义主办大赛"), "organiser_id")
    if data.level in (CompetitionLevel.DISTRICT,) and data.host_district is None:
        raise DomainError(_("区域性竞赛须选择承办区"), "host_district")
    if data.klass is not CompetitionClass.NONE and data.level not in (CompetitionLevel.NATIONAL,
                                                                     CompetitionLevel.MUNICIPAL):
        raise DomainError(_("一类/二类只适用于国家级和市级竞赛"), "klass")


def create_competition(actor: User, data: CompetitionData) -> Competition:
    require(actor, "competition.manage")
    _check_competition(actor, data)
    competition = Competition(name=data.name.strip(), level=data.level, klass=data.klass,
                              organiser_id=data.organiser_id, year=data.year, host_district=data.host_district,
                              description=data.description.strip(), created_by_id=actor.id)
    db.session.add(competition)
    audit.record(actor, "create", competition, after=audit.snapshot(competition, COMPETITION_FIELDS),
                 summary=competition.name)
    db.session.commit()
    return competition


def update_competition(actor: User, competition: Competition, data: CompetitionData) -> Competition:
    require(actor, "competition.manage", competition)
    _check_competition(actor, data)
    # The row first, exclusively (PostgreSQL): a concurrent year change or results lock (which reads the year
    # under a shared lock, judging.tallies.count_event) is then seen whole, never half (the medal tallies).
    lock_row(competition, refresh=("year",))
    before = audit.snapshot(competition, COMPETITION_FIELDS)
    year_before = competition.year
    competition.name, competition.level, competition.klass = data.name.strip(), data.level, data.klass
    competition.organiser_id, competition.year = data.organiser_id, data.year
    if data.year != year_before:  # what is counted per year (the medal tallies) moves with it
        year_changed.send(competition, before=year_before, after=data.year)
    competition.host_district, competition.description = data.host_district, data.description.strip()
    audit.record(actor, "update", competition, before=before,
                 after=audit.snapshot(competition, COMPETITION_FIELDS), summary=competition.name)
    db.session.commit()
    return competition


def get_competition(actor: User, competition_id: int) -> Competition:
    competition = db.session.scalar(
        sa.select(Competition).where(Competition.id == competition_id)
        .options(selectinload(Competition.events).selectinload(Event.feeds))
    )
    if competition is None:
        raise_not_found()
    require(actor, "competition.view", competition)
    return competition


# ---------------------------------------------------------------- what the registration sub-package adds

@dataclass(frozen=True)
class EntryHooks:
    """The entries an event holds, as the registration sub-package counts them: registration reads events, so
    events ask through these instead of importing it (app/competitions/registration/services.py registers them)."""

    #: competition ids -> active entrants of each (absent: none)
    entrants_by_competition: Callable[[list[int]], dict[int, int]]
    #: year -> active entrants per pyramid level (absent: none)
    entrants_by_level: Callable[[int], dict[CompetitionLevel, int]]
    #: raises a DomainError when an edit would leave a unit or a team with more places than the event allows
    check_places_still_fit: Callable[[Event, EventData], None]


_entry_hooks: list[EntryHooks] = []


def register_entry_hooks(hooks: EntryHooks) -> None:
    _entry_hooks[:] = [hooks]


def _entries() -> EntryHooks:
    if not _entry_hooks:
        raise RuntimeError("app.competitions.registration.services registers the entry hooks at import")
    return _entry_hooks[0]


def list_competitions(actor: User, *, level: CompetitionLevel | None, year: int | None, q: str = "",
                      page: int = 1, per_page: int = 50) -> tuple[list[tuple[Competition, int, int]], int]:
    """Competitions with their event and active-entrant counts, newest year first."""
    require(actor, "competition.view")
    stmt = sa.select(Competition)
    if level is not None:
        stmt = stmt.where(Competition.level == level)
    if year is not None:
        stmt = stmt.where(Competition.year == year)
    if q:
        stmt = stmt.where(Competition.name.contains(q, autoescape=True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    competitions = list(db.session.scalars(
        stmt.order_by(Competition.year.desc(), Competition.level, Competition.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    ids = [c.id for c in competitions]
    events = dict(db.session.execute(
        sa.select(Event.competition_id, sa.func.count()).where(Event.competition_id.in_(ids))
        .group_by(Event.competition_id)).tuples().all()) if ids else {}
    entrants = _entries().entrants_by_competition(ids) if ids else {}
    return [(c, events.get(c.id, 0), entrants.get(c.id, 0)) for c in competitions], total


@dataclass
class PyramidLevel:
    level: CompetitionLevel
    competitions: int
    events: int
    entrants: int


def pyramid(actor: User, year: int) -> list[PyramidLevel]:
    """The five levels, top to bottom, with counts for one year (three grouped queries)."""
    require(actor, "competition.view")
    comps = dict(db.session.execute(
        sa.select(Competition.level, sa.func.count()).where(Competition.year == year)
        .group_by(Competition.level)).tuples().all())
    events = dict(db.session.execute(
        sa.select(Competition.level, sa.func.count(Event.id)).join(Event, Event.competition_id == Competition.id)
        .where(Competition.year == year).group_by(Competition.level)).tuples().all())
    entrants = _entries().entrants_by_level(year)
    return [PyramidLevel(lv, comps.get(lv, 0), events.get(lv, 0), entrants.get(lv, 0)) for lv in CompetitionLevel]


# ---------------------------------------------------------------- events

@dataclass
class EventData:
    name: str
    occupation_code: str
    worldskills_no: str
    team_size: int
    venue: str
    starts_on: date
    ends_on: date
    registration_opens_at: datetime
    registration_closes_at: datetime
    quota_per_unit: int
    born_on_or_after: date | None
    min_level: SkillLevel | None
    max_level: SkillLevel | None
    locality: Locality
    exclude_past_worldskills: bool
    feeds_event_id: int | None
    feeds_top_n: int | None


def _check_event(competition: Competition, data: EventData, event_id: int | None = None) -> None:
    if not data.name.strip():
        raise DomainError(_("请填写赛项名称"), "name")
    if db.session.get(Occupation, data.occupation_code) is None:
        raise DomainError(_("职业编码不存在"), "occupation_code")
    if data.ends_on < data.starts_on:
        raise DomainError(_("结束日期不能早于开始日期"), "ends_on")
    if data.registration_closes_at <= data.registration_opens_at:
        raise DomainError(_("报名截止时间须晚于报名开始时间"), "registration_closes_at")
    if data.registration_closes_at.date() > data.starts_on:
        raise DomainError(_("报名须在比赛开始前截止"), "registration_closes_at")
    if not 1 <= data.team_size <= 10:
        raise DomainError(_("每队人数应为1–10"), "team_size")
    if data.quota_per_unit < 1:
        raise DomainError(_("名额至少为1"), "quota_per_unit")
    if data.min_level and data.max_level and data.min_level.rank > data.max_level.rank:
        raise DomainError(_("最低等级不能高于最高等级"), "max_level")
    if data.locality is Locality.HOST_DISTRICT and competition.host_district is None:
        raise DomainError(_("该大赛没有承办区，不能限定承办区单位"), "locality")
    if data.feeds_event_id is not None:
        upper = db.session.get(Event, data.feeds_event_id)
        if upper is None or upper.id == event_id:
            raise DomainError(_("晋级赛项不存在"), "feeds_event_id")
        if upper.competition.level.rank >= competition.level.rank:
            raise DomainError(_("只能晋级到更高一级的赛项"), "feeds_event_id")
        if not data.feeds_top_n or data.feeds_top_n < 1:
            raise DomainError(_("请填写晋级名额（前 N 名）"), "feeds_top_n")
    else:
        data.feeds_top_n = None


def _apply_event(event: Event, data: EventData) -> None:
    for name in EVENT_FIELDS:
        setattr(event, name, getattr(data, name))
    event.name, event.venue = data.name.strip(), data.venue.strip()


def create_event(actor: User, competition: Competition, data: EventData) -> Event:
    require(actor, "competition.manage", competition)
    _check_event(competition, data)
    event = Event(competition=competition, award_rule=DEFAULT_AWARD_RULE[competition.level])
    _apply_event(event, data)
    db.session.add(event)
    audit.record(actor, "create", event, after=audit.snapshot(event, EVENT_FIELDS), summary=event.name)
    schedule_event_deadlines(event)
    db.session.commit()
    return event


def update_event(actor: User, event: Event, data: EventData) -> Event:
    require(actor, "competition.manage", event)
    _check_event(event.competition, data, event.id)
    _entries().check_places_still_fit(event, data)
    before = audit.snapshot(event, EVENT_FIELDS)
    _apply_event(event, data)
    audit.record(actor, "update", event, before=before, after=audit.snapshot(event, EVENT_FIELDS),
                 summary=event.name)
    schedule_event_deadlines(event)
    db.session.commit()
    return event


@cache
def _event_by_id(links: bool) -> sa.Select[tuple[Event]]:
    """The event with its competition (its own joins) and, with ``links``, the events it qualifies from and the
    one it feeds: built once (the id a bound parameter) instead of on every event page (its loader options cost
    more Python than the statement)."""
    stmt = sa.select(Event).where(Event.id == sa.bindparam("event_id"))
    if not links:
        return stmt
    return stmt.options(selectinload(Event.qualifiers).joinedload(Event.competition),
                        selectinload(Event.feeds).joinedload(Event.competition))


def get_event(actor: User, event_id: int, *, links: bool = True) -> Event:
    """The event, if the actor may see it. ``links=False`` leaves out the events it qualifies from and the one it
    feeds, for a page that shows them as ``event_links`` (touching ``event.qualifiers`` or ``event.feeds`` would
    then load them)."""
    event = db.session.scalar(_event_by_id(links), {"event_id": event_id})
    if event is None:
        raise_not_found()
    require(actor, "competition.view", event)
    return event


@dataclass(frozen=True)
class EventLinks:
    """The event an event feeds and the events that feed it (its qualifiers), each a row of ``id``, ``name``,
    ``feeds_top_n`` and ``competition_name``: what the event page links to."""
    feeds: sa.Row[Any] | None
    qualifiers: list[sa.Row[Any]]


@cache
def _event_links_statement() -> sa.Select[Any]:
    return (sa.select(Event.id, Event.name, Event.feeds_top_n, Competition.name.label("competition_name"),
                      Event.feeds_event_id)
            .join(Competition, Competition.id == Event.competition_id)
            .where(sa.or_(Event.feeds_event_id == sa.bindparam("event_id"), Event.id == sa.bindparam("feeds_id")))
            .order_by(Event.id))


def event_links(event: Event) -> EventLinks:
    """``EventLinks`` of ``event`` in one statement of plain rows (no Event objects with their competitions,
    organisers and occupations for a line of links each); the qualifiers in id order."""
    rows = db.session.execute(_event_links_statement(), {"event_id": event.id, "feeds_id": event.feeds_event_id})
    feeds, qualifiers = None, []
    for row in rows:
        if row.id == event.feeds_event_id:
            feeds = row
        if row.feeds_event_id == event.id:
            qualifiers.append(row)
    return EventLinks(feeds, qualifiers)


def upper_event_choices(competition: Competition) -> list[tuple[int, str]]:
    """Events of higher levels that an event of this competition may feed."""
    higher = [lv for lv in CompetitionLevel if lv.rank < competition.level.rank]
    if not higher:
        return []
    rows = db.session.execute(
        sa.select(Event.id, Event.name, Competition.name, Competition.year)
        .join(Event.competition).where(Competition.level.in_(higher))
        .order_by(Competition.year.desc(), Competition.name, Event.name).limit(500))
    return [(row[0], f"{row[3]} {row[2]} · {row[1]}") for row in rows]


# ---------------------------------------------------------------- deadlines (reminders)
# The sub-packages schedule their deadlines here and in their own services; each sub-package's reminders.py
# registers the kinds (who is reminded, what the reminder says) with app.reminders.registry.

REGISTRATION_CLOSES = "competition.registration_closes"
APPROVAL_DUE = "competition.approval_due"


def deadline_at(day: date, hour: int = 9) -> datetime:
    """``hour`` o'clock, Shanghai time, on ``day``: when a competition deadline falling on a day is due."""
    return datetime.combine(day, time(hour, 0), tzinfo=ZoneInfo(current_app.config["TZ"]))


def approval_due_at(event: Event) -> datetime:
    """Entries must be decided before the contest begins: 00:00 (Shanghai) on its first day."""
    return deadline_at(event.starts_on, 0)


def schedule_event_deadlines(event: Event, now: datetime | None = None) -> None:
    """(Re)schedule both deadlines of an event; call in the transaction that creates or edits it."""
    schedule_deadline(REGISTRATION_CLOSES, event.id, event.registration_closes_at, now=now)
    schedule_deadline(APPROVAL_DUE, event.id, approval_due_at(event), now=now)


def users_of(org_ids: sa.Select[Any], roles: Sequence[Role]) -> list[User]:
    """The active users of the organisations ``org_ids`` selects who hold one of ``roles``, by id."""
    return list(db.session.scalars(
        sa.select(User).where(User.organisation_id.in_(org_ids.scalar_subquery()), User.active.is_(True),
                              User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(roles))))
        .order_by(User.id)))
