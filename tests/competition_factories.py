"""Factories for the competition area (inside an app context)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionClass, CompetitionLevel, Event, Locality
from app.competitions.registration.models import Registration
from app.core.enums import District
from app.core.models import Organisation
from app.core.types import utcnow
from app.extensions import db
from tests import factories


def competition(organiser: Organisation | None = None, level: CompetitionLevel = CompetitionLevel.MUNICIPAL,
                year: int = 2026, host: District | None = None, name: str = "测试大赛") -> Competition:
    row = Competition(name=name, level=level, klass=CompetitionClass.NONE,
                      organiser=organiser or factories.municipal_bureau(), year=year, host_district=host)
    db.session.add(row)
    db.session.commit()
    return row


def event(comp: Competition | None = None, name: str = "数控车", opens: datetime | None = None,
          closes: datetime | None = None, starts: date = date(2027, 1, 10), days: int = 3, **rules) -> Event:
    factories.occupation()
    now = utcnow()
    row = Event(competition=comp or competition(), name=name, occupation_code="6-18-01-01", starts_on=starts,
                ends_on=starts + timedelta(days=days - 1),
                registration_opens_at=opens or now - timedelta(days=1),
                registration_closes_at=closes or now + timedelta(days=10), **rules)
    row.locality = rules.get("locality", Locality.ANY)
    db.session.add(row)
    db.session.commit()
    return row


def registration(ev: Event, person, unit: Organisation, **fields) -> Registration:
    """An entry written as the registration services write one (its place announced to the tallies)."""
    from app.competitions.registration import signals

    row = Registration(event_id=ev.id, person_id=person.id, unit_id=unit.id, **fields)
    db.session.add(row)
    signals.announce([(None, signals.place_of(row))])
    db.session.commit()
    return row




# ---------------------------------------------------------------- judging

def scheme(ev: Event, aspects: list[tuple[str, str, str]] | None = None) -> list:
    """A marking scheme of (criterion code, kind M/J, max mark) rows; default: A (M 40, J 20), B (M 40)."""
    from decimal import Decimal

    from app.competitions.judging.models import Aspect, AspectKind, Criterion

    rows = aspects or [("A", "M", "40"), ("A", "J", "20"), ("B", "M", "40")]
    criteria: dict[str, Criterion] = {}
    made = []
    for position, (code, kind, max_mark) in enumerate(rows, start=1):
        criterion = criteria.get(code)
        if criterion is None:
            criterion = criteria[code] = Criterion(event_id=ev.id, code=code, name=f"模块{code}")
            db.session.add(criterion)
        aspect = Aspect(event_id=ev.id, position=position, sub_code=f"{code}{position}", kind=AspectKind(kind),
                        description=f"评分项{position}", max_mark=Decimal(max_mark),
                        descriptor_0="差", descriptor_1="合格", descriptor_2="良好", descriptor_3="优秀")
        criterion.aspects.append(aspect)
        made.append(aspect)
    db.session.commit()
    return made


def expert(ev: Event, organisation: Organisation | None = None, name: str = "专家"):
    from app.competitions.judging.models import EventExpert
    from app.core.enums import Role

    row = factories.user(organisation or factories.org(), Role.EXPERT, display_name=name)
    db.session.add(EventExpert(event_id=ev.id, user_id=row.id))
    db.session.commit()
    return row


def judged_event(n: int = 4, award_rule=None, experts: int = 3, aspects=None, comp: Competition | None = None,
                 **event_fields):
    """An event in scoring: ``n`` approved entrants from their own units, a scheme, experts, contestants drawn."""
    from app.competitions.events.models import AwardRuleKind
    from app.competitions.judging import services as judging
    from app.competitions.registration.models import RegistrationStatus

    ev = event(comp, **event_fields)
    ev.award_rule = award_rule or AwardRuleKind.NATIONAL
    db.session.commit()
    aspect_rows = scheme(ev, aspects)
    for i in range(n):
        unit = factories.org()
        person = factories.person(f"选手{i + 1}", employer=unit)
        registration(ev, person, unit, status=RegistrationStatus.APPROVED)
    panel = [expert(ev, name=f"专家{j + 1}") for j in range(experts)]
    organiser = factories.user(ev.competition.organiser, factories.Role.ORGANIZER)
    judging.open_scoring(organiser, ev, utcnow())
    return ev, aspect_rows, panel, organiser


def score_all(ev: Event, aspect_rows, panel, marks: dict[int, list[str]]) -> None:
    """Enter, for each contestant bib, one value per aspect (judgement aspects: all three experts the same)."""
    from app.competitions.judging import services as judging
    from app.competitions.judging.models import AspectKind, Contestant

    by_bib = {c.bib: c for c in db.session.scalars(sa.select(Contestant).where(Contestant.event_id == ev.id))}
    for bib, values in marks.items():
        for aspect, value in zip(aspect_rows, values, strict=True):
            experts_needed = panel if aspect.kind is AspectKind.JUDGEMENT else panel[:1]
            for expert_user in experts_needed:
                judging.save_score(expert_user, ev, by_bib[bib].id, aspect.id, value)


def award_rule(level=None, band: str = "gold", effective_from=date(2020, 1, 1), **fields):
    from decimal import Decimal

    from app.competitions.awards.models import AwardBand, AwardRule, PromotionMode
    from app.competitions.events.models import CompetitionLevel

    for money in ("competitor_amount", "expert_team_amount", "unit_amount"):
        if money in fields:
            fields[money] = Decimal(str(fields[money]))
    if isinstance(fields.get("promotion"), str):
        fields["promotion"] = PromotionMode(fields["promotion"])
    row = AwardRule(name=fields.pop("name", f"{band} 奖励"), level=level or CompetitionLevel.MUNICIPAL,
                    band=AwardBand(band), effective_from=effective_from, **fields)
    db.session.add(row)
    db.session.commit()
    return row
