"""Pure rules of registration: eligibility, registration windows, quotas. No Flask, no DB."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.core.enums import District, SkillLevel


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
