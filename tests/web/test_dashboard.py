"""The officials' dashboard: every figure equals a count made independently from the rows the test made."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.competitions.events.models import AwardRuleKind, Competition, CompetitionLevel, Event
from app.competitions.judging import services as judging
from app.competitions.judging.models import MedalKind, Result
from app.competitions.registration.models import Registration, RegistrationStatus
from app.competitions.squads import services as squads
from app.core.enums import District, OrgKind, Role
from app.core.models import Organisation
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.conftest import count_queries


def cells(page: str, table_id: str) -> list[list[str]]:
    body = page[page.index(f'id="{table_id}"'):]
    body = body[:body.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in rows]


def field_in(districts: list[District], year: int = 2026, level=CompetitionLevel.MUNICIPAL):
    """A judged event whose entrants come from units in the given districts, in that order of rank."""
    comp = cf.competition(level=level, year=year, name=f"大赛{len(districts)}{level.value}")
    ev = cf.event(comp)
    ev.award_rule = AwardRuleKind.NATIONAL
    db.session.commit()
    aspects = cf.scheme(ev, [("A", "M", "100")])
    for i, district in enumerate(districts):
        unit = factories.org(OrgKind.ENTERPRISE, district)
        cf.registration(ev, factories.person(f"选手{district.value}{i}", employer=unit), unit,
                        status=RegistrationStatus.APPROVED)
    panel = [cf.expert(ev)]
    organiser = factories.user(comp.organiser, Role.ORGANIZER)
    judging.open_scoring(organiser, ev, utcnow())
    contestants = judging.contestants(ev)
    for c in contestants:  # the i-th entrant scores 100 - i
        judging.save_score(panel[0], ev, c.id, aspects[0].id, str(100 - int(c.name[-1])))
    judging.lock_results(organiser, ev, utcnow())
    return ev, organiser


def test_pyramid_and_medal_tables_match_independent_counts(app, ctx, login_as):
    field_in([District.PUDONG, District.XUHUI, District.PUDONG, District.MINHANG, District.XUHUI, District.PUDONG])
    field_in([District.XUHUI, District.PUDONG], level=CompetitionLevel.DISTRICT)
    cf.competition(level=CompetitionLevel.GRASSROOTS, year=2026, name="无人参赛的练兵")
    official = login_as(factories.municipal_official())
    page = official.get("/supervision/?year=2026").get_data(as_text=True)

    pyramid = {row[0]: row[1:] for row in cells(page, "pyramid-table")[1:]}
    for level in CompetitionLevel:
        entrants = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).join(
            Registration.event).join(Event.competition).where(Competition.level == level))
        competitions = db.session.scalar(sa.select(sa.func.count()).select_from(Competition).where(
            Competition.level == level, Competition.year == 2026))
        assert pyramid[str(level.label)][0] == str(competitions) and pyramid[str(level.label)][2] == str(entrants)

    results = db.session.scalars(sa.select(Result)).all()
    expected: dict[str, dict[MedalKind, int]] = {}
    for r in results:
        if r.medal:
            expected.setdefault(str(r.contestant.unit.district.label), {}).setdefault(r.medal, 0)
            expected[str(r.contestant.unit.district.label)][r.medal] += 1
    table = {row[0]: row[1:] for row in cells(page, "district-medals")[1:]}
    assert set(table) == set(expected)
    for district, counts in expected.items():
        assert table[district][-1] == str(sum(counts.values()))
        assert table[district][0] == str(counts.get(MedalKind.GOLD, 0))


def test_a_district_official_sees_their_district_only_and_figures_link_to_the_list(app, ctx, login_as):
    field_in([District.PUDONG, District.XUHUI, District.PUDONG, District.MINHANG])
    client = login_as(factories.district_official(District.PUDONG))
    page = client.get("/supervision/?year=2026&district=xuhui").get_data(as_text=True)
    table = cells(page, "district-medals")
    assert [row[0] for row in table[1:]] == ["浦东新区"]
    pudong_medals = table[1][-1]
    link = re.search(r'href="(/supervision/medallists\?year=2026&amp;district=pudong)"', page).group(1)
    listing = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(cells(listing, "medallists")) - 1 == int(pudong_medals)


def test_squad_pipeline_counts_members_by_status(app, ctx, login_as):
    ev, organiser = field_in([District.PUDONG, District.XUHUI, District.PUDONG, District.MINHANG])
    squad = squads.create_squad(organiser, ev, name="市集训队", tier="第一梯队", target_event_id=None, final_size=1,
                                result_ids=squads.top_results(ev, 3))
    from datetime import date

    stage = squads.add_stage(organiser, squad, name="三进一", held_on=date(2026, 12, 1), advance_count=1)
    members = sorted(squad.members, key=lambda m: m.source_rank)
    entries = [squads.StageEntry(m.id, str(90 - i), i == 0, "" if i == 0 else "未晋级") for i, m in enumerate(members)]
    squads.record_stage(organiser, stage, entries, utcnow())
    page = login_as(factories.municipal_official()).get("/supervision/?year=2026").get_data(as_text=True)
    row = cells(page, "squad-pipeline")[1]
    assert row[1].startswith("市集训队") and row[2:] == ["1", "1", "2", "0"]
    assert f'<a href="/competitions/squads/{squad.id}">市集训队</a>' in page
    client = login_as(factories.municipal_official())
    with count_queries(app) as statements:
        page = client.get("/supervision/?year=2026&district=pudong").get_data(as_text=True)
    assert len([q for q in statements if "squad" in q]) == 1  # members, stages and squads in one statement
    row = cells(page, "squad-pipeline")[1]  # Pudong's two members: the one who advanced and one who did not
    assert row[1].startswith("市集训队") and row[2:] == ["1", "1", "1", "0"]
    page = client.get("/supervision/?year=2026&district=jingan").get_data(as_text=True)
    assert "市集训队" not in str(cells(page, "squad-pipeline"))


def test_dashboard_queries_do_not_grow_with_data(app, ctx, login_as):
    client = login_as(factories.municipal_official())
    field_in([District.PUDONG, District.XUHUI])
    client.get("/supervision/?year=2026")
    with count_queries(app) as few:
        client.get("/supervision/?year=2026")
    field_in([District.PUDONG, District.XUHUI, District.JINGAN, District.MINHANG, District.HUANGPU])
    with count_queries(app) as many:
        client.get("/supervision/?year=2026")
    assert len(many) == len(few)


def test_only_officials_open_the_dashboard(app, ctx, login_as):
    hr = login_as(factories.user(factories.org(), Role.ENTERPRISE_HR))
    assert hr.get("/supervision/").status_code == 403


def test_both_medal_tables_come_from_one_statement_and_match_independent_counts(app, ctx, login_as):
    from app.competitions import stats

    field_in([District.PUDONG, District.XUHUI, District.PUDONG, District.MINHANG, District.XUHUI, District.PUDONG])
    field_in([District.XUHUI, District.PUDONG, District.JINGAN], level=CompetitionLevel.DISTRICT)
    per_unit: dict[tuple[int, str], dict[MedalKind, int]] = {}
    per_district: dict[District, dict[MedalKind, int]] = {}
    for r in db.session.scalars(sa.select(Result).where(Result.medal.is_not(None))):
        unit = r.contestant.unit
        for table, key in ((per_unit, (unit.id, unit.name)), (per_district, unit.district)):
            table.setdefault(key, {}).setdefault(r.medal, 0)
            table[key][r.medal] += 1
    ranked = sorted(per_unit.items(), key=lambda kv: (*(-kv[1].get(m, 0) for m in stats.MEDALS), kv[0][1], kv[0][0]))
    for scope in (None, District.PUDONG):
        with count_queries(app) as statements:
            tables = stats.medal_tables(2026, scope, limit=3)
        assert len(statements) == 1
        expected = [(k, c) for k, c in ranked if scope is None or any(
            u.id == k[0] and u.district is scope for u in [db.session.get(Organisation, k[0])])]
        assert [(r.key, r.counts) for r in tables.by_unit] == expected[:3]
        assert {r.key: r.counts for r in tables.by_district} == {
            d: c for d, c in per_district.items() if scope is None or d is scope}
    page = login_as(factories.municipal_official()).get("/supervision/?year=2026").get_data(as_text=True)
    assert len(cells(page, "unit-medals")) - 1 == min(20, len(per_unit))
