"""Competitions (大赛) and their events (赛项): the pyramid, windows, quotas, eligibility and the judging
settings held on the event."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import District, LabelledEnum, SkillLevel
from app.core.models import NAME, Occupation, Organisation
from app.core.types import UTCDateTime, enum_type, utcnow
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
