"""Pure rules of 带徒学时 and 带徒津贴 (no database): hours from a time range, month bounds, the allowance of a
mentor's month, and the risk rules (the SQL in ``risks.py`` finds the same things set-wise; tests hold both to the
worked examples here).

Allowance, as computed by ``monthly_allowance``:

* Only approved hours count, and only on days the mentorship runs: from the enrollment's start to its end, or to
  the withdrawal date. Months after a withdrawal pay nothing.
* Each day's hours are paid by the rule in force on that day (a rule change mid-month takes effect on its
  effective date): a per-hour rule pays hours × rate.
* A per-apprentice-month rule pays its flat amount once for every apprentice whose mentorship runs at least one
  day in the month, by the rule in force on the last day it runs in that month.
* The monthly cap (per mentor, over all of the mentor's apprentices) is the cap of the rule in force on the
  month's last day; hours and flat amounts together are cut to it.
* A completion bonus (of the rule in force on the assessment date) is added in the month the apprentice passes,
  outside the cap.
* When the mentorship ends early (withdrawal before the planned end) and the rule in force on the withdrawal
  date says so, the month pays no flat amount for that apprentice and the flat amounts paid before are refunded
  (a negative amount, outside the cap).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PER_HOUR = "per_hour"
PER_APPRENTICE_MONTH = "per_apprentice_month"


def plain(value: Decimal | int | float | str) -> str:
    """A number without trailing zeros or exponent: 4.00 → "4", 2.50 → "2.5", 40 → "40"."""
    return f"{Decimal(str(value)).normalize():f}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return month_end(day) + timedelta(days=1)


def month_days(month: date) -> list[date]:
    start = month_start(month)
    return [start + timedelta(days=n) for n in range((month_end(month) - start).days + 1)]


def week_days(day: date) -> list[date]:
    """Monday to Sunday of the week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def hours_between(starts: time, ends: time) -> Decimal:
    """The hours from ``starts`` to ``ends`` on one day, to the hundredth (ends must be after starts)."""
    if ends <= starts:
        raise ValueError("ends before starts")
    minutes = (datetime.combine(date.min, ends) - datetime.combine(date.min, starts)).seconds // 60
    return (Decimal(minutes) / 60).quantize(CENT, ROUND_HALF_UP)


def parse_month(text: str) -> date | None:
    """"2026-03" → 2026-03-01; None when it is not a month."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except (TypeError, ValueError):
        return None


def submission_due(month: date, day_of_next_month: int) -> date:
    """The month's hours are due by this day of the next month."""
    following = next_month(month)
    return following.replace(day=min(max(day_of_next_month, 1), calendar.monthrange(following.year,
                                                                                  following.month)[1]))


# ---------------------------------------------------------------- allowance

@dataclass(frozen=True)
class Rule:
    effective_from: date
    kind: str
    amount: Decimal
    monthly_cap: Decimal | None = None
    completion_bonus: Decimal | None = None
    refund_on_early_end: bool = False
    id: int | None = None


def rule_in_force(rules: Iterable[Rule], on: date) -> Rule | None:
    """The newest rule whose effective date is on or before ``on``."""
    candidates = [r for r in rules if r.effective_from <= on]
    return max(candidates, key=lambda r: r.effective_from) if candidates else None


@dataclass(frozen=True)
class Mentorship:
    """One apprentice of the mentor, as the allowance sees it."""

    enrollment_id: int
    label: str
    starts_on: date
    ends_on: date
    withdrawn_on: date | None = None
    passed_on: date | None = None
    #: Approved hours by day (of this month).
    hours_by_day: dict[date, Decimal] = field(default_factory=dict)
    #: Per apprentice-month amounts paid for this apprentice in earlier months (refunded on an early end).
    flat_paid_before: Decimal = Decimal(0)

    def last_day(self) -> date:
        return min(self.ends_on, self.withdrawn_on) if self.withdrawn_on else self.ends_on

    def runs_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.last_day()

    @property
    def ended_early(self) -> bool:
        return self.withdrawn_on is not None and self.withdrawn_on < self.ends_on


@dataclass
class Line:
    enrollment_id: int
    label: str
    hours: Decimal
    #: Hours pay plus the flat amount, before the cap.
    base: Decimal
    flat: Decimal
    bonus: Decimal
    refund: Decimal
    #: The base after the mentor's cap is shared out (proportionally).
    capped: Decimal = Decimal(0)
    rule: Rule | None = None
    #: Approved hours of the month outside the enrollment (before it, after its end or the withdrawal): unpaid.
    unpaid_hours: Decimal = Decimal(0)
    #: The withdrawal date when the apprentice had withdrawn by the month's end (the reason hours go unpaid).
    withdrawn_on: date | None = None

    @property
    def amount(self) -> Decimal:
        return self.capped + self.bonus + self.refund


@dataclass
class Statement:
    month: date
    lines: list[Line]
    cap: Decimal | None
    rule: Rule | None

    @property
    def hours(self) -> Decimal:
        return sum((ln.hours for ln in self.lines), Decimal(0))

    @property
    def base(self) -> Decimal:
        return sum((ln.base for ln in self.lines), Decimal(0))

    @property
    def capped(self) -> Decimal:
        return sum((ln.capped for ln in self.lines), Decimal(0))

    @property
    def cap_applied(self) -> bool:
        return self.cap is not None and self.base > self.cap

    @property
    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal(0))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def share_cap(bases: Sequence[Decimal], cap: Decimal | None) -> list[Decimal]:
    """Cut ``bases`` to ``cap`` in proportion, to the cent, the rounding remainder going to the largest one."""
    total = sum(bases, Decimal(0))
    if cap is None or total <= cap:
        return list(bases)
    if total == 0:
        return [Decimal(0) for _ in bases]
    shares = [_money(b * cap / total) for b in bases]
    if shares:
        biggest = max(range(len(bases)), key=lambda i: bases[i])
        shares[biggest] += cap - sum(shares, Decimal(0))
    return shares


def monthly_allowance(month: date, mentorships: Sequence[Mentorship], rules: Sequence[Rule]) -> Statement:
    """One mentor's 带徒津贴 for ``month`` (see the module's docstring for the rules, in order)."""
    first, last = month_start(month), month_end(month)
    lines: list[Line] = []
    for m in mentorships:
        hours = pay = flat = bonus = refund = unpaid = Decimal(0)
        for day, h in sorted(m.hours_by_day.items()):
            if not (first <= day <= last):
                continue
            if not m.runs_on(day):
                unpaid += h
                continue
            hours += h
            rule = rule_in_force(rules, day)
            if rule is not None and rule.kind == PER_HOUR:
                pay += h * rule.amount
        running = [d for d in (max(first, m.starts_on), min(last, m.last_day())) if first <= d <= last]
        last_running = min(last, m.last_day())
        runs_in_month = len(running) == 2 and running[0] <= running[1]
        refunding = False
        if m.ended_early and m.withdrawn_on is not None and first <= m.withdrawn_on <= last:
            at_end = rule_in_force(rules, m.withdrawn_on)
            refunding = at_end is not None and at_end.refund_on_early_end
            if refunding:
                refund = -m.flat_paid_before
        if runs_in_month and not refunding:
            rule = rule_in_force(rules, last_running)
            if rule is not None and rule.kind == PER_APPRENTICE_MONTH:
                flat = rule.amount
        if m.passed_on is not None and first <= m.passed_on <= last:
            rule = rule_in_force(rules, m.passed_on)
            if rule is not None and rule.completion_bonus:
                bonus = rule.completion_bonus
        lines.append(Line(m.enrollment_id, m.label, hours, _money(pay + flat), flat, bonus, _money(refund),
                          rule=rule_in_force(rules, min(last, m.last_day())), unpaid_hours=unpaid,
                          withdrawn_on=m.withdrawn_on if m.withdrawn_on is not None and m.withdrawn_on <= last
                          else None))
    in_force = rule_in_force(rules, last)
    cap = in_force.monthly_cap if in_force is not None else None
    for line, capped in zip(lines, share_cap([ln.base for ln in lines], cap), strict=True):
        line.capped = capped
    return Statement(first, lines, cap, in_force)


# ---------------------------------------------------------------- risk rules (the SQL in risks.py does the same)

#: A month-end burst: at least this many entries of a mentor's month ...
BURST_MIN_ENTRIES = 5
#: ... at least this share of them logged in the month's last ``BURST_LAST_DAYS`` days or later.
BURST_SHARE = Decimal("0.8")
BURST_LAST_DAYS = 3


def over_daily_limit(total_hours: Decimal, limit: Decimal) -> bool:
    """A mentor's hours on one day (all apprentices together) above the limit (12 h: exactly 12 is fine)."""
    return total_hours > limit


def over_monthly_ceiling(total_hours: Decimal, ceiling: Decimal) -> bool:
    return total_hours > ceiling


def overlap(a: tuple[time, time], b: tuple[time, time]) -> bool:
    """Two sessions on one day overlap when each starts before the other ends (touching ends do not)."""
    return a[0] < b[1] and b[0] < a[1]


def outside_enrollment(worked_on: date, starts_on: date, ends_on: date, withdrawn_on: date | None) -> bool:
    """Hours before the start, after the end, or after the withdrawal date."""
    if worked_on < starts_on or worked_on > ends_on:
        return True
    return withdrawn_on is not None and worked_on > withdrawn_on


def backfilled(worked_on: date, logged_on: date, days: int) -> bool:
    """Logged more than ``days`` days after the day worked."""
    return (logged_on - worked_on).days > days


def burst_window_start(month: date) -> date:
    return month_end(month) - timedelta(days=BURST_LAST_DAYS - 1)


def month_end_burst(month: date, logged_on: Sequence[date]) -> bool:
    """Most of a month's entries logged in its last days (or after): hours written up at once, not as they went."""
    if len(logged_on) < BURST_MIN_ENTRIES:
        return False
    late = sum(1 for d in logged_on if d >= burst_window_start(month))
    return Decimal(late) >= BURST_SHARE * len(logged_on)


def copy_key(content: str, place: str, starts: time | None, ends: time | None, hours: Decimal) -> tuple[object, ...]:
    """Entries of one mentor with one apprentice with the same key on many days of a month look copy-pasted
    (teaching several apprentices the same lesson together is normal and not counted)."""
    return (content.strip(), place.strip(), starts, ends, hours)


#: At least this many entries of one mentor with one apprentice in a month with the same content, place,
#: time and hours.
COPY_MIN_ENTRIES = 5


def copy_pasted(keys: Sequence[tuple[object, ...]]) -> set[tuple[object, ...]]:
    counts: dict[tuple[object, ...], int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return {k for k, n in counts.items() if n >= COPY_MIN_ENTRIES}


def self_approved(logged_by: int | None, approved_by: int | None) -> bool:
    return logged_by is not None and logged_by == approved_by


def over_concurrent_cap(apprentices: int, cap: int) -> bool:
    return apprentices > cap
