"""Clash detection, recurring series and the log correction window (pure rules, property tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.training_bases import rules
from app.training_bases.rules import Booking, Recurrence, find_clashes

BEIJING = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def b(start_h: float, end_h: float, facility: int = 1, coach: int = 100, athletes: tuple[int, ...] = (1,),
      id: int | None = None) -> Booking:
    return Booking(id, facility, coach, frozenset(athletes), T0 + timedelta(hours=start_h),
                   T0 + timedelta(hours=end_h))


def test_back_to_back_sessions_do_not_clash():
    assert find_clashes([b(10, 12)], [b(8, 10, id=1)], {1: 1}) == []


def test_a_coach_in_two_places_at_once_is_a_clash():
    (clash,) = find_clashes([b(9, 11, facility=2, athletes=(5,))], [b(10, 12, facility=1, id=7)], {1: 5, 2: 5})
    assert clash.kind == "coach"
    assert clash.others[0].id == 7


def test_an_athlete_double_booked_is_named():
    clashes = find_clashes([b(9, 11, facility=2, coach=200, athletes=(1, 2))],
                           [b(10, 12, facility=1, coach=100, athletes=(2, 3), id=7)], {1: 5, 2: 5})
    assert [(c.kind, c.person_id) for c in clashes] == [("athlete", 2)]


def test_a_facility_holds_overlapping_sessions_up_to_its_capacity():
    existing = [b(9, 12, coach=101, athletes=(1, 2), id=1)]
    assert find_clashes([b(10, 11, coach=102, athletes=(3, 4))], existing, {1: 4}) == []
    (clash,) = find_clashes([b(10, 11, coach=102, athletes=(3, 4, 5))], existing, {1: 4})
    assert (clash.kind, clash.capacity, clash.peak) == ("facility", 4, 5)


def test_a_session_across_midnight_clashes_with_one_the_next_morning():
    night = b(22, 26, coach=101, athletes=(1,))
    morning = b(25, 27, coach=102, athletes=(1,), id=9)
    assert [c.kind for c in find_clashes([night], [morning], {1: 5})] == ["athlete"]


def test_a_moved_session_does_not_clash_with_its_old_self():
    old = b(9, 12, id=3)
    assert find_clashes([b(10, 13, id=3)], [old], {1: 1}) == []


def test_a_series_that_overlaps_itself_is_refused():
    clashes = find_clashes([b(9, 12), b(11, 13)], [], {1: 1})
    assert {c.kind for c in clashes} == {"facility", "coach", "athlete"}


# ---------------------------------------------------------------- properties

hours = st.integers(min_value=0, max_value=96)


@st.composite
def bookings(draw, n_max: int = 8) -> list[Booking]:
    out = []
    for i in range(draw(st.integers(1, n_max))):
        start = draw(hours)
        length = draw(st.integers(1, 10))
        athletes = draw(st.frozensets(st.integers(1, 6), max_size=3))
        out.append(Booking(i + 1, draw(st.integers(1, 3)), draw(st.integers(100, 103)), athletes,
                           T0 + timedelta(hours=start), T0 + timedelta(hours=start + length)))
    return out


def brute_force_ok(proposed: Booking, existing: list[Booking], capacity: int) -> bool:
    """Check every hour boundary one by one (all times here are whole hours)."""
    for hour in range(0, 120):
        instant = T0 + timedelta(hours=hour)
        if not proposed.starts_at <= instant < proposed.ends_at:
            continue
        here = [o for o in existing if o.starts_at <= instant < o.ends_at]
        if any(o.coach_id == proposed.coach_id for o in here):
            return False
        if any(o.athlete_ids & proposed.athlete_ids for o in here):
            return False
        load = proposed.load + sum(o.load for o in here if o.facility_id == proposed.facility_id)
        if load > capacity:
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(existing=bookings(), proposed=bookings(n_max=1), capacity=st.integers(1, 6))
def test_clash_check_agrees_with_an_hour_by_hour_count(existing, proposed, capacity):
    (p,) = proposed
    p = Booking(None, p.facility_id, p.coach_id, p.athlete_ids, p.starts_at, p.ends_at)
    clashes = find_clashes([p], existing, {1: capacity, 2: capacity, 3: capacity})
    assert (clashes == []) == brute_force_ok(p, existing, capacity)


@settings(max_examples=200, deadline=None)
@given(existing=bookings(), proposed=bookings(n_max=1))
def test_every_clash_names_the_overlapping_bookings_it_is_about(existing, proposed):
    (p,) = proposed
    p = Booking(None, p.facility_id, p.coach_id, p.athlete_ids, p.starts_at, p.ends_at)
    for clash in find_clashes([p], existing, {1: 2, 2: 2, 3: 2}):
        if not clash.others:  # a session that alone has more athletes than the facility holds
            assert clash.kind == "facility" and p.load > 2
        assert all(rules.overlaps(p.starts_at, p.ends_at, o.starts_at, o.ends_at) for o in clash.others)


@settings(max_examples=200, deadline=None)
@given(items=bookings())
def test_accepting_bookings_one_by_one_never_leaves_a_double_booking(items):
    """Whatever order bookings arrive in, what the check lets through has no coach or athlete overlap."""
    accepted: list[Booking] = []
    for item in items:
        if not find_clashes([item], accepted, {1: 3, 2: 3, 3: 3}):
            accepted.append(item)
    for i, x in enumerate(accepted):
        for y in accepted[i + 1:]:
            if rules.overlaps(x.starts_at, x.ends_at, y.starts_at, y.ends_at):
                assert x.coach_id != y.coach_id
                assert not (x.athlete_ids & y.athlete_ids)


@settings(max_examples=100, deadline=None)
@given(load=st.lists(st.tuples(hours, st.integers(1, 8), st.integers(0, 3)), min_size=1, max_size=8))
def test_peak_load_is_the_most_athletes_present_at_any_hour(load):
    items = [Booking(i, 1, 100 + i, frozenset(range(i * 10, i * 10 + n)), T0 + timedelta(hours=s),
                     T0 + timedelta(hours=s + length)) for i, (s, length, n) in enumerate(load)]
    peak, _present = rules.peak_load(T0, T0 + timedelta(hours=200), items)
    expected = max(sum(x.load for x in items if x.starts_at <= T0 + timedelta(hours=h) < x.ends_at)
                   for h in range(200))
    assert peak == expected


# ---------------------------------------------------------------- series

def test_weekday_mornings_for_six_weeks_make_thirty_sessions_in_beijing_time():
    rec = Recurrence(date(2026, 3, 2), date(2026, 4, 12), frozenset({0, 1, 2, 3, 4}), time(8, 30), time(11, 30))
    out = rules.expand(rec)
    assert len(out) == 30
    first_start, first_end = out[0]
    assert first_start.astimezone(UTC) == datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    assert first_end - first_start == timedelta(hours=3)
    assert all(s.astimezone(BEIJING).weekday() < 5 for s, _e in out)


def test_an_evening_session_ending_after_midnight_ends_the_next_day():
    (start, end), = rules.expand(Recurrence(date(2026, 3, 6), date(2026, 3, 6), frozenset({4}), time(22), time(1)))
    assert end.astimezone(BEIJING) == datetime(2026, 3, 7, 1, 0, tzinfo=BEIJING)
    assert end - start == timedelta(hours=3)


@pytest.mark.parametrize("rec", [
    Recurrence(date(2026, 3, 6), date(2026, 3, 1), frozenset({4}), time(8), time(9)),
    Recurrence(date(2026, 3, 1), date(2026, 3, 6), frozenset(), time(8), time(9)),
    Recurrence(date(2026, 3, 1), date(2026, 3, 6), frozenset({1}), time(8), time(8)),
    Recurrence(date(2020, 1, 1), date(2029, 1, 1), frozenset(range(7)), time(8), time(9)),
])
def test_a_bad_or_huge_series_is_refused(rec):
    with pytest.raises(ValueError):
        rules.expand(rec)


@given(day=st.dates(date(2025, 1, 1), date(2030, 12, 31)), start=st.times(), end=st.times())
def test_a_local_interval_always_ends_after_it_starts_and_within_a_day(day, start, end):
    start, end = start.replace(microsecond=0), end.replace(microsecond=0)
    s, e = rules.local_interval(day, start, end, BEIJING)
    assert timedelta(0) < e - s <= timedelta(days=1)
    assert s.astimezone(BEIJING).date() == day


# ---------------------------------------------------------------- logs

def test_the_coach_corrects_a_log_within_the_window_and_only_the_manager_later():
    ended = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    assert rules.may_correct_log(is_session_coach=True, is_base_manager=False, session_ends_at=ended,
                                 now=ended + timedelta(days=7), correction_days=7)
    assert not rules.may_correct_log(is_session_coach=True, is_base_manager=False, session_ends_at=ended,
                                     now=ended + timedelta(days=7, seconds=1), correction_days=7)
    assert rules.may_correct_log(is_session_coach=False, is_base_manager=True, session_ends_at=ended,
                                 now=ended + timedelta(days=30), correction_days=7)
    assert not rules.may_correct_log(is_session_coach=False, is_base_manager=False, session_ends_at=ended,
                                     now=ended, correction_days=7)


def test_utilisation_is_a_share_capped_at_one():
    from decimal import Decimal

    assert rules.utilisation(Decimal("15"), Decimal("60")) == Decimal("0.250")
    assert rules.utilisation(Decimal("90"), Decimal("60")) == Decimal("1")
    assert rules.utilisation(Decimal("5"), Decimal("0")) == Decimal("0")


# ---------------------------------------------------------------- public holidays and clash summaries

def test_the_public_holidays_of_a_series_are_named_and_ordinary_weekends_are_not():
    days = [date(2025, 12, 29) + timedelta(days=n) for n in range(7)]
    check = rules.public_holidays(days)
    assert check.holidays == ((date(2026, 1, 1), "New Year's Day"), (date(2026, 1, 2), "New Year's Day"),
                              (date(2026, 1, 3), "New Year's Day"))
    assert check.unknown_years == ()
    national = rules.public_holidays([date(2026, 10, 1), date(2026, 10, 10), date(2026, 10, 11)])
    # 10-10 is a working Saturday (调休), 10-11 an ordinary Sunday: neither is a public holiday.
    assert national.days == {date(2026, 10, 1)}


def test_a_year_the_holiday_table_does_not_cover_is_reported_not_guessed():
    check = rules.public_holidays([date(2099, 1, 1), date(2099, 5, 1), date(2026, 10, 1)])
    assert check.holidays == ((date(2026, 10, 1), "National Day"),)
    assert check.unknown_years == (2099,)


def test_the_holiday_lookup_is_asked_once_per_day_and_stops_at_an_unknown_year():
    asked: list[date] = []

    def lookup(day: date) -> tuple[bool, str | None]:
        asked.append(day)
        if day.year == 2030:
            raise NotImplementedError
        return (day.day == 1, "Labour Day" if day.day == 1 else None)

    check = rules.public_holidays([date(2029, 5, 1), date(2029, 5, 1), date(2029, 5, 2), date(2030, 1, 1),
                                   date(2030, 1, 2)], lookup)
    assert check.holidays == ((date(2029, 5, 1), "Labour Day"),)
    assert check.unknown_years == (2030,)
    assert asked == [date(2029, 5, 1), date(2029, 5, 2), date(2030, 1, 1)]


def test_a_clash_summary_counts_days_and_resources_not_clash_lines():
    monday = datetime(2026, 11, 2, 9, tzinfo=BEIJING)
    existing = [Booking(1, 1, 100, frozenset({1, 2, 3}), monday, monday + timedelta(hours=3)),
                Booking(2, 1, 100, frozenset({1, 2, 3}), monday + timedelta(days=7),
                        monday + timedelta(days=7, hours=3))]
    proposed = [Booking(None, 1, 100, frozenset({1, 2, 3}), monday + timedelta(days=d),
                        monday + timedelta(days=d, hours=3)) for d in (0, 2, 7)]
    clashes = find_clashes(proposed, existing, {1: 4})
    assert len(clashes) == 10  # two days × (facility, coach, three athletes)
    summary = rules.summarise_clashes(clashes, BEIJING)
    assert summary.days == (date(2026, 11, 2), date(2026, 11, 9))
    assert summary.resources == (("facility", 1), ("coach", 100), ("athlete", 1), ("athlete", 2), ("athlete", 3))
