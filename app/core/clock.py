"""The one clock.

Every code path that needs the current instant or today's date asks here (views, services called without
``now``, CLI commands, the scheduler), so that tests set it in one place and nothing depends on the day
the suite runs. In production it is the system clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_fixed: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def today(tz: ZoneInfo = SHANGHAI) -> date:
    """Today's date on the wall in ``tz`` (Shanghai unless told)."""
    return now().astimezone(tz).date()


def set_now(at: datetime | None) -> None:
    """Fix the clock at ``at`` (an aware datetime), or give it back to the system with ``None``."""
    global _fixed
    if at is not None and at.tzinfo is None:
        raise ValueError("the clock takes an aware datetime")
    _fixed = at.astimezone(UTC) if at is not None else None


@contextmanager
def fixed(at: datetime) -> Iterator[None]:
    """Within the block the clock reads ``at``; afterwards what it read before."""
    before = _fixed
    set_now(at)
    try:
        yield
    finally:
        set_now(before)
