"""Pure rules of reminders: when each reminder is sent, working days, retry back-off. No Flask, no database."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def is_working_day(day: date) -> bool:
    """A working day in mainland China: public holidays off, adjusted weekend working days (调休) on.

    Uses the maintained ``chinesecalendar`` package; a year it does not cover yet falls back to Mon–Fri.
    """
    try:
        from chinese_calendar import is_workday  # optional at import: ImportError falls back to Mon–Fri below

        return bool(is_workday(day))
    except (NotImplementedError, ImportError):
        return day.weekday() < 5


def previous_working_day(day: date, is_workday: Callable[[date], bool] = is_working_day) -> date:
    """``day`` itself if it is a working day, else the nearest working day before it (at most 30 days back)."""
    for back in range(31):
        candidate = day - timedelta(days=back)
        if is_workday(candidate):
            return candidate
    return day


def send_time(due_at: datetime, offset_days: int, *, hour: int = 9, minute: int = 0,
              working_days_only: bool = False, tz: ZoneInfo = SHANGHAI,
              is_workday: Callable[[date], bool] = is_working_day) -> datetime:
    """When the reminder ``offset_days`` before ``due_at`` goes out: that day (in Shanghai) at hour:minute.

    The day is counted in Shanghai, not UTC: a deadline at 00:30 on the 1st is "the 1st", whose UTC
    instant falls on the day before. With ``working_days_only`` a weekend or holiday moves to the
    previous working day. The result is an aware UTC-comparable instant.
    """
    local_day = due_at.astimezone(tz).date() - timedelta(days=offset_days)
    if working_days_only:
        local_day = previous_working_day(local_day, is_workday)
    return datetime.combine(local_day, time(hour, minute), tzinfo=tz)


def planned_sends(due_at: datetime, offsets: Iterable[int], now: datetime, **options: object) -> dict[int, datetime]:
    """The offsets still to send, with their send times: only those after ``now`` and before the deadline."""
    planned: dict[int, datetime] = {}
    for offset in sorted(set(offsets), reverse=True):
        if offset < 0:
            continue
        at = send_time(due_at, offset, **options)  # type: ignore[arg-type]
        if now < at < due_at:
            planned[offset] = at
    return planned


def retry_delay(attempts: int, base_seconds: float, cap_seconds: float = 6 * 3600) -> timedelta:
    """Back-off before the next try after ``attempts`` failed ones: base, 2×base, 4×base … up to the cap."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


def gives_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
