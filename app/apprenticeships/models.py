"""企业新型学徒制: classes (班), enrollments with their two mentors, training-plan modules, documents and the
subsidy ledger.

Issue 9 (mentors' 带徒 hours) builds on ``MentorAssignment`` (one row per mentor and enrollment) and on
``PlanModule`` (planned hours, classroom or practical).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.apprenticeships.enums import (
    OPEN_STATUSES,
    DocumentKind,
    EnrollmentStatus,
    HireType,
    MentorKind,
    ModuleKind,
    SubsidyKind,
    SubsidyStatus,
)
from app.core.enums import District, SkillLevel
from app.core.models import Occupation, Organisation, Person, User
from app.core.types import MONEY, UTCDateTime, enum_type, utcnow
from app.extensions import db


class ApprenticeClass(db.Model):
    """A class (班): enrollments of one enterprise with one institution in one occupation, handled together."""

    __tablename__ = "apprentice_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    occupation_code: Mapped[str] = mapped_column(sa.ForeignKey("occupations.code"))
    target_level: Mapped[SkillLevel] = mapped_column(enum_type(SkillLevel))
    #: The enterprise's district (its bureau approves); copied so lists filter on an indexed column.
    district: Mapped[District] = mapped_column(enum_type(District), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise: Mapped[Organisation] = relationship(foreign_keys=[enterprise_id], lazy="joined", innerjoin=True)
    institution: Mapped[Organisation] = relationship(foreign_keys=[institution_id], lazy="joined", innerjoin=True)
    occupation: Mapped[Occupation] = relationship(lazy="joined", innerjoin=True)


class Enrollment(db.Model):
    """One apprentice's training: enterprise, institution, two mentors, occupation, target level, period."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("apprentice_classes.id", ondelete="SET NULL"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    #: The enterprise's district when enrolled: its bureau approves and sees the enrollment.
    district: Mapped[District] = mapped_column(enum_type(District))
    occupation_code: Mapped[str] = mapped_column(sa.ForeignKey("occupations.code"))
    #: The apprentice's level when enrolled; the target must be above it.
    level_at_start: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    target_level: Mapped[SkillLevel] = mapped_column(enum_type(SkillLevel))
    hire_type: Mapped[HireType] = mapped_column(enum_type(HireType))
    contract_starts_on: Mapped[date] = mapped_column(sa.Date)
    contract_ends_on: Mapped[date | None] = mapped_column(sa.Date)  # NULL: open-ended (无固定期限)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    #: Why the period exceeds the normal maximum (required then).
    extension_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[EnrollmentStatus] = mapped_column(enum_type(EnrollmentStatus), default=EnrollmentStatus.DRAFT)
    #: Reason of the last send-back or of the withdrawal.
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_on: Mapped[date | None] = mapped_column(sa.Date)
    #: 职业技能等级认定 result.
    assessed_on: Mapped[date | None] = mapped_column(sa.Date)
    assessment_passed: Mapped[bool | None] = mapped_column()
    certificate_number: Mapped[str] = mapped_column(sa.String(50), default="")
    certificate_level: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    enterprise: Mapped[Organisation] = relationship(foreign_keys=[enterprise_id])
    institution: Mapped[Organisation] = relationship(foreign_keys=[institution_id])
    occupation: Mapped[Occupation] = relationship()
    klass: Mapped[ApprenticeClass | None] = relationship()
    mentors: Mapped[list[MentorAssignment]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan", order_by="MentorAssignment.kind")
    modules: Mapped[list[PlanModule]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan", order_by="PlanModule.position")
    documents: Mapped[list[EnrollmentDocument]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan", order_by="EnrollmentDocument.id")

    __table_args__ = (
        sa.CheckConstraint("ends_on > starts_on", name="period_order"),
        # Lists: newest first within a district (officials), an enterprise, an institution or a class,
        # each optionally narrowed by status.
        sa.Index("ix_enrollments_district_status_id", "district", "status", "id"),
        sa.Index("ix_enrollments_district_id", "district", "id"),
        sa.Index("ix_enrollments_status_id", "status", "id"),
        sa.Index("ix_enrollments_enterprise_status_id", "enterprise_id", "status", "id"),
        sa.Index("ix_enrollments_enterprise_id_id", "enterprise_id", "id"),
        sa.Index("ix_enrollments_institution_id_id", "institution_id", "id"),
        sa.Index("ix_enrollments_class_id_id", "class_id", "id"),
        # The city's progress against the plan: approved enrollments by start date (a count over this index only).
        sa.Index("ix_enrollments_approved_starts_on", "starts_on",
                 sqlite_where=sa.text("approved_at IS NOT NULL"), postgresql_where=sa.text("approved_at IS NOT NULL")),
        # Supervision dashboards (issue 11): a district's approved enrollments by start date, completions by end.
        sa.Index("ix_enrollments_approved_district_starts_on", "district", "starts_on",
                 sqlite_where=sa.text("approved_at IS NOT NULL"), postgresql_where=sa.text("approved_at IS NOT NULL")),
        sa.Index("ix_enrollments_status_ends_on_district", "status", "ends_on", "district"),
        # A person is in at most one open enrollment at a time.
        sa.Index("uq_enrollments_open_person", "person_id", unique=True,
                 sqlite_where=sa.text("status IN ('draft','submitted','approved','in_training','assessed')"),
                 postgresql_where=sa.text("status IN ('draft','submitted','approved','in_training','assessed')")),
    )

    def mentor(self, kind: MentorKind) -> MentorAssignment | None:
        return next((m for m in self.mentors if m.kind is kind), None)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MentorAssignment(db.Model):
    """A mentor (a Person employed by the enterprise or the institution) of one enrollment (双导师)."""

    __tablename__ = "mentor_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    kind: Mapped[MentorKind] = mapped_column(enum_type(MentorKind))
    #: The mentor's employer when assigned (the enterprise or the institution).
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrollment: Mapped[Enrollment] = relationship(back_populates="mentors")
    mentor: Mapped[Person] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("enrollment_id", "kind", name="uq_mentor_assignments_enrollment_kind"),
        # A mentor's apprentices (the concurrency cap, the mentor's own list, issue 9's hours).
        sa.Index("ix_mentor_assignments_mentor_enrollment", "mentor_id", "enrollment_id"),
    )


class PlanModule(db.Model):
    """One module of an enrollment's training plan, with its planned hours."""

    __tablename__ = "plan_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[ModuleKind] = mapped_column(enum_type(ModuleKind))
    planned_hours: Mapped[int] = mapped_column(sa.Integer)

    enrollment: Mapped[Enrollment] = relationship(back_populates="modules")

    __table_args__ = (sa.CheckConstraint("planned_hours > 0 AND planned_hours <= 10000", name="hours_range"),)


class EnrollmentDocument(db.Model):
    """An uploaded file (PDF or image) kept under the upload folder, never in the database."""

    __tablename__ = "enrollment_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind))
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: The stored file's name inside the upload folder (random; several enrollments may share one file).
    stored_name: Mapped[str] = mapped_column(sa.String(80))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrollment: Mapped[Enrollment] = relationship(back_populates="documents")


class SubsidyLine(db.Model):
    """One line of the subsidy ledger: an advance or balance claimed for a training year, or a clawback."""

    __tablename__ = "subsidy_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"))
    #: Copied from the enrollment so the ledger adds up per enterprise, district and year without joins.
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    district: Mapped[District] = mapped_column(enum_type(District))
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("apprentice_classes.id", ondelete="SET NULL"))
    #: 1 for the first year of the training period, 2 for the second …
    training_year: Mapped[int] = mapped_column(sa.SmallInteger)
    #: The calendar year the line counts in (the year its training year began).
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    kind: Mapped[SubsidyKind] = mapped_column(enum_type(SubsidyKind))
    #: Positive for advances and balances; a clawback is negative.
    amount: Mapped[Decimal] = mapped_column(MONEY)
    #: The standard the amount was computed from (per year, before proration) and the months counted.
    standard: Mapped[Decimal] = mapped_column(MONEY)
    months: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[SubsidyStatus] = mapped_column(enum_type(SubsidyStatus), default=SubsidyStatus.CLAIMED)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    enrollment: Mapped[Enrollment] = relationship()
    enterprise: Mapped[Organisation] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    __table_args__ = (
        # One subsidy (one advance, one balance, one clawback) per apprentice per training year.
        sa.UniqueConstraint("enrollment_id", "training_year", "kind", name="uq_subsidy_lines_enrollment_year_kind"),
        sa.CheckConstraint("(kind = 'clawback' AND amount < 0) OR (kind <> 'clawback' AND amount > 0)",
                           name="amount_sign"),
        sa.CheckConstraint("training_year BETWEEN 1 AND 3", name="training_year_range"),
        sa.Index("ix_subsidy_lines_district_year", "district", "year", "id"),
        sa.Index("ix_subsidy_lines_enterprise_year", "enterprise_id", "year", "id"),
        sa.Index("ix_subsidy_lines_class_id", "class_id", "id"),
        # Supervision's claimed-vs-spent per district and year, read from the index alone.
        sa.Index("ix_subsidy_lines_year_district_totals", "year", "district", "kind", "status", "amount"),
    )
