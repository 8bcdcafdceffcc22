"""The pure rules of 企业新型学徒制: the lifecycle table (every status × every action), the period, plan and
contract checks, and the subsidy arithmetic with worked examples."""

from datetime import date
from decimal import Decimal

import pytest

from app.apprenticeships import rules
from app.apprenticeships.enums import DocumentKind, EnrollmentStatus, ModuleKind
from app.core.enums import SkillLevel

S = EnrollmentStatus

#: The lifecycle as the issue states it, written out independently of rules.TRANSITIONS.
EXPECTED = {
    S.DRAFT: {"submit": S.SUBMITTED, "withdraw": S.WITHDRAWN},
    S.SUBMITTED: {"approve": S.APPROVED, "return": S.DRAFT, "withdraw": S.WITHDRAWN},
    S.APPROVED: {"start": S.IN_TRAINING, "withdraw": S.WITHDRAWN},
    S.IN_TRAINING: {"assess": S.ASSESSED, "withdraw": S.WITHDRAWN},
    S.ASSESSED: {"complete": S.COMPLETED},
    S.COMPLETED: {},
    S.WITHDRAWN: {},
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", rules.ACTIONS)
def test_every_status_and_action_pair_is_allowed_exactly_as_the_lifecycle_says(status, action):
    assert rules.next_status(status, action) == EXPECTED[status].get(action)


def test_the_table_names_no_unknown_action_and_every_status_is_covered():
    assert {a for _, a in rules.TRANSITIONS} == set(rules.ACTIONS)
    assert set(EXPECTED) == set(S)


def test_completed_and_withdrawn_are_terminal_and_an_unknown_action_goes_nowhere():
    assert rules.allowed_actions(S.COMPLETED) == [] and rules.allowed_actions(S.WITHDRAWN) == []
    assert rules.next_status(S.DRAFT, "approve") is None  # no approval without submission
    assert rules.next_status(S.DRAFT, "teleport") is None


def test_the_happy_path_runs_from_draft_to_completed():
    status = S.DRAFT
    for action in ("submit", "approve", "start", "assess", "complete"):
        status = rules.next_status(status, action)
    assert status is S.COMPLETED


def test_readiness_lists_missing_mentors_and_each_missing_document():
    facts = rules.Readiness(False, True, frozenset({DocumentKind.LABOUR_CONTRACT}), ("plan_hours",))
    assert rules.readiness_problems(facts) == [
        "enterprise_mentor", "document:apprentice_agreement", "document:institution_agreement",
        "document:training_plan", "plan_hours"]
    assert rules.readiness_problems(rules.Readiness(True, True, frozenset(DocumentKind))) == []


# ---------------------------------------------------------------- dates and checks

def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_short_month():
    assert rules.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert rules.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert rules.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


@pytest.mark.parametrize(("start", "end", "months"), [
    (date(2026, 3, 1), date(2027, 3, 1), 12),
    (date(2026, 3, 1), date(2026, 8, 20), 6),   # 5 months and 19 days: the half month counts
    (date(2026, 3, 1), date(2026, 8, 10), 5),   # 5 months and 9 days: it does not
    (date(2026, 3, 1), date(2026, 3, 1), 0),
    (date(2026, 1, 31), date(2026, 2, 28), 1),
])
def test_months_between_counts_whole_months_and_a_remainder_of_half_a_month(start, end, months):
    assert rules.months_between(start, end) == months


def test_a_period_of_eighteen_months_is_one_full_and_one_half_training_year():
    years = rules.training_years(date(2026, 3, 1), date(2027, 9, 1))
    assert [(y.number, y.starts_on, y.ends_on, y.months) for y in years] == [
        (1, date(2026, 3, 1), date(2027, 3, 1), 12), (2, date(2027, 3, 1), date(2027, 9, 1), 6)]


POLICY = rules.PeriodPolicy(1, 2, 3)


@pytest.mark.parametrize(("end", "reason", "problems"), [
    (date(2027, 3, 1), "", []),
    (date(2027, 2, 28), "", ["period_too_short"]),
    (date(2028, 3, 1), "", []),
    (date(2028, 9, 1), "", ["reason_required"]),
    (date(2028, 9, 1), "岗位技术复杂，经区人社局同意", []),
    (date(2029, 3, 2), "特殊", ["period_too_long"]),
    (date(2026, 2, 1), "", ["period_order"]),
])
def test_the_period_is_one_to_two_years_or_up_to_three_with_a_reason(end, reason, problems):
    assert rules.period_problems(date(2026, 3, 1), end, reason, POLICY) == problems


def test_a_labour_contract_runs_at_least_a_year_or_is_open_ended():
    assert rules.contract_problems(date(2026, 1, 1), date(2026, 12, 31), 1) == ["contract_too_short"]
    assert rules.contract_problems(date(2026, 1, 1), date(2027, 1, 1), 1) == []
    assert rules.contract_problems(date(2026, 1, 1), None, 1) == []


def test_the_plan_needs_600_hours_a_year_of_which_160_in_the_classroom_prorated_by_months():
    plan = rules.PlanPolicy(600, 160)
    year = (date(2026, 3, 1), date(2027, 3, 1))
    assert rules.plan_problems([(ModuleKind.CLASSROOM, 160), (ModuleKind.PRACTICAL, 440)], *year, plan) == []
    assert rules.plan_problems([(ModuleKind.CLASSROOM, 159), (ModuleKind.PRACTICAL, 441)], *year, plan) == [
        "plan_classroom_hours"]
    assert rules.plan_problems([(ModuleKind.CLASSROOM, 160), (ModuleKind.PRACTICAL, 439)], *year, plan) == [
        "plan_hours"]
    eighteen_months = (date(2026, 3, 1), date(2027, 9, 1))  # 900 hours, 240 in the classroom
    assert rules.plan_problems([(ModuleKind.CLASSROOM, 240), (ModuleKind.PRACTICAL, 660)], *eighteen_months,
                               plan) == []
    assert rules.plan_problems([(ModuleKind.CLASSROOM, 239), (ModuleKind.PRACTICAL, 700)], *eighteen_months,
                               plan) == ["plan_classroom_hours"]
    assert rules.plan_problems([], *year, plan) == ["plan_empty"]
    assert rules.required_hours(*eighteen_months, 600) == 900


def test_the_target_level_is_intermediate_or_above_and_above_the_current_level():
    assert rules.target_level_problems(SkillLevel.LEVEL_5, SkillLevel.LEVEL_4) == []
    assert rules.target_level_problems(None, SkillLevel.LEVEL_3) == []
    assert rules.target_level_problems(SkillLevel.LEVEL_4, SkillLevel.LEVEL_4) == ["target_not_above"]
    assert rules.target_level_problems(None, SkillLevel.LEVEL_5) == ["target_not_allowed"]


def test_a_minimum_mentor_grade_is_met_by_that_level_or_higher_and_none_means_no_minimum():
    assert rules.mentor_level_ok(SkillLevel.LEVEL_3, 3) and rules.mentor_level_ok(SkillLevel.LEVEL_1, 3)
    assert not rules.mentor_level_ok(SkillLevel.LEVEL_4, 3) and not rules.mentor_level_ok(None, 3)
    assert rules.mentor_level_ok(None, None) and rules.mentor_level_ok(None, 0)
    assert rules.mentor_level_ok(SkillLevel.CHIEF, 1)


def test_a_mentor_has_room_below_the_maximum_only():
    assert rules.mentor_has_room(7, 8) and not rules.mentor_has_room(8, 8)


# ---------------------------------------------------------------- subsidies: worked examples

def test_huangpu_intermediate_full_year_advance_balance_and_clawback():
    """黄浦区, target 中级工, a full year from 2026: 5,000 + 3,000 top-up = 8,000; half in advance."""
    standard = rules.yearly_standard(Decimal("5000"), Decimal("3000"))
    amount = rules.prorated(standard, 12)
    advanced = rules.advance(amount, Decimal("0.50"))
    assert (standard, amount, advanced) == (Decimal("8000.00"), Decimal("8000.00"), Decimal("4000.00"))
    assert rules.balance(amount, advanced) == Decimal("4000.00")
    assert rules.clawback(advanced) == Decimal("-4000.00")


def test_a_district_without_top_up_pays_the_city_standard_and_a_senior_target_gets_the_higher_top_up():
    assert rules.yearly_standard(Decimal("5000"), None) == Decimal("5000.00")
    assert rules.yearly_standard(Decimal("5000"), Decimal("4000")) == Decimal("9000.00")


def test_a_partial_year_is_prorated_by_months_and_advance_plus_balance_add_up_to_the_cent():
    """7 months of 5,000 = 2,916.67; the advance rounds half up (1,458.34), the balance takes the rest."""
    amount = rules.prorated(Decimal("5000.00"), 7)
    advanced = rules.advance(amount, Decimal("0.5"))
    assert (amount, advanced, rules.balance(amount, advanced)) == (
        Decimal("2916.67"), Decimal("1458.34"), Decimal("1458.33"))
    assert advanced + rules.balance(amount, advanced) == amount


def test_an_eighteen_month_huangpu_training_is_a_full_and_a_half_year():
    years = rules.training_years(date(2026, 3, 1), date(2027, 9, 1))
    standard = rules.yearly_standard(Decimal("5000"), Decimal("3000"))
    assert [rules.prorated(standard, y.months) for y in years] == [Decimal("8000.00"), Decimal("4000.00")]


def test_the_advance_ratio_is_capped_at_one_and_never_negative():
    assert rules.advance(Decimal("100"), Decimal("1.5")) == Decimal("100.00")
    assert rules.advance(Decimal("100"), Decimal("-1")) == Decimal("0.00")


def test_the_claim_window_opens_on_eligibility_and_closes_six_months_later():
    since = date(2026, 3, 10)
    assert rules.claim_window_state(None, since, 6) == "not_yet"
    assert rules.claim_window_state(since, date(2026, 3, 9), 6) == "not_yet"
    assert rules.claim_window_state(since, date(2026, 9, 10), 6) == "open"
    assert rules.claim_window_state(since, date(2026, 9, 11), 6) == "closed"


def test_ledger_totals_add_claims_approvals_payments_and_clawbacks():
    totals = rules.ledger_totals([
        ("advance", "paid", Decimal("4000.00")), ("advance", "approved", Decimal("4000.00")),
        ("advance", "claimed", Decimal("2500.00")), ("balance", "claimed", Decimal("4000.00")),
        ("clawback", "approved", Decimal("-4000.00")),
    ])
    assert totals.claimed == Decimal("14500.00")
    assert totals.approved == Decimal("8000.00")
    assert totals.paid == Decimal("4000.00")
    assert totals.clawed_back == Decimal("-4000.00")
    assert totals.net == Decimal("0.00")
    assert totals.lines == 5


@pytest.mark.parametrize("standard", [Decimal("5000"), Decimal("7000"), Decimal("8000"), Decimal("9000"),
                                      Decimal("5333.33")])
@pytest.mark.parametrize("ratio", [Decimal("0.5"), Decimal("0.3"), Decimal("0.333")])
def test_for_every_month_count_advance_and_balance_add_up_and_the_clawback_undoes_the_advance(standard, ratio):
    for months in range(1, 13):
        amount = rules.prorated(standard, months)
        advanced = rules.advance(amount, ratio)
        assert advanced <= amount * ratio + Decimal("0.005")
        assert advanced + rules.balance(amount, advanced) == amount
        assert advanced + rules.clawback(advanced) == 0
        assert amount == amount.quantize(Decimal("0.01"))
    assert rules.prorated(standard, 13) == rules.prorated(standard, 12) == rules.money(standard)
