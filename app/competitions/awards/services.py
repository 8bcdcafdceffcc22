"""Use cases of award incentives: rules, generating lines from locked results, public notice (公示), objections,
approval (with promotions and honours), the ledger and payment batches.

Lines move draft → notice → approved → paid; an objection during the notice puts a line on hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.competitions import require_award_event
from app.auth.permissions import is_municipal_official, require
from app.competitions.awards import payees, rules
from app.competitions.awards.models import (
    AwardBand,
    AwardLine,
    AwardLineStatus,
    AwardNotice,
    AwardRule,
    Honour,
    PaymentBatch,
    PromotionMode,
    RecipientKind,
)
from app.competitions.awards.rules import AwardLineSpec
from app.competitions.events.models import Competition, CompetitionClass, CompetitionLevel, Event, JudgingState
from app.competitions.events.services import deadline_at
from app.competitions.judging.models import Contestant, ContestantMember, Result
from app.core import audit
from app.core.clock import SHANGHAI
from app.core.enums import SkillLevel
from app.core.models import Certificate, Organisation, Person, User
from app.core.services import raise_not_found, unique_or_domain_error
from app.core.signals import award_line_withdrawn
from app.errors import DomainError
from app.extensions import db
from app.reminders.rules import is_working_day
from app.reminders.services import schedule_deadline

RULE_FIELDS = ["name", "level", "klass", "competition_id", "band", "top_n", "top_n_pair", "top_n_trio",
               "competitor_amount", "split_team", "expert_team_amount", "unit_amount", "promotion",
               "promotion_level", "promotion_alt_level", "honour_title", "honour_level", "honour_body", "funder",
               "effective_from", "effective_to"]
NOTICE_WORKING_DAYS = 5
#: The reminders of a notice period's end and of approved prize money to pay (kinds in awards/reminders.py).
NOTICE_ENDS = "competition.award_notice_ends"
PAYMENT_DUE = "competition.award_payment_due"
#: Approved prize money is due for payment this many days after approval.
PAYMENT_DAYS = 30


# ---------------------------------------------------------------- rules

@dataclass
class RuleData:
    name: str
    level: CompetitionLevel
    klass: CompetitionClass | None
    competition_id: int | None
    band: AwardBand
    top_n: int | None
    top_n_pair: int | None
    top_n_trio: int | None
    competitor_amount: Decimal
    split_team: bool
    expert_team_amount: Decimal
    unit_amount: Decimal
    promotion: PromotionMode
    promotion_level: SkillLevel | None
    promotion_alt_level: SkillLevel | None
    honour_title: str
    honour_level: str
    honour_body: str
    funder: str
    effective_from: date
    effective_to: date | None = None


def list_rules(actor: User) -> list[AwardRule]:
    require(actor, "award.manage")
    return list(db.session.scalars(sa.select(AwardRule).order_by(
        AwardRule.level, AwardRule.effective_from.desc(), AwardRule.id).options(selectinload(AwardRule.competition))))


def create_rule(actor: User, data: RuleData) -> AwardRule:
    require(actor, "award.manage")
    if not data.name.strip():
        raise DomainError(_("请填写规则名称"), "name")
    if data.band is AwardBand.TOP_N and not data.top_n:
        raise DomainError(_("“前 N 名”规则须填写 N"), "top_n")
    if data.promotion is PromotionMode.TO_LEVEL and data.promotion_level is None:
        raise DomainError(_("请选择晋升到的等级"), "promotion_level")
    if data.promotion_alt_level and data.promotion_level and \
            data.promotion_alt_level.rank <= data.promotion_level.rank:
        raise DomainError(_("已达目标等级时的替代等级须高于目标等级"), "promotion_alt_level")
    if data.effective_to is not None and data.effective_to <= data.effective_from:
        raise DomainError(_("失效日期须晚于生效日期"), "effective_to")
    if not (data.competitor_amount or data.expert_team_amount or data.unit_amount or data.honour_title
            or data.promotion is not PromotionMode.NONE):
        raise DomainError(_("规则至少要有奖金、晋升或荣誉之一"), "competitor_amount")
    if data.competition_id is not None:
        competition = db.session.get(Competition, data.competition_id)
        if competition is None or competition.level is not data.level:
            raise DomainError(_("指定届次须是该层级的大赛"), "competition_id")
    rule = AwardRule(created_by_id=actor.id)
    for name in RULE_FIELDS:
        setattr(rule, name, getattr(data, name))
    rule.name = data.name.strip()
    db.session.add(rule)
    audit.record(actor, "create", rule, after=audit.snapshot(rule, RULE_FIELDS), summary=rule.name)
    db.session.commit()
    return rule


def competition_choices() -> list[tuple[int, str]]:
    return [(c.id, f"{c.year} {c.name}") for c in db.session.scalars(
        sa.select(Competition).order_by(Competition.year.desc(), Competition.name).limit(300))]


def end_rule(actor: User, rule: AwardRule, effective_to: date) -> None:
    """Rules are not edited in place: a rule ends on a date (a new rule may take over from then)."""
    require(actor, "award.manage")
    if effective_to <= rule.effective_from:
        raise DomainError(_("失效日期须晚于生效日期"), "effective_to")
    before = audit.snapshot(rule, ["effective_to"])
    rule.effective_to = effective_to
    audit.record(actor, "update", rule, before=before, after=audit.snapshot(rule, ["effective_to"]),
                 summary=rule.name)
    db.session.commit()


def rules_in_force(event: Event) -> list[AwardRule]:
    """The rules for the event's competition (level, class or this edition) in force on its last day."""
    competition, on = event.competition, event.ends_on
    return list(db.session.scalars(sa.select(AwardRule).where(
        AwardRule.level == competition.level,
        sa.or_(AwardRule.klass.is_(None), AwardRule.klass == competition.klass),
        sa.or_(AwardRule.competition_id.is_(None), AwardRule.competition_id == competition.id),
        AwardRule.effective_from <= on,
        sa.or_(AwardRule.effective_to.is_(None), AwardRule.effective_to > on)).order_by(AwardRule.id)))


def _spec(rule: AwardRule) -> rules.AwardRuleSpec:
    return rules.AwardRuleSpec(
        rule.id, rule.band.value, Decimal(rule.competitor_amount), rule.split_team, Decimal(rule.expert_team_amount),
        Decimal(rule.unit_amount), rule.promotion.value, rule.promotion_level, rule.promotion_alt_level,
        rule.honour_title, rule.top_n, rule.top_n_pair, rule.top_n_trio)


# ---------------------------------------------------------------- generating lines

def _placings(event: Event) -> list[rules.Placed]:
    results = list(db.session.scalars(
        sa.select(Result).where(Result.event_id == event.id).order_by(Result.rank, Result.id)
        .options(selectinload(Result.contestant).selectinload(Contestant.members)
                 .selectinload(ContestantMember.person))))
    return [rules.Placed(r.id, r.rank, r.medal.value if r.medal else None, r.contestant.unit_id,
                         tuple(rules.Member(m.person_id, m.person.current_level)
                               for m in sorted(r.contestant.members, key=lambda m: m.person_id)))
            for r in results]


@dataclass
class Preview:
    lines: list[rules.AwardLineSpec]
    existing: set[tuple[int, int, str]]
    rules: dict[int, AwardRule]
    people: dict[int, Person]
    units: dict[int, Organisation]

    @property
    def new_lines(self) -> list[AwardLineSpec]:  # (the field `rules` hides the module here)
        return [ln for ln in self.lines if (ln.rule_id, ln.result_id, ln.recipient_key) not in self.existing]

    @property
    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.new_lines), Decimal(0))


def _require_event(actor: User, event: Event, action: str = "award.manage") -> None:
    """Officials award what their own bureau organised; municipal officials everything."""
    require_award_event(actor, event, action)


def _scope(actor: User) -> sa.ColumnElement[bool]:
    if is_municipal_official(actor):
        return sa.true()
    return AwardLine.competition_id.in_(sa.select(Competition.id).where(
        Competition.organiser_id == actor.organisation_id))


def preview(actor: User, event: Event) -> Preview:
    """Every line the event's locked results earn, marking those already generated (nothing is written)."""
    _require_event(actor, event)
    if event.judging_state is not JudgingState.LOCKED:
        raise DomainError(_("成绩锁定后才能生成奖励"))
    in_force = rules_in_force(event)
    lines = rules.award_lines(_placings(event), [_spec(r) for r in in_force])
    existing = set(db.session.execute(sa.select(AwardLine.rule_id, AwardLine.result_id, AwardLine.recipient_key)
                                      .where(AwardLine.event_id == event.id)).tuples())
    people = {p.id: p for p in db.session.scalars(sa.select(Person).where(
        Person.id.in_({ln.person_id for ln in lines if ln.person_id})))}
    units = {o.id: o for o in db.session.scalars(sa.select(Organisation).where(
        Organisation.id.in_({ln.unit_id for ln in lines})))}
    return Preview(lines, existing, {r.id: r for r in in_force}, people, units)


def generate(actor: User, event: Event) -> int:
    """Write the preview's new lines as drafts (a line already generated is never written twice)."""
    shown = preview(actor, event)
    new = shown.new_lines
    if not new:
        raise DomainError(_("没有需要生成的奖励（规则未覆盖或已全部生成）"))
    competition = event.competition
    for spec in new:
        db.session.add(AwardLine(
            rule_id=spec.rule_id, result_id=spec.result_id, event_id=event.id, competition_id=competition.id,
            level=competition.level, recipient_kind=RecipientKind(spec.recipient_kind),
            recipient_key=spec.recipient_key, person_id=spec.person_id, unit_id=spec.unit_id, amount=spec.amount,
            promotion_to=spec.promotion_to, honour_title=spec.honour_title))
    with unique_or_domain_error(_("奖励已由他人同时生成，请刷新"), "event", commit=False):
        audit.record(actor, "generate_awards", event, after={"lines": len(new), "total": str(shown.total)},
                     summary=event.name)
    db.session.commit()
    return len(new)


def lines_for(event: Event) -> list[AwardLine]:
    return list(db.session.scalars(
        sa.select(AwardLine).where(AwardLine.event_id == event.id).order_by(AwardLine.result_id, AwardLine.id)
        .options(selectinload(AwardLine.person), selectinload(AwardLine.unit))))


def notices_for(event: Event) -> list[AwardNotice]:
    return list(db.session.scalars(sa.select(AwardNotice).where(AwardNotice.event_id == event.id)
                                   .order_by(AwardNotice.id)))


# ---------------------------------------------------------------- notice, objections, approval

def publish_notice(actor: User, event: Event, title: str, starts_on: date, now: datetime) -> AwardNotice:
    """Put every draft line of the event under public notice for five working days from ``starts_on``
    (Chinese public holidays and 调休 working days counted as the calendar says)."""
    _require_event(actor, event)
    drafts = list(db.session.scalars(sa.select(AwardLine).where(
        AwardLine.event_id == event.id, AwardLine.status == AwardLineStatus.DRAFT).with_for_update()))
    if not drafts:
        raise DomainError(_("没有待公示的奖励"), "title")
    if not title.strip():
        raise DomainError(_("请填写公示标题"), "title")
    # The notice period starts no earlier than the day it is published (and the result was locked): a
    # period in the past would refuse objections as late and let approval skip the five working days.
    if event.results_locked_at is None:
        raise DomainError(_("成绩锁定后才能公示"), "starts_on")
    earliest = max(now.astimezone(SHANGHAI).date(), event.results_locked_at.astimezone(SHANGHAI).date())
    if starts_on < earliest:
        raise DomainError(_("公示开始日期不能早于发布当天和成绩锁定日（%(d)s）", d=earliest.isoformat()), "starts_on")
    first_counts = 1 if is_working_day(starts_on) else 0
    ends_on = rules.add_working_days(starts_on, NOTICE_WORKING_DAYS - first_counts, is_working_day)
    notice = AwardNotice(event_id=event.id, title=title.strip()[:200], starts_on=starts_on, ends_on=ends_on,
                         published_by_id=actor.id, published_at=now)
    db.session.add(notice)
    db.session.flush()
    for line in drafts:
        line.status, line.notice_id = AwardLineStatus.NOTICE, notice.id
    schedule_deadline(NOTICE_ENDS, notice.id, deadline_at(ends_on, 17), now=now)
    audit.record(actor, "publish_notice", notice, after={"lines": len(drafts), "starts_on": starts_on.isoformat(),
                                                         "ends_on": ends_on.isoformat()}, summary=notice.title)
    db.session.commit()
    return notice


def _line(actor: User, line_id: int) -> AwardLine:
    line = db.session.get(AwardLine, line_id)
    if line is None:
        raise_not_found()
    _require_event(actor, line.event)
    return line


def hold(actor: User, line_id: int, reason: str, today: date) -> AwardLine:
    """Record an objection during the notice: the line is put on hold with the reason."""
    line = _line(actor, line_id)
    if line.status is not AwardLineStatus.NOTICE:
        raise DomainError(_("只有公示中的奖励可以登记异议"), "reason")
    notice = db.session.get(AwardNotice, line.notice_id)
    if notice is not None and today > notice.ends_on:
        raise DomainError(_("公示期已结束，不能再登记异议"), "reason")
    if not reason.strip():
        raise DomainError(_("请填写异议内容"), "reason")
    line.status, line.hold_reason = AwardLineStatus.ON_HOLD, reason.strip()[:300]
    audit.record(actor, "hold", line, before={"status": "notice"},
                 after={"status": "on_hold", "hold_reason": line.hold_reason}, summary=_line_summary(line))
    db.session.commit()
    return line


def release(actor: User, line_id: int, note: str) -> AwardLine:
    """The objection was looked into and dismissed: the line goes back under notice (approved with the rest)."""
    line = _line(actor, line_id)
    if line.status is not AwardLineStatus.ON_HOLD:
        raise DomainError(_("该奖励没有被暂缓"))
    if not note.strip():
        raise DomainError(_("请填写异议处理结果"), "reason")
    line.status = AwardLineStatus.NOTICE
    audit.record(actor, "release", line, before={"status": "on_hold", "hold_reason": line.hold_reason},
                 after={"status": "notice", "note": note.strip()[:300]}, summary=_line_summary(line))
    db.session.commit()
    return line


def _line_summary(line: AwardLine) -> str:
    who = line.person.name if line.person else line.unit.name
    return f"{who} · {line.rule.name}"


def approve(actor: User, event: Event, today: date, now: datetime) -> int:
    """Approve every line whose notice has ended; promotions raise the person's level (with a certificate
    record) and honours are recorded. Lines on hold stay on hold."""
    _require_event(actor, event, "award.approve")
    lines = list(db.session.scalars(
        sa.select(AwardLine).join(AwardNotice, AwardNotice.id == AwardLine.notice_id)
        .where(AwardLine.event_id == event.id, AwardLine.status == AwardLineStatus.NOTICE,
               AwardNotice.ends_on < today)
        .order_by(AwardLine.id).with_for_update(of=AwardLine)))
    if not lines:
        pending = db.session.scalar(sa.select(sa.func.count()).select_from(AwardLine).where(
            AwardLine.event_id == event.id, AwardLine.status == AwardLineStatus.NOTICE))
        raise DomainError(_("公示期满后才能批准") if pending else _("没有可批准的奖励"))
    for line in lines:
        line.status, line.approved_by_id, line.approved_at = AwardLineStatus.APPROVED, actor.id, now
        if line.person is not None and line.promotion_to is not None:
            _promote(actor, line, today)
        if line.person is not None and line.honour_title:
            db.session.add(Honour(person_id=line.person_id, title=line.honour_title, level=line.rule.honour_level,
                                  body=line.rule.honour_body, conferred_on=today, award_line_id=line.id))
        audit.record(actor, "approve", line, before={"status": "notice"}, after={"status": "approved"},
                     summary=_line_summary(line))
    schedule_deadline(PAYMENT_DUE, event.id, deadline_at(today + timedelta(days=PAYMENT_DAYS)), now=now)
    db.session.commit()
    return len(lines)


def withdraw(actor: User, line_id: int, reason: str, now: datetime) -> AwardLine:
    """Withdraw an approved award (e.g. a breach found after approval), with a reason; paid or batched money is
    not touched here. Its certificate is revoked (``award_line_withdrawn``)."""
    line = _line(actor, line_id)
    require(actor, "award.approve")
    if line.status is not AwardLineStatus.APPROVED or line.batch_id is not None:
        raise DomainError(_("只有已批准且未纳入支付批次的奖励可以撤销"), "reason")
    if not reason.strip():
        raise DomainError(_("请填写撤销原因"), "reason")
    line.status, line.hold_reason = AwardLineStatus.WITHDRAWN, reason.strip()[:300]
    audit.record(actor, "withdraw_award", line, before={"status": "approved"},
                 after={"status": "withdrawn", "reason": line.hold_reason}, summary=_line_summary(line))
    award_line_withdrawn.send(line, reason=line.hold_reason, actor=actor, now=now)
    db.session.commit()
    return line


def _promote(actor: User, line: AwardLine, today: date) -> None:
    person = line.person
    target = line.promotion_to
    if person is None or target is None or (person.current_level and person.current_level.rank >= target.rank):
        return  # promoted meanwhile by another line: nothing more to do
    before = person.current_level
    issuer = line.rule.funder or _("技能竞赛晋升")
    db.session.add(Certificate(person_id=person.id, level=target, occupation_code=line.event.occupation_code,
                               issuer=issuer[:100], number=f"JS{today.year}{line.id:08d}", issued_on=today))
    person.current_level = target
    audit.record(actor, "promote", person, before={"current_level": before.value if before else None},
                 after={"current_level": target.value}, summary=f"{person.name} · {line.event.name}")


# ---------------------------------------------------------------- ledger and payment

@dataclass
class LedgerRow:
    competition: str
    level: CompetitionLevel
    unit: str
    status: AwardLineStatus
    lines: int
    amount: Decimal


def ledger(actor: User, competition_id: int | None = None, status: AwardLineStatus | None = None
           ) -> tuple[list[LedgerRow], Decimal, int]:
    """Totals by competition, level, unit and status (summed in SQL), with the grand total."""
    require(actor, "award.manage")
    where = [_scope(actor)]
    if competition_id:
        where.append(AwardLine.competition_id == competition_id)
    if status is not None:
        where.append(AwardLine.status == status)
    rows = db.session.execute(
        sa.select(Competition.name, AwardLine.level, Organisation.name, AwardLine.status, sa.func.count(),
                  sa.func.sum(AwardLine.amount))
        .join(Competition, Competition.id == AwardLine.competition_id)
        .join(Organisation, Organisation.id == AwardLine.unit_id).where(*where)
        .group_by(Competition.name, AwardLine.level, Organisation.name, AwardLine.status)
        .order_by(Competition.name, Organisation.name, AwardLine.status)).all()
    total, count = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(AwardLine.amount), 0),
                                                sa.func.count()).where(*where)).one()
    return ([LedgerRow(c, lv, u, s, n, Decimal(a or 0).quantize(rules.FEN)) for c, lv, u, s, n, a in rows],
            Decimal(total).quantize(rules.FEN), count)


def payable_lines() -> sa.Select[tuple[AwardLine]]:
    return (sa.select(AwardLine).where(AwardLine.status == AwardLineStatus.APPROVED, AwardLine.batch_id.is_(None),
                                       AwardLine.amount > 0)
            .order_by(AwardLine.id).options(selectinload(AwardLine.person), selectinload(AwardLine.unit)))


def missing_accounts(actor: User) -> list[AwardLine]:
    """Approved, unpaid money lines whose payee has entered no account yet (kept out of new batches)."""
    require(actor, "award.manage")
    return payees.missing_accounts(list(db.session.scalars(payable_lines().where(_scope(actor)))))


def count_payable(actor: User) -> sa.Select[tuple[int]]:
    return sa.select(sa.func.count()).select_from(payable_lines().where(_scope(actor)).subquery())


def create_batch(actor: User, now: datetime) -> PaymentBatch:
    """Gather every approved, unpaid line with money into a payment batch for the finance file."""
    require(actor, "award.approve")
    lines = list(db.session.scalars(payable_lines().where(_scope(actor)).with_for_update(of=AwardLine)))
    # A payee without an account is listed on the ledger as missing and waits for the next batch.
    missing = {ln.id for ln in payees.missing_accounts(lines)}
    lines = [ln for ln in lines if ln.id not in missing]
    if not lines:
        raise DomainError(_("没有可支付的已批准奖励：%(n)d 条缺少收款账户", n=len(missing)) if missing
                          else _("没有待支付的已批准奖励"))
    batch = PaymentBatch(total=sum((ln.amount for ln in lines), Decimal(0)), line_count=len(lines),
                         created_by_id=actor.id, created_at=now)
    db.session.add(batch)
    db.session.flush()
    for line in lines:
        line.batch_id = batch.id
    audit.record(actor, "create", batch, after={"lines": len(lines), "total": str(batch.total)},
                 summary=f"#{batch.id}")
    db.session.commit()
    return batch


def batches(actor: User) -> list[PaymentBatch]:
    require(actor, "award.manage")
    mine = sa.true() if is_municipal_official(actor) else PaymentBatch.created_by_id.in_(
        sa.select(User.id).where(User.organisation_id == actor.organisation_id))
    return list(db.session.scalars(sa.select(PaymentBatch).where(mine).order_by(PaymentBatch.id.desc()).limit(100)))


def get_batch(actor: User, batch_id: int) -> PaymentBatch:
    require(actor, "award.manage")
    batch = db.session.get(PaymentBatch, batch_id)
    creator = db.session.get(User, batch.created_by_id) if batch and batch.created_by_id else None
    if batch is None or not (is_municipal_official(actor) or (
            creator is not None and creator.organisation_id == actor.organisation_id)):
        raise_not_found()
    return batch


def batch_lines(actor: User, batch: PaymentBatch) -> list[AwardLine]:
    require(actor, "award.manage")
    return list(db.session.scalars(sa.select(AwardLine).where(AwardLine.batch_id == batch.id).order_by(AwardLine.id)
                                   .options(selectinload(AwardLine.person), selectinload(AwardLine.unit))))


def mark_paid(actor: User, batch: PaymentBatch, now: datetime) -> int:
    """Mark every line of the batch paid in one step — or none, if any of them is no longer approved."""
    require(actor, "award.approve")
    if batch.paid_at is not None:
        raise DomainError(_("该批次已标记为已支付"))
    lines = list(db.session.scalars(sa.select(AwardLine).where(AwardLine.batch_id == batch.id)
                                    .with_for_update(of=AwardLine)))
    if any(ln.status is not AwardLineStatus.APPROVED for ln in lines):
        raise DomainError(_("批次中有奖励不是“已批准”状态，整批未标记，请核对"))
    for line in lines:
        line.status, line.paid_at = AwardLineStatus.PAID, now
    batch.paid_at = now
    audit.record(actor, "mark_paid", batch, after={"lines": len(lines), "total": str(batch.total)},
                 summary=f"#{batch.id}")
    db.session.commit()
    return len(lines)


def person_awards(person_id: int) -> tuple[list[AwardLine], list[Honour]]:
    lines = list(db.session.scalars(sa.select(AwardLine).where(AwardLine.person_id == person_id)
                                    .order_by(AwardLine.id).options(selectinload(AwardLine.event))))
    honours = list(db.session.scalars(sa.select(Honour).where(Honour.person_id == person_id)
                                      .order_by(Honour.conferred_on)))
    return lines, honours
