"""The competition deadlines that get reminders: registration closes, entrant approval due.

Registered with app.reminders.registry at import; competitions/services.py schedules them whenever an
event is created or edited (``schedule_event_deadlines``), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.competitions.events.models import Event
from app.competitions.registration.models import ACTIVE_STATUSES, Registration, RegistrationStatus
from app.core.enums import Role
from app.core.models import User, UserRole
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind
from app.reminders.services import schedule_deadline

REGISTRATION_CLOSES = "competition.registration_closes"
APPROVAL_DUE = "competition.approval_due"

#: The roles that act for a registering unit (a district bureau registers through its officials).
UNIT_ROLES = (Role.ENTERPRISE_HR, Role.COLLEGE_STAFF, Role.OFFICIAL)


def approval_due_at(event: Event) -> datetime:
    """Entries must be decided before the contest begins: 00:00 (Shanghai) on its first day."""
    return datetime.combine(event.starts_on, time(0, 0), tzinfo=ZoneInfo(current_app.config["TZ"]))


def schedule_event_deadlines(event: Event, now: datetime | None = None) -> None:
    """(Re)schedule both deadlines of an event; call in the transaction that creates or edits it."""
    schedule_deadline(REGISTRATION_CLOSES, event.id, event.registration_closes_at, now=now)
    schedule_deadline(APPROVAL_DUE, event.id, approval_due_at(event), now=now)


def _users_of(org_ids: sa.Select, roles: Sequence[Role]) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.organisation_id.in_(org_ids.scalar_subquery()), User.active.is_(True),
                              User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(roles))))
        .order_by(User.id)))


def units_with_unfinished_entries(event_id: int) -> sa.Select:
    """Units that still have work on the event: an entry sent back for changes, or a team not yet full."""
    sent_back = sa.select(Registration.unit_id).where(Registration.event_id == event_id,
                                                      Registration.status == RegistrationStatus.CHANGES_REQUESTED)
    team_size = sa.select(Event.team_size).where(Event.id == event_id).scalar_subquery()
    short_teams = (sa.select(Registration.unit_id)
                   .where(Registration.event_id == event_id, Registration.team_id.is_not(None),
                          Registration.status.in_(ACTIVE_STATUSES))
                   .group_by(Registration.unit_id, Registration.team_id)
                   .having(sa.func.count() < team_size))
    return sa.select(sa.union(sent_back, short_teams).subquery().c.unit_id)


def registration_closes_recipients(subject_key: str) -> list[User]:
    return _users_of(units_with_unfinished_entries(int(subject_key)), UNIT_ROLES)


def approval_due_recipients(subject_key: str) -> list[User]:
    """The organiser's organizers, while entries of the event still wait for a decision."""
    event = db.session.get(Event, int(subject_key))
    if event is None:
        return []
    waiting = db.session.scalar(sa.select(Registration.id).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.SUBMITTED).limit(1))
    if waiting is None:
        return []
    return _users_of(sa.select(sa.literal(event.competition.organiser_id)), (Role.ORGANIZER,))


def _describe(what: str):
    def describe(subject_key: str) -> Subject | None:
        event = db.session.get(Event, int(subject_key))
        if event is None:
            return None
        name = f"{event.competition.name} · {event.name}"
        title = _("%(event)s 报名截止", event=name) if what == "closes" else _("%(event)s 报名审核截止", event=name)
        return Subject(title=title, link=url_for("competitions.event_detail", event_id=event.id))

    return describe


register_kind(DeadlineKind(REGISTRATION_CLOSES, _l("赛项报名截止"), registration_closes_recipients,
                           _describe("closes")))
register_kind(DeadlineKind(APPROVAL_DUE, _l("参赛报名审核截止"), approval_due_recipients, _describe("approval")))


# ---------------------------------------------------------------- judging, selection and awards

SCORES_DUE = "competition.scores_due"
STAGE_ASSESSMENT = "competition.stage_assessment"
NOTICE_ENDS = "competition.award_notice_ends"
PAYMENT_DUE = "competition.award_payment_due"
#: Approved prize money is due for payment this many days after approval.
PAYMENT_DAYS = 30


def _at(day, hour: int = 9) -> datetime:  # noqa: ANN001
    return datetime.combine(day, time(hour, 0), tzinfo=ZoneInfo(current_app.config["TZ"]))


def scores_due_recipients(subject_key: str) -> list[User]:
    """The event's experts who still have aspects to mark, while scoring is open."""
    from app.competitions.events.models import JudgingState
    from app.competitions.judging import services as judging
    from app.competitions.judging.models import EventExpert

    event = db.session.get(Event, int(subject_key))
    if event is None or event.judging_state is not JudgingState.SCORING:
        return []
    experts = [x.user for x in db.session.scalars(sa.select(EventExpert).where(EventExpert.event_id == event.id))]
    return [u for u in experts if u.active and (lambda p: p[0] < p[1])(judging.progress(u, event))]


def stage_recipients(subject_key: str) -> list[User]:
    """The organisers of the squad's source competition, while the stage is undecided."""
    from app.competitions.squads.models import SquadStage

    stage = db.session.get(SquadStage, int(subject_key))
    if stage is None or stage.decided_at is not None:
        return []
    return _users_of(sa.select(sa.literal(stage.squad.source_event.competition.organiser_id)), (Role.ORGANIZER,))


def notice_recipients(subject_key: str) -> list[User]:
    """The publishing official's colleagues, while lines of the notice wait for approval."""
    from app.competitions.awards.models import AwardLine, AwardLineStatus, AwardNotice

    notice = db.session.get(AwardNotice, int(subject_key))
    if notice is None or notice.published_by_id is None:
        return []
    pending = db.session.scalar(sa.select(AwardLine.id).where(
        AwardLine.notice_id == notice.id,
        AwardLine.status.in_([AwardLineStatus.NOTICE, AwardLineStatus.ON_HOLD])).limit(1))
    if pending is None:
        return []
    publisher = db.session.get(User, notice.published_by_id)
    if publisher is None:
        return []
    return _users_of(sa.select(sa.literal(publisher.organisation_id)), (Role.OFFICIAL,))


def payment_recipients(subject_key: str) -> list[User]:
    """Officials of the organising bureau (and the city), while approved prize money of the event is unpaid."""
    from app.competitions.awards.models import AwardLine, AwardLineStatus
    from app.core.enums import OrgKind
    from app.core.models import Organisation

    event = db.session.get(Event, int(subject_key))
    if event is None:
        return []
    unpaid = db.session.scalar(sa.select(AwardLine.id).where(
        AwardLine.event_id == event.id, AwardLine.status == AwardLineStatus.APPROVED, AwardLine.amount > 0).limit(1))
    if unpaid is None:
        return []
    bureaus = sa.select(Organisation.id).where(sa.or_(Organisation.id == event.competition.organiser_id,
                                                      Organisation.kind == OrgKind.MUNICIPAL_BUREAU))
    return _users_of(bureaus, (Role.OFFICIAL,))


def _describe_event(title, endpoint: str):  # noqa: ANN001
    def describe(subject_key: str) -> Subject | None:
        event = db.session.get(Event, int(subject_key))
        if event is None:
            return None
        return Subject(title=title(f"{event.competition.name} · {event.name}"),
                       link=url_for(endpoint, event_id=event.id))
    return describe


def _scores_title(name: str) -> str:
    return _("%(event)s 评分截止", event=name)


def _payment_title(name: str) -> str:
    return _("%(event)s 奖金发放", event=name)


def _describe_stage(subject_key: str) -> Subject | None:
    from app.competitions.squads.models import SquadStage

    stage = db.session.get(SquadStage, int(subject_key))
    if stage is None:
        return None
    return Subject(title=_("%(squad)s %(stage)s 阶段考核", squad=stage.squad.name, stage=stage.name),
                   link=url_for("competitions.squad_detail", squad_id=stage.squad_id))


def _describe_notice(subject_key: str) -> Subject | None:
    from app.competitions.awards.models import AwardNotice

    notice = db.session.get(AwardNotice, int(subject_key))
    if notice is None:
        return None
    return Subject(title=_("%(title)s 公示期满", title=notice.title),
                   link=url_for("competitions.event_awards", event_id=notice.event_id))


register_kind(DeadlineKind(SCORES_DUE, _l("评分截止"), scores_due_recipients,
                           _describe_event(_scores_title, "competitions.score_sheet")))
register_kind(DeadlineKind(STAGE_ASSESSMENT, _l("集训队阶段考核"), stage_recipients, _describe_stage))
register_kind(DeadlineKind(NOTICE_ENDS, _l("奖励公示期满"), notice_recipients, _describe_notice, (1,)))
register_kind(DeadlineKind(PAYMENT_DUE, _l("奖金发放期限"), payment_recipients,
                           _describe_event(_payment_title, "competitions.event_awards")))
