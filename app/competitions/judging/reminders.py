"""The judging deadline that gets reminders: scores due.

Registered with app.reminders.registry at import; the judging services schedule it (``SCORES_DUE``) when the
event's settings set a due time, and cancel it when the results are locked.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.competitions.events.models import Event, JudgingState
from app.competitions.events.services import users_of
from app.competitions.judging import services as judging
from app.competitions.judging.models import EventExpert
from app.core.enums import Role
from app.core.models import User
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind


def scores_due_recipients(subject_key: str) -> list[User]:
    """The event's experts who still have aspects to mark, and the organiser's organizers (who chase them and
    lock the results), while scoring is open and marks are missing."""
    event = db.session.get(Event, int(subject_key))
    if event is None or event.judging_state is not JudgingState.SCORING:
        return []
    experts = [x.user for x in db.session.scalars(sa.select(EventExpert).where(EventExpert.event_id == event.id))]
    behind = [u for u in experts if u.active and (lambda p: p[0] < p[1])(judging.progress(u, event))]
    if not judging.scoring_status(event).missing:
        return behind
    organisers = users_of(sa.select(sa.literal(event.competition.organiser_id)), (Role.ORGANIZER,))
    chosen = {u.id: u for u in behind + organisers}
    return [chosen[i] for i in sorted(chosen)]


def _describe(subject_key: str) -> Subject | None:
    event = db.session.get(Event, int(subject_key))
    if event is None:
        return None
    return Subject(title=_("%(event)s 评分截止", event=f"{event.competition.name} · {event.name}"),
                   link=url_for("competitions.score_sheet", event_id=event.id))


register_kind(DeadlineKind(judging.SCORES_DUE, _l("评分截止"), scores_due_recipients, _describe))
