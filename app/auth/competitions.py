"""Who may do what in the competitions area, and which registrations a user sees.

The area registers these rules for its models (``app/competitions/__init__.py``), so ``can()`` decides on a
competition, an event or a registration without this package importing the area.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.auth.permissions import (
    STAFF_ROLES,
    can,
    can_touch_organisation_as_unit,
    deny,
    is_municipal_official,
    official_district,
    require,
)
from app.core.enums import Role
from app.core.models import Organisation, User

#: The judging state (``JudgingState.LOCKED.value``) in which results are published.
LOCKED = "locked"


def can_manage_competition(user: User, competition: Any) -> bool:
    """Organizers (and officials) of the organising unit manage it; municipal officials manage all."""
    return is_municipal_official(user) or competition.organiser_id == user.organisation_id


def competition_rule(user: User, action: str, competition: Any) -> bool:
    return can_manage_competition(user, competition) if action != "competition.view" else True


def event_rule(user: User, action: str, event: Any) -> bool:
    return competition_rule(user, action, event.competition)


def registration_rule(user: User, action: str, registration: Any) -> bool:
    if action == "registration.review":
        return can_manage_competition(user, registration.event.competition)
    return can_touch_organisation_as_unit(user, registration.unit_id, registration.unit.district)


def registration_scope(user: User, organiser_id_column: Any, unit_id_column: Any,
                       person_id_column: Any) -> sa.ColumnElement[bool]:
    """The registrations this user may see: the organiser's (all of its events), a unit's own, a district's
    units', a person's own; municipal officials see all."""
    if is_municipal_official(user):
        return sa.true()
    clauses = [organiser_id_column == user.organisation_id] if user.roles & {Role.ORGANIZER, Role.OFFICIAL} else []
    district = official_district(user)
    if district is not None:
        clauses.append(unit_id_column.in_(sa.select(Organisation.id).where(Organisation.district == district)))
    if user.roles & STAFF_ROLES:
        clauses.append(unit_id_column == user.organisation_id)
    if user.person_id is not None:
        clauses.append(person_id_column == user.person_id)
    return sa.or_(*clauses) if clauses else sa.false()


def require_own_registration(user: User, registration: Any) -> None:
    """A unit withdraws or reads its own entries (a district official its district's; a person their own)."""
    if not (can(user, "registration.submit", registration) or registration.person_id == user.person_id):
        deny()


def can_see_results(user: User, event: Any) -> bool:
    """Locked results are public to every signed-in user; a preview only to the event's managers."""
    return event.judging_state == LOCKED or can(user, "competition.manage", event)


def require_results_visible(user: User, event: Any) -> None:
    if not can_see_results(user, event):
        deny()


def require_results_published(event: Any) -> None:
    """The results file and the public notice exist only once results are locked."""
    if event.judging_state != LOCKED:
        deny()


def require_marking_progress_reader(user: User, event: Any, is_chief_expert: bool) -> None:
    """Who has saved which scores, and the disagreements: the event's managers and its chief expert (裁判长)."""
    if not (is_chief_expert or can(user, "competition.manage", event)):
        deny()


def require_scheme_reader(user: User, event: Any) -> None:
    """The event's managers and experts may download its marking scheme."""
    if not (can(user, "competition.manage", event) or can(user, "judging.score")):
        deny()


def require_award_event(user: User, event: Any, action: str = "award.manage") -> None:
    """Officials award what their own bureau organised; municipal officials everything."""
    require(user, action)
    if not is_municipal_official(user) and event.competition.organiser_id != user.organisation_id:
        deny()
