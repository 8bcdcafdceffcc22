"""Registrations (报名) of entrants for an event, and the teams of team events."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.competitions.events.models import Event
from app.core.enums import LabelledEnum
from app.core.models import Organisation, Person, User
from app.core.types import UTCDateTime, enum_type, utcnow
from app.extensions import db


class RegistrationStatus(LabelledEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"submitted": _l("待审核"), "approved": _l("已通过"), "changes_requested": _l("需修改"),
                "rejected": _l("未通过"), "withdrawn": _l("已退出")}

    @property
    def holds_a_place(self) -> bool:
        """Counts against the unit's quota and blocks clashing events."""
        return self in (RegistrationStatus.SUBMITTED, RegistrationStatus.APPROVED, RegistrationStatus.CHANGES_REQUESTED)


ACTIVE_STATUSES = (RegistrationStatus.SUBMITTED, RegistrationStatus.APPROVED, RegistrationStatus.CHANGES_REQUESTED)


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(sa.String(100))

    __table_args__ = (sa.UniqueConstraint("event_id", "name", name="uq_teams_event_name"),
                      sa.Index("ix_teams_event_unit", "event_id", "unit_id"))


class Registration(db.Model):
    """A person entered for an event by a registering unit; at most one per (event, person)."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    #: The enterprise, college or district bureau that registered the entrant.
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    status: Mapped[RegistrationStatus] = mapped_column(enum_type(RegistrationStatus),
                                                      default=RegistrationStatus.SUBMITTED)
    #: The organiser's reason for a rejection or a request for changes.
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    person: Mapped[Person] = relationship()
    unit: Mapped[Organisation] = relationship()
    team: Mapped[Team | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.UniqueConstraint("event_id", "person_id", name="uq_registrations_event_person"),
        sa.Index("ix_registrations_event_unit_status", "event_id", "unit_id", "status"),
        sa.Index("ix_registrations_event_id_id", "event_id", "id"),
        sa.Index("ix_registrations_event_status_id", "event_id", "status", "id"),
    )
