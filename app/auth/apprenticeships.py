"""Who may do what with an enrollment or an apprentice class, and which enrollments a user sees.

The area registers ``apprenticeship_rule`` for its models (``app/apprenticeships/__init__.py``) and passes its
model classes to ``enrollment_scope``, so this package imports no area.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.auth.permissions import STAFF_ROLES, is_municipal_official, official_district
from app.core.enums import Role
from app.core.models import User


def apprenticeship_rule(user: User, action: str, obj: Any) -> bool:
    """Officials act on their district's (municipal: all); an enterprise on its own; an institution's staff on
    those it trains; mentors and the apprentice only see theirs."""
    if is_municipal_official(user):
        return True
    district = official_district(user)
    if district is not None and obj.district == district:
        return True
    if action in ("apprenticeship.enroll", "subsidy.claim", "subsidy.view"):
        return bool(obj.enterprise_id == user.organisation_id)
    if action == "apprenticeship.train":
        return bool(obj.institution_id == user.organisation_id)
    if action != "apprenticeship.view":
        return False
    if user.roles & STAFF_ROLES and user.organisation_id in (obj.enterprise_id, obj.institution_id):
        return True
    if user.person_id is not None and getattr(obj, "person_id", None) == user.person_id:
        return True
    if user.has_role(Role.MENTOR) and user.person_id is not None:
        return any(m.mentor_id == user.person_id for m in getattr(obj, "mentors", []))
    return False


def may_remind_class(user: User, klass: Any) -> bool:
    """A class's officials (its district's, or municipal), its enterprise and its institution may remind it."""
    return (is_municipal_official(user) or official_district(user) == klass.district
            or user.organisation_id in (klass.enterprise_id, klass.institution_id))


def enrollment_scope(user: User, enrollment: Any, mentor_assignment: Any) -> sa.ColumnElement[bool]:
    """The enrollments this user may see, as a WHERE clause: a district's, an enterprise's, an institution's,
    a mentor's apprentices, an apprentice's own; municipal officials see all.

    ``enrollment`` and ``mentor_assignment`` are the area's model classes."""
    if is_municipal_official(user):
        return sa.true()
    clauses = []
    district = official_district(user)
    if district is not None:
        clauses.append(enrollment.district == district)
    if user.has_role(Role.ENTERPRISE_HR):
        clauses.append(enrollment.enterprise_id == user.organisation_id)
    if user.has_role(Role.COLLEGE_STAFF):
        clauses.append(enrollment.institution_id == user.organisation_id)
    if user.person_id is not None:
        clauses.append(enrollment.person_id == user.person_id)
        if user.has_role(Role.MENTOR):
            clauses.append(enrollment.id.in_(sa.select(mentor_assignment.enrollment_id)
                                             .where(mentor_assignment.mentor_id == user.person_id)))
    return sa.or_(*clauses) if clauses else sa.false()
