"""Who may issue, revoke and download certificates, enter a prize-money account and export the payment file.

- The organiser of a competition (its organisers and officials; municipal officials for all) issues, prints and
  revokes the certificates of its events.
- A district official (municipal: all) or the training institution's staff issue an apprentice's 合格证明.
- The holder downloads their own; whoever may see the person's skills record sees the list.
- A winner enters their own account; the HR (or college staff) of their employer enters it for them; a unit's
  staff enter the unit's account.
- Finance (财务) staff of a bureau export payment files with full account numbers: the municipal bureau's every
  batch, a district bureau's the batches its own staff made.
"""

from __future__ import annotations

from typing import Any

from app.auth.competitions import can_manage_competition
from app.auth.permissions import STAFF_ROLES, can, deny, is_municipal_official, official_district
from app.core.enums import OrgKind, Role
from app.core.models import User


def may_issue_for_event(user: User, event: Any) -> bool:
    return can(user, "certificate.issue") and can_manage_competition(user, event.competition)


def may_issue_for_enrollment(user: User, enrollment: Any) -> bool:
    if not can(user, "certificate.issue_apprentice"):
        return False
    if is_municipal_official(user) or (official_district(user) is not None
                                       and official_district(user) == enrollment.district):
        return True
    return user.has_role(Role.COLLEGE_STAFF) and enrollment.institution_id == user.organisation_id


def may_download(user: User, certificate: Any, may_view_record: bool) -> bool:
    """The holder, and whoever may see the holder's skills record."""
    return (user.person_id is not None and user.person_id == certificate.person_id) or may_view_record


def may_edit_person_account(user: User, person: Any) -> bool:
    if not can(user, "payee_account.edit"):
        return False
    if user.person_id is not None and user.person_id == person.id:
        return True
    return bool(user.roles & STAFF_ROLES) and person.employer_id is not None \
        and person.employer_id == user.organisation_id


def may_edit_unit_account(user: User, organisation: Any) -> bool:
    return can(user, "payee_account.edit") and bool(user.roles & STAFF_ROLES) \
        and organisation.id == user.organisation_id


def require_finance(user: User) -> None:
    """Finance staff of a bureau, nobody else (officials who make batches see masked numbers only)."""
    if not (can(user, "payment.export") and user.organisation.kind.is_bureau):
        deny()


def finance_sees_every_batch(user: User) -> bool:
    return user.organisation.kind is OrgKind.MUNICIPAL_BUREAU
