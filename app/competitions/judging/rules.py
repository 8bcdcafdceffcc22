"""Pure rules of judging and results: marks, ranks, WorldSkills standardisation, medals. No Flask, no DB."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

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
