"""Use cases of certificates: issue an event's 获奖证书 and an apprentice's 合格证明, revoke (with a reason, audited)
and re-issue under a new code, verify a code in public, list a person's certificates.

Revocation also follows the other areas' events (``app.core.signals``): an award line withdrawn, or results
locked again with a changed placing after an unlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.apprenticeships.enums import MentorKind
from app.apprenticeships.models import Enrollment
from app.auth.certificates import may_download, may_issue_for_enrollment, may_issue_for_event
from app.auth.permissions import can, deny
from app.certificates import rules
from app.certificates.models import CertificateKind, IssuedCertificate
from app.competitions.awards.models import AwardLine, AwardLineStatus, RecipientKind
from app.competitions.events.models import Event
from app.competitions.judging.models import Result
from app.core import audit
from app.core.crypto import cipher
from app.core.models import Person, User
from app.core.services import raise_not_found
from app.errors import DomainError
from app.extensions import db

HASH_KIND = "certificate"
PREFIX = {CertificateKind.AWARD: "HJ", CertificateKind.APPRENTICESHIP: "XT"}
CERTIFIED_STATUSES = (AwardLineStatus.APPROVED, AwardLineStatus.PAID)


def code_hash(code: str) -> str:
    return cipher().lookup_hash(HASH_KIND, code)


def code_of(certificate: IssuedCertificate) -> str:
    return cipher().decrypt(certificate.code_encrypted)


def _new(kind: CertificateKind, actor: User | None, issued_on: date, now: datetime, **fields: Any
         ) -> IssuedCertificate:
    code = rules.new_code()
    certificate = IssuedCertificate(kind=kind, code_hash=code_hash(code), code_encrypted=cipher().encrypt(code),
                                    issued_on=issued_on, issued_at=now, issued_by_id=actor.id if actor else None,
                                    number=f"tmp-{code}", **fields)
    db.session.add(certificate)
    return certificate


def _number(certificates: list[IssuedCertificate]) -> None:
    """Numbers follow the row ids (they are not secret: the code is), so they are set after the insert."""
    db.session.flush()
    for c in certificates:
        c.number = f"{PREFIX[c.kind]}{c.issued_on.year}{c.id:06d}"


# ---------------------------------------------------------------- award certificates

def _require_event(actor: User, event: Event) -> None:
    if not may_issue_for_event(actor, event):
        deny()


def _award_fields(line: AwardLine, result: Result) -> dict[str, Any]:
    event = line.event
    competition = event.competition
    contestant = result.contestant
    return dict(person_id=line.person_id, award_line_id=line.id, event_id=event.id,
                holder_name=line.person.name if line.person else "",
                team_name=contestant.name if contestant.team_id else "",
                competition_name=competition.name, event_name=event.name, competition_level=competition.level.value,
                medal=result.medal.value if result.medal else "", rank=result.rank, honour_title=line.honour_title,
                occupation_name=event.occupation.name if event.occupation else "", issuer=competition.organiser.name)


def _certifiable_lines(event_id: int) -> list[AwardLine]:
    current = sa.select(IssuedCertificate.award_line_id).where(IssuedCertificate.award_line_id.is_not(None),
                                                               IssuedCertificate.revoked_at.is_(None))
    return list(db.session.scalars(
        sa.select(AwardLine).where(AwardLine.event_id == event_id,
                                   AwardLine.recipient_kind == RecipientKind.COMPETITOR,
                                   AwardLine.person_id.is_not(None), AwardLine.status.in_(CERTIFIED_STATUSES),
                                   AwardLine.id.not_in(current))
        .order_by(AwardLine.result_id, AwardLine.id)
        .options(selectinload(AwardLine.person), selectinload(AwardLine.event))))


def _results(lines: list[AwardLine]) -> dict[int, Result]:
    return {r.id: r for r in db.session.scalars(sa.select(Result).where(
        Result.id.in_({ln.result_id for ln in lines})))}


def pending_count(event: Event) -> int:
    return len(_certifiable_lines(event.id))


def issue_for_event(actor: User, event: Event, today: date, now: datetime) -> int:
    """Issue a certificate for every approved award line of a person in the event that has none in force
    (a team's members each get one naming the team)."""
    _require_event(actor, event)
    lines = _certifiable_lines(event.id)
    if not lines:
        raise DomainError(_("没有需要签发的证书：奖励批准后才能签发，已签发的不会重复签发"))
    results = _results(lines)
    issued = [_new(CertificateKind.AWARD, actor, today, now, **_award_fields(ln, results[ln.result_id]))
              for ln in lines]
    _number(issued)
    audit.record(actor, "issue_certificates", event, after={"certificates": len(issued)}, summary=event.name)
    db.session.commit()
    return len(issued)


def event_certificates(actor: User, event: Event, include_revoked: bool = False) -> list[IssuedCertificate]:
    _require_event(actor, event)
    stmt = sa.select(IssuedCertificate).where(IssuedCertificate.event_id == event.id)
    if not include_revoked:
        stmt = stmt.where(IssuedCertificate.revoked_at.is_(None))
    return list(db.session.scalars(stmt.order_by(IssuedCertificate.id)))


# ---------------------------------------------------------------- apprenticeship certificates

def _enrollment(enrollment_id: int) -> Enrollment:
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.id == enrollment_id).options(
        selectinload(Enrollment.mentors), selectinload(Enrollment.person), selectinload(Enrollment.enterprise),
        selectinload(Enrollment.institution), selectinload(Enrollment.occupation)))
    if enrollment is None:
        raise_not_found()
    return enrollment


def enrollment_certificate(enrollment_id: int) -> IssuedCertificate | None:
    return db.session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.enrollment_id == enrollment_id,
                                                                IssuedCertificate.revoked_at.is_(None)))


def _apprenticeship_fields(enrollment: Enrollment) -> dict[str, Any]:
    def mentor(kind: MentorKind) -> str:
        assignment = enrollment.mentor(kind)
        return assignment.mentor.name if assignment else ""

    return dict(person_id=enrollment.person_id, enrollment_id=enrollment.id, holder_name=enrollment.person.name,
                occupation_name=enrollment.occupation.name, skill_level=enrollment.target_level.value,
                enterprise_name=enrollment.enterprise.name, institution_name=enrollment.institution.name,
                enterprise_mentor=mentor(MentorKind.ENTERPRISE), institution_mentor=mentor(MentorKind.INSTITUTION),
                period_from=enrollment.starts_on, period_to=enrollment.ends_on,
                issuer=enrollment.institution.name)


def issue_for_enrollment(actor: User, enrollment_id: int, today: date, now: datetime) -> IssuedCertificate:
    enrollment = _enrollment(enrollment_id)
    if not may_issue_for_enrollment(actor, enrollment):
        deny()
    if not enrollment.assessment_passed:
        raise DomainError(_("学徒通过职业技能等级认定后才能签发合格证明"))
    if enrollment_certificate(enrollment.id) is not None:
        raise DomainError(_("该学徒的合格证明已签发"))
    certificate = _new(CertificateKind.APPRENTICESHIP, actor, today, now, **_apprenticeship_fields(enrollment))
    _number([certificate])
    audit.record(actor, "issue_certificate", certificate, after={"number": certificate.number},
                 summary=f"{enrollment.person.name} · {certificate.number}")
    db.session.commit()
    return certificate


# ---------------------------------------------------------------- revoking and re-issuing

def get(certificate_id: int) -> IssuedCertificate:
    certificate = db.session.get(IssuedCertificate, certificate_id)
    if certificate is None:
        raise_not_found()
    return certificate


def _require_manage(actor: User, certificate: IssuedCertificate) -> None:
    if certificate.kind is CertificateKind.AWARD:
        _require_event(actor, db.session.get_one(Event, certificate.event_id))
    elif not may_issue_for_enrollment(actor, _enrollment(certificate.enrollment_id or 0)):
        deny()


def _revoke(actor: User | None, certificate: IssuedCertificate, reason: str, now: datetime) -> None:
    certificate.revoked_at, certificate.revoked_by_id = now, actor.id if actor else None
    certificate.revoke_reason = reason[:300]
    audit.record(actor, "revoke_certificate", certificate, before={"status": "valid"},
                 after={"status": "revoked", "reason": certificate.revoke_reason},
                 summary=f"{certificate.holder_name} · {certificate.number}")


def revoke(actor: User, certificate_id: int, reason: str, now: datetime) -> IssuedCertificate:
    certificate = get(certificate_id)
    _require_manage(actor, certificate)
    if certificate.revoked_at is not None:
        raise DomainError(_("该证书已作废"), "reason")
    if not reason.strip():
        raise DomainError(_("请填写作废原因"), "reason")
    _revoke(actor, certificate, reason.strip(), now)
    db.session.commit()
    return certificate


def reissue(actor: User, certificate_id: int, today: date, now: datetime) -> IssuedCertificate:
    """A new certificate (new number, new code) from the source as it stands now, in place of a revoked one."""
    old = get(certificate_id)
    _require_manage(actor, old)
    if old.revoked_at is None:
        raise DomainError(_("证书仍然有效：先作废再重新签发"))
    if old.replaced_by_id is not None:
        raise DomainError(_("该证书已重新签发"))
    if old.award_line_id is not None:
        line = db.session.get(AwardLine, old.award_line_id)
        if line is None or line.status not in CERTIFIED_STATUSES:
            raise DomainError(_("该奖励已撤销，不能重新签发"))
        if db.session.scalar(sa.select(IssuedCertificate.id).where(
                IssuedCertificate.award_line_id == line.id, IssuedCertificate.revoked_at.is_(None))):
            raise DomainError(_("该奖励已有有效证书"))
        fields = _award_fields(line, _results([line])[line.result_id])
        kind = CertificateKind.AWARD
    else:
        enrollment = _enrollment(old.enrollment_id or 0)
        if not enrollment.assessment_passed or enrollment_certificate(enrollment.id) is not None:
            raise DomainError(_("该学徒不符合重新签发的条件"))
        fields, kind = _apprenticeship_fields(enrollment), CertificateKind.APPRENTICESHIP
    new = _new(kind, actor, today, now, **fields)
    _number([new])
    old.replaced_by_id = new.id
    audit.record(actor, "reissue_certificate", new, before={"number": old.number}, after={"number": new.number},
                 summary=f"{new.holder_name} · {old.number} → {new.number}")
    db.session.commit()
    return new


def revoke_for_lines(line_ids: list[int], reason: str, actor: User | None, now: datetime) -> int:
    """Revoke the certificates in force of these award lines (the caller commits)."""
    if not line_ids:
        return 0
    certificates = list(db.session.scalars(sa.select(IssuedCertificate).where(
        IssuedCertificate.award_line_id.in_(line_ids), IssuedCertificate.revoked_at.is_(None))))
    for certificate in certificates:
        _revoke(actor, certificate, reason, now)
    return len(certificates)


# ---------------------------------------------------------------- public verification

@dataclass
class Verification:
    #: "valid", "revoked", "reissued" or "unknown"
    state: str
    certificate: IssuedCertificate | None

    @property
    def masked_name(self) -> str:
        return rules.mask_name(self.certificate.holder_name) if self.certificate else ""


def verify(text: str) -> Verification:
    """Look a code up. A wrong or malformed code costs the same work as a real one (one keyed hash, one indexed
    query) and is answered with the same page, so timing tells nothing about which codes exist."""
    code = rules.normalise_code(text)
    certificate = db.session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.code_hash == code_hash(code)))
    if certificate is None or not rules.looks_like_code(code):
        return Verification("unknown", None)
    if certificate.revoked_at is None:
        return Verification("valid", certificate)
    return Verification("reissued" if certificate.replaced_by_id else "revoked", certificate)


# ---------------------------------------------------------------- the holder's certificates

def person_certificates(person_id: int) -> list[IssuedCertificate]:
    return list(db.session.scalars(sa.select(IssuedCertificate).where(IssuedCertificate.person_id == person_id)
                                   .order_by(IssuedCertificate.issued_on.desc(), IssuedCertificate.id.desc())))


def for_download(actor: User, certificate_id: int) -> IssuedCertificate:
    certificate = get(certificate_id)
    person = db.session.get(Person, certificate.person_id)
    if not may_download(actor, certificate, can(actor, "record.view", person)):
        deny()
    if certificate.revoked_at is not None:
        raise DomainError(_("该证书已作废，不能下载"))
    return certificate
