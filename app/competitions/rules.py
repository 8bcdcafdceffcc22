"""Pure rules of the competition pyramid: eligibility, registration windows, quotas. No Flask, no DB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.core.enums import District, SkillLevel
from app.core.rules import next_level


@dataclass(frozen=True)
class Problem:
    """Why a person may not enter; ``code`` picks the translated message, ``params`` fill it in."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class EligibilityRules:
    born_on_or_after: date | None = None
    min_level: SkillLevel | None = None
    max_level: SkillLevel | None = None
    #: "any", "shanghai" (employer registered in a Shanghai district) or "host_district".
    locality: str = "any"
    host_district: District | None = None
    exclude_past_worldskills: bool = False


@dataclass(frozen=True)
class Candidate:
    birth_date: date | None
    level: SkillLevel | None
    employer_district: District | None
    past_worldskills: bool = False
    #: Names of other events on overlapping dates where the person already holds a place.
    clashing_events: tuple[str, ...] = ()


def worldskills_cutoff(competition_year: int, max_age: int = 22) -> date:
    """Oldest allowed birth date: "not older than ``max_age`` in the calendar year of the competition"."""
    return date(competition_year - max_age, 1, 1)


def eligibility_problems(rules: EligibilityRules, person: Candidate) -> list[Problem]:
    """Every rule the candidate fails, in the order a person would read them (empty when eligible)."""
    problems: list[Problem] = []
    if rules.born_on_or_after is not None:
        if person.birth_date is None:
            problems.append(Problem("birth_date_unknown"))
        elif person.birth_date < rules.born_on_or_after:
            problems.append(Problem("too_old", {"cutoff": rules.born_on_or_after.isoformat()}))
    if rules.min_level is not None and (person.level is None or person.level.rank < rules.min_level.rank):
        problems.append(Problem("level_too_low", {"level": rules.min_level}))
    if rules.max_level is not None and person.level is not None and person.level.rank > rules.max_level.rank:
        problems.append(Problem("level_too_high", {"level": rules.max_level}))
    if rules.locality == "shanghai" and person.employer_district is None:
        problems.append(Problem("not_in_shanghai"))
    if rules.locality == "host_district" and (
        person.employer_district is None or person.employer_district != rules.host_district
    ):
        problems.append(Problem("not_in_host_district", {"district": rules.host_district}))
    if rules.exclude_past_worldskills and person.past_worldskills:
        problems.append(Problem("past_worldskills"))
    problems.extend(Problem("date_clash", {"event": name}) for name in person.clashing_events)
    return problems


def dates_overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    return a_start <= b_end and b_start <= a_end


def window_state(opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """"not_open", "open" or "closed" — compared as instants, so the zone of ``now`` does not matter."""
    if now < opens_at:
        return "not_open"
    if now >= closes_at:
        return "closed"
    return "open"


def quota_left(quota: int, places_held: int) -> int:
    return max(quota - places_held, 0)


# ---------------------------------------------------------------- judging and results
#
# Marks are Decimal throughout; an aspect's mark keeps its full precision and totals are rounded to 0.01
# only for display, so ties are decided on exact values.

MEASUREMENT = "M"
JUDGEMENT = "J"
SCHEME_TOTAL = Decimal(100)
JUDGES_PER_ASPECT = 3
#: Judgement scores of one aspect further apart than this must be re-discussed (WorldSkills practice).
MAX_JUDGE_SPREAD = 1
#: WorldSkills scale: the event's median sits at 700; one population standard deviation is this many points,
#: so that about 95% of a normal field falls between 600 and 800.
SCALE_CENTRE = Decimal(700)
SCALE_POINTS_PER_SD = Decimal(50)


class Medal(StrEnum):
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    MERIT = "merit"          # 优胜奖
    MEDALLION = "medallion"  # Medallion for Excellence

    @property
    def points(self) -> int:
        """WorldSkills medal points used to compare members."""
        return {"gold": 4, "silver": 3, "bronze": 2, "merit": 1, "medallion": 1}[self.value]


@dataclass(frozen=True)
class AspectSpec:
    criterion: str
    kind: str
    max_mark: Decimal


def scheme_total(max_marks: list[Decimal]) -> Decimal:
    return sum(max_marks, Decimal(0))


def aspect_mark(kind: str, max_mark: Decimal, values: list[Decimal]) -> Decimal:
    """The mark an aspect earns: a measurement's awarded mark, or max × mean of the judges' 0–3 scores ÷ 3."""
    if not values:
        return Decimal(0)
    if kind == MEASUREMENT:
        return min(max(values[0], Decimal(0)), max_mark)
    mean = sum(values, Decimal(0)) / len(values)
    return max_mark * mean / JUDGES_PER_ASPECT


def judges_disagree(values: list[Decimal]) -> bool:
    return len(values) > 1 and max(values) - min(values) > MAX_JUDGE_SPREAD


def aspect_complete(kind: str, values: list[Decimal]) -> bool:
    return len(values) >= (1 if kind == MEASUREMENT else JUDGES_PER_ASPECT)


@dataclass(frozen=True)
class Standing:
    """One contestant's marks: the total and the per-criterion sums (exact), and the time used if recorded."""

    key: int
    total: Decimal
    criteria: dict[str, Decimal] = field(default_factory=dict)
    time_seconds: int | None = None


@dataclass(frozen=True)
class AwardRule:
    kind: str  # "national", "worldskills" or "share"
    #: Tie-break order after the total: "criterion:A" (higher mark wins), "time" (less time wins).
    tie_break: tuple[str, ...] = ()
    #: WorldSkills: scale scores this close to the best of a medal group share its medal.
    margin: Decimal = Decimal(0)
    #: Share rule: fractions of the field for gold, silver, bronze and 优胜奖 (cumulative, rounded half up).
    shares: tuple[Decimal, Decimal, Decimal, Decimal] = (Decimal("0.1"), Decimal("0.2"), Decimal("0.3"), Decimal(0))
    #: National rule: half of an odd field rounds "down" (7 → 3) or "up" (7 → 4) for 优胜奖.
    merit_rounding: str = "down"


def merit_places(field_size: int, rounding: str) -> int:
    """How many places "the top half" is: ``field_size // 2`` rounded down, or up."""
    return (field_size + 1) // 2 if rounding == "up" else field_size // 2


@dataclass(frozen=True)
class Placing:
    key: int
    rank: int
    total: Decimal
    scale: int | None
    medal: Medal | None


@dataclass(frozen=True)
class Outcome:
    placings: list[Placing]
    #: Groups of contestant keys the national rule needs separated (tied within the medal places) — results
    #: cannot be locked until the event's tie-break order tells them apart.
    unresolved_ties: list[tuple[int, ...]]


def _sort_key(standing: Standing, tie_break: tuple[str, ...]) -> tuple[object, ...]:
    key: list[object] = [-standing.total]
    for item in tie_break:
        if item == "time":
            # Less time is better; an unrecorded time ranks after every recorded one.
            key.append((standing.time_seconds is None, standing.time_seconds or 0))
        elif item.startswith("criterion:"):
            key.append(-standing.criteria.get(item.partition(":")[2], Decimal(0)))
    return tuple(key)


def rank_standings(standings: list[Standing], tie_break: tuple[str, ...] = ()) -> list[tuple[Standing, int]]:
    """Standard competition ranking (1, 2, 2, 4): equal on the total and every tie-break shares a rank."""
    ordered = sorted(standings, key=lambda s: (_sort_key(s, tie_break), s.key))
    ranked: list[tuple[Standing, int]] = []
    previous = None
    for position, standing in enumerate(ordered, start=1):
        sort_key = _sort_key(standing, tie_break)
        rank = ranked[-1][1] if previous == sort_key else position
        ranked.append((standing, rank))
        previous = sort_key
    return ranked


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def standardise(totals: list[Decimal], points_per_sd: Decimal = SCALE_POINTS_PER_SD) -> list[int]:
    """Totals on the WorldSkills scale: the median maps to 700, each standard deviation to ``points_per_sd``.

    A field with no spread (one contestant, or all equal) sits at 700 — nothing to divide by.
    """
    if not totals:
        return []
    median = _median(totals)
    mean = sum(totals, Decimal(0)) / len(totals)
    variance = sum(((t - mean) ** 2 for t in totals), Decimal(0)) / len(totals)
    sd = variance.sqrt() if variance else Decimal(0)
    if not sd:
        return [int(SCALE_CENTRE)] * len(totals)
    return [int((SCALE_CENTRE + (t - median) / sd * points_per_sd).to_integral_value(ROUND_HALF_UP))
            for t in totals]


def _share_cutoffs(field_size: int, shares: tuple[Decimal, ...]) -> list[int]:
    """Cumulative places for each medal: round half up of field × (sum of shares so far)."""
    cutoffs, running = [], Decimal(0)
    for share in shares:
        running += share
        cutoffs.append(int((field_size * running).to_integral_value(ROUND_HALF_UP)))
    return cutoffs


def award(standings: list[Standing], rule: AwardRule) -> Outcome:
    """Rank the field and hand out medals by the event's award rule (see the README's judging section)."""
    ranked = rank_standings(standings, rule.tie_break)
    n = len(ranked)
    scales: list[int | None] = [None] * n
    medals: list[Medal | None] = [None] * n
    unresolved: list[tuple[int, ...]] = []
    if rule.kind == "national":
        for i, (_standing, rank) in enumerate(ranked):
            if rank <= 3:
                medals[i] = [Medal.GOLD, Medal.SILVER, Medal.BRONZE][rank - 1]
            elif rank <= merit_places(n, rule.merit_rounding):
                medals[i] = Medal.MERIT
        by_rank: dict[int, list[int]] = {}
        for standing, rank in ranked:
            by_rank.setdefault(rank, []).append(standing.key)
        unresolved = [tuple(keys) for rank, keys in sorted(by_rank.items()) if rank <= 3 and len(keys) > 1]
    elif rule.kind == "worldskills":
        scales = list(standardise([s.total for s, _rank in ranked]))
        group_medals = [Medal.GOLD, Medal.SILVER, Medal.BRONZE]
        group, leader = -1, None
        for i in range(n):
            if leader is None or scales[i] < leader - rule.margin:  # type: ignore[operator]
                group, leader = group + 1, scales[i]
            if group < len(group_medals):
                medals[i] = group_medals[group]
            elif scales[i] >= SCALE_CENTRE:  # type: ignore[operator]
                medals[i] = Medal.MEDALLION
    else:
        cutoffs = _share_cutoffs(n, rule.shares)
        for i, (_standing, rank) in enumerate(ranked):
            for medal, cutoff in zip([Medal.GOLD, Medal.SILVER, Medal.BRONZE, Medal.MERIT], cutoffs, strict=True):
                if rank <= cutoff:
                    medals[i] = medal
                    break
    placings = [Placing(s.key, rank, s.total, scales[i], medals[i]) for i, (s, rank) in enumerate(ranked)]
    return Outcome(placings, unresolved)


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
