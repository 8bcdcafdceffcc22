"""The awards' deadlines that get reminders: a notice period ends, approved prize money is due for payment.

Registered with app.reminders.registry at import; the awards' services schedule them (``NOTICE_ENDS`` when a
notice is published, ``PAYMENT_DUE`` when lines are approved).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.competitions.awards.models import AwardLine, AwardLineStatus, AwardNotice
from app.competitions.awards.services import NOTICE_ENDS, PAYMENT_DUE
from app.competitions.events.models import Event
from app.competitions.events.services import users_of
from app.core.enums import OrgKind, Role
from app.core.models import Organisation, User
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind


def notice_recipients(subject_key: str) -> list[User]:
    """The publishing official's colleagues, while lines of the notice wait for approval."""
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
    return users_of(sa.select(sa.literal(publisher.organisation_id)), (Role.OFFICIAL,))


def payment_recipients(subject_key: str) -> list[User]:
    """Officials of the organising bureau (and the city), while approved prize money of the event is unpaid."""
    event = db.session.get(Event, int(subject_key))
    if event is None:
        return []
    unpaid = db.session.scalar(sa.select(AwardLine.id).where(
        AwardLine.event_id == event.id, AwardLine.status == AwardLineStatus.APPROVED, AwardLine.amount > 0).limit(1))
    if unpaid is None:
        return []
    bureaus = sa.select(Organisation.id).where(sa.or_(Organisation.id == event.competition.organiser_id,
                                                      Organisation.kind == OrgKind.MUNICIPAL_BUREAU))
    return users_of(bureaus, (Role.OFFICIAL,))


def _describe_notice(subject_key: str) -> Subject | None:
    notice = db.session.get(AwardNotice, int(subject_key))
    if notice is None:
        return None
    return Subject(title=_("%(title)s 公示期满", title=notice.title),
                   link=url_for("competitions.event_awards", event_id=notice.event_id))


def _describe_payment(subject_key: str) -> Subject | None:
    event = db.session.get(Event, int(subject_key))
    if event is None:
        return None
    return Subject(title=_("%(event)s 奖金发放", event=f"{event.competition.name} · {event.name}"),
                   link=url_for("competitions.event_awards", event_id=event.id))


register_kind(DeadlineKind(NOTICE_ENDS, _l("奖励公示期满"), notice_recipients, _describe_notice, (1,)))
register_kind(DeadlineKind(PAYMENT_DUE, _l("奖金发放期限"), payment_recipients, _describe_payment))
