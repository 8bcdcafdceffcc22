"""Who may do what on a training base (集训基地): its host organisation's staff manage it, its coaches schedule and
log sessions, officials designate bases in their district.

The area registers ``training_base_rule`` for its model (``app/training_bases/__init__.py``) with the one query
these rules need (is this person one of the base's coaches?), so this package imports no area.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.auth.permissions import STAFF_ROLES, ObjectRule, can_touch_organisation, is_municipal_official
from app.core.enums import Role
from app.core.models import User

#: (base id, person id) -> whether the person is one of the base's coaches.
CoachLookup = Callable[[int, int], bool]


def is_base_manager(user: User, base: Any) -> bool:
    """College staff / enterprise HR of the base's host organisation manage it; municipal officials oversee all."""
    if is_municipal_official(user):
        return True
    return bool(user.roles & STAFF_ROLES) and base.organisation_id == user.organisation_id


def is_base_coach(user: User, base: Any, is_coach: CoachLookup) -> bool:
    """A coach account linked to a person who is one of the base's coaches."""
    if not user.has_role(Role.COACH) or user.person_id is None:
        return False
    return is_coach(base.id, user.person_id)


def training_base_rule(is_coach: CoachLookup) -> ObjectRule:
    def rule(user: User, action: str, base: Any) -> bool:
        if action == "training_base.view":
            return True
        if action == "training_base.designate":
            return can_touch_organisation(user, base.organisation)
        if action == "training_base.manage":
            return is_base_manager(user, base)
        if action in ("training_session.schedule", "training_session.log"):
            return is_base_manager(user, base) or is_base_coach(user, base, is_coach)
        return False

    return rule
