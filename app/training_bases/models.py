"""Training bases (集训基地): designation, facilities, coaches and experts, camps, sessions and coach logs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import LabelledEnum
from app.core.models import Occupation, Organisation, Person, User
from app.core.types import UTCDateTime, enum_type, utcnow
from app.extensions import db


class Designation(LabelledEnum):
    WORLDSKILLS_SHANGHAI = "worldskills_shanghai"
    WORLDSKILLS_NATIONAL = "worldskills_national"
    HIGH_SKILL = "high_skill"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"worldskills_shanghai": _l("世赛上海集训基地"), "worldskills_national": _l("国家级世赛集训基地"),
                "high_skill": _l("高技能人才培养基地")}


class FacilityKind(LabelledEnum):
    WORKSHOP = "workshop"
    ROOM = "room"
    WORKSTATION = "workstation"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"workshop": _l("实训车间"), "room": _l("教室"), "workstation": _l("工位")}


class MemberRole(LabelledEnum):
    COACH = "coach"
    EXPERT_LEAD = "expert_lead"
    EXPERT = "expert"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"coach": _l("教练"), "expert_lead": _l("专家组组长"), "expert": _l("技术指导专家")}


class Attendance(LabelledEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"present": _l("出勤"), "late": _l("迟到"), "absent": _l("缺勤")}

    @property
    def counts_hours(self) -> bool:
        return self is not Attendance.ABSENT


class ScoreKind(LabelledEnum):
    DRILL = "drill"
    MOCK_TEST = "mock_test"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"drill": _l("专项训练"), "mock_test": _l("模拟测试")}


base_skills = sa.Table(
    "training_base_skills", db.metadata,
    sa.Column("base_id", sa.ForeignKey("training_bases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("occupation_code", sa.ForeignKey("occupations.code"), primary_key=True),
    sa.Index("ix_training_base_skills_occupation", "occupation_code", "base_id"),
)

facility_skills = sa.Table(
    "facility_skills", db.metadata,
    sa.Column("facility_id", sa.ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("occupation_code", sa.ForeignKey("occupations.code"), primary_key=True),
)

camp_athletes = sa.Table(
    "camp_athletes", db.metadata,
    sa.Column("camp_id", sa.ForeignKey("training_camps.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("person_id", sa.ForeignKey("people.id"), primary_key=True),
    sa.Index("ix_camp_athletes_person", "person_id", "camp_id"),
)


class TrainingBase(db.Model):
    """An organisation designated as a training base for some skills over a period."""

    __tablename__ = "training_bases"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The host college or enterprise; its staff manage the base.
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    designation: Mapped[Designation] = mapped_column(enum_type(Designation))
    designated_from: Mapped[date] = mapped_column(sa.Date)
    designated_until: Mapped[date | None] = mapped_column(sa.Date)
    designated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    skills: Mapped[list[Occupation]] = relationship(secondary=base_skills, order_by="Occupation.code")

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "designation", name="uq_training_bases_org_designation"),
        sa.CheckConstraint("designated_until IS NULL OR designated_until >= designated_from",
                           name="designation_period"),
    )


class Facility(db.Model):
    """A workshop, room or workstation; ``capacity`` is how many athletes it holds at once."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("training_bases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[FacilityKind] = mapped_column(enum_type(FacilityKind))
    capacity: Mapped[int] = mapped_column(sa.Integer)
    active: Mapped[bool] = mapped_column(default=True)

    skills: Mapped[list[Occupation]] = relationship(secondary=facility_skills, order_by="Occupation.code")

    __table_args__ = (
        sa.UniqueConstraint("base_id", "name", name="uq_facilities_base_name"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
    )


class BaseMember(db.Model):
    """A coach or a member of the base's expert team (集训技术指导专家团队)."""

    __tablename__ = "base_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("training_bases.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole))
    #: The skill this member covers.
    occupation_code: Mapped[str | None] = mapped_column(sa.ForeignKey("occupations.code"))
    title: Mapped[str] = mapped_column(sa.String(100), default="")

    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)
    occupation: Mapped[Occupation | None] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("base_id", "person_id", "role", name="uq_base_members_person_role"),)


class TrainingCamp(db.Model):
    """集训: a set of athletes trained at a base over a date range, with a plan of modules."""

    __tablename__ = "training_camps"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("training_bases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    occupation_code: Mapped[str | None] = mapped_column(sa.ForeignKey("occupations.code"))
    #: The squad (梯队/集训队) this camp trains, when it trains one; its active members are the athletes.
    squad_id: Mapped[int | None] = mapped_column(sa.ForeignKey("squads.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    base: Mapped[TrainingBase] = relationship(lazy="joined", innerjoin=True)
    occupation: Mapped[Occupation | None] = relationship(lazy="joined")
    athletes: Mapped[list[Person]] = relationship(secondary=camp_athletes, order_by="Person.name")
    modules: Mapped[list[CampModule]] = relationship(back_populates="camp", order_by="CampModule.position",
                                                     cascade="all, delete-orphan")

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="dates_order"),)


class CampModule(db.Model):
    """A module of a camp's plan; ``criterion_code`` names a marking-scheme criterion (A, B, …) when known."""

    __tablename__ = "camp_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    camp_id: Mapped[int] = mapped_column(sa.ForeignKey("training_camps.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    name: Mapped[str] = mapped_column(sa.String(100))
    criterion_code: Mapped[str] = mapped_column(sa.String(10), default="")
    planned_hours: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2), default=Decimal("0"))

    camp: Mapped[TrainingCamp] = relationship(back_populates="modules")

    __table_args__ = (sa.CheckConstraint("planned_hours >= 0", name="planned_hours_nonnegative"),)


session_athletes = sa.Table(
    "session_athletes", db.metadata,
    sa.Column("session_id", sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("person_id", sa.ForeignKey("people.id"), primary_key=True),
    # The athlete clash check and the athlete's calendar walk this index.
    sa.Index("ix_session_athletes_person", "person_id", "session_id"),
)


class TrainingSession(db.Model):
    """A booking: a facility, a coach and athletes from ``starts_at`` to ``ends_at`` (instants, UTC)."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    camp_id: Mapped[int] = mapped_column(sa.ForeignKey("training_camps.id", ondelete="CASCADE"))
    #: Copied from the camp so the base calendar reads one index.
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("training_bases.id", ondelete="CASCADE"))
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id"))
    #: The coach is a person (a base member with the coach role); their user account logs the session.
    coach_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("camp_modules.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Sessions made together as one recurring series share this key.
    series_key: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    camp: Mapped[TrainingCamp] = relationship()
    facility: Mapped[Facility] = relationship()
    coach: Mapped[Person] = relationship(foreign_keys=[coach_id])
    module: Mapped[CampModule | None] = relationship()
    athletes: Mapped[list[Person]] = relationship(secondary=session_athletes, order_by="Person.name")
    log: Mapped[SessionLog | None] = relationship(back_populates="session", uselist=False)

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="times_order"),
        sa.Index("ix_training_sessions_base_starts", "base_id", "starts_at"),
        sa.Index("ix_training_sessions_facility_starts", "facility_id", "starts_at"),
        sa.Index("ix_training_sessions_coach_starts", "coach_id", "starts_at"),
        sa.Index("ix_training_sessions_camp_starts", "camp_id", "starts_at"),
        # The athlete clash check looks at every base's sessions in a window.
        sa.Index("ix_training_sessions_starts_at", "starts_at"),
    )


class SessionLog(db.Model):
    """The coach's log of one session: hours, content, notes; attendance and scores per athlete."""

    __tablename__ = "session_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_sessions.id", ondelete="CASCADE"),
                                            unique=True)
    actual_hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    content: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    logged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship(back_populates="log")
    attendance: Mapped[list[AttendanceRecord]] = relationship(cascade="all, delete-orphan",
                                                              back_populates="log")
    scores: Mapped[list[LogScore]] = relationship(cascade="all, delete-orphan", back_populates="log")
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])

    __table_args__ = (sa.CheckConstraint("actual_hours >= 0 AND actual_hours <= 24", name="hours_range"),)


class AttendanceRecord(db.Model):
    __tablename__ = "session_attendance"

    log_id: Mapped[int] = mapped_column(sa.ForeignKey("session_logs.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), primary_key=True)
    status: Mapped[Attendance] = mapped_column(enum_type(Attendance))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    log: Mapped[SessionLog] = relationship(back_populates="attendance")
    person: Mapped[Person] = relationship()

    __table_args__ = (sa.Index("ix_session_attendance_person", "person_id", "log_id"),)


class LogScore(db.Model):
    """A drill or mock-test score of one athlete on one named criterion."""

    __tablename__ = "session_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(sa.ForeignKey("session_logs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    kind: Mapped[ScoreKind] = mapped_column(enum_type(ScoreKind))
    criterion: Mapped[str] = mapped_column(sa.String(50))
    score: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    max_score: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal("100"))

    log: Mapped[SessionLog] = relationship(back_populates="scores")
    person: Mapped[Person] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("log_id", "person_id", "criterion", name="uq_session_scores_log_person_criterion"),
        sa.CheckConstraint("score >= 0 AND score <= max_score AND max_score > 0", name="score_range"),
        sa.Index("ix_session_scores_person", "person_id", "log_id"),
    )


def is_base_coach(base_id: int, person_id: int) -> bool:
    """Whether the person is one of the base's coaches (the query ``can()`` needs for coaches' rights)."""
    return (db.session.scalar(sa.select(sa.func.count()).select_from(BaseMember).where(
        BaseMember.base_id == base_id, BaseMember.person_id == person_id,
        BaseMember.role == MemberRole.COACH)) or 0) > 0
