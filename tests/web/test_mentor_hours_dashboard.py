"""The officials' mentor-hours tab: each month's approved hours, allowance and mentor-apprentice months equal sums the
test makes from the month sheets it wrote; the district filter narrows them; each month links to its list."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from app.core.enums import District
from app.extensions import db
from app.mentor_hours import tallies
from app.mentor_hours.models import HourMonth, MonthStatus
from tests import factories
from tests import mentor_hours_factories as mf
from tests.conftest import count_queries
from tests.web.test_dashboard import cells


def sheet(s: mf.Setup, month: date, hours: str, allowance: str | None,
          status: MonthStatus = MonthStatus.APPROVED) -> HourMonth:
    row = HourMonth(assignment_id=s.assignment.id, enrollment_id=s.enrollment.id, mentor_id=s.assignment.mentor_id,
                    enterprise_id=s.enrollment.enterprise_id, district=s.enrollment.district, month=month,
                    status=status, hours=Decimal(hours), allowance=Decimal(allowance) if allowance else None)
    db.session.add(row)
    db.session.flush()
    tallies.rebuild()  # written around the services (which keep the tab's tallies): recounted as after a bulk load
    db.session.commit()
    return row


def test_mentor_hours_tab_adds_up_the_approved_month_sheets_per_month_and_district(app, ctx, login_as):
    huangpu = mf.setup(District.HUANGPU)
    pudong = mf.setup(District.PUDONG, prefix="浦东", policies=False)
    sheets = [
        sheet(huangpu, date(2026, 3, 1), "12.5", "625.00"),
        sheet(pudong, date(2026, 3, 1), "8", "200.00"),
        sheet(pudong, date(2026, 4, 1), "6", None),             # approved, no allowance rule
        sheet(huangpu, date(2026, 4, 1), "9", None, MonthStatus.SUBMITTED),  # not approved: not counted
        sheet(huangpu, date(2025, 3, 1), "20", "500.00"),        # another year
    ]
    counted = [s for s in sheets if s.status == MonthStatus.APPROVED and s.month.year == 2026]

    client = login_as(factories.municipal_official())
    page = client.get("/supervision/?tab=mentor_hours&year=2026").get_data(as_text=True)
    table = {row[0]: row[1:] for row in cells(page, "mentor-hour-months")[1:]}
    for month in range(1, 13):
        mine = [s for s in counted if s.month.month == month]
        row = table[f"{month}月"]
        assert Decimal(row[0]) == sum((s.hours for s in mine), Decimal(0))
        assert Decimal(row[1].replace(",", "")) == sum((s.allowance or Decimal(0) for s in mine), Decimal(0))
        assert int(row[2]) == len(mine)
    assert table["全年"] == ["26.50", "825.00", "3"]
    assert 'data-dashboard-chart="bars"' in page

    only_pudong = client.get("/supervision/?tab=mentor_hours&year=2026&district=pudong").get_data(as_text=True)
    assert cells(only_pudong, "mentor-hour-months")[3][1:3] == ["8.00", "200.00"]

    link = re.search(r'href="(/supervision/mentor-months\?year=2026&amp;month=3&amp;district=)"', page).group(1)
    listing = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    rows = cells(listing, "mentor-month-list")[1:]
    assert sorted(r[5] for r in rows) == ["12.50", "8.00"]
    assert {r[2] for r in rows} == {huangpu.enrollment.person.name, pudong.enrollment.person.name}
    assert client.get("/supervision/mentor-months?year=2026&month=13").status_code == 404
    year = re.search(r'href="(/supervision/mentor-months\?year=2026&amp;district=)"', page).group(1)
    year_rows = cells(client.get(year.replace("&amp;", "&")).get_data(as_text=True), "mentor-month-list")[1:]
    assert sorted((r[0], r[5]) for r in year_rows) == [("2026-03", "12.50"), ("2026-03", "8.00"), ("2026-04", "6.00")]


def test_district_official_sees_only_their_districts_mentor_hours(app, ctx, login_as):
    huangpu = mf.setup(District.HUANGPU)
    pudong = mf.setup(District.PUDONG, prefix="浦东", policies=False)
    sheet(huangpu, date(2026, 3, 1), "12", "600.00")
    sheet(pudong, date(2026, 3, 1), "5", "250.00")
    client = login_as(factories.district_official(District.PUDONG))
    page = client.get("/supervision/?tab=mentor_hours&year=2026&district=huangpu").get_data(as_text=True)
    assert cells(page, "mentor-hour-months")[3][1:3] == ["5.00", "250.00"]
    listing = client.get("/supervision/mentor-months?year=2026&month=3").get_data(as_text=True)
    assert [r[2] for r in cells(listing, "mentor-month-list")[1:]] == [pudong.enrollment.person.name]


def test_mentor_hours_tab_and_its_list_take_a_fixed_number_of_queries(app, ctx, login_as):
    client = login_as(factories.municipal_official())
    setups = [mf.setup(District.HUANGPU)]
    sheet(setups[0], date(2026, 3, 1), "4", "100.00")
    with count_queries(app) as few:
        client.get("/supervision/?tab=mentor_hours&year=2026")
        client.get("/supervision/mentor-months?year=2026&month=3")
    for n in range(3):
        more = mf.setup(District.HUANGPU, prefix=f"第{n}", policies=False)
        sheet(more, date(2026, 3, 1), "4", "100.00")
    with count_queries(app) as many:
        client.get("/supervision/?tab=mentor_hours&year=2026")
        client.get("/supervision/mentor-months?year=2026&month=3")
    assert len(many) == len(few)
