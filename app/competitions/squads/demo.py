"""Demo squad: the district event's top five (its results locked by judging/demo.py) narrowed by a stage still
to record. Idempotent: nothing is added once a squad exists."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.competitions.events.models import CompetitionLevel, Event
from app.competitions.squads import services as squads
from app.competitions.squads.models import Squad
from app.core.models import User
from app.extensions import db


def seed(today: date) -> str:
    official = db.session.scalar(sa.select(User).where(User.username == "official"))
    district_event = db.session.scalar(sa.select(Event).join(Event.competition).where(
        Event.competition.has(level=CompetitionLevel.DISTRICT), Event.name == "数控车"))
    if official is None or district_event is None:
        return "demo squads skipped (no district event)"
    if db.session.scalar(sa.select(Squad.id)) is not None:
        return "demo squads: already there"
    squad = squads.create_squad(official, district_event, name="浦东新区数控车集训队", tier="第一梯队",
                                target_event_id=district_event.feeds_event_id, final_size=1,
                                result_ids=squads.top_results(district_event, 5))
    squads.add_stage(official, squad, name="五进二", held_on=today - timedelta(days=7), advance_count=2)
    return "demo squads: squad with a stage to record"
