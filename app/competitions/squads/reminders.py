"""The squads' deadline that gets reminders: a stage assessment.

Registered with app.reminders.registry at import; the squads' services schedule it (``STAGE_ASSESSMENT``)
when a stage is added and cancel it when the stage is decided.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.competitions.events.services import users_of
from app.competitions.squads.models import SquadStage
from app.competitions.squads.services import STAGE_ASSESSMENT
from app.core.enums import Role
from app.core.models import User
from app.extensions import db
from app.reminders.registry import DeadlineKind, Subject, register_kind


def stage_recipients(subject_key: str) -> list[User]:
    """The organisers of the squad's source competition, while the stage is undecided."""
    stage = db.session.get(SquadStage, int(subject_key))
    if stage is None or stage.decided_at is not None:
        return []
    return users_of(sa.select(sa.literal(stage.squad.source_event.competition.organiser_id)), (Role.ORGANIZER,))


def _describe_stage(subject_key: str) -> Subject | None:
    stage = db.session.get(SquadStage, int(subject_key))
    if stage is None:
        return None
    return Subject(title=_("%(squad)s %(stage)s 阶段考核", squad=stage.squad.name, stage=stage.name),
                   link=url_for("competitions.squad_detail", squad_id=stage.squad_id))


register_kind(DeadlineKind(STAGE_ASSESSMENT, _l("集训队阶段考核"), stage_recipients, _describe_stage))
