"""The training-base deadline that gets reminders: a camp starts (``training_base.camp_starts``).

Due at 00:00 Shanghai on the camp's first day. It reminds the camp's athletes (and the active members of the
squad it trains) and the base's coaches of its skill — they are to turn up — and, while no session of the camp
is booked yet, the base's managers (the host's staff), who still have to plan it. training_bases/services.py
schedules it when a camp is created and moves it when the camp's dates change, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.permissions import STAFF_ROLES
from app.competitions.squads.models import SquadMember, SquadMemberStatus
from app.core.models import User, UserRole
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind
from app.reminders.services import schedule_deadline
from app.training_bases.models import BaseMember, MemberRole, TrainingCamp, TrainingSession, camp_athletes

CAMP_STARTS = "training_base.camp_starts"


def camp_starts_at(camp: TrainingCamp) -> datetime:
    return datetime.combine(camp.starts_on, time(0, 0), tzinfo=ZoneInfo(current_app.config["TZ"]))


def schedule_camp_start(camp: TrainingCamp, now: datetime | None = None) -> None:
    """(Re)schedule the camp's start; call in the transaction that creates the camp or changes its dates."""
    schedule_deadline(CAMP_STARTS, camp.id, camp_starts_at(camp), now=now)


def camp_start_recipients(subject_key: str) -> list[User]:
    camp = db.session.get(TrainingCamp, int(subject_key))
    if camp is None:
        return []
    people = [sa.select(camp_athletes.c.person_id).where(camp_athletes.c.camp_id == camp.id)]
    if camp.squad_id is not None:
        people.append(sa.select(SquadMember.person_id).where(SquadMember.squad_id == camp.squad_id,
                                                             SquadMember.status != SquadMemberStatus.LEFT))
    coaches = sa.select(BaseMember.person_id).where(BaseMember.base_id == camp.base_id,
                                                    BaseMember.role == MemberRole.COACH)
    if camp.occupation_code:
        coaches = coaches.where(sa.or_(BaseMember.occupation_code == camp.occupation_code,
                                       BaseMember.occupation_code.is_(None)))
    people.append(coaches)
    clauses: list[sa.ColumnElement[bool]] = [User.person_id.in_(sa.select(sa.union(*people).subquery().c.person_id))]
    planned = db.session.scalar(sa.select(TrainingSession.id).where(TrainingSession.camp_id == camp.id).limit(1))
    if planned is None:
        clauses.append(sa.and_(User.organisation_id == camp.base.organisation_id,
                               User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES)))))
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True), sa.or_(*clauses))
                                   .order_by(User.id)))


def describe_camp(subject_key: str) -> Subject | None:
    camp = db.session.get(TrainingCamp, int(subject_key))
    if camp is None:
        return None
    return Subject(title=_("%(base)s · %(camp)s 集训开始", base=camp.base.name, camp=camp.name),
                   link=url_for("training_bases.camp_detail", camp_id=camp.id))


register_kind(DeadlineKind(CAMP_STARTS, _l("集训开始"), camp_start_recipients, describe_camp))
