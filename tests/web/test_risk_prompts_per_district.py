"""Risk prompts per district and language (issue 19): each district's own policy values apply to its prompts, a
prompt concerning several districts is on each of their desks (and once on the city's), and a prompt is stored
as facts rendered in the reader's language. The desk's counts come from tallies the refresh and each review
keep (issue 21): one small read, whatever the number of prompts. The migration (0022) on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.apprenticeships.enums import EnrollmentStatus
from app.core import risks
from app.core.enums import District
from app.core.models import RiskPromptRow, RiskPromptTally, RiskRefresh
from app.extensions import db
from app.mentor_hours import risks as hour_risks
from app.supervision import risk_rules, services
from tests import apprenticeship_factories as af
from tests import factories
from tests import mentor_hours_factories as mf
from tests.conftest import count_queries
from tests.web.test_supervision_dashboards import enrollment_row
from tests.web.test_supervision_risks import line, second_enrollment

DUP = risk_rules.DUPLICATE_SUBSIDY


@pytest.fixture()
def fresh_for_an_hour(app, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)


def three_district_duplicate() -> int:
    first = enrollment_row(District.HUANGPU, date(2026, 1, 1), EnrollmentStatus.COMPLETED, ends=date(2027, 1, 1))
    second = second_enrollment(first, District.PUDONG, date(2026, 3, 1), date(2027, 3, 1))
    second.status = EnrollmentStatus.COMPLETED  # one open enrollment per person at a time
    db.session.commit()
    for row in (first, second, second_enrollment(first, District.XUHUI, date(2026, 6, 1), date(2027, 6, 1))):
        line(row, 2026)
    return first.person_id


def desk(client, **args: str) -> str:  # noqa: ANN001
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/supervision/risks?{query}").get_data(as_text=True)


def rows_of(page: str) -> str:
    return page.split('id="risk-desk"')[1].split("</table>")[0]


def test_a_duplicate_subsidy_across_three_districts_is_on_each_of_their_desks_and_once_on_the_citys(
        app, ctx, login_as, fresh_for_an_hour):
    person = three_district_duplicate()
    risks.refresh()
    stored = db.session.execute(sa.select(RiskPromptRow.district, RiskPromptRow.lead)
                                .where(RiskPromptRow.kind == DUP)).all()
    assert sorted(stored, key=lambda r: list(District).index(r[0])) == [
        (District.HUANGPU, True), (District.XUHUI, False), (District.PUDONG, False)]  # in District order
    for district in (District.HUANGPU, District.PUDONG, District.XUHUI):
        page = desk(login_as(factories.district_official(district)), kind=DUP)
        assert "2026 年有 3 个学徒培训项目申领补贴" in rows_of(page), district
        assert "重复申领补贴 (1)" in page
    assert "没有风险提示" in desk(login_as(factories.district_official(District.JINGAN)), kind=DUP)
    city = rows_of(desk(login_as(factories.municipal_official()), kind=DUP))
    assert city.count("<tr><td>") == 1 and "3 个学徒培训项目申领补贴" in city
    # Reviewed on one desk: reviewed on all three, and the counts of each move with it.
    xuhui = login_as(factories.district_official(District.XUHUI))
    done = xuhui.post("/supervision/risks/review", data={"kind": DUP, "subject_key": f"subsidy:{person}:2026",
                                                         "note": "已核实"})
    assert done.status_code == 303
    for district in (District.HUANGPU, District.PUDONG, District.XUHUI, None):
        scope = services.Scope(2026, district)
        assert services.risk_counts(scope, "open").get(DUP) is None
        assert services.risk_counts(scope, "reviewed")[DUP] == 1
    pudong = login_as(factories.district_official(District.PUDONG))
    assert "已核实" in rows_of(desk(pudong, kind=DUP, status="reviewed"))


def test_an_english_reader_reads_the_stored_prompt_in_english(app, ctx, login_as, fresh_for_an_hour):
    three_district_duplicate()
    risks.refresh()
    official = login_as(factories.district_official(District.XUHUI))
    official.post("/locale", data={"locale": "en", "next": "/supervision/risks"})
    page = rows_of(desk(official, kind=DUP))
    assert "has subsidies claimed by 3 apprenticeships in 2026" in page and "3 lines, CNY 7,500.00" in page
    assert "申领" not in page
    official.post("/locale", data={"locale": "zh_CN", "next": "/supervision/risks"})
    assert "共 3 笔，7,500.00 元" in rows_of(desk(official, kind=DUP))


def test_a_district_specific_daily_limit_applies_to_that_districts_prompts_only(app, ctx, fixed_clock):
    fixed_clock(datetime(2026, 3, 20, 2, tzinfo=UTC))
    huangpu = mf.setup(District.HUANGPU)
    pudong = mf.setup(District.PUDONG, prefix="乙", policies=False)
    af.policy("mentor.daily_hours_limit", "8", since=date(2025, 1, 1), district=District.PUDONG)
    for s in (huangpu, pudong):
        mf.entry(s.assignment, date(2026, 3, 2), "10")  # over Pudong's 8, under the city's 12
    with app.test_request_context("/"):
        [found] = hour_risks.prompts_for(date(2026, 3, 1), kind="mentor_hours_daily")  # the whole city
        assert found.districts == (District.PUDONG,) and found.facts["limit"] == "8"
        assert found.title.endswith("带徒 10 小时") and found.detail == "超过单日 8 小时"
        assert len(hour_risks.prompts_for(date(2026, 3, 1), District.PUDONG, kind="mentor_hours_daily")) == 1
        assert hour_risks.prompts_for(date(2026, 3, 1), District.HUANGPU, kind="mentor_hours_daily") == []
    risks.refresh(["mentor_hours_daily"])
    stored = db.session.execute(sa.select(RiskPromptRow.district, RiskPromptRow.facts)
                                .where(RiskPromptRow.kind == "mentor_hours_daily")).all()
    assert [(d, f["limit"]) for d, f in stored] == [(District.PUDONG, "8")]


def test_a_mentor_over_one_districts_own_cap_is_listed_in_that_district_only(app, ctx, fixed_clock):
    from app.apprenticeships.models import Enrollment, MentorAssignment

    fixed_clock(datetime(2026, 3, 20, 2, tzinfo=UTC))
    s = mf.setup(District.HUANGPU)  # the city's cap: 8
    af.policy("mentor.max_concurrent_apprentices", "1", since=date(2025, 1, 1), district=District.PUDONG)
    for district in (District.PUDONG, District.HUANGPU):  # the mentor's 2nd and 3rd apprentices
        other = af.apprentice(s.cast, f"{district.value}学徒")
        e = Enrollment(person_id=other.id, enterprise_id=s.enrollment.enterprise_id,
                       institution_id=s.enrollment.institution_id, district=district,
                       occupation_code="6-18-01-01", target_level=s.enrollment.target_level,
                       hire_type=s.enrollment.hire_type, contract_starts_on=date(2026, 1, 1),
                       starts_on=date(2026, 1, 1), ends_on=date(2027, 1, 1), status=EnrollmentStatus.IN_TRAINING)
        e.mentors = [MentorAssignment(mentor_id=s.assignment.mentor_id, kind=s.assignment.kind,
                                      organisation_id=s.assignment.organisation_id)]
        db.session.add(e)
    db.session.commit()
    with app.test_request_context("/"):
        [found] = hour_risks.prompts_for(date(2026, 3, 1), kind="mentor_hours_over_cap")
        assert found.districts == (District.PUDONG,) and found.detail == "超过上限 1 人"
        assert hour_risks.prompts_for(date(2026, 3, 1), District.HUANGPU, kind="mentor_hours_over_cap") == []


def test_the_desks_counts_read_one_tally_row_per_kind_however_many_prompts(app, ctx, monkeypatch,
                                                                           fresh_for_an_hour):
    found: list[risks.RiskPrompt] = []
    monkeypatch.setitem(risks.RULES, "test_many", ("测试风险", lambda district: found))
    monkeypatch.setitem(risks.TEXTS, "test_many", lambda facts: (f"提示 {facts['i']}", ""))
    scope = services.Scope(2026, District.PUDONG)

    def counted() -> tuple[dict[str, int], list[str]]:
        with count_queries(app) as statements:
            counts = services.risk_counts(scope, "open")
        return counts, statements

    found[:] = [risks.RiskPrompt("test_many", "k0", {"i": 0}, None, (District.PUDONG,))]
    risks.refresh(["test_many"])
    few, one = counted()
    found[:] = [risks.RiskPrompt("test_many", f"k{i}", {"i": i}, None, (District.PUDONG, District.XUHUI))
                for i in range(300)]
    risks.refresh(["test_many"])
    many, statements = counted()
    assert few["test_many"] == 1 and many["test_many"] == 300
    assert len(statements) == len(one) == 1
    assert "risk_prompt_tallies" in statements[0] and "risk_prompts " not in statements[0] + " "
    # Its plan reads the tallies by their primary key (scope, kind), never the prompts.
    sql = str(sa.select(RiskPromptTally.kind, RiskPromptTally.open, RiskPromptTally.reviewed)
              .where(RiskPromptTally.scope == "pudong").compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(r) for r in db.session.execute(sa.text(
        ("EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN ") + sql)))
    assert "risk_prompts" not in plan.replace("risk_prompt_tallies", "")
    if db.engine.dialect.name == "sqlite":
        assert "USING INDEX" in plan or "USING PRIMARY KEY" in plan
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(RiskPromptTally)
                             .where(RiskPromptTally.kind == "test_many"))
    assert rows == 3  # Pudong, Xuhui, the city


def test_the_tallies_equal_a_recount_after_refreshes_and_reviews(app, ctx, login_as, fresh_for_an_hour):
    three_district_duplicate()
    risks.refresh()
    login_as(factories.municipal_official()).post("/supervision/risks/review", data={
        "kind": DUP, "subject_key": db.session.scalar(sa.select(RiskPromptRow.subject_key)
                                                      .where(RiskPromptRow.kind == DUP).limit(1)), "note": "看过"})
    for district in (District.HUANGPU, District.PUDONG, District.XUHUI, District.JINGAN, None):
        for status in ("open", "reviewed", "all"):
            scope = services.Scope(2026, district)
            page = services.risk_desk(scope, None, status, per_page=500)
            by_kind: dict[str, int] = {}
            for row in page.rows:
                by_kind[row.kind] = by_kind.get(row.kind, 0) + 1
            assert services.risk_counts(scope, status) == by_kind, (district, status)


def test_the_migration_empties_the_old_stored_prompts_so_they_are_found_again(app, ctx, login_as,
                                                                               fresh_for_an_hour):
    from flask_migrate import downgrade, upgrade

    three_district_duplicate()
    db.session.commit()
    downgrade(revision="0021")
    db.session.execute(sa.text(
        "INSERT INTO risk_prompts (kind, subject_key, district, also_district, title, detail, link, found_on, "
        "refreshed_at) VALUES ('duplicate_subsidy', 'subsidy:1:2026', 'huangpu', 'pudong', '旧的标题', '旧的说明', "
        "NULL, NULL, :now)"), {"now": datetime(2026, 12, 1, tzinfo=UTC)})
    db.session.execute(sa.text("INSERT INTO risk_refreshes (kind, refreshed_at, prompts) VALUES "
                               "('duplicate_subsidy', :now, 1)"), {"now": datetime(2099, 1, 1, tzinfo=UTC)})
    db.session.commit()
    upgrade()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskPromptRow)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskRefresh)) == 0
    db.session.commit()
    page = desk(login_as(factories.district_official(District.XUHUI)), kind=DUP)  # found again, in facts
    assert "2026 年有 3 个学徒培训项目申领补贴" in rows_of(page) and "旧的标题" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskPromptRow)) > 0
    db.session.commit()
    downgrade(revision="0021")  # and back, with the new rows in place
    assert db.session.scalar(sa.text("SELECT count(*) FROM risk_prompts")) == 0
    db.session.commit()
    upgrade()
    assert risks.stale_kinds() == list(risks.RULES)
