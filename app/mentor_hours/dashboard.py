"""The officials' mentor-hours tab on /supervision/ (?tab=mentor_hours): approved 带徒 hours and allowances per
month, and the list behind each month (the approved month sheets)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.apprenticeships.models import Enrollment
from app.core import tallies as core_tallies
from app.core.enums import District
from app.core.models import Organisation, Person
from app.extensions import db
from app.mentor_hours import bp, tallies
from app.mentor_hours.models import HourMonth, MonthStatus
from app.mentor_hours.services import mentor_hours_by_month
from app.supervision.dashboards import Chart, Series, dashboard, drill_down


@dashboard("mentor_hours", _l("导师带徒"), "mentor_hours/_dashboard.html", order=50)
def mentor_hours(scope: Any) -> dict[str, Any]:
    months = mentor_hours_by_month(db.session, scope.year, scope.district)
    district = scope.district.value if scope.district else ""
    links = [url_for("supervision.mentor_months", year=scope.year, month=m["month"], district=district)
             for m in months]
    totals = {"hours": sum((m["hours"] for m in months), Decimal(0)),
              "allowance": sum((m["allowance"] for m in months), Decimal(0)),
              "sheets": sum(m["sheets"] for m in months)}
    labels = [str(_l("%(m)d月", m=m["month"])) for m in months]
    year_link = url_for("supervision.mentor_months", year=scope.year, district=district)
    return {"months": months, "links": links, "year_link": year_link, "totals": totals,
            "chart": Chart("bars", labels, [Series(str(_l("已核准带徒学时")), [float(m["hours"]) for m in months],
                                                   links)]),
            "allowance_chart": Chart("bars", labels, [Series(str(_l("带徒津贴（元）")),
                                                             [float(m["allowance"]) for m in months], links)])}


@drill_down("mentor_months")
def approved_months(year: int, month: int | None, district: District | None, limit: int = 500
                    ) -> tuple[list[sa.Row[Any]], int]:
    """The list behind a month's figures (or the year's, without ``month``): its approved month sheets (mentor,
    apprentice, enterprise, hours, allowance), at most ``limit`` of them, and how many there are."""
    apprentice = aliased(Person)
    where = [HourMonth.status == MonthStatus.APPROVED,
             HourMonth.month == date(year, month, 1) if month else HourMonth.month.between(date(year, 1, 1),
                                                                                          date(year, 12, 1))]
    if district is not None:
        where.append(HourMonth.district == district)
    total = tallies.sheets(year, month, district)  # a count of the sheets would grow with them
    rows = db.session.execute(
        sa.select(HourMonth.id, HourMonth.month, HourMonth.district, HourMonth.hours, HourMonth.allowance,
                  Person.id.label("mentor_id"), Person.name.label("mentor"),
                  apprentice.id.label("apprentice_id"), apprentice.name.label("apprentice"),
                  Organisation.name.label("enterprise"))
        .join(Person, Person.id == HourMonth.mentor_id)
        .join(Enrollment, Enrollment.id == HourMonth.enrollment_id)
        .join(apprentice, apprentice.id == Enrollment.person_id)
        .join(Organisation, Organisation.id == HourMonth.enterprise_id)
        .where(*where).order_by(HourMonth.month, Organisation.name, Person.name, HourMonth.id).limit(limit)).all()
    return list(rows), total


core_tallies.rebuild_command(
    bp, "mentor_hour_tallies", tallies.rebuild,
    "Recount the approved mentor hours per month and district of the officials' tab (after bulk loads).",
    "mentor-hour tallies rebuilt")
