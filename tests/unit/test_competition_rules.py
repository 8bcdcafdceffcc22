from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.competitions.events.rules import worldskills_cutoff
from app.competitions.registration.rules import (
    Candidate,
    EligibilityRules,
    dates_overlap,
    eligibility_problems,
    quota_left,
    window_state,
)
from app.core.enums import District, SkillLevel

WORLD_2026 = EligibilityRules(born_on_or_after=worldskills_cutoff(2026))


def codes(rules: EligibilityRules, **person) -> list[str]:
    candidate = Candidate(**{"birth_date": date(2004, 6, 1), "level": SkillLevel.LEVEL_3, "employer_district": None,
                             **person})
    return [p.code for p in eligibility_problems(rules, candidate)]


def test_worldskills_cutoff_is_first_of_january_of_year_minus_max_age():
    assert worldskills_cutoff(2026) == date(2004, 1, 1)
    assert worldskills_cutoff(2026, max_age=25) == date(2001, 1, 1)


def test_born_on_first_of_january_of_the_cutoff_year_is_eligible():
    assert codes(WORLD_2026, birth_date=date(2004, 1, 1)) == []


def test_born_on_the_last_day_of_the_year_before_is_too_old():
    assert codes(WORLD_2026, birth_date=date(2003, 12, 31)) == ["too_old"]


def test_leap_day_birthdays_compare_as_dates():
    leap = EligibilityRules(born_on_or_after=date(2004, 2, 29))
    assert codes(leap, birth_date=date(2004, 2, 29)) == []
    assert codes(leap, birth_date=date(2004, 2, 28)) == ["too_old"]
    assert codes(leap, birth_date=date(2004, 3, 1)) == []


def test_missing_birth_date_fails_an_age_rule_but_not_an_event_without_one():
    assert codes(WORLD_2026, birth_date=None) == ["birth_date_unknown"]
    assert codes(EligibilityRules(), birth_date=None) == []


@pytest.mark.parametrize("level, expected", [
    (None, ["level_too_low"]), (SkillLevel.LEVEL_5, ["level_too_low"]), (SkillLevel.LEVEL_4, []),
    (SkillLevel.LEVEL_2, []), (SkillLevel.LEVEL_1, ["level_too_high"]),
])
def test_level_window_is_inclusive(level, expected):
    rules = EligibilityRules(min_level=SkillLevel.LEVEL_4, max_level=SkillLevel.LEVEL_2)
    assert codes(rules, level=level) == expected


def test_locality_rules():
    shanghai = EligibilityRules(locality="shanghai")
    assert codes(shanghai, employer_district=None) == ["not_in_shanghai"]
    assert codes(shanghai, employer_district=District.JINSHAN) == []
    host = EligibilityRules(locality="host_district", host_district=District.PUDONG)
    assert codes(host, employer_district=District.XUHUI) == ["not_in_host_district"]
    assert codes(host, employer_district=District.PUDONG) == []


def test_past_worldskills_competitors_and_date_clashes_are_named():
    rules = EligibilityRules(exclude_past_worldskills=True)
    problems = eligibility_problems(rules, Candidate(date(2004, 1, 1), None, None, True, ("焊接", "车工")))
    assert [(p.code, p.params.get("event")) for p in problems] == [
        ("past_worldskills", None), ("date_clash", "焊接"), ("date_clash", "车工")]


def test_every_failed_rule_is_reported_together():
    rules = EligibilityRules(born_on_or_after=date(2004, 1, 1), min_level=SkillLevel.LEVEL_3, locality="shanghai")
    assert codes(rules, birth_date=date(1990, 1, 1), level=None) == ["too_old", "level_too_low", "not_in_shanghai"]


def test_date_ranges_overlap_when_they_share_a_day():
    assert dates_overlap(date(2026, 5, 1), date(2026, 5, 3), date(2026, 5, 3), date(2026, 5, 5))
    assert not dates_overlap(date(2026, 5, 1), date(2026, 5, 3), date(2026, 5, 4), date(2026, 5, 5))


def test_registration_window_is_compared_as_instants():
    shanghai = timezone(timedelta(hours=8))
    opens = datetime(2026, 3, 1, 9, 0, tzinfo=shanghai)
    closes = datetime(2026, 3, 31, 17, 0, tzinfo=shanghai)
    assert window_state(opens, closes, datetime(2026, 3, 1, 0, 59, tzinfo=UTC)) == "not_open"
    assert window_state(opens, closes, datetime(2026, 3, 1, 1, 0, tzinfo=UTC)) == "open"
    assert window_state(opens, closes, datetime(2026, 3, 31, 8, 59, 59, tzinfo=UTC)) == "open"
    assert window_state(opens, closes, datetime(2026, 3, 31, 9, 0, tzinfo=UTC)) == "closed"


def test_quota_left_never_goes_negative():
    assert quota_left(3, 1) == 2 and quota_left(3, 5) == 0
