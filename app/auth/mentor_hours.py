"""Who may see and do what with a mentor's hours: the mentor logs, the apprentice confirms, the enterprise's HR
approves, officials of the district (municipal: all) supervise."""

from __future__ import annotations

from typing import Any

from app.auth.permissions import is_municipal_official, official_district
from app.core.enums import District, Role
from app.core.models import User


def is_mentor_of(actor: User, a: Any) -> bool:
    return actor.has_role(Role.MENTOR) and actor.person_id is not None and a.mentor_id == actor.person_id


def is_apprentice_of(actor: User, a: Any) -> bool:
    return actor.person_id is not None and a.enrollment.person_id == actor.person_id


def is_hr_of(actor: User, a: Any) -> bool:
    return actor.has_role(Role.ENTERPRISE_HR) and a.enrollment.enterprise_id == actor.organisation_id


def is_official_over(actor: User, district: District) -> bool:
    return is_municipal_official(actor) or (official_district(actor) == district)


def can_view(actor: User, a: Any) -> bool:
    return (is_mentor_of(actor, a) or is_apprentice_of(actor, a) or is_hr_of(actor, a)
            or is_official_over(actor, a.enrollment.district))
