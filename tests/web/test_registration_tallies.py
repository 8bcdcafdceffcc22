"""The registration tallies behind the pyramid are kept on every write, and equal a recount from the rows."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.competitions.registration import services
from app.competitions.registration.models import Registration, RegistrationStatus
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
    # Written around the services: the tallies follow only after a rebuild (as the module says).
    entries[3].unit_id, entries[3].event_id = xuhui.id, other.id
    db.session.commit()
    assert counted() == {(ev.id, "pudong"): 2} != recounted()
    tallies.rebuild()
    db.session.commit()
    assert counted() == recounted() == {(ev.id, "pudong"): 1, (other.id, "xuhui"): 1}
    cf.registration(other, people[0], factories.org(OrgKind.ENTERPRISE, None), status=RegistrationStatus.APPROVED)
    assert counted() == recounted() == {(ev.id, "pudong"): 1, (other.id, "xuhui"): 1, (other.id, ""): 1}
    services.register(hr, ev, people[0], utcnow())  # re-entering after a withdrawal reuses the row
    db.session.commit()
    assert counted() == recounted() == {(ev.id, "pudong"): 2, (other.id, "xuhui"): 1, (other.id, ""): 1}
    tallies.rebuild()
    db.session.commit()
    assert counted() == recounted()


def test_sending_back_and_resubmitting_keeps_one_place_and_approving_it_changes_nothing(app, ctx):
    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    unit = factories.org(OrgKind.ENTERPRISE, District.JINGAN)
    hr = factories.user(unit, Role.ENTERPRISE_HR)
    organiser = factories.user(ev.competition.organiser, Role.ORGANIZER)
    entry = services.register(hr, ev, factories.person("选手", unit), utcnow())
    services.decide(organiser, ev, [entry.id], "request_changes", "补材料", utcnow())
    assert counted() == recounted() == {(ev.id, "jingan"): 1}
    services.register(hr, ev, entry.person, utcnow())  # the resubmission
    services.decide(organiser, ev, [entry.id], "approve", "", utcnow())
    assert counted() == recounted() == {(ev.id, "jingan"): 1}
    services.decide(organiser, ev, [entry.id], "reject", "不符合", utcnow())
    assert counted() == recounted() == {}


def test_an_excel_import_counts_every_row_it_enters_and_a_refused_import_counts_none(app, ctx):
    from app.competitions.registration.imports import HEADERS, import_registrations

    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    unit = factories.org(OrgKind.ENTERPRISE, District.MINHANG)
    hr = factories.user(unit, Role.ENTERPRISE_HR)
    numbers = [factories.valid_ric() for _ in range(3)]
    people = [factories.person(f"导入{i}", unit, id_number=n) for i, n in enumerate(numbers)]
    bad = factories.xlsx(HEADERS, [[people[0].name, "", numbers[0]], ["无此人", "", "123"]])
    created, reports = import_registrations(hr, ev, bad, utcnow())
    assert created == 0 and reports
    db.session.rollback()
    assert counted() == recounted() == {}
    good = factories.xlsx(HEADERS, [[p.name, "", n] for p, n in zip(people, numbers, strict=True)])
    created, reports = import_registrations(hr, ev, good, utcnow())
    assert created == 3, [r.errors for r in reports]
    db.session.commit()
    assert counted() == recounted() == {(ev.id, "minhang"): 3}


def test_confirming_qualifiers_counts_them_in_the_upper_event(app, ctx):
    from app.competitions.events.models import CompetitionLevel
    from app.competitions.judging import services as judging

    upper_comp = cf.competition(level=CompetitionLevel.NATIONAL, name="全国大赛")
    upper = cf.event(upper_comp, name="数控车（全国）", starts=date(2027, 6, 1))
    ev, aspects, panel, organiser = cf.judged_event(n=4, aspects=[("A", "M", "100")], experts=1,
                                                    feeds_event_id=upper.id, feeds_top_n=2)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"], 3: ["70"], 4: ["60"]})
    judging.lock_results(organiser, ev, utcnow())
    before = counted()
    top = [r.contestant.members[0].person_id for r in judging.results(ev)[:2]]
    assert judging.confirm_qualifiers(factories.user(upper_comp.organiser, Role.ORGANIZER), upper, top,
                                      utcnow()) == 2
    assert counted() == recounted()
    assert sum(n for (event_id, _d), n in counted().items() if event_id == upper.id) == 2
    assert {k: n for k, n in counted().items() if k[0] != upper.id} == before


def test_merging_two_records_of_one_person_leaves_the_tallies_equal_to_a_recount(app, ctx):
    from app.people.person_merge import merge_people

    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    other = cf.event(cf.competition(year=2026, name="另一个大赛"), name="焊接", starts=date(2027, 5, 10))
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    hr = factories.user(unit, Role.ENTERPRISE_HR)
    keep, drop = factories.person("重复", unit), factories.person("重复", unit)
    services.register(hr, ev, keep, utcnow())
    services.register(hr, other, drop, utcnow())
    merge_people(factories.municipal_official(), keep, drop)
    assert counted() == recounted() == {(ev.id, "pudong"): 1, (other.id, "pudong"): 1}


def test_deleting_an_event_deletes_its_tallies(app, ctx):
    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    services.register(factories.user(unit, Role.ENTERPRISE_HR), ev, factories.person("选手", unit), utcnow())
    assert counted() == {(ev.id, "pudong"): 1}
    db.session.execute(sa.delete(Registration).where(Registration.event_id == ev.id))
    db.session.delete(ev)
    db.session.commit()
    assert counted() == recounted() == {}


def test_a_flush_of_other_rows_or_of_a_registration_written_around_the_services_sends_no_tally_sql(app, ctx):
    from tests.conftest import count_queries

    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    entry = services.register(factories.user(unit, Role.ENTERPRISE_HR), ev, factories.person("选手", unit), utcnow())
    with count_queries(app) as statements:
        unit.name = "改名后的单位"
        entry.person.name = "改名"
        entry.status = RegistrationStatus.WITHDRAWN  # around the services
        db.session.flush()
    assert statements and not [s for s in statements if "registration_tallies" in s]
    db.session.commit()
    assert counted() == {(ev.id, "pudong"): 1} != recounted()


def test_a_unit_moved_to_another_district_takes_its_entries_along(app, ctx):
    from app.people import services as people

    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    other = cf.event(cf.competition(year=2026, name="另一个大赛"), name="焊接", starts=date(2027, 5, 10))
    moving, staying = (factories.org(OrgKind.ENTERPRISE, District.PUDONG) for _ in range(2))
    hr = factories.user(moving, Role.ENTERPRISE_HR)
    entries = [services.register(hr, event, factories.person(f"选手{i}", moving), utcnow())
               for i, event in enumerate((ev, ev, other))]
    services.withdraw(hr, entries[1], utcnow())  # holds no place: does not move
    cf.registration(ev, factories.person("留下的选手", staying), staying, status=RegistrationStatus.APPROVED)
    db.session.commit()
    assert counted() == recounted() == {(ev.id, "pudong"): 2, (other.id, "pudong"): 1}
    official = factories.municipal_official()

    def move(to: District) -> None:
        people.update_organisation(official, moving, people.OrganisationData(
            name=moving.name, kind=moving.kind, uscc=moving.uscc, district=to, contact_phone=None))

    move(District.XUHUI)
    assert counted() == recounted() == {(ev.id, "pudong"): 1, (ev.id, "xuhui"): 1, (other.id, "xuhui"): 1}
    move(District.JINGAN)
    assert counted() == recounted() == {(ev.id, "pudong"): 1, (ev.id, "jingan"): 1, (other.id, "jingan"): 1}


@pytest.mark.skipif("postgresql" not in __import__("os").environ.get("DATABASE_URL", ""),
                    reason="row locks are a PostgreSQL matter; SQLite serialises writers")
def test_an_entry_waits_for_its_units_district_change_in_progress_and_then_counts_under_the_new_district(app, ctx):
    """A place taken while another transaction is moving the unit to another district (holding its row) waits
    for that move, then counts under the new district: not under the old one, which the move did not see."""
    import threading

    from app.core.models import Person, User

    ev = cf.event(cf.competition(year=2026), quota_per_unit=10)
    unit = factories.org(OrgKind.ENTERPRISE, District.PUDONG)
    hr = factories.user(unit, Role.ENTERPRISE_HR)
    person = factories.person("并发选手", unit)
    db.session.commit()
    ids = {"hr": hr.id, "event": ev.id, "person": person.id, "unit": unit.id}
    outcome: list[str] = []

    def enter() -> None:
        with app.app_context():
            try:
                from app.competitions.events.models import Event

                services.register(db.session.get(User, ids["hr"]), db.session.get(Event, ids["event"]),
                                  db.session.get(Person, ids["person"]), utcnow())
                db.session.commit()
                outcome.append("entered")
            finally:
                db.session.remove()

    with db.engine.connect() as other:
        # the move, not yet committed (its row lock does not stop the entry's foreign-key check, only a read
        # of the district under a shared lock waits for it)
        other.execute(sa.text("UPDATE organisations SET district = 'jingan' WHERE id = :id"), {"id": ids["unit"]})
        worker = threading.Thread(target=enter)
        worker.start()
        worker.join(timeout=1.5)
        assert worker.is_alive() and outcome == []
        other.commit()
        worker.join(timeout=20)
    assert outcome == ["entered"]
    db.session.expire_all()
    assert counted() == recounted() == {(ids["event"], "jingan"): 1}
