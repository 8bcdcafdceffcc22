"""Award incentives: award rules, notices (公示), the ledger, payment batches and honours."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.competitions.events.models import Competition, CompetitionClass, CompetitionLevel, Event
from app.core.enums import LabelledEnum, SkillLevel
from app.core.models import Organisation, Person
from app.core.types import MONEY, UTCDateTime, enum_type, utcnow
from app.extensions import db

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

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"draft": _l("草稿"), "notice": _l("公示中"), "on_hold": _l("异议暂缓"), "approved": _l("已批准"),
                "paid": _l("已发放")}


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
