"""Mentor-hours cases (issue 9): 带徒 hours of the 60,000 bench enrollments over two years.

Made on first use (bulk ``INSERT … SELECT``, idempotent) on top of the apprenticeship bench's enrollments:
the enterprise mentor of each apprentice logs hours on ``PER_APPRENTICE`` days spread over the 24 months up to
this month — 83 entries each, ≈5,000,000 entries for the 60,000 apprentices at ``--scale 1000000``; below that
proportionally fewer apprentices get hours (each the full two years), e.g. 600 apprentices at 10,000.
Session times vary by enrollment (two hours thirty from 08:00, 10:00 … 16:00), one entry in 40 is
logged 10 days late (back-filling), every month but the last is approved (≈1.4 M month sheets at full scale).
The enrollments with hours get a two-year period from the first month (one in a hundred only one year, so
its second year's hours are outside it: a prompt); the apprenticeship cases' list pages are unaffected.

On PostgreSQL the entries come from ``generate_series`` in one statement; on SQLite from a recursive CTE.

Timed: ``mentor_hours_risks_district_month`` — every risk prompt (all ten rules, SQL) of one district (浦东) for
one month (the last complete one); ``mentor_month_page`` — the mentor's month page of one apprentice.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.core.enums import District
from app.extensions import db
from app.mentor_hours import risks, rules, tallies
from app.mentor_hours.models import HourEntry
from bench.apprenticeships import ENROLLMENTS, bench_enrollments
from bench.cases import BenchContext, page, timed
from bench.database import bulk_load, mark_loaded

FULL_SCALE = 1_000_000
FULL_ENTRIES = 5_000_000
MONTHS = 24
DISTRICT = District.PUDONG


def _first_month(today: date) -> date:
    month = rules.month_start(today)
    for _ in range(MONTHS - 1):
        month = rules.month_start(month - timedelta(days=1))
    return month


PER_APPRENTICE = round(FULL_ENTRIES / ENROLLMENTS)  # 83: about 3.5 sessions a month


def apprentices(scale: int) -> int:
    """All 60,000 at full scale; proportionally fewer below (each with the full two years)."""
    return max(200, round(ENROLLMENTS * min(scale, FULL_SCALE) / FULL_SCALE))


def bench_entries(ctx: BenchContext) -> int:
    bench_enrollments(ctx)
    with ctx.app.app_context():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry)) or 0
        if have == 0:
            scale = db.session.scalar(sa.text("SELECT count(*) FROM people")) or 0
            _fill(PER_APPRENTICE, apprentices(scale))
            have = db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry)) or 0
        return have


PG_ENTRIES = """
INSERT INTO mentor_hour_entries (assignment_id, enrollment_id, mentor_id, enterprise_id, district, worked_on, month,
    starts_at, ends_at, hours, module_id, content, place, dispute, logged_by_id, logged_on, lag_days, created_at)
SELECT ma.id, e.id, ma.mentor_id, e.enterprise_id, e.district, d.day, date_trunc('month', d.day)::date,
       time '08:00' + (e.id % 5) * interval '2 hours', time '10:30' + (e.id % 5) * interval '2 hours', 2.5, NULL,
       '岗位技能带教 ' || (d.g % 12), '车间', '', NULL, d.day + d.lag, d.lag, now()
FROM mentor_assignments ma JOIN enrollments e ON e.id = ma.enrollment_id
CROSS JOIN LATERAL (
    SELECT g, (:first + ((g * :days) / :per + (e.id % 3)))::date AS day,
           CASE WHEN (g + e.id) % 40 = 0 THEN 10 ELSE 0 END AS lag
    FROM generate_series(0, :per - 1) AS g) d
WHERE ma.kind = 'enterprise' AND d.day <= :last
  AND e.id IN (SELECT id FROM enrollments ORDER BY id LIMIT :limit)
"""

SQLITE_ENTRIES = """
WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < :per - 1)
INSERT INTO mentor_hour_entries (assignment_id, enrollment_id, mentor_id, enterprise_id, district, worked_on, month,
    starts_at, ends_at, hours, module_id, content, place, dispute, logged_by_id, logged_on, lag_days, created_at)
SELECT assignment_id, enrollment_id, mentor_id, enterprise_id, district, day, substr(day, 1, 8) || '01',
       printf('%02d:00:00.000000', 8 + 2 * (enrollment_id % 5)),
       printf('%02d:30:00.000000', 10 + 2 * (enrollment_id % 5)),
       2.5, NULL, '岗位技能带教 ' || (n % 12), '车间', '', NULL, date(day, '+' || lag || ' days'), lag, :now
FROM (SELECT ma.id AS assignment_id, e.id AS enrollment_id, ma.mentor_id, e.enterprise_id, e.district, g.n,
             date(:first, '+' || ((g.n * :days) / :per + (e.id % 3)) || ' days') AS day,
             CASE WHEN (g.n + e.id) % 40 = 0 THEN 10 ELSE 0 END AS lag
      FROM mentor_assignments ma JOIN enrollments e ON e.id = ma.enrollment_id CROSS JOIN g
      WHERE ma.kind = 'enterprise' AND e.id IN (SELECT id FROM enrollments ORDER BY id LIMIT :limit))
WHERE day <= :last
"""

#: The apprentices with hours train over the two years (one in a hundred only the first year: its second
#: year's hours are outside the period, a prompt).
PERIODS = """
UPDATE enrollments SET starts_on = :first,
       ends_on = CASE WHEN id % 100 = 0 THEN :one_year ELSE :two_years END
WHERE id IN (SELECT id FROM enrollments ORDER BY id LIMIT :limit)
"""

SHEETS = """
INSERT INTO mentor_hour_months (assignment_id, enrollment_id, mentor_id, enterprise_id, district, month, status,
    hours, note, allowance)
SELECT assignment_id, enrollment_id, mentor_id, enterprise_id, district, month, 'approved', sum(hours), '',
       sum(hours) * 50
FROM mentor_hour_entries WHERE month < :this
GROUP BY assignment_id, enrollment_id, mentor_id, enterprise_id, district, month
"""


def _fill(per: int, limit: int) -> None:
    today = datetime.now(UTC).date()
    first = _first_month(today)
    last = today - timedelta(days=1)
    days = (rules.month_start(today) - first).days + 28
    params = {"first": first, "days": days, "per": per, "last": last, "this": rules.month_start(today),
              "limit": limit, "now": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")}
    print(f"mentor hours: {per} entries for each of {limit} apprentices from {first} …", file=sys.stderr, flush=True)
    postgres = db.engine.dialect.name == "postgresql"
    db.session.execute(sa.text(PERIODS), {**params, "one_year": first.replace(year=first.year + 1),
                                          "two_years": first.replace(year=first.year + 2)})
    with bulk_load("mentor_hour_entries", "mentor_hour_months"):
        db.session.execute(sa.text(PG_ENTRIES if postgres else SQLITE_ENTRIES), params)
        db.session.execute(sa.text(SHEETS), params)
    tallies.rebuild()  # the sheets were written around the services: the officials' tab reads the tallies
    db.session.commit()
    mark_loaded()
    print("mentor hours: loaded", file=sys.stderr, flush=True)


def _month() -> date:
    """The last complete month."""
    return rules.month_start(rules.month_start(datetime.now(UTC).date()) - timedelta(days=1))


@timed("mentor_hours_risks_district_month")
def mentor_hours_risks_district_month(ctx: BenchContext):
    """All ten risk rules for one district-month (as the desk and the enterprise page ask them)."""
    total = bench_entries(ctx)
    month = _month()

    def run() -> int:
        with ctx.app.test_request_context():
            try:
                return len(risks.prompts_for(month, DISTRICT))
            finally:
                db.session.remove()

    found = run()
    with ctx.app.app_context():
        in_scope = db.session.scalar(sa.select(sa.func.count()).select_from(HourEntry).where(
            HourEntry.district == DISTRICT, HourEntry.month == month))
    print(f"mentor_hours_risks_district_month: {total} entries, {in_scope} in {DISTRICT.value} {month:%Y-%m}, "
          f"{found} prompts", file=sys.stderr, flush=True)
    return run


@page("mentor_month_page", expect='id="month-entries"', list_page=True)
def mentor_month_page(ctx: BenchContext) -> str:
    """One mentor's month with one apprentice (entries, status, plan progress)."""
    bench_entries(ctx)
    month = _month()
    assignment_id = ctx.scalar("SELECT assignment_id FROM mentor_hour_entries WHERE district = :d AND month = :m "
                               "ORDER BY assignment_id LIMIT 1", d=DISTRICT.value, m=month)
    return f"/mentor-hours/a/{assignment_id}/{month:%Y-%m}"


@page("supervision_mentor_hours_city", expect='id="mentor-hour-months"')
def supervision_mentor_hours_city(ctx: BenchContext) -> str:
    """The officials' mentor-hours tab for the whole city (approved hours and allowances per month)."""
    bench_entries(ctx)
    return f"/supervision/?tab=mentor_hours&year={_month().year}"


@page("supervision_mentor_hours_district", expect='id="mentor-hour-months"')
def supervision_mentor_hours_district(ctx: BenchContext) -> str:
    bench_entries(ctx)
    return f"/supervision/?tab=mentor_hours&year={_month().year}&district={DISTRICT.value}"
