"""Pure rules of the training-base area: booking clashes, recurring series, log correction window, hours.

No Flask, no database: instants are aware datetimes, the clock is passed in as ``now``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from chinese_calendar import get_holiday_detail


@dataclass(frozen=True)
class Booking:
    """A session as the clash check sees it. ``id`` is None for a proposed session not yet saved."""

    id: int | None
    facility_id: int
    coach_id: int
    athlete_ids: frozenset[int]
    starts_at: datetime
    ends_at: datetime
    label: str = ""

    @property
    def load(self) -> int:
        """Places taken in the facility: one per athlete (a session without athletes still takes one)."""
        return max(1, len(self.athlete_ids))


@dataclass(frozen=True)
class Clash:
    """``proposed`` cannot be booked because of ``others`` (saved or proposed bookings).

    kind: "facility" (over capacity), "coach" (double-booked) or "athlete" (``person_id`` double-booked).
    """

    kind: str
    proposed: Booking
    others: tuple[Booking, ...]
    person_id: int | None = None
    capacity: int | None = None
    peak: int | None = None


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals [start, end) overlap: a session ending at 10:00 and one starting at 10:00 do not."""
    return a_start < b_end and b_start < a_end


def peak_load(window_start: datetime, window_end: datetime, bookings: Iterable[Booking]) -> tuple[int, list[Booking]]:
    """The largest total load at any instant within [window_start, window_end), and the bookings present then."""
    events: list[tuple[datetime, int, Booking]] = []
    for b in bookings:
        start, end = max(b.starts_at, window_start), min(b.ends_at, window_end)
        if start < end:
            # Ends sort before starts at the same instant (half-open intervals).
            events.append((start, 1, b))
            events.append((end, 0, b))
    events.sort(key=lambda e: (e[0], e[1]))
    current: dict[int, Booking] = {}
    load = best = 0
    best_set: list[Booking] = []
    for _at, is_start, b in events:
        if is_start:
            current[id(b)] = b
            load += b.load
            if load > best:
                best, best_set = load, list(current.values())
        else:
            current.pop(id(b), None)
            load -= b.load
    return best, best_set


def find_clashes(proposed: Sequence[Booking], existing: Sequence[Booking],
                 capacities: Mapping[int, int]) -> list[Clash]:
    """Every clash of the ``proposed`` bookings with the ``existing`` ones and with each other.

    - a facility may hold overlapping sessions while their athletes together fit its capacity;
    - a coach coaches one session at a time;
    - an athlete is in one session at a time (``existing`` should hold their sessions at every base).
    Bookings in ``existing`` with the id of a proposed booking are that booking's old times (a move) and
    are ignored. Proposed bookings are checked against the ones before them in the list, so a series that
    overlaps itself is refused too.
    """
    moving = {p.id for p in proposed if p.id is not None}
    saved = [b for b in existing if b.id is None or b.id not in moving]
    clashes: list[Clash] = []
    for i, p in enumerate(proposed):
        others = saved + list(proposed[:i])
        overlapping = [o for o in others if overlaps(p.starts_at, p.ends_at, o.starts_at, o.ends_at)]
        same_facility = [o for o in overlapping if o.facility_id == p.facility_id]
        capacity = capacities.get(p.facility_id, 1)
        # Also a session alone with more athletes than the facility holds.
        peak, present = peak_load(p.starts_at, p.ends_at, [p, *same_facility])
        if peak > capacity:
            clashes.append(Clash("facility", p, tuple(b for b in present if b is not p),
                                 capacity=capacity, peak=peak))
        coach = tuple(o for o in overlapping if o.coach_id == p.coach_id)
        if coach:
            clashes.append(Clash("coach", p, coach))
        by_person: dict[int, list[Booking]] = defaultdict(list)
        for o in overlapping:
            for person_id in o.athlete_ids & p.athlete_ids:
                by_person[person_id].append(o)
        for person_id in sorted(by_person):
            clashes.append(Clash("athlete", p, tuple(by_person[person_id]), person_id=person_id))
    return clashes


# ---------------------------------------------------------------- recurring series

@dataclass(frozen=True)
class Recurrence:
    """Weekly on ``weekdays`` (0 = Monday) from ``first_day`` to ``last_day``, local ``start``–``end``.

    An ``end`` at or before ``start`` means the session ends the next day (across midnight).
    """

    first_day: date
    last_day: date
    weekdays: frozenset[int]
    start: time
    end: time
    tz: str = "Asia/Shanghai"


MAX_SERIES = 400
#: A session longer than this is a typing mistake; the clash query also relies on the bound.
MAX_SESSION_HOURS = 24


def local_interval(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants of a session on local ``day`` from ``start`` to ``end`` (next day when end ≤ start)."""
    starts = datetime.combine(day, start, tz)
    ends = datetime.combine(day + timedelta(days=1) if end <= start else day, end, tz)
    return starts, ends


def expand(rec: Recurrence) -> list[tuple[datetime, datetime]]:
    """The (start, end) instants of each occurrence, in order; raises ValueError on a bad or huge series."""
    if rec.last_day < rec.first_day:
        raise ValueError("last_day before first_day")
    if not rec.weekdays or not rec.weekdays <= set(range(7)):
        raise ValueError("weekdays")
    if rec.start == rec.end:
        raise ValueError("zero length")
    tz = ZoneInfo(rec.tz)
    out: list[tuple[datetime, datetime]] = []
    day = rec.first_day
    while day <= rec.last_day:
        if day.weekday() in rec.weekdays:
            out.append(local_interval(day, rec.start, rec.end, tz))
            if len(out) > MAX_SERIES:
                raise ValueError("too many")
        day += timedelta(days=1)
    return out


# ---------------------------------------------------------------- public holidays and clash summaries

#: day -> (is a day off, the holiday's name or None for an ordinary weekend), as ``chinesecalendar`` answers;
#: raises NotImplementedError for a year it does not cover.
HolidayLookup = Callable[[date], tuple[bool, str | None]]


def _chinese_calendar(day: date) -> tuple[bool, str | None]:
    on_holiday, name = get_holiday_detail(day)
    return bool(on_holiday), name


@dataclass(frozen=True)
class HolidayCheck:
    """Which of some days are statutory public holidays (法定节假日, not ordinary weekends)."""

    #: (day, the holiday's name in ``chinesecalendar``, e.g. "New Year's Day"), in date order.
    holidays: tuple[tuple[date, str], ...]
    #: Years the holiday table does not cover: their days were not checked.
    unknown_years: tuple[int, ...]

    @property
    def days(self) -> frozenset[date]:
        return frozenset(day for day, _name in self.holidays)


def public_holidays(days: Iterable[date], lookup: HolidayLookup = _chinese_calendar) -> HolidayCheck:
    """The statutory public holidays among ``days``; a year the table does not know is reported, not guessed."""
    found: list[tuple[date, str]] = []
    unknown: set[int] = set()
    for day in sorted(set(days)):
        if day.year in unknown:
            continue
        try:
            on_holiday, name = lookup(day)
        except NotImplementedError:
            unknown.add(day.year)
            continue
        if on_holiday and name:
            found.append((day, name))
    return HolidayCheck(tuple(found), tuple(sorted(unknown)))


@dataclass(frozen=True)
class ClashSummary:
    """What a clash headline says: on how many (local) days, and which resources, in the order first met."""

    days: tuple[date, ...]
    #: ("facility", facility id) / ("coach", person id) / ("athlete", person id), without repeats.
    resources: tuple[tuple[str, int], ...]


def summarise_clashes(clashes: Sequence[Clash], tz: ZoneInfo) -> ClashSummary:
    """Count the days, not the clash lines: one day with a full facility, a busy coach and three busy athletes is
    one day and five resources."""
    days = sorted({c.proposed.starts_at.astimezone(tz).date() for c in clashes})
    resources: list[tuple[str, int]] = []
    order = {"facility": 0, "coach": 1, "athlete": 2}
    for c in sorted(clashes, key=lambda c: order[c.kind]):
        key = (c.kind, c.proposed.facility_id if c.kind == "facility"
               else c.proposed.coach_id if c.kind == "coach" else c.person_id or 0)
        if key not in resources:
            resources.append(key)
    return ClashSummary(tuple(days), tuple(resources))


# ---------------------------------------------------------------- coach logs

def may_correct_log(*, is_session_coach: bool, is_base_manager: bool, session_ends_at: datetime,
                    now: datetime, correction_days: int) -> bool:
    """The session's coach may write or correct its log within ``correction_days`` after it ends; later only
    the base manager may."""
    if is_base_manager:
        return True
    if not is_session_coach:
        return False
    return now <= session_ends_at + timedelta(days=correction_days)


def session_hours(starts_at: datetime, ends_at: datetime) -> Decimal:
    """Scheduled hours, to two decimals."""
    return (Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def utilisation(booked_hours: Decimal, capacity_hours: Decimal) -> Decimal:
    """Share of the available hours that were booked, 0–1 (0 when nothing was available)."""
    if capacity_hours <= 0:
        return Decimal("0")
    return min(Decimal("1"), (booked_hours / capacity_hours)).quantize(Decimal("0.001"))
