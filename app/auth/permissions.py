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
        if action == "record.view" and user.person_id == obj.id:
            return True  # everyone sees their own record
        return _can_touch_person(user, obj)
    if isinstance(obj, User):
        return _can_touch_organisation(user, obj.organisation)
    from app.competitions.models import Competition, Event, Registration

    if isinstance(obj, Event):
        obj = obj.competition
    if isinstance(obj, Competition):
        return _can_manage_competition(user, obj) if action != "competition.view" else True
    if isinstance(obj, Registration):
        if action == "registration.review":
            return _can_manage_competition(user, obj.event.competition)
        return _can_touch_organisation_as_unit(user, obj.unit_id, obj.unit.district)
    from app.apprenticeships.models import ApprenticeClass, Enrollment

    if isinstance(obj, (Enrollment, ApprenticeClass)):
        return _can_touch_apprenticeship(user, action, obj)
    if isinstance(obj, PolicyValue):
        return is_municipal_official(user) or (
            obj.district is not None and obj.district == official_district(user)
        )
    from app.training_bases.models import TrainingBase

    if isinstance(obj, TrainingBase):
        return _can_on_training_base(user, action, obj)
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


def _can_manage_competition(user: User, competition: Any) -> bool:
    """Organizers (and officials) of the organising unit manage it; municipal officials manage all."""
    return is_municipal_official(user) or competition.organiser_id == user.organisation_id


def _can_touch_organisation_as_unit(user: User, unit_id: int, unit_district: District | None) -> bool:
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


def user_scope(user: User) -> sa.ColumnElement[bool]:
    """The user accounts this user may manage (those of organisations in scope)."""
    return User.organisation_id.in_(sa.select(Organisation.id).where(organisation_scope(user)))


def is_base_manager(user: User, base: Any) -> bool:
    """College staff / enterprise HR of the base's host organisation manage it; municipal officials oversee all."""
    if is_municipal_official(user):
        return True
    return bool(user.roles & STAFF_ROLES) and base.organisation_id == user.organisation_id


def is_base_coach(user: User, base: Any) -> bool:
    """A coach account linked to a person who is one of the base's coaches."""
    if not user.has_role(Role.COACH) or user.person_id is None:
        return False
    from app.extensions import db
    from app.training_bases.models import BaseMember, MemberRole

    return db.session.scalar(sa.select(sa.func.count()).select_from(BaseMember).where(
        BaseMember.base_id == base.id, BaseMember.person_id == user.person_id,
        BaseMember.role == MemberRole.COACH)) > 0


def _can_on_training_base(user: User, action: str, base: Any) -> bool:
    if action == "training_base.view":
        return True
    if action == "training_base.designate":
        return _can_touch_organisation(user, base.organisation)
    if action == "training_base.manage":
        return is_base_manager(user, base)
    if action in ("training_session.schedule", "training_session.log"):
        return is_base_manager(user, base) or is_base_coach(user, base)
    return False

def _can_touch_apprenticeship(user: User, action: str, obj: Any) -> bool:
    """Officials act on their district's (municipal: all); an enterprise on its own; an institution's staff on
    those it trains; mentors and the apprentice only see theirs."""
    if is_municipal_official(user):
        return True
    district = official_district(user)
    if district is not None and obj.district == district:
        return True
    if action in ("apprenticeship.enroll", "subsidy.claim", "subsidy.view"):
        return obj.enterprise_id == user.organisation_id
    if action == "apprenticeship.train":
        return obj.institution_id == user.organisation_id
    if action != "apprenticeship.view":
        return False
    if user.roles & STAFF_ROLES and user.organisation_id in (obj.enterprise_id, obj.institution_id):
        return True
    if user.person_id is not None and getattr(obj, "person_id", None) == user.person_id:
        return True
    if user.has_role(Role.MENTOR) and user.person_id is not None:
        return any(m.mentor_id == user.person_id for m in getattr(obj, "mentors", []))
    return False


def enrollment_scope(user: User) -> sa.ColumnElement[bool]:
    """The enrollments this user may see, as a WHERE clause: a district's, an enterprise's, an institution's,
    a mentor's apprentices, an apprentice's own; municipal officials see all."""
    from app.apprenticeships.models import Enrollment, MentorAssignment

    if is_municipal_official(user):
        return sa.true()
    clauses = []
    district = official_district(user)
    if district is not None:
        clauses.append(Enrollment.district == district)
    if user.has_role(Role.ENTERPRISE_HR):
        clauses.append(Enrollment.enterprise_id == user.organisation_id)
    if user.has_role(Role.COLLEGE_STAFF):
        clauses.append(Enrollment.institution_id == user.organisation_id)
    if user.person_id is not None:
        clauses.append(Enrollment.person_id == user.person_id)
        if user.has_role(Role.MENTOR):
            clauses.append(Enrollment.id.in_(sa.select(MentorAssignment.enrollment_id)
                                             .where(MentorAssignment.mentor_id == user.person_id)))
    return sa.or_(*clauses) if clauses else sa.false()
