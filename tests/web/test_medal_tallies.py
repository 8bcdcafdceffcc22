"""The medal tables read tallies kept on write (issue 21): medals per year and unit (with the unit's district and
name) equal a recount of the locked events' medalled results after each kind of write (locking, unlocking and
locking again, a competition moved to another year, a unit's new district or name, the demo seeding, any sequence
of them: a hypothesis test), refusals leave them alone, the rebuild recounts what was written around the services,
and the tab reads neither the results nor the contestants."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.competitions import stats
from app.competitions.events import services as events
from app.competitions.events.models import AwardRuleKind, Competition, CompetitionLevel, Event, JudgingState
from app.competitions.judging import services as judging
from app.competitions.judging import tallies
from app.competitions.judging.models import Contestant, EventExpert, Result
from app.competitions.judging.tallies import MedalTally
from app.competitions.registration.models import RegistrationStatus
from app.core.enums import District, OrgKind, Role
from app.core.models import Organisation, User
from app.core.types import utcnow
from app.errors import DomainError
from app.extensions import db
from app.people import services as people
from tests import competition_factories as cf
from tests import factories
from tests.conftest import count_queries
from tests.web.test_dashboard import cells, field_in
from tests.web.test_registration_tallies import counted as entries_counted
from tests.web.test_registration_tallies import recounted as entries_recounted
from tests.web.test_statistics_after_bulk_rewrites import expected, planner_rows

Row = tuple[str, str, tuple[int, ...]]


def kept() -> dict[tuple[int, int], Row]:
    db.session.expire_all()
    return {(t.year, t.unit_id): (t.district, t.name, (t.gold, t.silver, t.bronze, t.merit, t.medallion))
            for t in db.session.scalars(sa.select(MedalTally))
            if t.gold or t.silver or t.bronze or t.merit or t.medallion}


def recount() -> dict[tuple[int, int], Row]:
    """Counted here from the rows, one result at a time (not by the module's SQL)."""
    db.session.expire_all()
    out: dict[tuple[int, int], tuple[str, str, Counter]] = {}
    for result in db.session.scalars(sa.select(Result).where(Result.medal.is_not(None))):
        event = db.session.get(Event, result.event_id)
        if event.judging_state is not JudgingState.LOCKED:
            continue
        unit = result.contestant.unit
        row = out.setdefault((event.competition.year, unit.id),
                             (unit.district.value if unit.district else "", unit.name, Counter()))
        row[2][result.medal] += 1
    return {key: (d, name, tuple(c[m] for m in stats.MEDALS)) for key, (d, name, c) in out.items()}


def _relabel(org: Organisation, **changes: object) -> people.OrganisationData:
    data = people.OrganisationData(name=org.name, kind=org.kind, uscc=org.uscc, district=org.district,
                                   contact_phone=None)
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def _competition_data(comp: Competition, year: int) -> events.CompetitionData:
    return events.CompetitionData(name=comp.name, level=comp.level, klass=comp.klass,
                                  organiser_id=comp.organiser_id, year=year, host_district=comp.host_district)


def test_locking_unlocking_and_locking_again_keep_the_tallies_equal_to_a_recount(app, ctx):
    ev, organiser = field_in([District.PUDONG, District.XUHUI, District.PUDONG, District.MINHANG])
    official = factories.municipal_official()
    assert kept() == recount() != {}
    assert sum(sum(n) for _d, _n, n in kept().values()) == 3  # national rule: gold, silver, bronze of four
    judging.unlock_results(official, ev, "更正评分", utcnow())
    assert kept() == recount() == {}
    # the fourth now scores higher than everyone, the first lower: the medals move when locked again
    field = sorted(judging.contestants(ev), key=lambda c: int(c.name[-1]))
    first, last = field[0], field[-1]
    aspect = judging.aspects_of(ev)[0]
    expert = db.session.scalars(sa.select(EventExpert).where(EventExpert.event_id == ev.id)).first()
    judging.save_score(expert.user, ev, last.id, aspect.id, "100")
    judging.save_score(expert.user, ev, first.id, aspect.id, "95")
    judging.lock_results(organiser, ev, utcnow())
    assert kept() == recount()
    gold = db.session.scalar(sa.select(Result).where(Result.event_id == ev.id, Result.rank == 1))
    assert gold.contestant_id == last.id and kept()[(2026, last.unit_id)][2][0] == 1
    assert (2026, first.unit_id) not in kept()


def test_refused_writes_leave_the_tallies_alone(app, ctx):
    ev, organiser = field_in([District.PUDONG, District.XUHUI, District.JINGAN])
    official = factories.municipal_official()
    before = kept()
    assert before == recount() != {}
    with pytest.raises(DomainError):
        judging.unlock_results(official, ev, "  ", utcnow())  # no reason
    db.session.rollback()
    with pytest.raises(DomainError):
        judging.lock_results(organiser, ev, utcnow())  # already locked
    db.session.rollback()
    unit = db.session.get(Organisation, next(iter(before))[1])
    with pytest.raises(DomainError):  # an enterprise must be in a district
        people.update_organisation(official, unit, _relabel(unit, district=None, name="不会保存的名称"))
    db.session.rollback()
    assert kept() == recount() == before
    # a lock refused for missing scores, in another event
    other, _aspects, _panel, other_organiser = cf.judged_event(n=3, comp=ev.competition, name="焊接")
    with pytest.raises(DomainError):
        judging.lock_results(other_organiser, other, utcnow())
    db.session.rollback()
    assert kept() == recount() == before


def test_a_competition_moved_to_another_year_takes_its_medals_along(app, ctx, login_as):
    ev, _organiser = field_in([District.PUDONG, District.XUHUI, District.PUDONG])
    official = factories.municipal_official()
    events.update_competition(official, ev.competition, _competition_data(ev.competition, 2025))
    assert kept() == recount() != {}
    assert {year for year, _unit in kept()} == {2025}
    client = login_as(official)
    assert len(cells(client.get("/supervision/?year=2025").get_data(as_text=True), "district-medals")) == 3
    assert "本年度尚无锁定的成绩" in client.get("/supervision/?year=2026").get_data(as_text=True)
    events.update_competition(official, ev.competition, _competition_data(ev.competition, 2026))  # and back
    assert kept() == recount() and {year for year, _unit in kept()} == {2026}


def test_a_units_new_district_and_name_follow_in_the_tables_and_their_medallists_lists(app, ctx, login_as):
    ev, _organiser = field_in([District.PUDONG, District.XUHUI, District.PUDONG, District.MINHANG])
    official = factories.municipal_official()
    silver = db.session.scalar(sa.select(Result).where(Result.event_id == ev.id, Result.rank == 2))
    unit = silver.contestant.unit
    assert unit.district is District.XUHUI
    people.update_organisation(official, unit, _relabel(unit, district=District.JINGAN, name="改名后的单位"))
    assert kept() == recount()
    assert kept()[(2026, unit.id)][:2] == ("jingan", "改名后的单位")
    client = login_as(official)
    page = client.get("/supervision/?year=2026").get_data(as_text=True)
    districts = {row[0]: row[1:] for row in cells(page, "district-medals")[1:]}
    assert set(districts) == {"浦东新区", "静安区"}
    assert districts["静安区"][1] == "1"  # the silver
    units = {row[0]: row[1:] for row in cells(page, "unit-medals")[1:]}
    assert units["改名后的单位"][1] == "1"
    # every figure's link lists as many medallists as the figure says
    for link, figure in re.findall(r'<a href="(/supervision/medallists\?[^"]+)">(\d+)</a>', page):
        listing = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
        assert len(cells(listing, "medallists")) - 1 == int(figure), link
    jingan = client.get("/supervision/?year=2026&district=jingan").get_data(as_text=True)
    assert [row[0] for row in cells(jingan, "unit-medals")[1:]] == ["改名后的单位"]


def test_the_demo_seeding_keeps_the_tallies(app, ctx):
    from app.competitions.events import demo as events_demo
    from app.competitions.judging import demo as judging_demo
    from app.competitions.registration import demo as registration_demo
    from app.core import demo as core_demo

    today = date(2026, 11, 26)
    core_demo.seed(people=40)
    events_demo.seed(today)
    registration_demo.seed(today)
    assert "district results locked" in judging_demo.seed(today)
    assert kept() == recount() != {}


def test_rebuild_and_the_command_recount_what_was_written_around_the_services(app, ctx):
    ev, _organiser = field_in([District.PUDONG, District.XUHUI, District.PUDONG])
    bronze = db.session.scalar(sa.select(Result).where(Result.event_id == ev.id, Result.rank == 3))
    db.session.get(Contestant, bronze.contestant_id).unit_id = factories.org(OrgKind.ENTERPRISE, None).id
    db.session.execute(sa.update(Result).where(Result.id == bronze.id).values(medal=stats.MedalKind.SILVER))
    db.session.commit()
    assert kept() != recount()
    tallies.rebuild()
    db.session.commit()
    assert kept() == recount()
    assert kept()[(2026, db.session.get(Contestant, bronze.contestant_id).unit_id)][:1] == ("", )
    db.session.execute(sa.delete(MedalTally))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["competitions", "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert "medal tallies rebuilt" in result.output
    assert kept() == recount() != {}
    assert planner_rows("medal_tallies") == expected(len(kept()))  # analysed at once (PostgreSQL)


# ---------------------------------------------------------------- any sequence of writes (hypothesis)

operations = st.lists(st.one_of(
    st.tuples(st.just("lock"), st.integers(0, 1), st.just(0), st.just(0)),
    st.tuples(st.just("unlock"), st.integers(0, 1), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("score"), st.integers(0, 1), st.integers(0, 3), st.integers(90, 100)),
    st.tuples(st.just("year"), st.integers(0, 1), st.integers(2025, 2026), st.just(0)),
    st.tuples(st.just("district"), st.integers(0, 2), st.sampled_from([District.PUDONG, District.XUHUI, None]),
              st.just(0)),
    st.tuples(st.just("rename"), st.integers(0, 2), st.integers(0, 3), st.just(0)),
), min_size=1, max_size=10)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_of_service_writes_keeps_the_tallies_equal_to_a_recount(app, ctx, steps):
    """Locks (refused while scores tie for a medal or the event is locked), unlocks (refused without a reason or
    when not locked), score changes between them (refused while locked), competitions moved between years and
    units moved between districts (one to none: refused for an enterprise) or renamed, on two events whose
    entrants come from three shared units."""
    s = _hypothesis_field()
    official = db.session.get(User, s["official"])
    for op, a, b, c in steps:
        ev = db.session.get(Event, s["events"][a % 2])
        try:
            if op == "lock":
                judging.lock_results(db.session.get(User, s["organisers"][a % 2]), ev, utcnow())
            elif op == "unlock":
                judging.unlock_results(official, ev, "更正" if b else "", utcnow())
            elif op == "score":
                contestant = judging.contestants(ev)[b % 4]
                judging.save_score(db.session.get(User, s["experts"][a % 2]), ev, contestant.id,
                                   judging.aspects_of(ev)[0].id, str(c))
            elif op == "year":
                events.update_competition(official, ev.competition, _competition_data(ev.competition, b))
            else:
                unit = db.session.get(Organisation, s["units"][a])
                change = {"district": b} if op == "district" else {"name": f"假设单位{a}-{b}"}
                people.update_organisation(official, unit, _relabel(unit, **change))
        except DomainError:
            db.session.rollback()
        assert kept() == recount()
        assert entries_counted() == entries_recounted()  # the pyramid's tallies follow a unit's move too


def _hypothesis_field() -> dict:
    """Two events of two competitions, in scoring with every score in, made once for every example (the tables
    are emptied after the test, not between examples)."""
    found = getattr(_hypothesis_field, "made", None)
    if found is not None and db.session.get(Event, found["events"][0]) is not None:
        return found
    units = [factories.org(OrgKind.ENTERPRISE, d) for d in (District.PUDONG, District.XUHUI, District.MINHANG)]
    made: dict = {"official": factories.municipal_official().id, "units": [u.id for u in units], "events": [],
                  "organisers": [], "experts": []}
    for k in range(2):
        comp = cf.competition(level=CompetitionLevel.MUNICIPAL, year=2026, name=f"假设大赛{k}")
        ev = cf.event(comp, name=f"假设赛项{k}")
        ev.award_rule = AwardRuleKind.NATIONAL
        db.session.commit()
        aspect = cf.scheme(ev, [("A", "M", "100")])[0]
        for i in range(4):
            unit = units[(i + k) % 3]
            cf.registration(ev, factories.person(f"假设选手{k}{i}", employer=unit), unit,
                            status=RegistrationStatus.APPROVED)
        expert = cf.expert(ev)
        organiser = factories.user(comp.organiser, Role.ORGANIZER)
        judging.open_scoring(organiser, ev, utcnow())
        for i, contestant in enumerate(judging.contestants(ev)):
            judging.save_score(expert, ev, contestant.id, aspect.id, str(99 - i))
        made["events"].append(ev.id)
        made["organisers"].append(organiser.id)
        made["experts"].append(expert.id)
    _hypothesis_field.made = made  # type: ignore[attr-defined]
    return made


# ---------------------------------------------------------------- the tab

def test_the_tab_reads_the_tallies_not_the_results_in_a_fixed_number_of_statements(app, ctx, login_as):
    client = login_as(factories.municipal_official())
    field_in([District.PUDONG, District.XUHUI])
    client.get("/supervision/?year=2026")

    def statements(path: str) -> list[str]:
        with count_queries(app) as sent:
            assert client.get(path).status_code == 200
        return sent

    few = statements("/supervision/?year=2026")
    field_in([District.PUDONG, District.XUHUI, District.JINGAN, District.MINHANG, District.HUANGPU],
             level=CompetitionLevel.DISTRICT)
    for path in ("/supervision/?year=2026", "/supervision/?year=2026&district=pudong"):
        many = statements(path)
        assert len(many) == len(few)
        per_result = [q for q in many if re.search(r"\b(results|contestants|registrations)\b", q)]
        assert per_result == [], per_result
        assert len([q for q in many if "medal_tallies" in q]) == 1


@pytest.mark.skipif("postgresql" not in __import__("os").environ.get("DATABASE_URL", ""),
                    reason="row locks are a PostgreSQL matter; SQLite serialises writers")
@pytest.mark.parametrize("held", ["competitions", "organisations"])
def test_a_lock_waits_for_a_year_or_district_change_in_progress_and_then_counts_under_the_new_one(app, ctx, held):
    """Locking results reads the competition's year and its units' districts under a shared row lock: while another
    transaction is changing the year or a unit (holding that row), the lock waits, then counts what that change
    committed. (Without the lock it counted under the old year or district, and the change had not seen these
    medals yet either: they stayed under the old one.)"""
    import threading


    ev, organiser = field_in([District.PUDONG, District.XUHUI, District.PUDONG])
    official = factories.municipal_official()
    judging.unlock_results(official, ev, "更正评分", utcnow())
    assert kept() == recount() == {}
    unit_id = db.session.scalar(sa.select(Contestant.unit_id).where(Contestant.event_id == ev.id)
                                .order_by(Contestant.id))
    row_id = ev.competition_id if held == "competitions" else unit_id
    event_id, organiser_id = ev.id, organiser.id
    db.session.commit()
    outcome: list[str] = []

    def lock() -> None:
        with app.app_context():
            try:
                judging.lock_results(db.session.get(User, organiser_id), db.session.get(Event, event_id), utcnow())
                outcome.append("locked")
            finally:
                db.session.remove()

    with db.engine.connect() as other:  # the other transaction: the change made, not yet committed
        if held == "competitions":
            other.execute(sa.text("UPDATE competitions SET year = 2025 WHERE id = :id"), {"id": row_id})
        else:
            other.execute(sa.text("UPDATE organisations SET district = 'jingan', name = '并发改名' WHERE id = :id"),
                          {"id": row_id})
        worker = threading.Thread(target=lock)
        worker.start()
        worker.join(timeout=1.5)
        assert worker.is_alive() and outcome == []  # waiting for the row, not counting under what it read
        other.commit()
        worker.join(timeout=20)
    assert outcome == ["locked"]
    db.session.expire_all()
    assert kept() == recount() != {}
    if held == "competitions":
        assert {year for year, _unit in kept()} == {2025}
    else:
        assert kept()[(2026, unit_id)][:2] == ("jingan", "并发改名")
