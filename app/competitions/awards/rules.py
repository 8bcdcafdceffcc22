"""Pure rules of award incentives: which rule applies, amounts, promotions, notice working days. No Flask,
no DB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from app.core.enums import SkillLevel
from app.core.rules import next_level

# ---------------------------------------------------------------- award incentives

FEN = Decimal("0.01")


@dataclass(frozen=True)
class AwardRuleSpec:
    """The parts of an award rule the engine needs (amounts in 元)."""

    id: int
    band: str  # "gold", "silver", "bronze", "merit", "medallion" or "top_n"
    competitor_amount: Decimal = Decimal(0)
    split_team: bool = False
    expert_team_amount: Decimal = Decimal(0)
    unit_amount: Decimal = Decimal(0)
    promotion: str = "none"  # "none", "one_up" or "to_level"
    promotion_level: SkillLevel | None = None
    promotion_alt_level: SkillLevel | None = None
    honour_title: str = ""
    top_n: int | None = None
    top_n_pair: int | None = None
    top_n_trio: int | None = None


@dataclass(frozen=True)
class Member:
    person_id: int
    level: SkillLevel | None


@dataclass(frozen=True)
class Placed:
    """A locked result: its rank and medal, the unit, and the people it belongs to (one, or a team)."""

    result_id: int
    rank: int
    medal: str | None
    unit_id: int
    members: tuple[Member, ...]


@dataclass(frozen=True)
class AwardLineSpec:
    rule_id: int
    result_id: int
    recipient_kind: str  # "competitor", "expert_team" or "unit"
    recipient_key: str
    unit_id: int
    person_id: int | None = None
    amount: Decimal = Decimal(0)
    promotion_to: SkillLevel | None = None
    honour_title: str = ""


def rule_applies(rule: AwardRuleSpec, placed: Placed) -> bool:
    """A medal band matches the medal; a top-N band the rank, with N by team size where the rule says so."""
    if rule.band != "top_n":
        return placed.medal == rule.band
    size = len(placed.members)
    n = rule.top_n
    if size == 2 and rule.top_n_pair is not None:
        n = rule.top_n_pair
    elif size >= 3 and rule.top_n_trio is not None:
        n = rule.top_n_trio
    return n is not None and placed.rank <= n


def promotion_target(rule: AwardRuleSpec, level: SkillLevel | None) -> SkillLevel | None:
    """Where the rule promotes someone now at ``level``; None when they are already there (and no alternative)."""
    if rule.promotion == "one_up":
        target = next_level(level)
        return target if level is None or target.rank > level.rank else None
    if rule.promotion == "to_level" and rule.promotion_level is not None:
        if level is None or level.rank < rule.promotion_level.rank:
            return rule.promotion_level
        alternative = rule.promotion_alt_level
        if alternative is not None and level.rank < alternative.rank:
            return alternative
    return None


def split_amount(amount: Decimal, parts: int) -> list[Decimal]:
    """Share ``amount`` in fen among ``parts``; the first share takes the odd fen, so the shares add up exactly."""
    share = (amount / parts).quantize(FEN, rounding=ROUND_DOWN)
    first = amount - share * (parts - 1)
    return [first] + [share] * (parts - 1)


def award_lines(placings: list[Placed], award_rules: list[AwardRuleSpec]) -> list[AwardLineSpec]:
    """Every award line the results earn under the rules: per competitor (each team member), per expert team
    and per unit. A person promoted by several lines (two medals) keeps only the highest promotion."""
    lines: list[AwardLineSpec] = []
    for placed in placings:
        for rule in award_rules:
            if not rule_applies(rule, placed):
                continue
            members = placed.members
            amounts = (split_amount(rule.competitor_amount, len(members)) if rule.split_team and members
                       else [rule.competitor_amount] * len(members))
            for member, amount in zip(members, amounts, strict=True):
                lines.append(AwardLineSpec(rule.id, placed.result_id, "competitor", f"person:{member.person_id}",
                                           placed.unit_id, member.person_id, amount,
                                           promotion_target(rule, member.level), rule.honour_title))
            if rule.expert_team_amount:
                lines.append(AwardLineSpec(rule.id, placed.result_id, "expert_team", f"experts:{placed.unit_id}",
                                           placed.unit_id, None, rule.expert_team_amount))
            if rule.unit_amount:
                lines.append(AwardLineSpec(rule.id, placed.result_id, "unit", f"unit:{placed.unit_id}",
                                           placed.unit_id, None, rule.unit_amount))
    return _one_promotion_per_person(lines)


def _one_promotion_per_person(lines: list[AwardLineSpec]) -> list[AwardLineSpec]:
    best: dict[int, int] = {}
    for i, line in enumerate(lines):
        if line.person_id is not None and line.promotion_to is not None:
            kept = best.get(line.person_id)
            if kept is None or lines[kept].promotion_to.rank < line.promotion_to.rank:  # type: ignore[union-attr]
                best[line.person_id] = i
    result = []
    for i, line in enumerate(lines):
        if line.promotion_to is not None and best.get(line.person_id) != i:  # type: ignore[arg-type]
            line = AwardLineSpec(line.rule_id, line.result_id, line.recipient_kind, line.recipient_key,
                                 line.unit_id, line.person_id, line.amount, None, line.honour_title)
        if line.amount or line.promotion_to is not None or line.honour_title:
            result.append(line)
    return result


def weekday(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int, is_workday: Callable[[date], bool] = weekday) -> date:
    """The date ``days`` working days after ``start``; ``is_workday`` decides (the app passes the Chinese
    calendar: public holidays off, 调休 weekend working days on)."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day
