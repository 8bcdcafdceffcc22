"""Hour entries (one mentor, one apprentice, one day), month sheets (submission → confirmation → approval) and the
enterprises' effective-dated allowance rules."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.apprenticeships.models import Enrollment, MentorAssignment, PlanModule
from app.core.enums import District, LabelledEnum
from app.core.models import Organisation, Person, User
from app.core.types import MONEY, UTCDateTime, enum_type, utcnow
from app.extensions import db


class MonthStatus(LabelledEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    DISPUTED = "disputed"
    CONFIRMED = "confirmed"
    APPROVED = "approved"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"open": _l("填报中"), "submitted": _l("待学徒确认"), "disputed": _l("学徒有异议"),
                "confirmed": _l("待企业审批"), "approved": _l("已审批（锁定）")}


class AllowanceKind(LabelledEnum):
    PER_HOUR = "per_hour"
    PER_APPRENTICE_MONTH = "per_apprentice_month"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"per_hour": _l("按学时"), "per_apprentice_month": _l("按带徒人月")}


class HourEntry(db.Model):
    """带徒学时: one mentor with one apprentice on one day."""

    __tablename__ = "mentor_hour_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("mentor_assignments.id", ondelete="CASCADE"))
    #: Copied from the assignment and its enrollment so risk queries group without joins.
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    district: Mapped[District] = mapped_column(enum_type(District))
    worked_on: Mapped[date] = mapped_column(sa.Date)
    #: The first day of ``worked_on``'s month.
    month: Mapped[date] = mapped_column(sa.Date)
    starts_at: Mapped[time | None] = mapped_column(sa.Time)
    ends_at: Mapped[time | None] = mapped_column(sa.Time)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2))
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_modules.id", ondelete="SET NULL"))
    content: Mapped[str] = mapped_column(sa.String(200))
    place: Mapped[str] = mapped_column(sa.String(100), default="")
    #: The apprentice's objection to this entry (cleared when the mentor corrects it).
    dispute: Mapped[str] = mapped_column(sa.String(300), default="")
    logged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: The Shanghai date the entry was first logged (back-filling and month-end bursts compare it with worked_on).
    logged_on: Mapped[date] = mapped_column(sa.Date)
    #: ``logged_on - worked_on`` in days (kept so back-filling is one comparison in any database).
    lag_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[MentorAssignment] = relationship()
    enrollment: Mapped[Enrollment] = relationship()
    module: Mapped[PlanModule | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_range"),
        # Risk prompts of a district-month; the mentor's month page; a mentor's days (overlaps, daily totals).
        sa.Index("ix_mentor_hour_entries_district_month", "district", "month"),
        sa.Index("ix_mentor_hour_entries_assignment_month", "assignment_id", "month", "worked_on"),
        sa.Index("ix_mentor_hour_entries_mentor_worked_on", "mentor_id", "worked_on"),
        sa.Index("ix_mentor_hour_entries_enterprise_month", "enterprise_id", "month"),
        # Progress against the training plan (both mentors' hours per module of one enrollment).
        sa.Index("ix_mentor_hour_entries_enrollment_module", "enrollment_id", "module_id"),
    )


class HourMonth(db.Model):
    """One mentor's month with one apprentice: submitted, confirmed by the apprentice, approved (locked) by HR."""

    __tablename__ = "mentor_hour_months"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("mentor_assignments.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    district: Mapped[District] = mapped_column(enum_type(District))
    month: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[MonthStatus] = mapped_column(enum_type(MonthStatus), default=MonthStatus.OPEN)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: The allowance computed at approval, and the rule it was computed by.
    allowance: Mapped[Decimal | None] = mapped_column(MONEY)
    #: The per apprentice-month part of it (refunded if the mentorship ends early and the rule says so).
    flat: Mapped[Decimal | None] = mapped_column(MONEY)
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mentor_allowance_rules.id"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    assignment: Mapped[MentorAssignment] = relationship()
    enrollment: Mapped[Enrollment] = relationship()
    mentor: Mapped[Person] = relationship()
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    rule: Mapped[AllowanceRule | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "month", name="uq_mentor_hour_months_assignment_month"),
        sa.Index("ix_mentor_hour_months_district_month", "district", "month"),
        sa.Index("ix_mentor_hour_months_enterprise_month", "enterprise_id", "month"),
        sa.Index("ix_mentor_hour_months_mentor_month", "mentor_id", "month"),
        # An apprentice's months (plan progress counts approved hours; the apprentice's own list).
        sa.Index("ix_mentor_hour_months_enrollment_month", "enrollment_id", "month"),
        # The officials' mentor-hours tab sums the approved months of a year (city or district) from the index
        # alone (PostgreSQL: index-only scan; the sums need no table rows).
        sa.Index("ix_mentor_hour_months_approved", "month", "district", postgresql_include=["hours", "allowance"],
                 postgresql_where=sa.text("status = 'approved'"), sqlite_where=sa.text("status = 'approved'")),
    )

    @property
    def locked(self) -> bool:
        return self.status is MonthStatus.APPROVED


class AllowanceRule(db.Model):
    """An enterprise's 带徒津贴 rule from ``effective_from`` on (the newest on or before a date is in force)."""

    __tablename__ = "mentor_allowance_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    effective_from: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[AllowanceKind] = mapped_column(enum_type(AllowanceKind))
    #: 元 per approved hour, or 元 per apprentice-month.
    amount: Mapped[Decimal] = mapped_column(MONEY)
    #: At most this much per mentor per month (NULL: no cap).
    monthly_cap: Mapped[Decimal | None] = mapped_column(MONEY)
    #: Paid once when the apprentice passes the assessment (NULL: none).
    completion_bonus: Mapped[Decimal | None] = mapped_column(MONEY)
    #: Per apprentice-month amounts are refunded when the mentorship ends early (withdrawal).
    refund_on_early_end: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("enterprise_id", "effective_from", name="uq_mentor_allowance_rules_enterprise_from"),
        sa.CheckConstraint("amount >= 0", name="amount_positive"),
    )
