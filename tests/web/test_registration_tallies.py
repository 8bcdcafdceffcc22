"""The registration tallies behind the pyramid are kept on every write, and equal a recount from the rows."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.competitions.models import Registration, RegistrationStatus
from app.competitions.registration import services
from app.core.enums import District, OrgKind, Role
from app.core.types import utcnow
from app.extensions import db
from app.supervision import tallies
from app.supervision.tallies import RegistrationTally
from tests import competition_factories as cf
from tests import factories


def counted() -> dict[tuple[int, str], int]:
    return {(t.event_id, t.district): t.entries for t in db.session.scalars(sa.select(RegistrationTally))
            if t.entries}


def recounted() -> dict[tuple[int, str], int]:
    expected: dict[tuple[int, str], int] = {}
    for r in db.session.scalars(sa.select(Registration)):
        if r.status.holds_a_place:
            key = (r.event_id, r.unit.district.value if r.unit.district else "")
            expected[key] = expected.get(key, 0) + 1
    return expected


def test_entering_withdrawing_rejecting_and_moving_units_keep_the_tallies_equal_to_a_recount(app, ctx):
    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    other = cf.event(cf.competition(year=2026, name="另一个大赛"), name="焊接", starts=date(2027, 5, 10))
    pudong, xuhui = factories.org(OrgKind.ENTERPRISE, District.PUDONG), factories.org(OrgKind.ENTERPRISE,
                                                                                      District.XUHUI)
    hr = factories.user(pudong, Role.ENTERPRISE_HR)
    people = [factories.person(f"选手{i}", pudong) for i in range(4)]
    entries = [services.register(hr, ev, p, utcnow()) for p in people]
    db.session.commit()
    assert counted() == recounted() == {(ev.id, "pudong"): 4}
    services.withdraw(hr, entries[0], utcnow())
    organiser = factories.user(ev.competition.organiser, Role.ORGANIZER)
    services.decide(organiser, ev, [entries[1].id], "reject", "不符合", utcnow())
    services.decide(organiser, ev, [entries[2].id], "approve", "", utcnow())
    assert counted() == recounted() == {(ev.id, "pudong"): 2}
    entries[3].unit_id, entries[3].event_id = xuhui.id, other.id  # moved around the services
    db.session.commit()
    assert counted() == recounted() == {(ev.id, "pudong"): 1, (other.id, "xuhui"): 1}
    db.session.delete(entries[2])
    cf.registration(other, people[0], factories.org(OrgKind.ENTERPRISE, None), status=RegistrationStatus.APPROVED)
    assert counted() == recounted() == {(other.id, "xuhui"): 1, (other.id, ""): 1}
    services.register(hr, ev, people[0], utcnow())  # re-entering after a withdrawal reuses the row
    db.session.commit()
    assert counted() == recounted()
    tallies.rebuild()
    db.session.commit()
    assert counted() == recounted()
