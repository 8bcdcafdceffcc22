"""The officials' dashboards: a registry of tabs on /supervision/ (``?tab=<key>``), each built from grouped SQL.

Adding a dashboard (e.g. mentor hours) takes one function and one template::

    from app.supervision.dashboards import Chart, dashboard

    @dashboard("mentor_hours", _l("导师带徒"), "apprenticeships/_dashboard_mentor_hours.html", order=50)
    def mentor_hours(scope: Scope) -> dict:          # scope.year, scope.district (None: the whole city)
        rows = ...                                     # aggregate SQL only: never rows into Python
        return {"rows": rows, "chart": Chart(...)}     # the template's context

and the area imports that module from its package ``__init__``. The page renders the tabs in ``order``, keeps
``year`` and ``district`` in every tab link, and includes the chosen tab's template with its context plus
``scope`` and ``dargs`` (the year and district as URL arguments, for the links behind each figure).
A ``Chart`` is drawn by static/js/dashboard.js; the same numbers must be in a table beneath it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.functions import FunctionElement

from app.apprenticeships.enums import EnrollmentStatus, SubsidyKind, SubsidyStatus
from app.apprenticeships.models import Enrollment, SubsidyLine
from app.apprenticeships.services import PLAN_YEARS
from app.competitions import stats
from app.core.enums import District
from app.core.models import Organisation, PolicyValue
from app.core.policy import value_in_force
from app.extensions import db
from app.i18n import gettext
from app.supervision.services import competition_dashboard
from app.templating import url_query
from app.training_bases import tallies as training_base_tallies
from app.training_bases.models import Facility, SessionLog, TrainingBase, TrainingCamp, TrainingSession, camp_athletes

BuildFn = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Dashboard:
    key: str
    label: object
    template: str
    build: BuildFn
    order: int = 100


DASHBOARDS: dict[str, Dashboard] = {}
#: The lists behind a tab's figures that another area provides: key -> fn(year, month, district) -> (rows, total).
DRILL_DOWNS: dict[str, Callable[..., Any]] = {}


def drill_down(key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the list behind a dashboard's figures (the area keeps its own query)."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        DRILL_DOWNS[key] = fn
        return fn

    return register


def dashboard(key: str, label: object, template: str, order: int = 100) -> Callable[[BuildFn], BuildFn]:
    def register(fn: BuildFn) -> BuildFn:
        DASHBOARDS[key] = Dashboard(key, label, template, fn, order)
        return fn
    return register


def tabs() -> list[Dashboard]:
    return sorted(DASHBOARDS.values(), key=lambda d: (d.order, d.key))


@dataclass
class Series:
    name: str
    values: list[float | int]
    links: list[str]


@dataclass
class Chart:
    """What static/js/dashboard.js draws: ``kind`` "bars" (vertical), "levels" (horizontal) or "lines"."""

    kind: str
    labels: list[str]
    series: list[Series] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"labels": self.labels,
                "series": [{"name": s.name, "values": s.values, "links": s.links} for s in self.series]}


# ---------------------------------------------------------------- SQL helpers

class hours_between(FunctionElement):  # noqa: N801 - used like a SQL function
    """Hours from one instant column to another, in SQL (PostgreSQL: epoch difference; SQLite: julianday)."""

    type = sa.Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between)
def _hours_pg(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 24.0)"


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The instants the calendar year begins and ends in Shanghai."""
    tz = ZoneInfo(current_app.config["TZ"])
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def _dec(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- competitions (issue 11, first part)

@dashboard("competitions", _l("技能竞赛"), "supervision/_dash_competitions.html", order=10)
def competitions(scope: Any) -> dict[str, Any]:
    board = competition_dashboard(scope)
    competitions_list = url_query("competitions.competitions")
    pyramid_links = [competitions_list(level=row.level.value, year=scope.year) for row in board.pyramid]
    medallists = url_query("supervision.medallists")
    # The medal tables' cells made here, not by the template: ~200 cells and ~100 links a view, each a
    # ``counts.get`` and a link call through Jinja's context were most of the page's Python (issue 21). A
    # cell's link is its row's link with the medal added, a row's link the year's with the district or unit put
    # in (district values, unit ids and medal values need no quoting: url_query leaves them as they are).
    medals = stats.MEDALS
    by_district = medallists(year=scope.year) + "&district="
    district_links = [by_district + row.key.value for row in board.by_district]
    district_rows = [
        (row.key.label, [(row.counts.get(m), f"{link}&medal={m.value}") for m in medals], row.total, link)
        for row, link in zip(board.by_district, district_links, strict=True)]
    unit_district = scope.district.value if scope.district else ""  # as the page's ``dargs``
    by_unit = medallists() + "?unit="
    unit_query = "&" + medallists(year=scope.year, district=unit_district).partition("?")[2]
    unit_rows = [(row.key[1], [row.counts.get(m, 0) for m in medals], row.total, f"{by_unit}{row.key[0]}{unit_query}")
                 for row in board.by_unit]
    return {"board": board, "medals": medals, "medal_labels": [m.label for m in medals],
            "district_rows": district_rows, "unit_rows": unit_rows,
            "pyramid_rows": list(zip(board.pyramid, pyramid_links, strict=True)),
            "pyramid_chart": Chart("levels", [str(r.level.label) for r in board.pyramid],
                                   [Series(str(_l("参赛人次")), [r.entrants for r in board.pyramid], pyramid_links)]),
            "district_chart": Chart("bars", [str(r.key.label) for r in board.by_district],
                                    [Series(str(_l("奖牌数")), [r.total for r in board.by_district], district_links)])}


# ---------------------------------------------------------------- training-base utilisation

@dataclass
class BaseRow:
    base_id: int
    name: str
    district: District | None
    facilities: int = 0
    seats: int = 0
    camps: int = 0
    athletes: int = 0
    sessions: int = 0
    booked_hours: Decimal = Decimal("0.00")
    logged_hours: Decimal = Decimal("0.00")
    available_hours: Decimal | None = None

    @property
    def utilisation(self) -> Decimal | None:
        """Booked facility hours as a percentage of the hours the base's active facilities are open."""
        if not self.available_hours:
            return None
        return (self.booked_hours * 100 / self.available_hours).quantize(Decimal("0.1"))


def base_utilisation(year: int, district: District | None) -> list[BaseRow]:
    """Per training base in scope: facilities, camps, athletes, sessions and their hours in the year —
    five grouped queries, whatever the number of sessions (these from the tallies kept on write,
    app/training_bases/tallies.py: at most 12 rows a base)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    bases = (sa.select(TrainingBase.id).join(Organisation, Organisation.id == TrainingBase.organisation_id)
             .where(TrainingBase.designated_from <= last,
                    sa.or_(TrainingBase.designated_until.is_(None), TrainingBase.designated_until >= first)))
    if district is not None:
        bases = bases.where(Organisation.district == district)
    in_scope = bases.scalar_subquery()
    rows = {bid: BaseRow(bid, name, d) for bid, name, d in db.session.execute(
        sa.select(TrainingBase.id, TrainingBase.name, Organisation.district)
        .join(Organisation, Organisation.id == TrainingBase.organisation_id)
        .where(TrainingBase.id.in_(in_scope)).order_by(TrainingBase.name, TrainingBase.id))}
    if not rows:
        return []
    for bid, n, seats in db.session.execute(
            sa.select(Facility.base_id, sa.func.count(), sa.func.sum(Facility.capacity))
            .where(Facility.base_id.in_(in_scope), Facility.active.is_(True)).group_by(Facility.base_id)):
        rows[bid].facilities, rows[bid].seats = n, int(seats or 0)
    camps_in_year = sa.and_(TrainingCamp.base_id.in_(in_scope), TrainingCamp.starts_on <= last,
                            TrainingCamp.ends_on >= first)
    for bid, n in db.session.execute(sa.select(TrainingCamp.base_id, sa.func.count())
                                     .where(camps_in_year).group_by(TrainingCamp.base_id)):
        rows[bid].camps = n
    for bid, n in db.session.execute(
            sa.select(TrainingCamp.base_id, sa.func.count(sa.distinct(camp_athletes.c.person_id)))
            .join(camp_athletes, camp_athletes.c.camp_id == TrainingCamp.id)
            .where(camps_in_year).group_by(TrainingCamp.base_id)):
        rows[bid].athletes = n
    for bid, (n, booked, logged) in training_base_tallies.by_base(list(rows), year).items():
        rows[bid].sessions, rows[bid].booked_hours, rows[bid].logged_hours = n, _dec(booked), _dec(logged)
    per_day = value_in_force("training_base.facility_hours_per_day", last)
    days = (last - first).days + 1
    if per_day is not None:
        for row in rows.values():
            row.available_hours = _dec(row.facilities * per_day * days)
    return list(rows.values())


@dashboard("training_bases", _l("集训基地利用"), "supervision/_dash_training_bases.html", order=20)
def training_bases(scope: Any) -> dict[str, Any]:
    rows = base_utilisation(scope.year, scope.district)
    links = [url_for("supervision.base_sessions", base=r.base_id, year=scope.year) for r in rows]
    return {"rows": rows, "chart": Chart("bars", [r.name for r in rows], [
        Series(str(_l("已排训练学时")), [float(r.booked_hours) for r in rows], links),
        Series(str(_l("已记录学时")), [float(r.logged_hours) for r in rows], links)])}


def base_sessions(base_id: int, year: int, limit: int = 500) -> tuple[Any, list[Any], int]:
    """The list behind a base's figures: its sessions in the year with their hours (and how many in all)."""
    start, end = year_bounds(year)
    base = db.session.get(TrainingBase, base_id)
    where = (TrainingSession.base_id == base_id, TrainingSession.starts_at >= start, TrainingSession.starts_at < end)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession).where(*where)) or 0
    rows = db.session.execute(
        sa.select(TrainingSession, hours_between(TrainingSession.starts_at, TrainingSession.ends_at),
                  SessionLog.actual_hours)
        .outerjoin(SessionLog, SessionLog.session_id == TrainingSession.id)
        .where(*where).order_by(TrainingSession.starts_at, TrainingSession.id).limit(limit)
        .options(joinedload(TrainingSession.camp), joinedload(TrainingSession.facility))).all()
    return base, [(s, _dec(h), logged) for s, h, logged in rows], total


# ---------------------------------------------------------------- apprenticeships against the plan

@dataclass
class PlanProgress:
    target: int | None
    done: int
    first_year: int
    last_year: int

    @property
    def percent(self) -> Decimal | None:
        if not self.target:
            return None
        return (Decimal(self.done) * 100 / self.target).quantize(Decimal("0.1"))

    @property
    def bar_width(self) -> int:
        """The progress bar's width class (Bootstrap's w-25 … w-100; no inline styles under the CSP)."""
        percent = self.percent or Decimal(0)
        return min(int(percent // 25) * 25, 100)


@dataclass
class MonthRow:
    month: int
    enrolled: int
    completed: int


def _enrollment_measure(measure: str, year: int, month: int | None, district: District | None) -> list[Any]:
    """The WHERE clause of each figure; the dashboard counts it and the list behind it lists it."""
    if measure == "plan":
        where = [Enrollment.approved_at.is_not(None), Enrollment.starts_on >= date(PLAN_YEARS[0], 1, 1),
                 Enrollment.starts_on <= date(PLAN_YEARS[1], 12, 31)]
    else:
        column = Enrollment.starts_on if measure == "enrolled" else Enrollment.ends_on
        first = date(year, month or 1, 1)
        after = date(year + 1, 1, 1) if month in (None, 12) else date(year, (month or 0) + 1, 1)
        where = [column >= first, column < after]
        where.append(Enrollment.approved_at.is_not(None) if measure == "enrolled"
                     else Enrollment.status == EnrollmentStatus.COMPLETED)
    if district is not None:
        where.append(Enrollment.district == district)
    return where


MEASURES = {"enrolled": _l("新备案学徒"), "completed": _l("结业学徒"), "plan": _l("规划期内累计备案")}


def apprenticeship_figures(year: int, district: District | None) -> tuple[PlanProgress, list[MonthRow]]:
    """Progress against the plan's target (policy data) and the year's enrollments and completions by month:
    three grouped queries over the enrollments' indexes."""
    done = db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment).where(
        *_enrollment_measure("plan", year, None, district))) or 0
    # The target of the plan: the city's; for a district, only a district's own row (a share of the city's
    # target is not the district's target).
    target_on = date(PLAN_YEARS[1], 12, 31)
    stmt = (sa.select(PolicyValue.value).where(PolicyValue.key == "apprenticeship.plan_target",
                                               PolicyValue.qualifier == "", PolicyValue.effective_from <= target_on,
                                               PolicyValue.district == district if district is not None
                                               else PolicyValue.district.is_(None))
            .order_by(PolicyValue.effective_from.desc(), PolicyValue.id.desc()).limit(1))
    target = db.session.scalar(stmt)
    progress = PlanProgress(int(target) if target is not None else None, done, *PLAN_YEARS)
    months = {m: MonthRow(m, 0, 0) for m in range(1, 13)}
    enrolled_month = sa.extract("month", Enrollment.starts_on)
    for month, n in db.session.execute(sa.select(enrolled_month, sa.func.count()).where(
            *_enrollment_measure("enrolled", year, None, district)).group_by(enrolled_month)):
        months[int(month)].enrolled = n
    completed_month = sa.extract("month", Enrollment.ends_on)
    for month, n in db.session.execute(sa.select(completed_month, sa.func.count()).where(
            *_enrollment_measure("completed", year, None, district)).group_by(completed_month)):
        months[int(month)].completed = n
    return progress, list(months.values())


@dashboard("apprenticeships", _l("学徒培训进度"), "supervision/_dash_apprenticeships.html", order=30)
def apprenticeships(scope: Any) -> dict[str, Any]:
    progress, months = apprenticeship_figures(scope.year, scope.district)
    district = scope.district.value if scope.district else ""
    # Every link routed once (url_query) and the month's label translated once, not per month and twice (the
    # chart's and the table's): 51 url_for calls were most of this tab's Python (issue 21).
    enrollments = url_query("supervision.enrollments")
    month_label = gettext("%(m)d月")
    labels = [month_label % {"m": m.month} for m in months]
    enrolled = [enrollments(measure="enrolled", year=scope.year, month=m.month, district=district) for m in months]
    completed = [enrollments(measure="completed", year=scope.year, month=m.month, district=district) for m in months]
    return {"progress": progress, "months": months,
            "month_rows": [(m.month, m.enrolled, enrolled_link, m.completed, completed_link)
                           for m, enrolled_link, completed_link in zip(months, enrolled, completed, strict=True)],
            "plan_link": enrollments(measure="plan", year=scope.year, district=district),
            "year_links": (enrollments(measure="enrolled", year=scope.year, district=district),
                           enrollments(measure="completed", year=scope.year, district=district)),
            "chart": Chart("lines", labels, [
                Series(str(MEASURES["enrolled"]), [m.enrolled for m in months], enrolled),
                Series(str(MEASURES["completed"]), [m.completed for m in months], completed)])}


def enrollment_list(measure: str, year: int, month: int | None, district: District | None,
                    limit: int = 500) -> tuple[list[Any], int]:
    where = _enrollment_measure(measure, year, month, district)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment).where(*where)) or 0
    rows = db.session.scalars(sa.select(Enrollment).where(*where).order_by(Enrollment.id).limit(limit).options(
        joinedload(Enrollment.person), joinedload(Enrollment.enterprise))).all()
    return list(rows), total


# ---------------------------------------------------------------- subsidies spent vs claimed

@dataclass
class SubsidyRow:
    district: District
    claimed: Decimal = Decimal("0.00")
    approved: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    clawed_back: Decimal = Decimal("0.00")
    lines: int = 0

    @property
    def spent(self) -> Decimal:
        """Paid out less what is being recovered (the ledger's net)."""
        return self.paid + self.clawed_back


def subsidy_by_district(year: int, district: District | None) -> list[SubsidyRow]:
    """Claimed, approved, paid and clawed back per district for the year: one grouped query."""
    not_clawback = SubsidyLine.kind != SubsidyKind.CLAWBACK
    amount = SubsidyLine.amount

    def total(condition: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, amount), else_=0)), 0)

    stmt = (sa.select(SubsidyLine.district, total(not_clawback),
                      total(sa.and_(not_clawback, SubsidyLine.status.in_((SubsidyStatus.APPROVED,
                                                                           SubsidyStatus.PAID)))),
                      total(sa.and_(not_clawback, SubsidyLine.status == SubsidyStatus.PAID)),
                      total(SubsidyLine.kind == SubsidyKind.CLAWBACK), sa.func.count())
            .where(SubsidyLine.year == year).group_by(SubsidyLine.district))
    if district is not None:
        stmt = stmt.where(SubsidyLine.district == district)
    rows = [SubsidyRow(d, _dec(c), _dec(a), _dec(p), _dec(cb), n) for d, c, a, p, cb, n in db.session.execute(stmt)]
    order = list(District)
    return sorted(rows, key=lambda r: order.index(r.district))


@dashboard("subsidies", _l("补贴申领与拨付"), "supervision/_dash_subsidies.html", order=40)
def subsidies(scope: Any) -> dict[str, Any]:
    rows = subsidy_by_district(scope.year, scope.district)
    claimed_links = [url_for("apprenticeships.ledger", year=scope.year, district=r.district.value, group="enterprise")
                     for r in rows]
    paid_links = [url_for("apprenticeships.ledger", year=scope.year, district=r.district.value, status="paid",
                          group="enterprise") for r in rows]
    totals = SubsidyRow(District.HUANGPU)  # the district is not shown for the total row
    for r in rows:
        totals.claimed += r.claimed
        totals.approved += r.approved
        totals.paid += r.paid
        totals.clawed_back += r.clawed_back
        totals.lines += r.lines
    return {"rows": rows, "totals": totals, "claimed_links": claimed_links, "paid_links": paid_links,
            "chart": Chart("bars", [str(r.district.label) for r in rows], [
                Series(str(_l("申领金额")), [float(r.claimed) for r in rows], claimed_links),
                Series(str(_l("实际支出")), [float(r.spent) for r in rows], paid_links)])}
