"""The competition pyramid: competitions (大赛), events (赛项) with eligibility rules, teams and registrations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import District, LabelledEnum, SkillLevel
from app.core.models import NAME, Occupation, Organisation, Person, User
from app.core.types import MONEY, UTCDateTime, enum_type, utcnow
from app.extensions import db


class CompetitionLevel(LabelledEnum):
    """The five levels of §二十九, top to bottom (the order of members is the pyramid's)."""

    WORLD = "world"
    NATIONAL = "national"
    MUNICIPAL = "municipal"
    DISTRICT = "district"
    GRASSROOTS = "grassroots"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"world": _l("世界技能大赛"), "national": _l("国家级技能竞赛"), "municipal": _l("市级技能大赛"),
                "district": _l("区域性技能竞赛"), "grassroots": _l("岗位练兵/技能比武")}

    @property
    def rank(self) -> int:
        return list(CompetitionLevel).index(self)


class CompetitionClass(LabelledEnum):
    NONE = "none"
    CLASS_1 = "class1"
    CLASS_2 = "class2"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"none": _l("不分类"), "class1": _l("一类"), "class2": _l("二类")}


class Locality(LabelledEnum):
    """Where the entrant's employer must be registered."""

    ANY = "any"
    SHANGHAI = "shanghai"
    HOST_DISTRICT = "host_district"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"any": _l("不限"), "shanghai": _l("在沪单位"), "host_district": _l("承办区单位")}


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


class AwardRuleKind(LabelledEnum):
    NATIONAL = "national"
    WORLDSKILLS = "worldskills"
    SHARE = "share"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"national": _l("全国大赛规则（前三名金银铜，前一半优胜奖）"),
                "worldskills": _l("世赛规则（世赛分制，700 分以上优胜奖）"),
                "share": _l("比例规则（按参赛人数比例评奖）")}


class JudgingState(LabelledEnum):
    NOT_STARTED = "not_started"
    SCORING = "scoring"
    LOCKED = "locked"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"not_started": _l("未开始评分"), "scoring": _l("评分中"), "locked": _l("成绩已锁定")}


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


ACTIVE_STATUSES = (RegistrationStatus.SUBMITTED, RegistrationStatus.APPROVED, RegistrationStatus.CHANGES_REQUESTED)


class Competition(db.Model):
    """One edition of a contest (大赛) at one level of the pyramid."""

    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    level: Mapped[CompetitionLevel] = mapped_column(enum_type(CompetitionLevel))
    klass: Mapped[CompetitionClass] = mapped_column("class", enum_type(CompetitionClass),
                                                    default=CompetitionClass.NONE)
    #: The unit that organises it; its organizers manage the competition.
    organiser_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    host_district: Mapped[District | None] = mapped_column(enum_type(District))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organiser: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    events: Mapped[list[Event]] = relationship(back_populates="competition", order_by="Event.starts_on, Event.id")

    __table_args__ = (
        sa.Index("ix_competitions_year_level", "year", "level", "id"),
        sa.CheckConstraint("year BETWEEN 1950 AND 2100", name="year_range"),
    )


class Event(db.Model):
    """A skill contested within a competition (赛项), with its registration window, quota and eligibility."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    occupation_code: Mapped[str] = mapped_column(sa.ForeignKey("occupations.code"))
    #: WorldSkills skill number, e.g. "05" 数控车 for world and national selection events.
    worldskills_no: Mapped[str] = mapped_column(sa.String(10), default="")
    team_size: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Most entrants one registering unit may put forward (individuals, or teams for team events).
    quota_per_unit: Mapped[int] = mapped_column(sa.Integer, default=3)
    #: Entrants must be born on or after this date (WorldSkills: 1 Jan of competition year − 22).
    born_on_or_after: Mapped[date | None] = mapped_column(sa.Date)
    min_level: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    max_level: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    locality: Mapped[Locality] = mapped_column(enum_type(Locality), default=Locality.ANY)
    exclude_past_worldskills: Mapped[bool] = mapped_column(default=False)
    #: The upper event this one qualifies for, and how many of its top entrants go on.
    feeds_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    feeds_top_n: Mapped[int | None] = mapped_column(sa.Integer)
    #: How medals are given (see rules.award): national contest rule, WorldSkills scale, or shares of the field.
    award_rule: Mapped[AwardRuleKind] = mapped_column(enum_type(AwardRuleKind), default=lambda: AwardRuleKind.SHARE)
    #: Tie-break order after the total, comma-separated: "criterion:A", "time".
    tie_break: Mapped[str] = mapped_column(sa.String(100), default="")
    #: WorldSkills rule: scale scores within this many points of a medal group's best share its medal.
    medal_margin: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    #: National rule: 优胜奖 goes to "the top half"; an odd field's half rounds "down" (n // 2) or "up".
    merit_rounding: Mapped[str] = mapped_column(sa.String(8), default="down", server_default="down")
    share_gold: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), default=Decimal("0.1"))
    share_silver: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), default=Decimal("0.2"))
    share_bronze: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), default=Decimal("0.3"))
    share_merit: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), default=Decimal("0"))
    judging_state: Mapped[JudgingState] = mapped_column(enum_type(JudgingState),
                                                        default=lambda: JudgingState.NOT_STARTED)
    #: When every score should be in (a deadline that gets reminders).
    scores_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    competition: Mapped[Competition] = relationship(back_populates="events", lazy="joined", innerjoin=True)
    occupation: Mapped[Occupation] = relationship(lazy="joined")
    feeds: Mapped[Event | None] = relationship(remote_side=[id], back_populates="qualifiers")
    qualifiers: Mapped[list[Event]] = relationship(back_populates="feeds")

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_order"),
        sa.CheckConstraint("registration_closes_at > registration_opens_at", name="window_order"),
        sa.CheckConstraint("team_size BETWEEN 1 AND 10", name="team_size_range"),
        sa.CheckConstraint("quota_per_unit >= 1", name="quota_positive"),
        sa.Index("ix_events_dates", "starts_on", "ends_on"),
        sa.CheckConstraint("share_gold + share_silver + share_bronze + share_merit <= 1", name="shares_at_most_all"),
        sa.CheckConstraint("medal_margin >= 0", name="margin_not_negative"),
    )

    @property
    def tie_break_order(self) -> tuple[str, ...]:
        return tuple(item for item in (self.tie_break or "").split(",") if item)

    @property
    def is_team(self) -> bool:
        return self.team_size > 1


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


# ---------------------------------------------------------------- award incentives

class AwardBand(LabelledEnum):
    """Which results a rule rewards: a medal, or every rank down to N."""

    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    MERIT = "merit"
    MEDALLION = "medallion"
    TOP_N = "top_n"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"gold": _l("金牌"), "silver": _l("银牌"), "bronze": _l("铜牌"), "merit": _l("优胜奖"),
                "medallion": _l("世赛优胜奖（Medallion）"), "top_n": _l("前 N 名")}


class PromotionMode(LabelledEnum):
    NONE = "none"
    ONE_UP = "one_up"
    TO_LEVEL = "to_level"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"none": _l("不晋升"), "one_up": _l("晋升一级"), "to_level": _l("晋升到指定等级")}


class RecipientKind(LabelledEnum):
    COMPETITOR = "competitor"
    EXPERT_TEAM = "expert_team"
    UNIT = "unit"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"competitor": _l("选手"), "expert_team": _l("专家教练团队"), "unit": _l("贡献单位")}


class AwardLineStatus(LabelledEnum):
    DRAFT = "draft"
    NOTICE = "notice"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    PAID = "paid"
    WITHDRAWN = "withdrawn"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"draft": _l("草稿"), "notice": _l("公示中"), "on_hold": _l("异议暂缓"), "approved": _l("已批准"),
                "paid": _l("已发放"), "withdrawn": _l("已撤销")}


class AwardRule(db.Model):
    """An effective-dated award rule: for results of a level (and class, or one edition) in a band, the prize
    money for the competitor, the expert/coach team and the unit, a skill-level promotion and an honour."""

    __tablename__ = "award_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[CompetitionLevel] = mapped_column(enum_type(CompetitionLevel))
    #: None: any class.
    klass: Mapped[CompetitionClass | None] = mapped_column("class", enum_type(CompetitionClass))
    #: One edition only (e.g. a municipal top-up for the 48th WorldSkills); None: every edition.
    competition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"))
    band: Mapped[AwardBand] = mapped_column(enum_type(AwardBand))
    #: TOP_N: ranks 1..N for individuals, and for two- and three-person teams (全国技术能手: 5 / 3 / 2).
    top_n: Mapped[int | None] = mapped_column(sa.Integer)
    top_n_pair: Mapped[int | None] = mapped_column(sa.Integer)
    top_n_trio: Mapped[int | None] = mapped_column(sa.Integer)
    competitor_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    #: True: a team's competitor amount is shared among its members; False: each member gets it.
    split_team: Mapped[bool] = mapped_column(default=False)
    expert_team_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    unit_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    promotion: Mapped[PromotionMode] = mapped_column(enum_type(PromotionMode), default=lambda: PromotionMode.NONE)
    promotion_level: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    #: Already at or above the target: promoted here instead (e.g. 技师 → 高级技师), or nothing when None.
    promotion_alt_level: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    honour_title: Mapped[str] = mapped_column(sa.String(100), default="")
    honour_level: Mapped[str] = mapped_column(sa.String(20), default="")
    honour_body: Mapped[str] = mapped_column(sa.String(100), default="")
    #: Who pays (e.g. 人力资源社会保障部, 上海市人社局, the unit).
    funder: Mapped[str] = mapped_column(sa.String(100), default="")
    effective_from: Mapped[date] = mapped_column(sa.Date)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    competition: Mapped[Competition | None] = relationship()

    __table_args__ = (
        sa.Index("ix_award_rules_level_from", "level", "effective_from"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="period_order"),
        sa.CheckConstraint("competitor_amount >= 0 AND expert_team_amount >= 0 AND unit_amount >= 0",
                           name="amounts_not_negative"),
        sa.CheckConstraint("band <> 'top_n' OR top_n >= 1", name="top_n_given"),
    )


class AwardNotice(db.Model):
    """A public notice (公示) of an event's award lines, open for objections until ``ends_on``."""

    __tablename__ = "award_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)


class PaymentBatch(db.Model):
    """Approved, unpaid money lines exported together for finance and then marked paid together."""

    __tablename__ = "payment_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[Decimal] = mapped_column(MONEY)
    line_count: Mapped[int] = mapped_column(sa.Integer)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AwardLine(db.Model):
    """One award to one recipient from one result under one rule (never twice: unique)."""

    __tablename__ = "award_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("award_rules.id"))
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("results.id", ondelete="RESTRICT"))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id"))
    level: Mapped[CompetitionLevel] = mapped_column(enum_type(CompetitionLevel))
    recipient_kind: Mapped[RecipientKind] = mapped_column(enum_type(RecipientKind))
    #: "person:<id>", "unit:<id>" or "experts:<unit id>" — what the uniqueness is about.
    recipient_key: Mapped[str] = mapped_column(sa.String(40))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    promotion_to: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    honour_title: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[AwardLineStatus] = mapped_column(enum_type(AwardLineStatus),
                                                   default=lambda: AwardLineStatus.DRAFT)
    hold_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award_notices.id"))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_batches.id"), index=True)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rule: Mapped[AwardRule] = relationship(lazy="joined", innerjoin=True)
    person: Mapped[Person | None] = relationship()
    unit: Mapped[Organisation] = relationship()
    event: Mapped[Event] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("rule_id", "result_id", "recipient_key", name="uq_award_lines_rule_result_recipient"),
        sa.Index("ix_award_lines_competition_status", "competition_id", "status"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )


class Honour(db.Model):
    """An honour conferred on a person (全国技术能手, 上海市技术能手 …)."""

    __tablename__ = "honours"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(20), default="")
    body: Mapped[str] = mapped_column(sa.String(100), default="")
    conferred_on: Mapped[date] = mapped_column(sa.Date)
    award_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award_lines.id"), unique=True)


class PayeeAccount(db.Model):
    """The bank account prize money is paid into: a person's (a winner) or a unit's (unit and expert-team lines).
    The card number is stored encrypted (like the ID number) and shown masked everywhere except the finance
    payment file."""

    __tablename__ = "payee_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"),
                                                        unique=True)
    #: 户名: the account holder as the bank knows them.
    holder: Mapped[str] = mapped_column(sa.String(100))
    bank: Mapped[str] = mapped_column(sa.String(100))
    branch: Mapped[str] = mapped_column(sa.String(100), default="")
    #: Fernet token of the card/account number (digits only); the key lives in configuration.
    number_encrypted: Mapped[str] = mapped_column(sa.Text)
    #: e.g. 6222 **** **** 1234, computed at write time so lists never decrypt.
    number_masked: Mapped[str] = mapped_column(sa.String(40))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("(person_id IS NULL) <> (organisation_id IS NULL)", name="one_payee"),
    )
