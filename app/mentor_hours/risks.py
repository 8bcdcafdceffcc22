"""Risk prompts (风险发现提示) of 带徒学时, each found for one district-month (or one enterprise-month) by a grouped
SQL query, self-join or window over the month's entries — never a loop over rows in Python. The rules' meaning
(and the worked examples) are the pure functions in ``rules.py``.

Every kind is registered in the core risk registry, so the officials' desk (/supervision/risks) lists them, for
the months in ``desk_months`` (this month and the two before), with review and note; the enterprise sees its own
on /mentor-hours/risks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import g, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import QueryableAttribute

from app.apprenticeships.enums import OPEN_STATUSES
from app.apprenticeships.models import Enrollment, MentorAssignment
from app.core import clock, risks
from app.core.enums import District
from app.core.models import Person, User
from app.core.policy import value_in_force, values_by_district
from app.extensions import db
from app.i18n import gettext as cached_gettext
from app.mentor_hours import rules
from app.mentor_hours.models import HourEntry, HourMonth
from app.mentor_hours.rules import plain as _n

E = HourEntry
#: How many entries a prompt links to at most (the page behind the link lists them).
MAX_LINKED = 60

KINDS: dict[str, object] = {
    "mentor_hours_daily": _l("导师单日带徒学时超限"),
    "mentor_hours_monthly": _l("导师月度带徒学时超上限"),
    "mentor_hours_overlap": _l("导师同一时段带多名学徒"),
    "mentor_hours_outside": _l("学时不在培训期内或在退出之后"),
    "mentor_hours_backfill": _l("学时补录（登记晚于规定天数）"),
    "mentor_hours_burst": _l("月末集中登记学时"),
    "mentor_hours_copy": _l("学时记录雷同（疑似复制）"),
    "mentor_hours_self_approval": _l("同一人登记并审批学时"),
    "mentor_hours_holiday": _l("法定节假日带徒学时"),
    "mentor_hours_over_cap": _l("导师带徒人数超过上限"),
}


def _(msgid: str, **variables: object) -> str:
    """gettext through app.i18n's cache (once per locale and message; a district-month may hold thousands of
    prompts, and flask-babel's lookup costs more than the formatting). Keyed by the locale, so a refresh of the
    stored prompts in the default language never reuses a user's language, nor the reverse."""
    template = cached_gettext(msgid)
    return template % variables if variables else template


# ---------------------------------------------------------------- each kind's text, from its facts

def _hours_texts() -> dict[str, Callable[[Mapping[str, Any]], tuple[str, str]]]:
    def t(title: str, detail: str) -> Callable[[Mapping[str, Any]], tuple[str, str]]:
        def render(facts: Mapping[str, Any]) -> tuple[str, str]:
            return _(title, **facts), _(detail, **facts) if "%(" in detail else _(detail)
        return render

    def copied(facts: Mapping[str, Any]) -> tuple[str, str]:
        return _("%(name)s %(month)s 有 %(n)d 条完全相同的学时记录", **facts), str(facts["content"])

    return {
        "mentor_hours_daily": t("%(name)s %(day)s 带徒 %(hours)s 小时", "超过单日 %(limit)s 小时"),
        "mentor_hours_monthly": t("%(name)s %(month)s 带徒 %(hours)s 小时", "超过月度上限 %(limit)s 小时"),
        "mentor_hours_overlap": t("%(name)s %(day)s 同一时段登记了不同学徒", "%(n)d 对时间重叠的记录"),
        "mentor_hours_outside": t("学徒 %(name)s %(month)s 有 %(n)d 条学时不在培训期内或在退出之后",
                                  "共 %(hours)s 小时"),
        "mentor_hours_backfill": t("%(name)s %(month)s 有 %(n)d 条学时补录",
                                   "登记晚于带徒日期 %(days)d 天以上，最长 %(max)d 天"),
        "mentor_hours_burst": t("%(name)s %(month)s 的学时集中在月末登记",
                                "%(late)d / %(n)d 条在月末 %(days)d 天内或之后登记"),
        "mentor_hours_copy": copied,
        "mentor_hours_self_approval": t("%(name)s %(month)s 的学时由登记人 %(user)s 本人审批",
                                        "登记与审批应由不同的人完成"),
        "mentor_hours_holiday": t("%(name)s %(month)s 在法定节假日登记了 %(n)d 条学时", "共 %(hours)s 小时"),
        "mentor_hours_over_cap": t("%(name)s 同时带徒 %(n)d 人", "超过上限 %(cap)s 人"),
    }


#: The messages of the texts above, for Babel's extraction (they are looked up by ``_`` at display time).
_MESSAGES = (
    _l("%(name)s %(day)s 带徒 %(hours)s 小时"), _l("超过单日 %(limit)s 小时"),
    _l("%(name)s %(month)s 带徒 %(hours)s 小时"), _l("超过月度上限 %(limit)s 小时"),
    _l("%(name)s %(day)s 同一时段登记了不同学徒"), _l("%(n)d 对时间重叠的记录"),
    _l("学徒 %(name)s %(month)s 有 %(n)d 条学时不在培训期内或在退出之后"), _l("共 %(hours)s 小时"),
    _l("%(name)s %(month)s 有 %(n)d 条学时补录"), _l("登记晚于带徒日期 %(days)d 天以上，最长 %(max)d 天"),
    _l("%(name)s %(month)s 的学时集中在月末登记"), _l("%(late)d / %(n)d 条在月末 %(days)d 天内或之后登记"),
    _l("%(name)s %(month)s 有 %(n)d 条完全相同的学时记录"),
    _l("%(name)s %(month)s 的学时由登记人 %(user)s 本人审批"), _l("登记与审批应由不同的人完成"),
    _l("%(name)s %(month)s 在法定节假日登记了 %(n)d 条学时"),
    _l("%(name)s 同时带徒 %(n)d 人"), _l("超过上限 %(cap)s 人"),
)
TEXTS = _hours_texts()


def public_holidays(month: date) -> list[date]:
    """The month's statutory public holidays (法定节假日, not ordinary weekends), by ``chinesecalendar``."""
    try:
        # optional at import: a missing package is handled below
        from chinese_calendar import get_holiday_detail
    except ImportError:  # pragma: no cover - a dependency
        return []
    days = []
    for day in rules.month_days(month):
        try:
            on_holiday, name = get_holiday_detail(day)
        except NotImplementedError:  # a year the package does not cover yet
            return []
        if on_holiday and name is not None:
            days.append(day)
    return days


@dataclass(frozen=True)
class Limit:
    """A policy value as each district has it in force: the city's, and the districts' own where they differ."""

    city: Decimal | None
    own: Mapping[District, Decimal]

    def at(self, district: District | None) -> Decimal | None:
        return self.own.get(district, self.city) if district is not None else self.city

    def lowest(self) -> Decimal | None:
        values = [v for v in (self.city, *self.own.values()) if v is not None]
        return min(values) if values else None

    def none(self) -> bool:
        return self.city is None and not self.own

    def sql(self, district: sa.ColumnElement[Any] | QueryableAttribute[Any]) -> sa.ColumnElement[Any]:
        """The value for the district in ``district`` (a column, or an aggregate of one), in SQL."""
        city = sa.literal(self.city, NUMBER) if self.city is not None else sa.null()
        if not self.own:
            return city
        return sa.case(*[(district == d, sa.literal(v, NUMBER)) for d, v in self.own.items()], else_=city)


NUMBER = sa.Numeric(12, 2)


def _policy(key: str, month: date, district: District | None, default: Decimal | None) -> Limit:
    """The policy value in force at the month's end: the district's own when the rule runs for one district,
    else the city's and each district's own — so each district's prompts follow its own value."""
    on = rules.month_end(month)
    if district is not None:
        value = value_in_force(key, on, district=district)
        return Limit(default if value is None else value, {})
    city, own = values_by_district(key, on)
    return Limit(default if city is None else city, own)


def _scope(stmt: sa.Select, district: District | None, enterprise_id: int | None, table=E) -> sa.Select:  # noqa: ANN001
    if district is not None:
        stmt = stmt.where(table.district == district)
    if enterprise_id is not None:
        stmt = stmt.where(table.enterprise_id == enterprise_id)
    return stmt


def _link(**args: object) -> str:
    """The entries page behind a prompt (its path built once per request and script root: thousands of prompts
    may link)."""
    bases = g.setdefault("_mentor_hours_entries_url", {})
    base = bases.get(request.script_root)
    if base is None:
        base = bases[request.script_root] = url_for("mentor_hours.entries")
    return f"{base}?{urlencode({k: v for k, v in args.items() if v is not None})}"


def _ids(text: str | None) -> str:
    return ",".join(sorted(set((text or "").split(",")), key=lambda x: int(x) if x.isdigit() else 0)[:MAX_LINKED])


def _agg_ids(column: sa.ColumnElement[Any] | QueryableAttribute[Any]) -> sa.ColumnElement[Any]:
    """The ids of a group as "1,2,3" (string_agg on PostgreSQL, group_concat on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.string_agg(sa.cast(column, sa.String), sa.literal_column("','"))
    return sa.func.group_concat(column, ",")


def _ym(month: date) -> str:
    return month.strftime("%Y-%m")


def _prompt(kind: str, key: str, facts: dict[str, Any], link: str, district: District | None,
            on: date) -> risks.RiskPrompt:
    return risks.RiskPrompt(kind, key, facts, link, (district,) if district is not None else (), on)


def _named(stmt: sa.Select) -> sa.Select:
    """Aggregate first, name after: the person's name joined to the (few) grouped rows, never to the month's
    entries. The first column of ``stmt`` is the person's id; the name comes second."""
    sub = stmt.subquery()
    cols = list(sub.c)
    # A scalar subquery per result row: a join would let the planner hash all people when it expects many
    # groups (it cannot know how few pass the HAVING).
    name = sa.select(Person.name).where(Person.id == cols[0]).scalar_subquery()
    return sa.select(cols[0], name, *cols[1:])


Finder = Callable[[date, District | None, int | None], list[risks.RiskPrompt]]
FINDERS: dict[str, Finder] = {}


def finder(kind: str) -> Callable[[Finder], Finder]:
    def register(fn: Finder) -> Finder:
        FINDERS[kind] = fn
        return fn
    return register


@finder("mentor_hours_daily")
def daily(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    limit = _policy("mentor.daily_hours_limit", month, district, Decimal(12))
    assert limit is not None  # a default is given
    total = sa.func.sum(E.hours)
    where = sa.func.min(E.district)
    stmt = _named(_scope(sa.select(E.mentor_id, E.worked_on, where, total)
                         .where(E.month == month).group_by(E.mentor_id, E.worked_on).having(total > limit.sql(where)),
                         district, enterprise_id))
    return [_prompt("mentor_hours_daily", f"{mentor}:{day.isoformat()}",
                    {"name": name, "day": day.isoformat(), "hours": _n(hours), "limit": _n(limit.at(at) or 0)},
                    _link(mentor=mentor, day=day.isoformat()), at, day)
            for mentor, name, day, at, hours in db.session.execute(stmt)]


@finder("mentor_hours_monthly")
def monthly(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    ceiling = _policy("mentor.monthly_hours_ceiling", month, district, None)
    if ceiling.none():
        return []
    total = sa.func.sum(E.hours)
    where = sa.func.min(E.district)
    stmt = _named(_scope(sa.select(E.mentor_id, where, total).where(E.month == month)
                         .group_by(E.mentor_id).having(total > ceiling.sql(where)), district, enterprise_id))
    return [_prompt("mentor_hours_monthly", f"{mentor}:{_ym(month)}",
                    {"name": name, "month": _ym(month), "hours": _n(hours), "limit": _n(ceiling.at(at) or 0)},
                    _link(mentor=mentor, month=_ym(month)), at, rules.month_end(month))
            for mentor, name, at, hours in db.session.execute(stmt)]


@finder("mentor_hours_overlap")
def overlapping(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    """A self-join on (mentor, day): two entries with different apprentices whose times overlap."""
    b = sa.orm.aliased(HourEntry)
    pairs = _scope(sa.select(E.mentor_id, E.worked_on, E.id.label("a_id"), b.id.label("b_id"), E.district)
                   .join(b, sa.and_(b.mentor_id == E.mentor_id, b.worked_on == E.worked_on, b.id > E.id,
                                    b.enrollment_id != E.enrollment_id, b.month == E.month,
                                    b.district == E.district))
                   .where(E.month == month, E.starts_at.is_not(None), b.starts_at.is_not(None),
                          E.starts_at < b.ends_at, b.starts_at < E.ends_at), district, enterprise_id).subquery()
    stmt = _named(sa.select(pairs.c.mentor_id, pairs.c.worked_on, sa.func.min(pairs.c.district),
                            sa.func.count(), _agg_ids(pairs.c.a_id), _agg_ids(pairs.c.b_id))
                  .group_by(pairs.c.mentor_id, pairs.c.worked_on))
    return [_prompt("mentor_hours_overlap", f"{mentor}:{day.isoformat()}",
                    {"name": name, "day": day.isoformat(), "n": n}, _link(ids=_ids(f"{a},{b_}")), where, day)
            for mentor, name, day, where, n, a, b_ in db.session.execute(stmt)]


@finder("mentor_hours_outside")
def outside(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    stmt = _named(_scope(
        sa.select(Enrollment.person_id, E.enrollment_id, E.mentor_id, sa.func.min(E.district), sa.func.count(),
                  sa.func.sum(E.hours), _agg_ids(E.id))
        .join(Enrollment, Enrollment.id == E.enrollment_id)
        .where(E.month == month,
               sa.or_(E.worked_on < Enrollment.starts_on, E.worked_on > Enrollment.ends_on,
                      sa.and_(Enrollment.withdrawn_on.is_not(None), E.worked_on > Enrollment.withdrawn_on)))
        .group_by(Enrollment.person_id, E.enrollment_id, E.mentor_id), district, enterprise_id))
    return [_prompt("mentor_hours_outside", f"{enrollment}:{mentor}:{_ym(month)}",
                    {"name": name, "month": _ym(month), "n": n, "hours": _n(hours)}, _link(ids=_ids(ids)), where,
                    rules.month_end(month))
            for _person, name, enrollment, mentor, where, n, hours, ids in db.session.execute(stmt)]


@finder("mentor_hours_backfill")
def backfill(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    days = _policy("mentor.backfill_days", month, district, Decimal(7))
    stmt = _named(_scope(sa.select(E.mentor_id, sa.func.min(E.district), sa.func.count(), sa.func.max(E.lag_days),
                                   _agg_ids(E.id))
                         .where(E.month == month, E.lag_days > sa.func.coalesce(days.sql(E.district), 7))
                         .group_by(E.mentor_id), district, enterprise_id))
    return [_prompt("mentor_hours_backfill", f"{mentor}:{_ym(month)}",
                    {"name": name, "month": _ym(month), "n": n, "days": int(days.at(where) or 7), "max": lag},
                    _link(ids=_ids(ids)), where, rules.month_end(month))
            for mentor, name, where, n, lag, ids in db.session.execute(stmt)]


@finder("mentor_hours_burst")
def burst(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    late = sa.func.sum(sa.case((E.logged_on >= rules.burst_window_start(month), 1), else_=0))
    n = sa.func.count()
    stmt = _named(_scope(sa.select(E.mentor_id, sa.func.min(E.district), n, late).where(E.month == month)
                         .group_by(E.mentor_id)
                         .having(n >= rules.BURST_MIN_ENTRIES, late >= n * float(rules.BURST_SHARE)),
                         district, enterprise_id))
    return [_prompt("mentor_hours_burst", f"{mentor}:{_ym(month)}",
                    {"name": name, "month": _ym(month), "late": late_n, "n": count, "days": rules.BURST_LAST_DAYS},
                    _link(mentor=mentor, month=_ym(month)), where, rules.month_end(month))
            for mentor, name, where, count, late_n in db.session.execute(stmt)]


@finder("mentor_hours_copy")
def copied(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    n = sa.func.count()
    stmt = _named(_scope(sa.select(E.mentor_id, E.content, sa.func.min(E.district), n, _agg_ids(E.id))
                         .where(E.month == month)
                         .group_by(E.assignment_id, E.mentor_id, E.content, E.place, E.starts_at, E.ends_at, E.hours)
                         .having(n >= rules.COPY_MIN_ENTRIES), district, enterprise_id))
    found: dict[str, risks.RiskPrompt] = {}
    for mentor, name, content, where, count, ids in db.session.execute(stmt):
        key = f"{mentor}:{_ym(month)}:{min(int(i) for i in ids.split(','))}"
        found[key] = _prompt("mentor_hours_copy", key,
                             {"name": name, "month": _ym(month), "n": count, "content": content},
                             _link(ids=_ids(ids)), where, rules.month_end(month))
    return list(found.values())


@finder("mentor_hours_self_approval")
def self_approval(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    m = HourMonth
    logged = (sa.select(E.id).where(E.assignment_id == m.assignment_id, E.month == m.month,
                                    E.logged_by_id == m.approved_by_id).exists())
    stmt = _scope(sa.select(m.id, Person.name, User.display_name, m.district)
                  .join(Person, Person.id == m.mentor_id).join(User, User.id == m.approved_by_id)
                  .where(m.month == month, m.approved_by_id.is_not(None), logged), district, enterprise_id, m)
    return [_prompt("mentor_hours_self_approval", f"{sheet}", {"name": name, "month": _ym(month), "user": user},
                    url_for("mentor_hours.month_by_id", sheet_id=sheet), where, rules.month_end(month))
            for sheet, name, user, where in db.session.execute(stmt)]


@finder("mentor_hours_holiday")
def holiday(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    days = public_holidays(month)
    if not days:
        return []
    stmt = _named(_scope(sa.select(E.mentor_id, sa.func.min(E.district), sa.func.count(), sa.func.sum(E.hours),
                                   _agg_ids(E.id))
                         .where(E.month == month, E.worked_on.in_(days)).group_by(E.mentor_id),
                         district, enterprise_id))
    return [_prompt("mentor_hours_holiday", f"{mentor}:{_ym(month)}",
                    {"name": name, "month": _ym(month), "n": n, "hours": _n(hours)}, _link(ids=_ids(ids)), where,
                    rules.month_end(month))
            for mentor, name, where, n, hours, ids in db.session.execute(stmt)]


@finder("mentor_hours_over_cap")
def over_cap(month: date, district: District | None, enterprise_id: int | None) -> list[risks.RiskPrompt]:
    """Mentors with more open apprentices than the cap (counted over all districts), listed in each district
    they teach in whose own cap they exceed."""
    cap = _policy("mentor.max_concurrent_apprentices", month, district, None)
    lowest = cap.lowest()
    if lowest is None:
        return []
    # Only mentors with more assignments than the lowest cap can be over one (an index-only count over
    # (mentor_id, enrollment_id)); for those, their open enrollments, and whether one is in scope.
    candidates = (sa.select(MentorAssignment.mentor_id).group_by(MentorAssignment.mentor_id)
                  .having(sa.func.count() > lowest))
    in_scope: sa.ColumnElement[bool] = sa.true()
    if district is not None:
        in_scope = Enrollment.district == district
    if enterprise_id is not None:
        in_scope = sa.and_(in_scope, Enrollment.enterprise_id == enterprise_id)
    n = sa.func.count(sa.distinct(Enrollment.id))
    mine = sa.func.sum(sa.case((in_scope, 1), else_=0))
    stmt = _named(sa.select(MentorAssignment.mentor_id, _agg_districts(Enrollment.district), n)
                  .join(Enrollment, Enrollment.id == MentorAssignment.enrollment_id)
                  .where(MentorAssignment.mentor_id.in_(candidates), Enrollment.status.in_(OPEN_STATUSES),
                         Enrollment.starts_on <= rules.month_end(month))
                  .group_by(MentorAssignment.mentor_id).having(n > lowest, mine > 0))
    found = []
    for mentor, name, taught_in, count in db.session.execute(stmt):
        places = [district] if district is not None else sorted(
            {District(d) for d in (taught_in or "").split(",") if d}, key=list(District).index)
        caps = {d: c for d in places if (c := cap.at(d)) is not None and count > c}
        if not caps:
            continue
        over = tuple(caps)
        found.append(risks.RiskPrompt(
            "mentor_hours_over_cap", f"{mentor}:{_ym(month)}", {"name": name, "n": count, "cap": _n(caps[over[0]])},
            _link(mentor=mentor, month=_ym(month)), over, rules.month_end(month),
            {d: {"cap": _n(caps[d])} for d in over[1:]}))
    return found


def _agg_districts(column: sa.ColumnElement[Any] | QueryableAttribute[Any]) -> sa.ColumnElement[Any]:
    """The distinct districts of a group as "a,b" (string_agg on PostgreSQL, group_concat on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.string_agg(sa.distinct(column), sa.literal_column("','"))
    return sa.func.group_concat(sa.distinct(column))


def prompts_for(month: date, district: District | None = None, enterprise_id: int | None = None,
                kind: str | None = None) -> list[risks.RiskPrompt]:
    """Every mentor-hours prompt of one month, in a district or an enterprise (or the city)."""
    month = rules.month_start(month)
    found = []
    for name, fn in FINDERS.items():
        if kind is None or kind == name:
            found.extend(fn(month, district, enterprise_id))
    return found


def desk_months(today: date) -> list[date]:
    """The months the officials' desk looks at: this month and the two before."""
    this = rules.month_start(today)
    previous = rules.month_start(this - timedelta(days=1))
    return [rules.month_start(previous - timedelta(days=1)), previous, this]


def _today() -> date:

    return clock.today()


def _desk_rule(kind: str) -> Callable[[District | None], list[risks.RiskPrompt]]:
    def rule(district: District | None) -> list[risks.RiskPrompt]:
        return [p for month in desk_months(_today()) for p in FINDERS[kind](month, district, None)]
    rule.__name__ = kind
    return rule


for _kind, _label in KINDS.items():
    risks.rule(_kind, _label, text=TEXTS[_kind])(_desk_rule(_kind))
