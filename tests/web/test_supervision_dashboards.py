"""The dashboards of training bases, apprenticeships and subsidies: every figure equals a figure the test
computes itself from the rows it made, the year and district filters narrow them, and each links to its list."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal

from app.apprenticeships.enums import EnrollmentStatus, HireType, SubsidyKind, SubsidyStatus
from app.apprenticeships.models import Enrollment, SubsidyLine
from app.core.enums import District, OrgKind, SkillLevel
from app.core.types import utcnow
from app.extensions import db
from tests import apprenticeship_factories as af
from tests import factories
from tests import training_base_factories as tf
from tests.conftest import count_queries
from tests.web.test_dashboard import cells

_n = itertools.count(1)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


# ---------------------------------------------------------------- training bases

def test_base_utilisation_counts_camps_athletes_sessions_and_hours_of_the_year(app, ctx, login_as):
    tf.policies(hours_per_day=10)
    pudong = tf.base(factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG), name="浦东数控基地")
    xuhui = tf.base(factories.org(OrgKind.TECHNICIAN_COLLEGE, District.XUHUI), name="徐汇焊接基地")
    facilities = {pudong.id: [tf.facility(pudong, capacity=4), tf.facility(pudong, capacity=2)],
                  xuhui.id: [tf.facility(xuhui, capacity=6)]}
    closed = tf.facility(xuhui, capacity=9)
    closed.active = False
    coach, _user = tf.coach(pudong)
    people = [factories.person(f"选手{i}") for i in range(5)]
    camps = {pudong.id: [tf.camp(pudong, people[:3], starts=date(2026, 3, 1)),
                         tf.camp(pudong, people[2:4], starts=date(2026, 6, 1))],
             xuhui.id: [tf.camp(xuhui, people[4:], starts=date(2026, 5, 1))]}
    old = tf.camp(xuhui, people, starts=date(2025, 1, 1), days=30)  # not in 2026
    sessions = []
    for base_id, hours in ((pudong.id, [3, 2.5, 4]), (xuhui.id, [1.5])):
        for i, h in enumerate(hours):
            s = tf.session(camps[base_id][0], facilities[base_id][0], coach, [],
                           tf.at(date(2026, 3, 2) + timedelta(days=i), 9), hours=h)
            sessions.append((base_id, Decimal(str(h))))
            if i == 0:
                tf.log(s, Decimal(h) - Decimal("0.5"))
    tf.session(old, closed, coach, [], tf.at(date(2025, 1, 3), 9), hours=8)  # last year: not counted
    db.session.commit()

    client = login_as(factories.municipal_official())
    page = client.get("/supervision/?tab=training_bases&year=2026").get_data(as_text=True)
    table = {row[0]: row[1:] for row in cells(page, "base-utilisation")[1:]}
    for base in (pudong, xuhui):
        booked = sum(h for b, h in sessions if b == base.id)
        logged = sum(h - Decimal("0.5") for b, h in sessions[:1] + sessions[3:4] if b == base.id)
        athletes = len({p.id for c in camps[base.id] for p in c.athletes})
        available = Decimal(len(facilities[base.id]) * 10 * 365)
        row = table[base.name]
        assert row[1:6] == [str(len(facilities[base.id])), str(sum(f.capacity for f in facilities[base.id])),
                            str(len(camps[base.id])), str(athletes), str(sum(1 for b, _h in sessions if b == base.id))]
        assert Decimal(row[6]) == booked and Decimal(row[7]) == logged and Decimal(row[8]) == available
        assert row[9] == f"{(booked * 100 / available).quantize(Decimal('0.1'))}%"

    assert "浦东数控基地" not in client.get("/supervision/?tab=training_bases&year=2026&district=xuhui").get_data(
        as_text=True)
    link = re.search(rf'href="(/supervision/sessions\?base={pudong.id}&amp;year=2026)"', page).group(1)
    listing = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(cells(listing, "base-sessions")) - 1 == int(table["浦东数控基地"][5]) == 3


# ---------------------------------------------------------------- apprenticeships

def enrollment_row(district: District, starts: date, status: EnrollmentStatus, approved: bool = True,
                   ends: date | None = None) -> Enrollment:
    enterprise = factories.org(OrgKind.ENTERPRISE, district)
    institution = factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG)
    factories.occupation()
    person = factories.person(f"学徒{next(_n)}", enterprise)
    row = Enrollment(person_id=person.id, enterprise_id=enterprise.id, institution_id=institution.id,
                     district=district, occupation_code="6-18-01-01", target_level=SkillLevel.LEVEL_4,
                     hire_type=HireType.NEW_HIRE, contract_starts_on=starts, starts_on=starts,
                     ends_on=ends or starts + timedelta(days=365), status=status,
                     approved_at=utcnow() if approved else None)
    db.session.add(row)
    db.session.commit()
    return row


def test_apprenticeship_progress_uses_the_policy_target_and_counts_each_month(app, ctx, login_as):
    af.policies()  # the plan's target: 60000, a policy row
    made = [
        enrollment_row(District.HUANGPU, date(2026, 1, 15), EnrollmentStatus.IN_TRAINING),
        enrollment_row(District.HUANGPU, date(2026, 1, 20), EnrollmentStatus.APPROVED),
        enrollment_row(District.PUDONG, date(2026, 3, 1), EnrollmentStatus.WITHDRAWN),
        enrollment_row(District.PUDONG, date(2026, 3, 5), EnrollmentStatus.SUBMITTED, approved=False),
        enrollment_row(District.PUDONG, date(2024, 9, 1), EnrollmentStatus.COMPLETED, ends=date(2026, 3, 31)),
        enrollment_row(District.HUANGPU, date(2023, 5, 1), EnrollmentStatus.COMPLETED, ends=date(2026, 7, 1)),
        enrollment_row(District.HUANGPU, date(2027, 2, 1), EnrollmentStatus.APPROVED),  # after the plan years
    ]
    client = login_as(factories.municipal_official())
    page = client.get("/supervision/?tab=apprenticeships&year=2026").get_data(as_text=True)

    in_plan = [e for e in made if e.approved_at and date(2021, 1, 1) <= e.starts_on <= date(2025, 12, 31)]
    plan = cells(page, "plan-progress")[1]
    assert plan[1:] == [str(len(in_plan)), "60000", f"{Decimal(len(in_plan) * 100 / 60000):.1f}%"]
    months = cells(page, "apprentice-months")[1:13]
    for month in range(1, 13):
        enrolled = sum(1 for e in made if e.approved_at and e.starts_on.year == 2026 and e.starts_on.month == month)
        completed = sum(1 for e in made if e.status is EnrollmentStatus.COMPLETED and e.ends_on.year == 2026
                        and e.ends_on.month == month)
        assert months[month - 1][1:] == [str(enrolled), str(completed)], month

    af.policy("apprenticeship.plan_target", "50000", since=date(2024, 1, 1))  # the target is data, not code
    assert cells(client.get("/supervision/?tab=apprenticeships&year=2026").get_data(as_text=True),
                 "plan-progress")[1][2] == "50000"

    huangpu = login_as(factories.district_official(District.HUANGPU))
    page = huangpu.get("/supervision/?tab=apprenticeships&year=2026&district=pudong").get_data(as_text=True)
    assert cells(page, "apprentice-months")[1][1:] == ["2", "0"]  # their own district whatever the URL says
    assert cells(page, "plan-progress")[1][1:] == ["1", "未设定", "—"]  # no district target of its own
    link = re.search(r'href="(/supervision/enrollments\?measure=enrolled&amp;year=2026&amp;month=1[^"]*)"',
                     page).group(1)
    listing = huangpu.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(cells(listing, "enrollment-list")) - 1 == 2


# ---------------------------------------------------------------- subsidies

def test_subsidy_claimed_and_spent_per_district_equal_the_ledger_sums(app, ctx, login_as):
    lines = []
    for district, kind, status, amount, year in [
        (District.HUANGPU, SubsidyKind.ADVANCE, SubsidyStatus.PAID, "2500.00", 2026),
        (District.HUANGPU, SubsidyKind.BALANCE, SubsidyStatus.CLAIMED, "2500.00", 2026),
        (District.HUANGPU, SubsidyKind.CLAWBACK, SubsidyStatus.CLAIMED, "-1000.00", 2026),
        (District.PUDONG, SubsidyKind.ADVANCE, SubsidyStatus.APPROVED, "3500.00", 2026),
        (District.PUDONG, SubsidyKind.BALANCE, SubsidyStatus.PAID, "1750.50", 2026),
        (District.PUDONG, SubsidyKind.ADVANCE, SubsidyStatus.PAID, "9999.00", 2025),  # another year
    ]:
        e = enrollment_row(district, date(year, 3, 1), EnrollmentStatus.IN_TRAINING)
        line = SubsidyLine(enrollment_id=e.id, enterprise_id=e.enterprise_id, district=district, training_year=1,
                           year=year, kind=kind, amount=Decimal(amount), standard=Decimal("5000"), months=12,
                           status=status)
        db.session.add(line)
        lines.append(line)
    db.session.commit()
    client = login_as(factories.municipal_official())
    page = client.get("/supervision/?tab=subsidies&year=2026").get_data(as_text=True)
    table = {row[0]: row[1:] for row in cells(page, "subsidy-districts")[1:]}
    for district in (District.HUANGPU, District.PUDONG):
        mine = [ln for ln in lines if ln.district is district and ln.year == 2026]
        claimed = sum((ln.amount for ln in mine if ln.kind is not SubsidyKind.CLAWBACK), Decimal(0))
        paid = sum((ln.amount for ln in mine if ln.kind is not SubsidyKind.CLAWBACK
                    and ln.status is SubsidyStatus.PAID), Decimal(0))
        clawed = sum((ln.amount for ln in mine if ln.kind is SubsidyKind.CLAWBACK), Decimal(0))
        row = table[str(district.label)]
        assert row[0] == money(claimed) and row[2] == money(paid) and row[3] == money(clawed)
        assert row[4] == money(paid + clawed) and row[5] == str(len(mine))
    assert table["合计"][0] == money(Decimal("10250.50"))
    assert 'href="/apprenticeships/ledger?year=2026&amp;district=pudong&amp;status=paid' in page

    pudong = login_as(factories.district_official(District.PUDONG))
    page = pudong.get("/supervision/?tab=subsidies&year=2026").get_data(as_text=True)
    assert [row[0] for row in cells(page, "subsidy-districts")[1:]] == ["浦东新区"]


# ---------------------------------------------------------------- the tabs

def test_every_tab_keeps_the_year_and_district_and_its_queries_do_not_grow_with_data(app, ctx, login_as):
    tf.policies()
    client = login_as(factories.municipal_official())
    page = client.get("/supervision/?year=2026&district=pudong").get_data(as_text=True)
    for tab in ("competitions", "training_bases", "apprenticeships", "subsidies"):
        assert f'href="/supervision/?tab={tab}&amp;year=2026&amp;district=pudong"' in page

    def more_rows() -> None:
        base = tf.base(factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG))
        coach, _u = tf.coach(base)
        camp = tf.camp(base, [factories.person("甲"), factories.person("乙")], starts=date(2026, 2, 1))
        for i in range(3):
            tf.session(camp, tf.facility(base), coach, [], tf.at(date(2026, 2, 2 + i), 9))
            e = enrollment_row(District.PUDONG if i else District.XUHUI, date(2026, 2 + i, 1),
                               EnrollmentStatus.IN_TRAINING)
            db.session.add(SubsidyLine(enrollment_id=e.id, enterprise_id=e.enterprise_id, district=e.district,
                                       training_year=1, year=2026, kind=SubsidyKind.ADVANCE, amount=Decimal(100),
                                       standard=Decimal(5000), months=12))
        db.session.commit()

    more_rows()
    for tab in ("training_bases", "apprenticeships", "subsidies"):
        url = f"/supervision/?tab={tab}&year=2026"
        client.get(url)
        with count_queries(app) as few:
            client.get(url)
        more_rows()
        with count_queries(app) as many:
            client.get(url)
        assert len(many) == len(few), tab


def test_the_district_pyramid_counts_only_entries_of_the_districts_units(app, ctx, login_as):
    from app.competitions.events.models import CompetitionLevel
    from app.competitions.registration.models import Registration
    from tests.web.test_dashboard import field_in

    field_in([District.PUDONG, District.XUHUI, District.PUDONG])
    field_in([District.XUHUI, District.PUDONG], level=CompetitionLevel.DISTRICT)
    field_in([District.XUHUI], level=CompetitionLevel.NATIONAL)
    page = login_as(factories.municipal_official()).get("/supervision/?year=2026&district=pudong").get_data(
        as_text=True)
    table = {row[0]: row[1:] for row in cells(page, "pyramid-table")[1:]}
    regs = [r for r in db.session.query(Registration).all() if r.unit.district is District.PUDONG]
    for level in CompetitionLevel:
        mine = [r for r in regs if r.event.competition.level is level]
        expected = [len({r.event.competition_id for r in mine}), len({r.event_id for r in mine}), len(mine)]
        assert table[str(level.label)] == [str(n) for n in expected], level


def test_the_tabs_and_lists_read_in_english(app, ctx, login_as):
    tf.policies()
    af.policies()
    official = factories.municipal_official(locale="en")
    enrollment_row(District.PUDONG, date(2026, 1, 5), EnrollmentStatus.IN_TRAINING)
    client = login_as(official)
    for tab, heading in (("training_bases", "Training-base utilisation (2026)"),
                         ("apprenticeships", "New and completed apprentices by month, 2026"),
                         ("subsidies", "Apprenticeship subsidies: claimed and spent per district (2026, CNY)")):
        assert heading in client.get(f"/supervision/?tab={tab}&year=2026").get_data(as_text=True)
    listing = client.get("/supervision/enrollments?measure=enrolled&year=2026&month=1").get_data(as_text=True)
    assert "New apprentices" in listing and len(cells(listing, "enrollment-list")) == 2


def test_a_medal_of_a_unit_outside_every_district_does_not_break_the_medal_table(app, ctx, login_as):
    from app.competitions.judging import tallies
    from app.competitions.judging.models import Contestant, Result
    from tests.web.test_dashboard import field_in

    field_in([District.PUDONG, District.XUHUI])
    gold = db.session.query(Result).filter(Result.rank == 1).one()
    db.session.get(Contestant, gold.contestant_id).unit_id = factories.org(OrgKind.ENTERPRISE, None).id
    tallies.rebuild()  # written around the services: the medal tallies are recounted (as the module says)
    db.session.commit()
    response = login_as(factories.municipal_official()).get("/supervision/?year=2026")
    assert response.status_code == 200
    assert [row[0] for row in cells(response.get_data(as_text=True), "district-medals")[1:]] == ["徐汇区"]
