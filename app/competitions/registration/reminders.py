"""The event deadlines registration reminds of: registration closes, entrant approval due.

Registered with app.reminders.registry at import; the events' services schedule them whenever an event is
created or edited (``events.services.schedule_event_deadlines``), in the same transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.competitions.events.models import Event
from app.competitions.events.services import APPROVAL_DUE, REGISTRATION_CLOSES, users_of
from app.competitions.registration.models import ACTIVE_STATUSES, Registration, RegistrationStatus
from app.core.enums import OrgKind, Role
from app.core.models import Organisation, User
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind

#: The roles that act for a registering unit (a district bureau registers through its officials).
UNIT_ROLES = (Role.ENTERPRISE_HR, Role.COLLEGE_STAFF, Role.OFFICIAL)


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
    """The HR, college staff and officials of units with unfinished entries, and the officials of those units'
    district bureaus (a district official may act for every unit of the district)."""
    units = units_with_unfinished_entries(int(subject_key))
    districts = sa.select(Organisation.district).where(Organisation.id.in_(units.scalar_subquery()),
                                                       Organisation.district.is_not(None))
    bureaus = sa.select(Organisation.id).where(Organisation.kind == OrgKind.DISTRICT_BUREAU,
                                               Organisation.district.in_(districts.scalar_subquery()))
    chosen = {u.id: u for u in users_of(units, UNIT_ROLES) + users_of(bureaus, (Role.OFFICIAL,))}
    return [chosen[i] for i in sorted(chosen)]


def approval_due_recipients(subject_key: str) -> list[User]:
    """The organiser's organizers, while entries of the event still wait for a decision."""
    event = db.session.get(Event, int(subject_key))
    if event is None:
        return []
    waiting = db.session.scalar(sa.select(Registration.id).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.SUBMITTED).limit(1))
    if waiting is None:
        return []
    return users_of(sa.select(sa.literal(event.competition.organiser_id)), (Role.ORGANIZER,))


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
