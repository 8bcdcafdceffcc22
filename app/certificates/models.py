"""Issued certificates: 获奖证书 (one per approved award line of a person) and 学徒培训合格证明 (one per apprentice
who passed). Each row keeps what the certificate says as issued, so the PDF and the public verification page
never change after the fact; a correction revokes the row and issues a new one with a new code."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.competitions.events.models import CompetitionLevel
from app.competitions.judging.models import MedalKind
from app.core.enums import LabelledEnum, SkillLevel
from app.core.types import UTCDateTime, enum_type, utcnow
from app.extensions import db


class CertificateKind(LabelledEnum):
    AWARD = "award"
    APPRENTICESHIP = "apprenticeship"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"award": _l("获奖证书"), "apprenticeship": _l("学徒培训合格证明")}


class IssuedCertificate(db.Model):
    __tablename__ = "issued_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_type(CertificateKind, 16))
    #: The printed certificate number, e.g. HJ2026000123 (award) or XT2026000045 (apprenticeship).
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    #: Keyed hash (HMAC-SHA256) of the verification code: the public look-up never reads the code itself.
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Fernet token of the code, to print it (and its QR code) again on a re-download.
    code_encrypted: Mapped[str] = mapped_column(sa.Text)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    award_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award_lines.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollments.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"))
    # What the certificate says, as issued.
    holder_name: Mapped[str] = mapped_column(sa.String(100))
    team_name: Mapped[str] = mapped_column(sa.String(200), default="")
    competition_name: Mapped[str] = mapped_column(sa.String(200), default="")
    event_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: CompetitionLevel value (award) — translated when shown.
    competition_level: Mapped[str] = mapped_column(sa.String(20), default="")
    #: MedalKind value, or "" when the award is for a rank only.
    medal: Mapped[str] = mapped_column(sa.String(20), default="")
    rank: Mapped[int | None] = mapped_column(sa.Integer)
    honour_title: Mapped[str] = mapped_column(sa.String(100), default="")
    occupation_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: SkillLevel value (apprenticeship: the level trained for).
    skill_level: Mapped[str] = mapped_column(sa.String(20), default="")
    enterprise_name: Mapped[str] = mapped_column(sa.String(100), default="")
    institution_name: Mapped[str] = mapped_column(sa.String(100), default="")
    enterprise_mentor: Mapped[str] = mapped_column(sa.String(100), default="")
    institution_mentor: Mapped[str] = mapped_column(sa.String(100), default="")
    period_from: Mapped[date | None] = mapped_column(sa.Date)
    period_to: Mapped[date | None] = mapped_column(sa.Date)
    issuer: Mapped[str] = mapped_column(sa.String(100))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    #: The certificate issued in this one's place.
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("issued_certificates.id"))

    __table_args__ = (
        # An event's certificates in print order.
        sa.Index("ix_issued_certificates_event_id_id", "event_id", "id"),
        # At most one certificate in force per award line and per enrollment.
        sa.Index("uq_issued_certificates_current_line", "award_line_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL AND award_line_id IS NOT NULL"),
                 postgresql_where=sa.text("revoked_at IS NULL AND award_line_id IS NOT NULL")),
        sa.Index("uq_issued_certificates_current_enrollment", "enrollment_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL AND enrollment_id IS NOT NULL"),
                 postgresql_where=sa.text("revoked_at IS NULL AND enrollment_id IS NOT NULL")),
        sa.CheckConstraint("(award_line_id IS NULL) <> (enrollment_id IS NULL)", name="one_source"),
    )

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def medal_label(self) -> str:
        return MedalKind(self.medal).label if self.medal else ""

    @property
    def level_label(self) -> str:
        return CompetitionLevel(self.competition_level).label if self.competition_level else ""

    @property
    def skill_level_label(self) -> str:
        return SkillLevel(self.skill_level).label if self.skill_level else ""
