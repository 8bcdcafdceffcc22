"""Pure rules of 企业新型学徒制: the lifecycle's transitions, the period, plan and contract checks, and the
subsidy arithmetic (先支后补). No Flask, no database; money is Decimal, dates are dates.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.apprenticeships.enums import DocumentKind, EnrollmentStatus, ModuleKind
from app.core.enums import SkillLevel

S = EnrollmentStatus

# ---------------------------------------------------------------- the lifecycle

#: Every allowed transition: (from status, action) -> to status. Anything not listed is refused.
TRANSITIONS: dict[tuple[EnrollmentStatus, str], EnrollmentStatus] = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "return"): S.DRAFT,
    (S.SUBMITTED, "approve"): S.APPROVED,
    (S.APPROVED, "start"): S.IN_TRAINING,
    (S.IN_TRAINING, "assess"): S.ASSESSED,
    (S.ASSESSED, "complete"): S.COMPLETED,
    (S.DRAFT, "withdraw"): S.WITHDRAWN,
    (S.SUBMITTED, "withdraw"): S.WITHDRAWN,
    (S.APPROVED, "withdraw"): S.WITHDRAWN,
    (S.IN_TRAINING, "withdraw"): S.WITHDRAWN,
}
ACTIONS = ("submit", "return", "approve", "start", "assess", "complete", "withdraw")


def next_status(status: EnrollmentStatus, action: str) -> EnrollmentStatus | None:
    """Where ``action`` takes an enrollment in ``status``, or None when it is not allowed from there."""
    return TRANSITIONS.get((status, action))


def allowed_actions(status: EnrollmentStatus) -> list[str]:
    return [a for a in ACTIONS if (status, a) in TRANSITIONS]


@dataclass(frozen=True)
class Readiness:
    """What must be in place before an enrollment is submitted or approved."""

    has_enterprise_mentor: bool
    has_institution_mentor: bool
    documents: frozenset[DocumentKind]
    plan_problems: tuple[str, ...] = ()


def readiness_problems(facts: Readiness) -> list[str]:
    """Codes of what is missing: "enterprise_mentor", "institution_mentor", "document:<kind>", plan codes."""
    problems: list[str] = []
    if not facts.has_enterprise_mentor:
        problems.append("enterprise_mentor")
    if not facts.has_institution_mentor:
        problems.append("institution_mentor")
    problems.extend(f"document:{kind.value}" for kind in DocumentKind if kind not in facts.documents)
    problems.extend(facts.plan_problems)
    return problems


# ---------------------------------------------------------------- dates

def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day: 31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def months_between(start: date, end: date) -> int:
    """Months from ``start`` to ``end`` (end exclusive): whole months, and a remainder of 15 days or more
    counts as one more month (the proration rule: a month is subsidised when at least half of it is trained)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    remainder = (end - add_months(start, months)).days
    return months + (1 if remainder >= 15 else 0)


@dataclass(frozen=True)
class TrainingYear:
    number: int
    starts_on: date
    ends_on: date  # exclusive
    months: int


def training_years(starts_on: date, ends_on: date) -> list[TrainingYear]:
    """The training period cut into years from its start; the last one may be partial."""
    years: list[TrainingYear] = []
    number, start = 1, starts_on
    while start < ends_on and number <= 3:
        end = min(add_years(starts_on, number), ends_on)
        years.append(TrainingYear(number, start, end, min(months_between(start, end), 12)))
        number, start = number + 1, end
    return years


# ---------------------------------------------------------------- checks

@dataclass(frozen=True)
class PeriodPolicy:
    min_years: int = 1
    max_years: int = 2
    max_years_special: int = 3


def period_problems(starts_on: date, ends_on: date, extension_reason: str, policy: PeriodPolicy) -> list[str]:
    """"period_order", "period_too_short", "period_too_long", "reason_required" — empty when fine."""
    if ends_on <= starts_on:
        return ["period_order"]
    if ends_on < add_years(starts_on, policy.min_years):
        return ["period_too_short"]
    if ends_on > add_years(starts_on, policy.max_years_special):
        return ["period_too_long"]
    if ends_on > add_years(starts_on, policy.max_years) and not extension_reason.strip():
        return ["reason_required"]
    return []


def contract_problems(contract_starts_on: date, contract_ends_on: date | None, min_years: int) -> list[str]:
    """A labour contract of at least ``min_years`` (an open-ended contract, no end date, always qualifies)."""
    if contract_ends_on is None:
        return []
    if contract_ends_on < add_years(contract_starts_on, min_years):
        return ["contract_too_short"]
    return []


@dataclass(frozen=True)
class PlanPolicy:
    min_hours_per_year: int = 600
    min_classroom_hours_per_year: int = 160


def plan_problems(modules: list[tuple[ModuleKind, int]], starts_on: date, ends_on: date,
                  policy: PlanPolicy) -> list[str]:
    """The plan must give at least the yearly minimum hours (and classroom hours) over the period, prorated
    by months for a partial year."""
    if not modules:
        return ["plan_empty"]
    months = Decimal(max(months_between(starts_on, ends_on), 1))
    years = months / 12
    total = sum(hours for _, hours in modules)
    classroom = sum(hours for kind, hours in modules if kind is ModuleKind.CLASSROOM)
    problems = []
    if total < policy.min_hours_per_year * years:
        problems.append("plan_hours")
    if classroom < policy.min_classroom_hours_per_year * years:
        problems.append("plan_classroom_hours")
    return problems


def required_hours(starts_on: date, ends_on: date, per_year: int) -> int:
    months = Decimal(max(months_between(starts_on, ends_on), 1))
    return int((per_year * months / 12).to_integral_value(rounding="ROUND_CEILING"))


#: The levels an apprenticeship may aim at (中级工 … 高级技师).
TARGET_LEVELS = (SkillLevel.LEVEL_4, SkillLevel.LEVEL_3, SkillLevel.LEVEL_2, SkillLevel.LEVEL_1)


def target_level_problems(current: SkillLevel | None, target: SkillLevel) -> list[str]:
    if target not in TARGET_LEVELS:
        return ["target_not_allowed"]
    if current is not None and target.rank <= current.rank:
        return ["target_not_above"]
    return []


#: 职业技能等级 numbers: 五级 (初级工) … 一级 (高级技师); 特级/首席技师 are above 一级.
GRADES = {SkillLevel.LEVEL_5: 5, SkillLevel.LEVEL_4: 4, SkillLevel.LEVEL_3: 3, SkillLevel.LEVEL_2: 2,
          SkillLevel.LEVEL_1: 1}


def level_of_grade(grade: int) -> SkillLevel | None:
    return next((level for level, g in GRADES.items() if g == grade), None)


def mentor_level_ok(level: SkillLevel | None, min_grade: int | None) -> bool:
    """True when no minimum is set (None or 0), or the mentor's level is at the given grade or higher."""
    required = level_of_grade(min_grade) if min_grade else None
    if required is None:
        return True
    return level is not None and level.rank >= required.rank


def mentor_has_room(current_apprentices: int, maximum: int) -> bool:
    return current_apprentices < maximum


# ---------------------------------------------------------------- subsidies (先支后补)

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def yearly_standard(base: Decimal | None, topup: Decimal | None) -> Decimal:
    """The standard per apprentice per year: the city's amount plus the district's top-up, if any."""
    return money((base or Decimal(0)) + (topup or Decimal(0)))


def prorated(standard: Decimal, months: int) -> Decimal:
    """A training year's subsidy: the yearly standard × months / 12 (a full year is 12 months)."""
    return money(standard * min(months, 12) / 12)


def months_trained(year: TrainingYear, until: date) -> int:
    """Months of a training year actually trained by ``until`` (the assessment), counted as the advance is
    prorated (a remainder of at least half a month is a month); 0 for a year not yet begun."""
    if until <= year.starts_on:
        return 0
    return min(months_between(year.starts_on, min(until, year.ends_on)), year.months)


def advance(amount: Decimal, ratio: Decimal) -> Decimal:
    """The advance paid after approval: at most ``ratio`` of the year's amount."""
    return money(amount * min(max(ratio, Decimal(0)), Decimal(1)))


def balance(amount: Decimal, advanced: Decimal) -> Decimal:
    """The rest, paid after the apprentice passes the assessment."""
    return money(amount - advanced)


def clawback(advanced: Decimal) -> Decimal:
    """What is recovered when an apprentice withdraws or fails: the whole advance (a negative line)."""
    return -money(advanced)


def claim_deadline(eligible_on: date, window_months: int) -> date:
    """The last day a subsidy may be claimed, ``window_months`` after it became claimable."""
    return add_months(eligible_on, window_months)


def claim_window_state(eligible_on: date | None, today: date, window_months: int) -> str:
    """"not_yet", "open" or "closed"."""
    if eligible_on is None or today < eligible_on:
        return "not_yet"
    if today > claim_deadline(eligible_on, window_months):
        return "closed"
    return "open"


@dataclass
class LedgerTotals:
    """Sums of ledger lines: claimed (all advances and balances), approved, paid, clawed back, net."""

    claimed: Decimal = Decimal("0.00")
    approved: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    clawed_back: Decimal = Decimal("0.00")
    lines: int = 0
    by_kind: dict[str, Decimal] = field(default_factory=dict)

    @property
    def net(self) -> Decimal:
        """Paid out less what is being recovered."""
        return money(self.paid + self.clawed_back)


def ledger_totals(lines: list[tuple[str, str, Decimal]]) -> LedgerTotals:
    """Totals of (kind, status, amount) lines."""
    totals = LedgerTotals()
    for kind, status, amount in lines:
        totals.lines += 1
        totals.by_kind[kind] = money(totals.by_kind.get(kind, Decimal(0)) + amount)
        if kind == "clawback":
            totals.clawed_back += amount
            continue
        totals.claimed += amount
        if status in ("approved", "paid"):
            totals.approved += amount
        if status == "paid":
            totals.paid += amount
    return totals
