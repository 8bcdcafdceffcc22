"""The award engine: results + rules → award lines. Worked examples for each rule type, teams, ties, two medals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from app.competitions.awards.rules import (
    AwardRuleSpec,
    Member,
    Placed,
    add_working_days,
    award_lines,
    promotion_target,
    rule_applies,
    split_amount,
)
from app.core.enums import SkillLevel as L

# 第44届世赛国家奖励 (per medal) and the national contest's promotion and honour rules.
WS_GOLD = AwardRuleSpec(1, "gold", competitor_amount=D("300000"), expert_team_amount=D("300000"))
WS_MERIT = AwardRuleSpec(2, "medallion", competitor_amount=D("50000"), expert_team_amount=D("50000"))
SH_TOPUP_GOLD = AwardRuleSpec(3, "gold", competitor_amount=D("500000"), promotion="to_level",
                              promotion_level=L.LEVEL_1)
NATIONAL_PROMOTION = [AwardRuleSpec(10 + i, band, promotion="to_level", promotion_level=L.LEVEL_2,
                                    promotion_alt_level=L.LEVEL_1) for i, band in
                      enumerate(["gold", "silver", "bronze", "merit"])]
TECHNICAL_EXPERT = AwardRuleSpec(20, "top_n", honour_title="全国技术能手", top_n=5, top_n_pair=3, top_n_trio=2)


def one(result_id: int, rank: int, medal: str | None, person: int, level=L.LEVEL_3, unit: int = 100) -> Placed:
    return Placed(result_id, rank, medal, unit, (Member(person, level),))


def test_a_worldskills_gold_earns_the_competitor_and_the_expert_team_each_their_amount():
    lines = award_lines([one(1, 1, "gold", 7)], [WS_GOLD, SH_TOPUP_GOLD])
    assert [(ln.recipient_kind, ln.amount) for ln in lines] == [
        ("competitor", D("300000")), ("expert_team", D("300000")), ("competitor", D("500000"))]
    assert [ln.promotion_to for ln in lines if ln.rule_id == 3] == [L.LEVEL_1]
    assert sum(ln.amount for ln in lines) == D("1100000")


def test_medallion_rules_do_not_match_a_medal():
    assert award_lines([one(1, 4, "bronze", 7)], [WS_MERIT]) == []
    assert len(award_lines([one(1, 9, "medallion", 7)], [WS_MERIT])) == 2


def test_promotion_to_technician_or_senior_technician_if_already_technician():
    rule = NATIONAL_PROMOTION[0]
    assert promotion_target(rule, L.LEVEL_3) is L.LEVEL_2
    assert promotion_target(rule, None) is L.LEVEL_2
    assert promotion_target(rule, L.LEVEL_2) is L.LEVEL_1
    assert promotion_target(rule, L.LEVEL_1) is None  # already at the alternative: nothing


def test_one_level_up_stops_at_the_top_of_the_ladder():
    rule = AwardRuleSpec(1, "gold", promotion="one_up")
    assert promotion_target(rule, L.LEVEL_4) is L.LEVEL_3
    assert promotion_target(rule, None) is L.LEVEL_5
    assert promotion_target(rule, L.CHIEF) is None


def test_a_person_already_at_the_target_with_no_alternative_gets_no_line():
    rule = AwardRuleSpec(1, "merit", promotion="to_level", promotion_level=L.LEVEL_3)
    assert award_lines([one(1, 4, "merit", 7, level=L.LEVEL_2)], [rule]) == []


def test_top_n_honour_depends_on_team_size():
    solo = one(1, 5, None, 7)
    pair = Placed(2, 3, None, 100, (Member(8, None), Member(9, None)))
    pair_4th = Placed(3, 4, None, 100, (Member(10, None), Member(11, None)))
    trio_3rd = Placed(4, 3, "bronze", 100, (Member(12, None), Member(13, None), Member(14, None)))
    assert rule_applies(TECHNICAL_EXPERT, solo) and rule_applies(TECHNICAL_EXPERT, pair)
    assert not rule_applies(TECHNICAL_EXPERT, pair_4th) and not rule_applies(TECHNICAL_EXPERT, trio_3rd)
    lines = award_lines([pair], [TECHNICAL_EXPERT])
    assert [(ln.person_id, ln.honour_title) for ln in lines] == [(8, "全国技术能手"), (9, "全国技术能手")]


def test_tied_results_both_get_the_medal_rule():
    lines = award_lines([one(1, 2, "silver", 7), one(2, 2, "silver", 8)],
                        [AwardRuleSpec(1, "silver", competitor_amount=D("8000"))])
    assert [(ln.person_id, ln.amount) for ln in lines] == [(7, D("8000")), (8, D("8000"))]


def test_a_team_prize_split_per_member_adds_up_to_the_fen():
    rule = AwardRuleSpec(1, "gold", competitor_amount=D("100000"), split_team=True, unit_amount=D("20000"))
    team = Placed(1, 1, "gold", 100, (Member(7, None), Member(8, None), Member(9, None)))
    lines = award_lines([team], [rule])
    shares = [ln.amount for ln in lines if ln.recipient_kind == "competitor"]
    assert shares == [D("33333.34"), D("33333.33"), D("33333.33")] and sum(shares) == D("100000")
    assert [ln.recipient_key for ln in lines if ln.recipient_kind == "unit"] == ["unit:100"]


def test_a_team_prize_not_split_goes_to_every_member():
    rule = AwardRuleSpec(1, "gold", competitor_amount=D("10000"))
    team = Placed(1, 1, "gold", 100, (Member(7, None), Member(8, None)))
    assert [ln.amount for ln in award_lines([team], [rule])] == [D("10000"), D("10000")]


def test_a_person_with_two_medals_gets_both_prizes_but_one_promotion_the_highest():
    gold = AwardRuleSpec(1, "gold", competitor_amount=D("20000"), promotion="to_level", promotion_level=L.LEVEL_1)
    bronze = AwardRuleSpec(2, "bronze", competitor_amount=D("5000"), promotion="to_level",
                           promotion_level=L.LEVEL_2)
    lines = award_lines([one(1, 3, "bronze", 7), one(2, 1, "gold", 7)], [gold, bronze])
    assert sorted(ln.amount for ln in lines) == [D("5000"), D("20000")]
    assert [ln.promotion_to for ln in lines if ln.promotion_to] == [L.LEVEL_1]


def test_a_line_with_nothing_left_after_the_promotion_is_merged_away():
    a = AwardRuleSpec(1, "gold", promotion="to_level", promotion_level=L.LEVEL_1)
    b = AwardRuleSpec(2, "gold", promotion="to_level", promotion_level=L.LEVEL_2)
    lines = award_lines([one(1, 1, "gold", 7)], [a, b])
    assert [(ln.rule_id, ln.promotion_to) for ln in lines] == [(1, L.LEVEL_1)]


@given(st.decimals(min_value=D("0.01"), max_value=D("9999999"), places=2), st.integers(1, 12))
def test_split_shares_always_add_up(amount, parts):
    shares = split_amount(amount, parts)
    assert sum(shares) == amount and len(shares) == parts
    assert max(shares) - min(shares) <= D("0.01") * parts


def test_five_working_days_skip_the_weekend_and_holidays():
    monday = date(2026, 11, 23)
    assert add_working_days(monday, 5) == date(2026, 11, 30)
    holidays, workdays = {date(2026, 10, d) for d in range(1, 8)}, {date(2026, 10, 10)}

    def is_workday(day: date) -> bool:
        return day in workdays or (day.weekday() < 5 and day not in holidays)

    assert add_working_days(date(2026, 9, 30), 5, is_workday) == date(2026, 10, 13)


def test_the_top_half_of_an_odd_field_rounds_as_the_rule_says():
    from decimal import Decimal as D

    from app.competitions.judging import rules as r

    field = [r.Standing(key=i, total=D(100 - i)) for i in range(7)]
    down = r.award(field, r.AwardRule("national", merit_rounding="down"))
    up = r.award(field, r.AwardRule("national", merit_rounding="up"))
    assert [p.medal for p in down.placings].count(r.Medal.MERIT) == 0  # 7 // 2 = 3: the medals fill it
    assert [p.medal for p in up.placings][3] is r.Medal.MERIT  # (7 + 1) // 2 = 4: 4th place too
    assert (r.merit_places(7, "down"), r.merit_places(7, "up"), r.merit_places(8, "up")) == (3, 4, 4)
