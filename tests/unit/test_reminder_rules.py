"""When reminders go out: Shanghai days, month ends, a deadline at 00:30, holidays, back-off."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.reminders import rules

SH = ZoneInfo("Asia/Shanghai")


def test_a_deadline_at_half_past_midnight_counts_its_days_in_shanghai_not_utc():
    # 00:30 on 1 March in Shanghai is still 28 February in UTC; "1 day before" is 28 February, 09:00 Shanghai.
    due = datetime(2026, 3, 1, 0, 30, tzinfo=SH)
    assert due.astimezone(UTC).date() == date(2026, 2, 28)
    assert rules.send_time(due, 1) == datetime(2026, 2, 28, 9, 0, tzinfo=SH)
    assert rules.send_time(due, 7) == datetime(2026, 2, 22, 9, 0, tzinfo=SH)


def test_offsets_cross_month_and_year_ends():
    assert rules.send_time(datetime(2026, 1, 3, 17, tzinfo=SH), 7) == datetime(2025, 12, 27, 9, tzinfo=SH)
    assert rules.send_time(datetime(2028, 3, 1, 12, tzinfo=SH), 1) == datetime(2028, 2, 29, 9, tzinfo=SH)  # leap
    assert rules.send_time(datetime(2026, 5, 1, 10, tzinfo=SH), 1) == datetime(2026, 4, 30, 9, tzinfo=SH)


def test_a_deadline_given_in_utc_is_placed_on_its_shanghai_day():
    due = datetime(2026, 6, 30, 16, 30, tzinfo=UTC)  # 1 July 00:30 in Shanghai
    assert rules.send_time(due, 1) == datetime(2026, 6, 30, 9, tzinfo=SH)


def test_a_send_day_on_a_public_holiday_moves_to_the_previous_working_day():
    # National Day 2026: 1–7 October off; Wednesday 30 September is the last working day before it.
    due = datetime(2026, 10, 8, 17, tzinfo=SH)
    assert rules.send_time(due, 3, working_days_only=True) == datetime(2026, 9, 30, 9, tzinfo=SH)
    assert rules.send_time(due, 3) == datetime(2026, 10, 5, 9, tzinfo=SH)


def test_an_adjusted_saturday_working_day_keeps_its_reminder():
    # Saturday 10 October 2026 is a working day (调休) in the official calendar.
    assert rules.is_working_day(date(2026, 10, 10))
    due = datetime(2026, 10, 11, 17, tzinfo=SH)
    assert rules.send_time(due, 1, working_days_only=True) == datetime(2026, 10, 10, 9, tzinfo=SH)


def test_the_mid_autumn_festival_is_not_a_working_day_but_a_plain_weekend_day_is_judged_too():
    assert not rules.is_working_day(date(2026, 9, 25))  # 中秋节
    assert not rules.is_working_day(date(2026, 11, 7))  # a Saturday
    assert rules.previous_working_day(date(2026, 11, 8)) == date(2026, 11, 6)


def test_a_year_the_holiday_calendar_does_not_cover_falls_back_to_monday_to_friday():
    assert rules.previous_working_day(date(2099, 1, 4)) == date(2099, 1, 2)  # Sunday -> Friday


def test_planned_sends_leave_out_past_times_and_times_after_the_deadline():
    due = datetime(2026, 12, 10, 8, 0, tzinfo=SH)  # before 09:00: the same-day offset would be too late
    now = datetime(2026, 12, 5, 12, tzinfo=SH)
    planned = rules.planned_sends(due, (7, 1, 0), now)
    assert planned == {1: datetime(2026, 12, 9, 9, tzinfo=SH)}


def test_send_hour_is_configurable():
    assert rules.send_time(datetime(2026, 12, 10, 17, tzinfo=SH), 1, hour=14) == datetime(2026, 12, 9, 14, tzinfo=SH)


def test_retry_delay_doubles_up_to_a_cap():
    delays = [rules.retry_delay(n, 60, cap_seconds=600) for n in range(1, 7)]
    assert delays == [timedelta(seconds=s) for s in (60, 120, 240, 480, 600, 600)]
    assert rules.gives_up(5, 5) and not rules.gives_up(4, 5)
