"""带徒津贴 and the risk rules of 带徒学时: worked examples and boundaries (month ends, cap exactly reached,
withdrawal mid-month, a rule change mid-month)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.mentor_hours import rules
from app.mentor_hours.rules import PER_APPRENTICE_MONTH, PER_HOUR, Mentorship, Rule

MARCH = date(2026, 3, 1)
HOURLY = Rule(date(2026, 1, 1), PER_HOUR, D("50"), monthly_cap=D("1000"))
FLAT = Rule(date(2026, 1, 1), PER_APPRENTICE_MONTH, D("200"))


def ship(key: int = 1, hours: dict | None = None, starts: date = date(2026, 1, 1), ends: date = date(2027, 1, 1),
         **kw) -> Mentorship:
    return Mentorship(key, f"学徒{key}", starts, ends, hours_by_day=hours or {}, **kw)


def test_per_hour_pays_rate_times_approved_hours():
    st_ = rules.monthly_allowance(MARCH, [ship(hours={date(2026, 3, 2): D("3"), date(2026, 3, 3): D("2.5")})],
                                  [HOURLY])
    assert st_.hours == D("5.5") and st_.total == D("275.00") and not st_.cap_applied


def test_cap_exactly_reached_is_paid_in_full_and_not_marked_capped():
    st_ = rules.monthly_allowance(MARCH, [ship(hours={date(2026, 3, 2): D("20")})], [HOURLY])
    assert st_.base == D("1000.00") and st_.total == D("1000.00") and not st_.cap_applied


def test_cap_is_per_mentor_over_all_apprentices_shared_in_proportion():
    st_ = rules.monthly_allowance(MARCH, [ship(1, {date(2026, 3, 2): D("15")}), ship(2, {date(2026, 3, 2): D("9")})],
                                  [HOURLY])
    assert st_.base == D("1200.00") and st_.cap_applied
    assert st_.total == D("1000.00")
    assert [ln.capped for ln in st_.lines] == [D("625.00"), D("375.00")]


def test_hours_outside_the_month_are_not_paid():
    hours = {date(2026, 2, 28): D("4"), date(2026, 3, 1): D("1"), date(2026, 3, 31): D("2"), date(2026, 4, 1): D("8")}
    assert rules.monthly_allowance(MARCH, [ship(hours=hours)], [HOURLY]).hours == D("3")


def test_flat_amount_per_apprentice_month_while_the_mentorship_runs():
    st_ = rules.monthly_allowance(MARCH, [ship(1), ship(2, starts=date(2026, 3, 31))], [FLAT])
    assert st_.total == D("400.00")
    # Starting the day after the month ends: nothing for that month.
    assert rules.monthly_allowance(MARCH, [ship(3, starts=date(2026, 4, 1))], [FLAT]).total == 0


def test_withdrawal_mid_month_pays_that_month_up_to_the_date_and_nothing_after():
    hours = {date(2026, 3, 10): D("4"), date(2026, 3, 20): D("4")}
    m = ship(hours=hours, withdrawn_on=date(2026, 3, 15))
    assert rules.monthly_allowance(MARCH, [m], [HOURLY]).total == D("200.00")
    assert rules.monthly_allowance(MARCH, [m], [FLAT]).total == D("200.00")
    assert rules.monthly_allowance(date(2026, 4, 1), [m], [FLAT]).total == 0


def test_early_end_refunds_flat_amounts_when_the_rule_says_so():
    refunding = Rule(date(2026, 1, 1), PER_APPRENTICE_MONTH, D("200"), refund_on_early_end=True)
    m = ship(withdrawn_on=date(2026, 3, 15), flat_paid_before=D("400"))
    st_ = rules.monthly_allowance(MARCH, [m], [refunding])
    assert st_.lines[0].flat == 0 and st_.lines[0].refund == D("-400.00") and st_.total == D("-400.00")
    # Without the refund clause the withdrawal month is paid and nothing is refunded.
    assert rules.monthly_allowance(MARCH, [m], [FLAT]).total == D("200.00")
    # Ending on the planned end date is not early.
    on_time = ship(ends=date(2026, 3, 15), withdrawn_on=date(2026, 3, 15), flat_paid_before=D("400"))
    assert rules.monthly_allowance(MARCH, [on_time], [refunding]).total == D("200.00")


def test_rule_change_mid_month_applies_from_its_effective_date():
    new = Rule(date(2026, 3, 16), PER_HOUR, D("60"), monthly_cap=D("2000"))
    hours = {date(2026, 3, 15): D("10"), date(2026, 3, 16): D("10")}
    st_ = rules.monthly_allowance(MARCH, [ship(hours=hours)], [HOURLY, new])
    assert st_.total == D("1100.00")  # 10 × 50 + 10 × 60, under the new month-end cap
    assert st_.cap == D("2000") and st_.rule == new


def test_completion_bonus_in_the_month_passed_outside_the_cap():
    bonus = Rule(date(2026, 1, 1), PER_HOUR, D("50"), monthly_cap=D("100"), completion_bonus=D("500"))
    m = ship(hours={date(2026, 3, 2): D("10")}, passed_on=date(2026, 3, 31))
    st_ = rules.monthly_allowance(MARCH, [m], [bonus])
    assert st_.capped == D("100") and st_.total == D("600")
    assert rules.monthly_allowance(date(2026, 4, 1), [m], [bonus]).total == 0


def test_no_rule_in_force_pays_nothing():
    assert rules.monthly_allowance(MARCH, [ship(hours={date(2026, 3, 2): D("3")})],
                                   [Rule(date(2026, 4, 1), PER_HOUR, D("50"))]).total == 0


@given(st.lists(st.decimals(min_value=0, max_value=5000, places=2), min_size=1, max_size=8),
       st.decimals(min_value=0, max_value=5000, places=2))
def test_shared_cap_never_exceeds_the_cap_and_adds_up(bases, cap):
    shares = rules.share_cap(bases, cap)
    assert sum(shares) == min(sum(bases), cap)
    assert all(s >= 0 for s in shares)


# ---------------------------------------------------------------- risk rules

def test_daily_limit_12_hours_exactly_is_fine():
    assert not rules.over_daily_limit(D("12"), D("12")) and rules.over_daily_limit(D("12.5"), D("12"))


def test_monthly_ceiling_boundary():
    assert not rules.over_monthly_ceiling(D("160"), D("160")) and rules.over_monthly_ceiling(D("160.25"), D("160"))


def test_overlap_touching_sessions_do_not_overlap():
    assert not rules.overlap((time(9), time(11)), (time(11), time(12)))
    assert rules.overlap((time(9), time(11)), (time(10, 30), time(12)))
    assert rules.overlap((time(9), time(17)), (time(10), time(11)))


@pytest.mark.parametrize(("worked", "withdrawn", "outside"), [
    (date(2026, 2, 28), None, True), (date(2026, 3, 1), None, False), (date(2027, 3, 1), None, False),
    (date(2027, 3, 2), None, True), (date(2026, 5, 10), date(2026, 5, 10), False),
    (date(2026, 5, 11), date(2026, 5, 10), True)])
def test_outside_enrollment(worked, withdrawn, outside):
    assert rules.outside_enrollment(worked, date(2026, 3, 1), date(2027, 3, 1), withdrawn) is outside


def test_backfilled_more_than_n_days():
    assert not rules.backfilled(date(2026, 3, 1), date(2026, 3, 8), 7)
    assert rules.backfilled(date(2026, 3, 1), date(2026, 3, 9), 7)


def test_month_end_burst_needs_enough_entries_mostly_logged_in_the_last_days():
    late = [date(2026, 3, 29)] * 4 + [date(2026, 4, 2)]
    assert rules.burst_window_start(MARCH) == date(2026, 3, 29)
    assert rules.month_end_burst(MARCH, late)
    assert not rules.month_end_burst(MARCH, late[:4])  # too few entries
    assert not rules.month_end_burst(MARCH, [date(2026, 3, 28)] * 2 + [date(2026, 3, 30)] * 3)  # 60 %


def test_copy_pasted_needs_five_identical_entries():
    key = rules.copy_key("车削练习 ", "车间", time(9), time(11), D("2"))
    assert rules.copy_pasted([key] * 5) == {key} and rules.copy_pasted([key] * 4) == set()


def test_self_approval_and_concurrent_cap():
    assert rules.self_approved(7, 7) and not rules.self_approved(7, 8) and not rules.self_approved(None, None)
    assert not rules.over_concurrent_cap(8, 8) and rules.over_concurrent_cap(9, 8)


def test_hours_between_and_submission_due():
    assert rules.hours_between(time(8, 30), time(11, 50)) == D("3.33")
    with pytest.raises(ValueError):
        rules.hours_between(time(11), time(10))
    assert rules.submission_due(date(2026, 1, 1), 5) == date(2026, 2, 5)
    assert rules.submission_due(date(2026, 1, 1), 31) == date(2026, 2, 28)
    assert rules.week_days(date(2026, 3, 4))[0] == date(2026, 3, 2)
