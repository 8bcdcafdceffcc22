"""Who may do what: the one place for permission rules and for the organisation scoping of queries.

Services call ``require(user, action, obj)`` at their boundary; list queries add ``*_scope(user)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

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
    "person.merge": frozenset({Role.OFFICIAL}),
    "policy.view": frozenset({Role.OFFICIAL}),
    "policy.edit": frozenset({Role.OFFICIAL}),
    "audit.view": frozenset({Role.OFFICIAL}),
    "supervision.view": frozenset({Role.OFFICIAL}),
    "competition.view": frozenset(Role),
    "competition.manage": frozenset({Role.ORGANIZER, Role.OFFICIAL}),
    "registration.submit": frozenset({Role.OFFICIAL}) | STAFF_ROLES,
    "registration.review": frozenset({Role.ORGANIZER, Role.OFFICIAL}),
    "registration.view_own": frozenset({Role.PERSON}),
    "judging.score": frozenset({Role.EXPERT}),
    "results.unlock": frozenset({Role.OFFICIAL}),
    "award.manage": frozenset({Role.OFFICIAL}),
    "record.view": frozenset(Role),
    "award.approve": frozenset({Role.OFFICIAL}),
    "training_base.view": frozenset(Role),
    "training_base.designate": frozenset({Role.OFFICIAL}),
    "training_base.manage": frozenset({Role.OFFICIAL}) | STAFF_ROLES,
    "training_session.schedule": frozenset({Role.OFFICIAL, Role.COACH}) | STAFF_ROLES,
    "training_session.log": frozenset({Role.COACH, Role.OFFICIAL}) | STAFF_ROLES,
    "reminder.outbox": frozenset({Role.OFFICIAL}),
    "apprenticeship.view": frozenset(Role),
    "apprenticeship.enroll": frozenset({Role.ENTERPRISE_HR}),
    "apprenticeship.review": frozenset({Role.OFFICIAL}),
    "apprenticeship.train": frozenset({Role.COLLEGE_STAFF, Role.OFFICIAL}),
    "subsidy.view": frozenset({Role.OFFICIAL, Role.ENTERPRISE_HR}),
    "subsidy.claim": frozenset({Role.ENTERPRISE_HR}),
    "subsidy.review": frozenset({Role.OFFICIAL}),
    "mentor_hours.view": frozenset(Role),
    "mentor_hours.log": frozenset({Role.MENTOR}),
    "mentor_hours.approve": frozenset({Role.ENTERPRISE_HR}),
    "mentor_hours.risks": frozenset({Role.ENTERPRISE_HR, Role.OFFICIAL}),
    # Certificates and prize-money accounts (rules in app/auth/certificates.py).
    "certificate.issue": frozenset({Role.ORGANIZER, Role.OFFICIAL}),
    "certificate.issue_apprentice": frozenset({Role.OFFICIAL, Role.COLLEGE_STAFF}),
    "payee_account.edit": frozenset({Role.PERSON}) | STAFF_ROLES,
    "payment.export": frozenset({Role.FINANCE}),
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
        return can_touch_organisation(user, obj)
    if isinstance(obj, Person):
        if action == "record.view" and user.person_id == obj.id:
            return True  # everyone sees their own record
        return _can_touch_person(user, obj)
    if isinstance(obj, User):
        return can_touch_organisation(user, obj.organisation)
    if isinstance(obj, PolicyValue):
        return is_municipal_official(user) or (
            obj.district is not None and obj.district == official_district(user)
        )
    for klass in type(obj).__mro__:
        rule = _OBJECT_RULES.get(klass)
        if rule is not None:
            return rule(user, action, obj)
    return False


def require(user: User, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        deny()


def deny() -> NoReturn:
    """Refuse the request (HTTP 403): for services whose rule is not one of the actions above."""
    raise Forbidden()


#: An area's rule for its own objects: (user, action, obj) -> allowed.
ObjectRule = Callable[[User, str, Any], bool]
_OBJECT_RULES: dict[type, ObjectRule] = {}


def register_object_rule(model: type, rule: ObjectRule) -> None:
    """Let ``can(user, action, obj)`` decide on an area's objects: the area registers its models' rules (the rules
    themselves live in ``app/auth/<area>.py``), so this module imports no area."""
    _OBJECT_RULES[model] = rule


def can_touch_organisation(user: User, org: Organisation) -> bool:
    if is_municipal_official(user):
        return True
    district = official_district(user)
    if district is not None:
        return org.district == district and org.kind is not OrgKind.MUNICIPAL_BUREAU
    return False


def can_touch_organisation_as_unit(user: User, unit_id: int, unit_district: District | None) -> bool:
    if is_municipal_official(user):
        return True
    district = official_district(user)
    if district is not None:
        return unit_district == district
    return unit_id == user.organisation_id


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
