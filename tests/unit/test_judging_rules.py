"""Scoring, standardisation, ranking and medals: worked examples for each award rule and the edge cases."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from app.competitions.judging.rules import (
    AwardRule,
    Medal,
    Standing,
    aspect_complete,
    aspect_mark,
    award,
    judges_disagree,
    rank_standings,
    standardise,
)


def field_of(*totals: str | int, **extra) -> list[Standing]:
    return [Standing(key=i, total=D(str(t)), **extra) for i, t in enumerate(totals, start=1)]


def medals(outcome) -> dict[int, Medal | None]:
    return {p.key: p.medal for p in outcome.placings}


def test_judgement_mark_is_max_times_mean_over_three():
    assert aspect_mark("J", D("3"), [D(2), D(3), D(2)]) == D("3") * D(7) / 3 / 3
    assert aspect_mark("J", D("1.5"), [D(3), D(3), D(3)]) == D("1.5")
    assert aspect_mark("J", D("2"), [D(0), D(0), D(0)]) == 0


def test_measurement_mark_is_the_awarded_mark_capped_at_the_maximum():
    assert aspect_mark("M", D("2.5"), [D("1.25")]) == D("1.25")
    assert aspect_mark("M", D("2.5"), [D("4")]) == D("2.5")
    assert aspect_mark("M", D("2.5"), []) == 0


def test_judges_more_than_one_point_apart_disagree():
    assert judges_disagree([D(1), D(3), D(2)])
    assert not judges_disagree([D(2), D(3), D(3)])
    assert not judges_disagree([D(0)])


def test_an_aspect_is_complete_with_one_measurement_or_three_judgements():
    assert aspect_complete("M", [D(1)])
    assert not aspect_complete("J", [D(1), D(2)])
    assert aspect_complete("J", [D(1), D(2), D(2)])


def test_ranks_are_shared_on_equal_totals_and_skip_after():
    ranked = rank_standings(field_of(90, 85, 85, 70))
    assert [r for _s, r in ranked] == [1, 2, 2, 4]


def test_tie_break_on_criterion_then_time():
    field = [Standing(1, D(80), {"A": D(30)}, 600), Standing(2, D(80), {"A": D(32)}, 900),
             Standing(3, D(80), {"A": D(30)}, 500)]
    ranked = rank_standings(field, ("criterion:A", "time"))
    assert [(s.key, r) for s, r in ranked] == [(2, 1), (3, 2), (1, 3)]


def test_national_rule_gives_three_medals_and_merit_to_the_rest_of_the_top_half():
    outcome = award(field_of(95, 90, 85, 80, 75, 70, 65, 60, 55, 50), AwardRule("national"))
    assert medals(outcome) == {1: Medal.GOLD, 2: Medal.SILVER, 3: Medal.BRONZE, 4: Medal.MERIT, 5: Medal.MERIT,
                               6: None, 7: None, 8: None, 9: None, 10: None}
    assert outcome.unresolved_ties == []


def test_national_rule_top_half_of_an_odd_field_rounds_down():
    outcome = award(field_of(95, 90, 85, 80, 75, 70, 65, 60, 55), AwardRule("national"))
    assert [k for k, m in medals(outcome).items() if m is Medal.MERIT] == [4]


def test_national_rule_refuses_a_tie_in_the_medal_places_until_the_tie_break_separates_it():
    tied = [Standing(1, D(90), {"A": D(40)}), Standing(2, D(88), {"A": D(30)}), Standing(3, D(88), {"A": D(35)})]
    assert award(tied, AwardRule("national")).unresolved_ties == [(2, 3)]
    separated = award(tied, AwardRule("national", tie_break=("criterion:A",)))
    assert separated.unresolved_ties == []
    assert medals(separated) == {1: Medal.GOLD, 3: Medal.SILVER, 2: Medal.BRONZE}


def test_national_rule_tie_at_the_merit_boundary_gives_both_merit():
    outcome = award(field_of(95, 90, 85, 80, 80, 70, 65, 60), AwardRule("national"))
    assert medals(outcome)[4] is medals(outcome)[5] is Medal.MERIT


def test_fewer_than_three_entrants_get_only_the_medals_their_places_reach():
    assert medals(award(field_of(70, 60), AwardRule("national"))) == {1: Medal.GOLD, 2: Medal.SILVER}
    # Cumulative shares of one entrant: gold 0.1 → 0, +silver 0.3 → 0, +bronze 0.6 → 1: a bronze.
    assert medals(award(field_of(70), AwardRule("share"))) == {1: Medal.BRONZE}


def test_standardisation_puts_the_median_at_700():
    scales = standardise([D(50), D(60), D(70), D(80), D(90)])
    assert scales[2] == 700
    assert scales[0] < 700 < scales[4]
    assert scales[4] - 700 == 700 - scales[0]


def test_standardisation_of_all_equal_scores_does_not_divide_by_zero():
    assert standardise([D(66), D(66), D(66)]) == [700, 700, 700]
    assert standardise([D(40)]) == [700]
    assert standardise([]) == []


def test_worldskills_rule_medals_by_scale_groups_and_medallion_at_700():
    outcome = award(field_of(90, 89.9, 80, 75, 70, 65, 60, 55, 50, 45), AwardRule("worldskills", margin=D(1)))
    got = medals(outcome)
    assert got[1] is got[2] is Medal.GOLD  # within a point on the scale: a shared gold
    assert got[3] is Medal.SILVER and got[4] is Medal.BRONZE
    scales = {p.key: p.scale for p in outcome.placings}
    assert all(got[k] is Medal.MEDALLION for k in scales if k > 4 and scales[k] >= 700)
    assert all(got[k] is None for k in scales if k > 4 and scales[k] < 700)
    assert any(got[k] is Medal.MEDALLION for k in scales)


def test_worldskills_ties_at_every_medal_boundary_share_the_medal():
    outcome = award(field_of(90, 90, 80, 80, 70, 70, 60, 50), AwardRule("worldskills"))
    got = medals(outcome)
    assert (got[1], got[2], got[3], got[4], got[5], got[6]) == (Medal.GOLD, Medal.GOLD, Medal.SILVER, Medal.SILVER,
                                                                Medal.BRONZE, Medal.BRONZE)


def test_share_rule_uses_cumulative_rounding_half_up():
    # 15 entrants: gold 10% → 1.5 → 2; gold+silver 30% → 4.5 → 5; +bronze 60% → 9.
    outcome = award(field_of(*range(100, 85, -1)), AwardRule("share"))
    got = list(medals(outcome).values())
    assert got.count(Medal.GOLD) == 2 and got.count(Medal.SILVER) == 3 and got.count(Medal.BRONZE) == 4
    assert got.count(None) == 6


def test_share_rule_tie_at_a_boundary_gives_both_the_better_medal():
    outcome = award(field_of(99, 95, 95, 90, 80, 70, 60, 50, 40, 30), AwardRule("share"))
    got = medals(outcome)  # gold 1 place, but 2 and 3 tie for the second place: both silver
    assert got[1] is Medal.GOLD and got[2] is got[3] is Medal.SILVER


@given(st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=40))
def test_ranks_are_consistent_with_totals(totals):
    ranked = rank_standings([Standing(i, t) for i, t in enumerate(totals)])
    for (a, rank_a) in ranked:
        for (b, rank_b) in ranked:
            if a.total > b.total:
                assert rank_a < rank_b
            if a.total == b.total:
                assert rank_a == rank_b
    assert min(r for _s, r in ranked) == 1


@given(st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=40))
def test_scale_scores_keep_the_order_of_totals(totals):
    scales = standardise(totals)
    for i, a in enumerate(totals):
        for j, b in enumerate(totals):
            if a > b:
                assert scales[i] >= scales[j]
