"""Risk rules that look across areas (registered in app.core.risks; imported by the supervision blueprint).

Each rule is one grouped SQL query; ``district`` narrows to prompts that concern that district. A prompt names
every district it concerns (a duplicate subsidy claimed in three districts shows on each of the three desks).
The prompt's ``subject_key`` names what it is about, so a review sticks; its facts are rendered in the reader's
language by the kind's ``*_text`` function.

The fourth rule of the issue, awards generated for a result that was later unlocked, lives with the awards
(app/competitions/record.py: ``award_unlocked_result``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.apprenticeships.enums import SubsidyKind
from app.apprenticeships.models import Enrollment, SubsidyLine
from app.competitions.events.models import Competition, Event
from app.competitions.registration.models import ACTIVE_STATUSES, Registration
from app.core import risks
from app.core.enums import District, SkillLevel
from app.core.models import Organisation, Person
from app.extensions import db
from app.i18n import gettext

DUPLICATE_SUBSIDY = "duplicate_subsidy"
OVERLAPPING_ENROLLMENTS = "overlapping_enrollments"
ELIGIBILITY_BYPASSED = "eligibility_bypassed"


# The texts translate through app.i18n's cache (once per locale and message; ``gettext`` is extracted as ``_`` is),
# not Flask-Babel's lookup per call: the desk renders a page of prompts a view, the weekly summary many more.

def duplicate_subsidy_text(facts: Mapping[str, Any]) -> tuple[str, str]:
    return (gettext("%(name)s 在 %(year)d 年有 %(n)d 个学徒培训项目申领补贴")
            % {"name": facts["name"], "year": facts["year"], "n": facts["enrollments"]},
            gettext("共 %(lines)d 笔，%(amount)s 元")
            % {"lines": facts["lines"], "amount": f"{Decimal(facts['amount']):,.2f}"})


def _districts_agg(column: Any) -> Any:
    """The distinct districts of a group as "a,b,c" (string_agg on PostgreSQL, group_concat on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.string_agg(sa.distinct(column), sa.literal_column("','"))
    return sa.func.group_concat(sa.distinct(column))


def _districts(text: str | None, first: District | None = None) -> tuple[District, ...]:
    """The districts of "a,b,c" in District order (``first`` first: the desk it was asked for)."""
    found = {District(value) for value in (text or "").split(",") if value}
    ordered = [d for d in District if d in found]
    if first is not None and first in found:
        ordered.remove(first)
        ordered.insert(0, first)
    return tuple(ordered)


@risks.rule(DUPLICATE_SUBSIDY, _l("重复申领补贴"), text=duplicate_subsidy_text)
def duplicate_subsidies(district: District | None) -> list[risks.RiskPrompt]:
    """One apprentice with advances or balances of more than one enrollment counting in the same year (one
    enrollment cannot claim twice for a training year: the ledger's unique key stops that). The prompt concerns
    every district the lines were paid in."""
    in_district: Any = sa.literal(1)
    if district is not None:
        in_district = sa.func.sum(sa.case((SubsidyLine.district == district, 1), else_=0))
    # Grouped without the people first; only the (few) duplicates are joined to their names.
    groups = (sa.select(Enrollment.person_id.label("person_id"), SubsidyLine.year.label("year"),
                        sa.func.count(sa.distinct(SubsidyLine.enrollment_id)).label("enrollments"),
                        sa.func.count(SubsidyLine.id).label("lines"), sa.func.sum(SubsidyLine.amount).label("amount"),
                        _districts_agg(SubsidyLine.district).label("districts"),
                        sa.func.max(SubsidyLine.enrollment_id).label("latest"))
              .join(Enrollment, Enrollment.id == SubsidyLine.enrollment_id)
              .where(SubsidyLine.kind != SubsidyKind.CLAWBACK)
              .group_by(Enrollment.person_id, SubsidyLine.year)
              .having(sa.func.count(sa.distinct(SubsidyLine.enrollment_id)) > 1, in_district > 0)).subquery()
    stmt = (sa.select(groups.c.person_id, Person.name, groups.c.year, groups.c.enrollments, groups.c.lines,
                      groups.c.amount, groups.c.districts, groups.c.latest)
            .join(Person, Person.id == groups.c.person_id)
            .order_by(groups.c.year.desc(), groups.c.person_id))
    return [risks.RiskPrompt(
        DUPLICATE_SUBSIDY, f"subsidy:{person_id}:{year}",
        {"name": name, "year": year, "enrollments": enrollments, "lines": lines, "amount": f"{amount:.2f}"},
        url_for("apprenticeships.enrollment_detail", enrollment_id=latest), _districts(districts, district))
        for person_id, name, year, enrollments, lines, amount, districts, latest in db.session.execute(stmt)]


def overlapping_text(facts: Mapping[str, Any]) -> tuple[str, str]:
    return (gettext("%(name)s 同时在两个学徒培训项目中") % {"name": facts["name"]},
            gettext("%(a1)s 至 %(a2)s 与 %(b1)s 至 %(b2)s 重叠")
            % {"a1": facts["a1"], "a2": facts["a2"], "b1": facts["b1"], "b2": facts["b2"]})


@risks.rule(OVERLAPPING_ENROLLMENTS, _l("同时参加两个补贴项目"), text=overlapping_text)
def overlapping_enrollments(district: District | None) -> list[risks.RiskPrompt]:
    """One person in two approved (so subsidised) apprenticeships whose periods overlap: each runs from its
    start to its end, or to the day the apprentice withdrew."""
    a, b = aliased(Enrollment), aliased(Enrollment)
    a_end = sa.func.coalesce(a.withdrawn_on, a.ends_on)
    b_end = sa.func.coalesce(b.withdrawn_on, b.ends_on)
    stmt = (sa.select(a.id, b.id, Person.id, Person.name, a.starts_on, a_end, b.starts_on, b_end, a.district,
                      b.district)
            .join(b, sa.and_(b.person_id == a.person_id, b.id > a.id))
            .join(Person, Person.id == a.person_id)
            .where(a.approved_at.is_not(None), b.approved_at.is_not(None),
                   a.starts_on < b_end, b.starts_on < a_end)
            .order_by(a.person_id, a.id, b.id))
    if district is not None:
        stmt = stmt.where(sa.or_(a.district == district, b.district == district))
    return [risks.RiskPrompt(
        OVERLAPPING_ENROLLMENTS, f"overlap:{first}:{second}",
        {"name": name, "a1": _iso(s1), "a2": _iso(e1), "b1": _iso(s2), "b2": _iso(e2)},
        url_for("apprenticeships.enrollment_detail", enrollment_id=second),
        _districts(",".join(str(_district_value(d)) for d in (d1, d2) if d is not None), district))
        for first, second, _pid, name, s1, e1, s2, e2, d1, d2 in db.session.execute(stmt)]


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _district_value(value: object) -> str:
    return value.value if isinstance(value, District) else str(value)


def _rank(column: Any) -> Any:
    """The level's place on the ladder (SkillLevel order), in SQL."""
    return sa.case({level.value: level.rank for level in SkillLevel}, value=sa.cast(column, sa.String))


#: Why an entry fails its event's rule, as stored in the facts.
_WHY = {"age": _l("年龄不符合"), "level_low": _l("技能等级低于要求"), "level_high": _l("技能等级高于上限")}


def eligibility_text(facts: Mapping[str, Any]) -> tuple[str, str]:
    return (gettext("%(name)s 报名 %(competition)s · %(event)s")
            % {"name": facts["name"], "competition": facts["competition"], "event": facts["event"]},
            gettext("；").join(str(_WHY[why]) for why in facts["why"] if why in _WHY))


@risks.rule(ELIGIBILITY_BYPASSED, _l("报名未满足参赛资格"), text=eligibility_text)
def eligibility_bypassed(district: District | None) -> list[risks.RiskPrompt]:
    """Entries holding a place although the entrant fails the event's age or level rule as the records stand.

    Registration checks these rules, and the competitions area has no override that waives them; an entry
    that fails them now got past the check some other way — the rule was tightened or the person's birth date
    or level corrected after the entry, or a row was written around the service. Each one needs a look.
    """
    too_old = sa.and_(Event.born_on_or_after.is_not(None),
                      sa.or_(Person.birth_date.is_(None), Person.birth_date < Event.born_on_or_after))
    too_low = sa.and_(Event.min_level.is_not(None),
                      sa.or_(Person.current_level.is_(None), _rank(Person.current_level) < _rank(Event.min_level)))
    too_high = sa.and_(Event.max_level.is_not(None), Person.current_level.is_not(None),
                       _rank(Person.current_level) > _rank(Event.max_level))
    stmt = (sa.select(Registration.id, Event.id, Event.name, Competition.name, Person.name, Organisation.district,
                      too_old, too_low, too_high)
            .join(Event, Event.id == Registration.event_id)
            .join(Competition, Competition.id == Event.competition_id)
            .join(Person, Person.id == Registration.person_id)
            .join(Organisation, Organisation.id == Registration.unit_id)
            .where(Registration.status.in_(ACTIVE_STATUSES),
                   sa.or_(Event.born_on_or_after.is_not(None), Event.min_level.is_not(None),
                          Event.max_level.is_not(None)),
                   sa.or_(too_old, too_low, too_high))
            .order_by(Registration.id))
    if district is not None:
        stmt = stmt.where(Organisation.district == district)
    prompts = []
    for reg_id, event_id, event, competition, name, unit_district, old, low, high in db.session.execute(stmt):
        why = [code for failed, code in ((old, "age"), (low, "level_low"), (high, "level_high")) if failed]
        prompts.append(risks.RiskPrompt(
            ELIGIBILITY_BYPASSED, f"registration:{reg_id}",
            {"name": name, "competition": competition, "event": event, "why": why},
            url_for("competitions.event_detail", event_id=event_id, q=name),
            (unit_district,) if unit_district is not None else ()))
    return prompts
