"""Risk rules that look across areas (registered in app.core.risks; imported by the supervision blueprint).

Each rule is one grouped SQL query; ``district`` narrows to prompts that concern that district (a prompt that
spans two districts shows in both: run for the whole city, as the stored prompts are, it names the second
district in ``also``). The prompt's ``subject_key`` names what it is about, so a review sticks.

The fourth rule of the issue, awards generated for a result that was later unlocked, lives with the awards
(app/competitions/record.py: ``award_unlocked_result``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.core import risks
from app.core.enums import District, SkillLevel
from app.extensions import db

DUPLICATE_SUBSIDY = "duplicate_subsidy"
OVERLAPPING_ENROLLMENTS = "overlapping_enrollments"
ELIGIBILITY_BYPASSED = "eligibility_bypassed"


@risks.rule(DUPLICATE_SUBSIDY, _l("重复申领补贴"))
def duplicate_subsidies(district: District | None) -> list[risks.RiskPrompt]:
    """One apprentice with advances or balances of more than one enrollment counting in the same year (one
    enrollment cannot claim twice for a training year: the ledger's unique key stops that)."""
    from app.apprenticeships.enums import SubsidyKind
    from app.apprenticeships.models import Enrollment, SubsidyLine
    from app.core.models import Person

    in_district: Any = sa.literal(1)
    if district is not None:
        in_district = sa.func.sum(sa.case((SubsidyLine.district == district, 1), else_=0))
    # Grouped without the people first; only the (few) duplicates are joined to their names.
    groups = (sa.select(Enrollment.person_id.label("person_id"), SubsidyLine.year.label("year"),
                        sa.func.count(sa.distinct(SubsidyLine.enrollment_id)).label("enrollments"),
                        sa.func.count(SubsidyLine.id).label("lines"), sa.func.sum(SubsidyLine.amount).label("amount"),
                        sa.func.min(SubsidyLine.district).label("district"),
                        sa.func.max(SubsidyLine.district).label("other"),
                        sa.func.max(SubsidyLine.enrollment_id).label("latest"))
              .join(Enrollment, Enrollment.id == SubsidyLine.enrollment_id)
              .where(SubsidyLine.kind != SubsidyKind.CLAWBACK)
              .group_by(Enrollment.person_id, SubsidyLine.year)
              .having(sa.func.count(sa.distinct(SubsidyLine.enrollment_id)) > 1, in_district > 0)).subquery()
    stmt = (sa.select(groups.c.person_id, Person.name, groups.c.year, groups.c.enrollments, groups.c.lines,
                      groups.c.amount, groups.c.district, groups.c.latest, groups.c.other)
            .join(Person, Person.id == groups.c.person_id)
            .order_by(groups.c.year.desc(), groups.c.person_id))
    return [risks.RiskPrompt(
        DUPLICATE_SUBSIDY, f"subsidy:{person_id}:{year}",
        _("%(name)s 在 %(year)d 年有 %(n)d 个学徒培训项目申领补贴", name=name, year=year, n=enrollments),
        _("共 %(lines)d 笔，%(amount)s 元", lines=lines, amount=f"{amount:,.2f}"),
        url_for("apprenticeships.enrollment_detail", enrollment_id=latest),
        _district(first_district), also=_district(other) if district is None else None)
        for person_id, name, year, enrollments, lines, amount, first_district, latest, other
        in db.session.execute(stmt)]


def _district(value: object) -> District | None:
    return District(value) if isinstance(value, str) else value  # type: ignore[return-value]


@risks.rule(OVERLAPPING_ENROLLMENTS, _l("同时参加两个补贴项目"))
def overlapping_enrollments(district: District | None) -> list[risks.RiskPrompt]:
    """One person in two approved (so subsidised) apprenticeships whose periods overlap: each runs from its
    start to its end, or to the day the apprentice withdrew."""
    from app.apprenticeships.models import Enrollment
    from app.core.models import Person

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
        _("%(name)s 同时在两个学徒培训项目中", name=name),
        _("%(a1)s 至 %(a2)s 与 %(b1)s 至 %(b2)s 重叠", a1=s1, a2=e1, b1=s2, b2=e2),
        url_for("apprenticeships.enrollment_detail", enrollment_id=second),
        d2 if district is not None and d2 == district else d1, also=d2 if district is None else None)
        for first, second, _pid, name, s1, e1, s2, e2, d1, d2 in db.session.execute(stmt)]


def _rank(column: Any) -> Any:
    """The level's place on the ladder (SkillLevel order), in SQL."""
    return sa.case({level.value: level.rank for level in SkillLevel}, value=sa.cast(column, sa.String))


@risks.rule(ELIGIBILITY_BYPASSED, _l("报名未满足参赛资格"))
def eligibility_bypassed(district: District | None) -> list[risks.RiskPrompt]:
    """Entries holding a place although the entrant fails the event's age or level rule as the records stand.

    Registration checks these rules, and the competitions area has no override that waives them; an entry
    that fails them now got past the check some other way — the rule was tightened or the person's birth date
    or level corrected after the entry, or a row was written around the service. Each one needs a look.
    """
    from app.competitions.events.models import Competition, Event
    from app.competitions.registration.models import ACTIVE_STATUSES, Registration
    from app.core.models import Organisation, Person

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
        why = [text for failed, text in ((old, _("年龄不符合")), (low, _("技能等级低于要求")),
                                         (high, _("技能等级高于上限"))) if failed]
        prompts.append(risks.RiskPrompt(
            ELIGIBILITY_BYPASSED, f"registration:{reg_id}",
            _("%(name)s 报名 %(competition)s · %(event)s", name=name, competition=competition, event=event),
            "；".join(why), url_for("competitions.event_detail", event_id=event_id, q=name), unit_district))
    return prompts
