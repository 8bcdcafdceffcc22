"""Marking schemes, experts, contestants, scores and results (评分与成绩)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import LabelledEnum
from app.core.models import Organisation, Person, User
from app.core.types import UTCDateTime, enum_type, utcnow
from app.extensions import db


class AspectKind(LabelledEnum):
    MEASUREMENT = "M"
    JUDGEMENT = "J"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"M": _l("测量"), "J": _l("评价")}


class MedalKind(LabelledEnum):
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    MERIT = "merit"
    MEDALLION = "medallion"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"gold": _l("金牌"), "silver": _l("银牌"), "bronze": _l("铜牌"), "merit": _l("优胜奖"),
                "medallion": _l("优胜奖（世赛 Medallion for Excellence）")}


# ---------------------------------------------------------------- marking, scores and results

class Criterion(db.Model):
    """A marking-scheme criterion (A, B, C…) of an event."""

    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(5))
    name: Mapped[str] = mapped_column(sa.String(200))

    aspects: Mapped[list[Aspect]] = relationship(back_populates="criterion", order_by="Aspect.position",
                                                 cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("event_id", "code", name="uq_criteria_event_code"),)


class Aspect(db.Model):
    """One marked aspect: measurement (a mark up to the maximum) or judgement (three experts score 0–3)."""

    __tablename__ = "aspects"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id", ondelete="CASCADE"), index=True)
    #: Order within the event's scheme (the order of the import file).
    position: Mapped[int] = mapped_column(sa.Integer)
    sub_code: Mapped[str] = mapped_column(sa.String(10))
    sub_name: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[AspectKind] = mapped_column(enum_type(AspectKind, 1))
    description: Mapped[str] = mapped_column(sa.String(500))
    max_mark: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    #: Measurement: how the mark is awarded (fully, partly per this rule, or not).
    rule: Mapped[str] = mapped_column(sa.String(300), default="")
    descriptor_0: Mapped[str] = mapped_column(sa.String(300), default="")
    descriptor_1: Mapped[str] = mapped_column(sa.String(300), default="")
    descriptor_2: Mapped[str] = mapped_column(sa.String(300), default="")
    descriptor_3: Mapped[str] = mapped_column(sa.String(300), default="")

    criterion: Mapped[Criterion] = relationship(back_populates="aspects", lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "position", name="uq_aspects_event_position"),
        sa.CheckConstraint("max_mark > 0 AND max_mark <= 100", name="max_mark_range"),
    )

    @property
    def descriptors(self) -> list[str]:
        return [self.descriptor_0, self.descriptor_1, self.descriptor_2, self.descriptor_3]


class EventExpert(db.Model):
    """An expert (judge) assigned to mark an event."""

    __tablename__ = "event_experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    is_chief: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.UniqueConstraint("event_id", "user_id", name="uq_event_experts_event_user"),)


class Contestant(db.Model):
    """What is marked: an approved individual entrant, or a team, with a start number (赛位号)."""

    __tablename__ = "contestants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    bib: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    #: Time used, for a "less time" tie-break.
    time_seconds: Mapped[int | None] = mapped_column(sa.Integer)

    unit: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    members: Mapped[list[ContestantMember]] = relationship(back_populates="contestant",
                                                           cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("event_id", "bib", name="uq_contestants_event_bib"),
        sa.CheckConstraint("time_seconds IS NULL OR time_seconds >= 0", name="time_not_negative"),
    )


class ContestantMember(db.Model):
    __tablename__ = "contestant_members"

    contestant_id: Mapped[int] = mapped_column(sa.ForeignKey("contestants.id", ondelete="CASCADE"),
                                               primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), primary_key=True, index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                 unique=True)

    contestant: Mapped[Contestant] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)


class Score(db.Model):
    """One expert's score of one aspect for one contestant (judgement 0–3, measurement the awarded mark)."""

    __tablename__ = "scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The contestant's event, repeated so that an event's scores are one index range (results in one scan).
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    contestant_id: Mapped[int] = mapped_column(sa.ForeignKey("contestants.id", ondelete="CASCADE"))
    aspect_id: Mapped[int] = mapped_column(sa.ForeignKey("aspects.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    value: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("contestant_id", "aspect_id", "expert_id", name="uq_scores_contestant_aspect_expert"),
        sa.CheckConstraint("value >= 0 AND value <= 100", name="value_range"),
        # Covering, in GROUP BY order: aggregating an event's scores reads this index alone.
        sa.Index("ix_scores_event_contestant_aspect", "event_id", "contestant_id", "aspect_id", "value"),
    )


class Result(db.Model):
    """A contestant's locked result: written when the scores are locked, removed when they are unlocked."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    contestant_id: Mapped[int] = mapped_column(sa.ForeignKey("contestants.id", ondelete="CASCADE"), unique=True)
    rank: Mapped[int] = mapped_column(sa.Integer)
    #: Exact total (ties are decided on it); shown rounded to 0.01.
    total: Mapped[Decimal] = mapped_column(sa.Numeric(10, 4))
    scale_score: Mapped[int | None] = mapped_column(sa.Integer)
    medal: Mapped[MedalKind | None] = mapped_column(enum_type(MedalKind))
    #: Per-criterion marks, {"A": "23.5000", ...}.
    breakdown: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    contestant: Mapped[Contestant] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.Index("ix_results_event_rank", "event_id", "rank", "id"),)
