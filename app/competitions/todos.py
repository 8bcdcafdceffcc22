"""技能竞赛 on the home page's 我的待办: aspects left to mark (expert, per event), registrations to review and events
whose results can be locked (organiser). One query each; see app/core/todos.py."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from app.competitions.events.models import Competition, Event, JudgingState
from app.competitions.judging import rules
from app.competitions.judging.models import Aspect, AspectKind, Contestant, EventExpert, Score
from app.competitions.judging.services import _conflict_clause
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.enums import Role
from app.core.models import User
from app.core.todos import Todo, todo_provider
from app.extensions import db


@todo_provider("competitions.mark", roles={Role.EXPERT}, order=40)
def aspects_to_mark(user: User, today: date) -> list[Todo]:
    """Per event in scoring on the expert's panel: the contestant × aspect marks the score sheet still waits for
    (as its progress bar counts them: a measurement once anyone has measured it, a judgement once this expert has
    scored it; contestants of the expert's own unit are not theirs to mark)."""
    may_mark = (sa.select(Contestant.id).where(Contestant.event_id == Event.id, sa.not_(_conflict_clause(user)))
                .correlate(Event))
    contestants = sa.select(sa.func.count()).select_from(may_mark.subquery()).scalar_subquery()
    aspects = (sa.select(sa.func.count(Aspect.id)).where(Aspect.event_id == Event.id).correlate(Event)
               .scalar_subquery())
    done = (sa.select(sa.func.count(Score.id)).join(Aspect, Aspect.id == Score.aspect_id)
            .where(Score.event_id == Event.id, Score.contestant_id.in_(may_mark),
                   sa.or_(Aspect.kind == AspectKind.MEASUREMENT, Score.expert_id == user.id))
            .correlate(Event).scalar_subquery())
    rows = db.session.execute(
        sa.select(Event.id, Event.name, Competition.name, contestants * aspects - done)
        .join(Competition, Competition.id == Event.competition_id)
        .join(EventExpert, EventExpert.event_id == Event.id)
        .where(EventExpert.user_id == user.id, Event.judging_state == JudgingState.SCORING)
        .order_by(Event.starts_on, Event.id)).all()
    return [Todo(_("待评分项"), left or 0, url_for("competitions.score_sheet", event_id=event_id),
                 f"{competition} · {name}") for event_id, name, competition, left in rows]


@todo_provider("competitions.review", roles={Role.ORGANIZER}, order=50)
def registrations_to_review(user: User, today: date) -> list[Todo]:
    """Per event the organiser's unit runs: registrations submitted and not yet decided."""
    rows = db.session.execute(
        sa.select(Event.id, Event.name, Competition.name, sa.func.count(Registration.id))
        .join(Competition, Competition.id == Event.competition_id)
        .join(Registration, Registration.event_id == Event.id)
        .where(Competition.organiser_id == user.organisation_id, Registration.status == RegistrationStatus.SUBMITTED)
        .group_by(Event.id, Event.name, Competition.name, Event.starts_on)
        .order_by(Event.starts_on, Event.id)).all()
    submitted = RegistrationStatus.SUBMITTED.value
    return [Todo(_("待审核的报名"), count,
                 url_for("competitions.event_detail", event_id=event_id, status=submitted,
                         _anchor="registration-results"),
                 f"{competition} · {name}") for event_id, name, competition, count in rows]


@todo_provider("competitions.lock", roles={Role.ORGANIZER}, order=51)
def results_to_lock(user: User, today: date) -> list[Todo]:
    """The organiser's events in scoring whose every mark is in (each judgement by three experts): lock them."""
    groups = (sa.select(Score.event_id, Score.contestant_id, Score.aspect_id, sa.func.count().label("n"))
              .join(Event, Event.id == Score.event_id).join(Competition, Competition.id == Event.competition_id)
              .where(Competition.organiser_id == user.organisation_id, Event.judging_state == JudgingState.SCORING)
              .group_by(Score.event_id, Score.contestant_id, Score.aspect_id).subquery())
    required = sa.case((Aspect.kind == AspectKind.MEASUREMENT, 1), else_=rules.JUDGES_PER_ASPECT)
    complete = (sa.select(groups.c.event_id, sa.func.count().label("complete"))
                .join(Aspect, Aspect.id == groups.c.aspect_id).where(groups.c.n >= required)
                .group_by(groups.c.event_id).subquery())
    contestants = (sa.select(sa.func.count(Contestant.id)).where(Contestant.event_id == Event.id).correlate(Event)
                   .scalar_subquery())
    aspects = (sa.select(sa.func.count(Aspect.id)).where(Aspect.event_id == Event.id).correlate(Event)
               .scalar_subquery())
    rows = db.session.execute(
        sa.select(Event.id, Event.name, Competition.name, contestants * aspects, complete.c.complete)
        .join(Competition, Competition.id == Event.competition_id)
        .outerjoin(complete, complete.c.event_id == Event.id)
        .where(Competition.organiser_id == user.organisation_id, Event.judging_state == JudgingState.SCORING)
        .order_by(Event.starts_on, Event.id)).all()
    return [Todo(_("评分已完成，可锁定成绩"), 1, url_for("competitions.results", event_id=event_id),
                 f"{competition} · {name}")
            for event_id, name, competition, items, done in rows if items and done == items]
