"""公示 ending (公示即将期满): award notices whose 公示期 ends within NOTICE_ENDING_WORKING_DAYS working days, or has
ended, and that still hold lines waiting for approval. The official's to-do counts them and links to their list;
both read ``due_filters`` so the count is always the list's length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.auth.permissions import is_municipal_official, require
from app.competitions.awards import rules
from app.competitions.awards.models import AwardLine, AwardLineStatus, AwardNotice
from app.competitions.events.models import Competition, Event
from app.core.models import User
from app.extensions import db
from app.reminders.rules import is_working_day

#: How far ahead (working days) a notice's end counts as "ending": the official then has time to prepare the
#: approval. A display horizon of the to-do, not a policy number.
NOTICE_ENDING_WORKING_DAYS = 2


def horizon(today: date) -> date:
    """The last day whose ending notices are due: ``NOTICE_ENDING_WORKING_DAYS`` working days ahead (the
    Chinese calendar's)."""
    return rules.add_working_days(today, NOTICE_ENDING_WORKING_DAYS, is_working_day)


def _waiting() -> sa.ColumnElement[bool]:
    return (sa.select(AwardLine.id).where(AwardLine.notice_id == AwardNotice.id,
                                          AwardLine.status == AwardLineStatus.NOTICE).exists())


def due_filters(actor: User, today: date) -> list[sa.ColumnElement[bool]]:
    """The notices due for the official: ending by the horizon (or ended), lines still in 公示, in the awards the
    official's bureau decides (a district bureau: the competitions it organised; the municipal bureau: all)."""
    require(actor, "award.approve")
    filters = [AwardNotice.ends_on <= horizon(today), _waiting()]
    if not is_municipal_official(actor):
        filters.append(AwardNotice.event_id.in_(
            sa.select(Event.id).join(Competition, Competition.id == Event.competition_id)
            .where(Competition.organiser_id == actor.organisation_id)))
    return filters


@dataclass
class DueNotice:
    notice_id: int
    title: str
    starts_on: date
    ends_on: date
    event_id: int
    event: str
    competition: str
    #: Lines of the notice still waiting (in 公示).
    lines: int


def due_notices(actor: User, today: date) -> list[DueNotice]:
    """The due notices, the soonest ending first, with their waiting lines: one query."""
    waiting = (sa.select(sa.func.count(AwardLine.id)).where(AwardLine.notice_id == AwardNotice.id,
                                                             AwardLine.status == AwardLineStatus.NOTICE)
               .correlate(AwardNotice).scalar_subquery())
    stmt = (sa.select(AwardNotice.id, AwardNotice.title, AwardNotice.starts_on, AwardNotice.ends_on, Event.id,
                      Event.name, Competition.name, waiting)
            .join(Event, Event.id == AwardNotice.event_id).join(Competition, Competition.id == Event.competition_id)
            .where(*due_filters(actor, today)).order_by(AwardNotice.ends_on, AwardNotice.id))
    return [DueNotice(*row) for row in db.session.execute(stmt)]


def count_due(actor: User, today: date) -> int:
    """How many notices ``due_notices`` lists: one count."""
    return db.session.scalar(sa.select(sa.func.count(AwardNotice.id)).where(*due_filters(actor, today))) or 0
