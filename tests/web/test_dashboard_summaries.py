"""Dashboards that do not grow with the data (issue 21): the mentor-hours tab reads tallies kept on every
approval and reopening (equal to a recount of the approved month sheets after each write), and neither it nor
its drill-down count reads the month sheets; the competitions tab's medal tables read the medalled results."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.apprenticeships.enums import MentorKind
from app.extensions import db
from app.mentor_hours import services, tallies
from app.mentor_hours.models import HourMonth, MonthStatus
from app.mentor_hours.tallies import MentorHourTally
from tests import apprenticeship_factories as af
from tests import mentor_hours_factories as mf
from tests.conftest import count_queries
from tests.web.test_dashboard import cells

MARCH = date(2026, 3, 1)


@pytest.fixture()
def s(app, ctx):
    return mf.setup()


def recount() -> dict[tuple[date, str], tuple[Decimal, Decimal, int]]:
    rows = db.session.execute(
        sa.select(HourMonth.month, HourMonth.district, sa.func.sum(HourMonth.hours),
                  sa.func.coalesce(sa.func.sum(HourMonth.allowance), 0), sa.func.count())
        .where(HourMonth.status == MonthStatus.APPROVED).group_by(HourMonth.month, HourMonth.district))
    return {(m, d.value): (Decimal(h), Decimal(a), n) for m, d, h, a, n in rows}


def kept() -> dict[tuple[date, str], tuple[Decimal, Decimal, int]]:
    db.session.expire_all()
    return {(t.month, t.district.value): (t.hours, t.allowance, t.sheets)
            for t in db.session.scalars(sa.select(MentorHourTally)) if t.sheets or t.hours or t.allowance}


def _approve(login_as, s, assignment, apprentice_user=None):
    url = f"/mentor-hours/a/{assignment.id}/2026-03"
    assert login_as(s.mentor).post(f"{url}/submit").status_code == 303
    if apprentice_user is not None:
        assert login_as(apprentice_user).post(f"{url}/confirm").status_code == 303
    else:  # the second apprentice has no sign-in in the factories: confirmed as the apprentice would
        sheet = db.session.scalar(sa.select(HourMonth).where(HourMonth.assignment_id == assignment.id))
        sheet.status, sheet.confirmed_at = MonthStatus.CONFIRMED, datetime(2026, 4, 2, tzinfo=UTC)
        db.session.commit()
    assert login_as(s.cast.hr).post(f"{url}/approve").status_code == 303


def test_the_tallies_equal_a_recount_after_each_approval_share_change_and_reopening(s, login_as):
    mf.rule(s.cast.enterprise.id, amount="80", cap="600")  # the cap is shared by the mentor's apprentices
    for day in (2, 3, 4):
        mf.entry(s.assignment, date(2026, 3, day), hours="3")  # 9 h × 80 = 720 → 600
    _approve(login_as, s, s.assignment, s.apprentice)
    assert kept() == recount() == {(MARCH, "huangpu"): (Decimal("9.00"), Decimal("600.00"), 1)}

    second = af.approved(s.cast, af.apprentice(s.cast, "李小红"), starts=date(2026, 1, 1), ends=date(2027, 1, 1))
    b = second.mentor(MentorKind.ENTERPRISE)
    assert b.mentor_id == s.assignment.mentor_id
    for day in (9, 10):
        mf.entry(b, date(2026, 3, day), hours="3")
    _approve(login_as, s, b)
    first = db.session.scalar(sa.select(HourMonth).where(HourMonth.assignment_id == s.assignment.id))
    assert first.allowance < Decimal("600.00")  # the first sheet's share moved: the tallies follow it
    assert kept() == recount() == {(MARCH, "huangpu"): (Decimal("15.00"), Decimal("600.00"), 2)}

    url = f"/mentor-hours/a/{s.assignment.id}/2026-03"
    assert login_as(s.cast.hr).post(f"{url}/reopen", {"reason": "补录"}).status_code == 303
    assert kept() == recount() == {(MARCH, "huangpu"): (Decimal("6.00"), Decimal("480.00"), 1)}
    assert login_as(s.cast.hr).post(f"/mentor-hours/a/{b.id}/2026-03/reopen", {"reason": "补录"}).status_code == 303
    assert kept() == recount() == {}


def test_a_refused_approval_leaves_the_tallies_alone(s, login_as):
    mf.entry(s.assignment, date(2026, 3, 2), hours="3")
    url = f"/mentor-hours/a/{s.assignment.id}/2026-03"
    assert login_as(s.mentor).post(f"{url}/submit").status_code == 303
    assert login_as(s.cast.hr).post(f"{url}/approve").status_code == 422  # not confirmed yet
    assert kept() == recount() == {}


def test_rebuild_recounts_what_was_written_around_the_services(s, login_as):
    mf.rule(s.cast.enterprise.id, amount="50")
    mf.entry(s.assignment, date(2026, 3, 2), hours="4")
    _approve(login_as, s, s.assignment, s.apprentice)
    db.session.execute(sa.update(HourMonth).values(hours=Decimal("5")))  # a bulk fix around the services
    tallies.rebuild()
    db.session.commit()
    assert kept() == recount() == {(MARCH, "huangpu"): (Decimal("5.00"), Decimal("200.00"), 1)}


def test_the_tab_and_its_list_show_the_tallies_without_reading_the_month_sheets(s, login_as, app):
    mf.rule(s.cast.enterprise.id, amount="50")
    mf.entry(s.assignment, date(2026, 3, 2), hours="4")
    _approve(login_as, s, s.assignment, s.apprentice)
    web = login_as(s.cast.official)
    with count_queries(app) as statements:
        page = web.get("/supervision/?tab=mentor_hours&year=2026").get_data(as_text=True)
    march = cells(page, "mentor-hour-months")[3]
    assert march[:4] == ["3月", "4.00", "200.00", "1"]
    assert not [q for q in statements if "mentor_hour_months" in q]
    assert services.mentor_hours_by_month(db.session, 2026)[2]["sheets"] == 1
    with count_queries(app) as statements:
        listing = web.get("/supervision/mentor-months?year=2026&month=3").get_data(as_text=True)
    assert s.enrollment.person.name in listing
    counts = [q for q in statements if "count(" in q.lower() and "mentor_hour_months" in q]
    assert counts == []  # the list's total comes from the tallies too
