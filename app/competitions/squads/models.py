"""Training squads (集训队) selected from results, and their stage assessments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.competitions.events.models import Event
from app.core.enums import LabelledEnum
from app.core.models import Organisation, Person
from app.core.types import UTCDateTime, enum_type, utcnow
from app.extensions import db

# ---------------------------------------------------------------- squads and stage assessments

class SquadMemberStatus(LabelledEnum):
    ACTIVE = "active"
    LEFT = "left"
    SELECTED = "selected"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"active": _l("在队"), "left": _l("已离队"), "selected": _l("最终入选")}


class Squad(db.Model):
    """A squad (梯队/集训队) selected from an event's results, narrowed by stage assessments."""

    __tablename__ = "squads"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    tier: Mapped[str] = mapped_column(sa.String(50), default="")
    source_event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    #: The upper event the final competitor(s) are registered for.
    target_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"), index=True)
    #: How many finally go on (one competitor, or a team).
    final_size: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source_event: Mapped[Event] = relationship(foreign_keys=[source_event_id], lazy="joined", innerjoin=True)
    target_event: Mapped[Event | None] = relationship(foreign_keys=[target_event_id])
    members: Mapped[list[SquadMember]] = relationship(back_populates="squad", order_by="SquadMember.id")
    stages: Mapped[list[SquadStage]] = relationship(back_populates="squad", order_by="SquadStage.position")

    __table_args__ = (sa.CheckConstraint("final_size >= 1", name="final_size_positive"),)


class SquadMember(db.Model):
    __tablename__ = "squad_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    squad_id: Mapped[int] = mapped_column(sa.ForeignKey("squads.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    #: Rank in the source event's results when promoted.
    source_rank: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[SquadMemberStatus] = mapped_column(enum_type(SquadMemberStatus),
                                                      default=lambda: SquadMemberStatus.ACTIVE)
    left_stage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("squad_stages.id"))
    left_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    squad: Mapped[Squad] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.UniqueConstraint("squad_id", "person_id", name="uq_squad_members_squad_person"),)


class SquadStage(db.Model):
    """A stage assessment (阶段考核, e.g. 十进五): each active member is scored, then some continue."""

    __tablename__ = "squad_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    squad_id: Mapped[int] = mapped_column(sa.ForeignKey("squads.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    held_on: Mapped[date] = mapped_column(sa.Date)
    #: How many continue after this stage.
    advance_count: Mapped[int] = mapped_column(sa.Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    squad: Mapped[Squad] = relationship(back_populates="stages")
    scores: Mapped[list[StageScore]] = relationship(back_populates="stage", cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("squad_id", "position", name="uq_squad_stages_squad_position"),
                      sa.CheckConstraint("advance_count >= 1", name="advance_positive"))


class StageScore(db.Model):
    __tablename__ = "stage_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("squad_stages.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("squad_members.id", ondelete="CASCADE"), index=True)
    score: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    continues: Mapped[bool | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(300), default="")

    stage: Mapped[SquadStage] = relationship(back_populates="scores")
    member: Mapped[SquadMember] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.UniqueConstraint("stage_id", "member_id", name="uq_stage_scores_stage_member"),
                      sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"))
