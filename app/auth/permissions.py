"""Who may do what: the one place for permission rules and for the organisation scoping of queries.

Services call ``require(user, action, obj)`` at their boundary; list queries add ``*_scope(user)``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from app.core.enums import District, OrgKind, Role
from app.core.models import Organisation, Person, PolicyValue, User

STAFF_ROLES = frozenset({Role.ENTERPRISE_HR, Role.COLLEGE_STAFF})

#: action -> roles that may attempt it (object-level rules below narrow it further).
ACTION_ROLES: dict[str, frozenset[Role]] = {
    "organisation.view": frozenset({Role.OFFICIAL}),
    "organisation.manage": frozenset({Role.OFFICIAL}),
    "user.manage": frozenset({Role.OFFICIAL}),
    "person.view": frozenset({Role.OFFICIAL}) | STAFF_ROLES,
    "person.edit": frozenset({Role.OFFICIAL}) | STAFF_ROLES,
    "person.import": frozenset({Role.OFFICIAL}) | STAFF_ROLES,
    "person.reveal_id": frozenset({Role.OFFICIAL}),
    "policy.view": frozenset({Role.OFFICIAL}),
    "policy.edit": frozenset({Role.OFFICIAL}),
    "audit.view": frozenset({Role.OFFICIAL}),
    "supervision.view": frozenset({Role.OFFICIAL}),
}


def is_municipal_official(user: User) -> bool:
    return user.has_role(Role.OFFICIAL) and user.organisation.kind is OrgKind.MUNICIPAL_BUREAU


def official_district(user: User) -> District | None:
    """The district a district official supervises (None for municipal officials and everyone else)."""
    if user.has_role(Role.OFFICIAL) and user.organisation.kind is OrgKind.DISTRICT_BUREAU:
        return user.organisation.district
    return None


def can(user: User, action: str, obj: Any = None) -> bool:
    roles = ACTION_ROLES.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    if not user.is_authenticated or not (roles & user.roles):
        return False
    if obj is None:
        return True
    if isinstance(obj, Organisation):
        return _can_touch_organisation(user, obj)
    if isinstance(obj, Person):
        return _can_touch_person(user, obj)
    if isinstance(obj, User):
        return _can_touch_organisation(user, obj.organisation)
    if isinstance(obj, PolicyValue):
        return is_municipal_official(user) or (
            obj.district is not None and obj.district == official_district(user)
        )
    return False


def require(user: User, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise Forbidden()


def _can_touch_organisation(user: User, org: Organisation) -> bool:
    if is_municipal_official(user):
        return True
    district = official_district(user)
    if district is not None:
        return org.district == district and org.kind is not OrgKind.MUNICIPAL_BUREAU
    return False


def _can_touch_person(user: User, person: Person) -> bool:
    if is_municipal_official(user):
        return True
    district = official_district(user)
    if district is not None:
        return person.employer is not None and person.employer.district == district
    if user.roles & STAFF_ROLES:
        return person.employer_id == user.organisation_id
    return False


def organisation_scope(user: User) -> sa.ColumnElement[bool]:
    """The organisations this user may see, as a WHERE clause."""
    if is_municipal_official(user):
        return sa.true()
    district = official_district(user)
    if district is not None:
        return sa.and_(Organisation.district == district, Organisation.kind != OrgKind.MUNICIPAL_BUREAU)
    return Organisation.id == user.organisation_id


def people_scope(user: User) -> sa.ColumnElement[bool]:
    """The people this user may see, as a WHERE clause (employer's district, or own employees)."""
    if is_municipal_official(user):
        return sa.true()
    district = official_district(user)
    if district is not None:
        in_district = sa.select(Organisation.id).where(Organisation.district == district)
        return Person.employer_id.in_(in_district)
    if user.roles & STAFF_ROLES:
        return Person.employer_id == user.organisation_id
    if user.person_id is not None:
        return Person.id == user.person_id
    return sa.false()


def user_scope(user: User) -> sa.ColumnElement[bool]:
    """The user accounts this user may manage (those of organisations in scope)."""
    return User.organisation_id.in_(sa.select(Organisation.id).where(organisation_scope(user)))

