"""The stored risk prompts (risk_prompts): the desk pages through the table and finds the prompts again only
when they are older than RISK_PROMPTS_MAX_AGE_SECONDS; the scheduler's job and `flask risks refresh` bring the
table to exactly what the rules find; a review outlives its prompt's absence; a district sees its own."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.core import risks
from app.core.enums import District
from app.core.models import RiskPromptRow, RiskRefresh, RiskReview
from app.extensions import db
from tests import factories
from tests.conftest import count_queries

KIND = "test_rule"


class FakeRule:
    """A registered rule whose findings the test sets, counting its runs (or failing, when told)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, District | None]] = []
        self.calls = 0
        self.fail = False

    def __call__(self, district: District | None) -> list[risks.RiskPrompt]:
        self.calls += 1
        if self.fail:
            raise AssertionError("the rule ran although the stored prompts are fresh")
        return [risks.RiskPrompt(KIND, key, {"key": key}, f"/x/{key}", (where,) if where else (), date(2026, 11, 1))
                for key, where in self.found if district is None or where == district]


def fake_text(facts):  # noqa: ANN001, ANN201
    return f"提示 {facts['key']}", f"说明 {facts['key']}"


@pytest.fixture()
def rule(app, monkeypatch):  # noqa: ANN001, ANN201
    fake = FakeRule()
    monkeypatch.setitem(risks.RULES, KIND, ("测试风险", fake))
    monkeypatch.setitem(risks.TEXTS, KIND, fake_text)
    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)
    return fake


def stored() -> dict[str, District | None]:
    return dict(db.session.execute(sa.select(RiskPromptRow.subject_key, RiskPromptRow.district)
                                   .where(RiskPromptRow.kind == KIND)).all())  # (one district each here)


def test_the_desk_serves_stored_prompts_without_running_the_rules_while_fresh(app, ctx, login_as, rule):
    rule.found = [("a", District.PUDONG)]
    client = login_as(factories.municipal_official())
    assert "提示 a" in client.get("/supervision/risks").get_data(as_text=True)  # never refreshed: found now
    assert rule.calls == 1
    rule.fail = True
    rule.found = [("a", District.PUDONG), ("b", District.PUDONG)]
    page = client.get("/supervision/risks").get_data(as_text=True)
    assert "提示 a" in page and "提示 b" not in page  # the stored prompts, the rule not run
    assert "更新于" in page
    rule.fail = False
    app.config["RISK_PROMPTS_MAX_AGE_SECONDS"] = 0  # stale: found again before the view
    assert "提示 b" in client.get("/supervision/risks").get_data(as_text=True)


def test_the_refresh_command_and_the_scheduler_job_pick_up_new_and_vanished_prompts(app, ctx, rule):
    from app.reminders.scheduler import build_scheduler

    rule.found = [("a", District.PUDONG), ("b", District.XUHUI)]
    result = app.test_cli_runner().invoke(args=["risks", "refresh", "--kind", KIND])
    assert f"{KIND}: +2 ~0 -0" in result.output
    assert stored() == {"a": District.PUDONG, "b": District.XUHUI}
    rule.found = [("b", District.HUANGPU), ("c", None)]  # a vanished, b changed, c new

    class Acting:
        def acting(self) -> bool:
            return True

    db.session.remove()
    risks.refresh()  # what the scheduler's job runs (in a child process: see tests/web/test_reminder_scheduler.py)
    assert stored() == {"b": District.HUANGPU, "c": None}
    assert db.session.get(RiskRefresh, KIND).prompts == 2
    scheduler = build_scheduler(app, Acting())
    job = scheduler.get_job("risks.refresh")
    assert job.trigger.interval.total_seconds() == 1200  # a third of the max age
    assert app.test_cli_runner().invoke(args=["risks", "refresh", "--kind", "nope"]).exit_code != 0


def test_a_review_outlives_its_prompt_vanishing_and_coming_back(app, ctx, login_as, rule):
    rule.found = [("a", District.PUDONG)]
    client = login_as(factories.district_official(District.PUDONG))
    done = client.post("/supervision/risks/review", data={"kind": KIND, "subject_key": "a", "note": "已核实"})
    assert done.status_code == 303
    rule.found = []
    risks.refresh([KIND])
    assert stored() == {}
    gone = client.post("/supervision/risks/review", data={"kind": KIND, "subject_key": "a", "note": "再次"})
    assert gone.status_code == 422 and "已不存在" in gone.get_data(as_text=True)
    rule.found = [("a", District.PUDONG)]
    risks.refresh([KIND])
    assert "提示 a" not in client.get("/supervision/risks").get_data(as_text=True)  # not open: reviewed
    reviewed = client.get("/supervision/risks?status=reviewed").get_data(as_text=True)
    assert "提示 a" in reviewed and "已核实" in reviewed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskReview)) == 1


def test_a_district_sees_and_reviews_only_its_stored_prompts_and_counts_are_per_kind(app, ctx, login_as, rule):
    rule.found = [("p1", District.PUDONG), ("p2", District.PUDONG), ("x1", District.XUHUI)]
    risks.refresh([KIND])
    rule.fail = True
    pudong = login_as(factories.district_official(District.PUDONG))
    page = pudong.get("/supervision/risks?district=xuhui").get_data(as_text=True)  # fixed to their own
    assert "提示 p1" in page and "提示 p2" in page and "提示 x1" not in page
    assert "测试风险 (2)" in page and "共 2 条" in page
    refused = pudong.post("/supervision/risks/review", data={"kind": KIND, "subject_key": "x1", "note": "越权"})
    assert refused.status_code == 422 and "不在您的范围内" in refused.get_data(as_text=True)
    city = login_as(factories.municipal_official()).get("/supervision/risks").get_data(as_text=True)
    assert "测试风险 (3)" in city and "提示 x1" in city
    xuhui_only = login_as(factories.municipal_official()).get(
        f"/supervision/risks?district=xuhui&kind={KIND}").get_data(as_text=True)
    assert "提示 x1" in xuhui_only and "提示 p1" not in xuhui_only


def test_the_desk_pages_by_keyset_and_its_queries_do_not_grow_with_rows(app, ctx, login_as, rule, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    client = login_as(factories.municipal_official())

    def queries() -> int:
        with count_queries(app) as statements:
            assert client.get("/supervision/risks").status_code == 200
        return len(statements)

    rule.found = [("k0", District.PUDONG)]
    risks.refresh()  # every kind: fresh for the hour
    rule.fail = True
    few = queries()
    rule.fail = False
    rule.found = [(f"k{i}", District.PUDONG) for i in range(7)]
    risks.refresh([KIND])
    rule.fail = True
    assert queries() == few
    first = client.get("/supervision/risks").get_data(as_text=True)
    assert "提示 k6" in first and "提示 k5" in first and "提示 k4" not in first and "下一页" in first
    after = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(after).get_data(as_text=True)
    assert "提示 k4" in second and "提示 k3" in second and "提示 k5" not in second and "回到第一页" in second


def test_a_stored_prompt_spanning_two_districts_is_on_both_desks_and_no_other(app, ctx, login_as, monkeypatch):
    from app.apprenticeships.enums import EnrollmentStatus
    from app.supervision import risk_rules
    from tests.web.test_supervision_dashboards import enrollment_row
    from tests.web.test_supervision_risks import line, second_enrollment

    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)
    first = enrollment_row(District.HUANGPU, date(2026, 1, 1), EnrollmentStatus.COMPLETED, ends=date(2027, 1, 1))
    second = second_enrollment(first, District.PUDONG, date(2026, 6, 1), date(2027, 6, 1))
    line(first, 2026)
    line(second, 2026)
    risks.refresh()
    for kind in (risk_rules.OVERLAPPING_ENROLLMENTS, risk_rules.DUPLICATE_SUBSIDY):
        rows = db.session.execute(sa.select(RiskPromptRow.district, RiskPromptRow.lead)
                                  .where(RiskPromptRow.kind == kind)).all()
        assert sorted(rows) == [(District.HUANGPU, True), (District.PUDONG, False)]  # one lead: the city lists one
    for district in (District.HUANGPU, District.PUDONG):
        page = login_as(factories.district_official(district)).get("/supervision/risks").get_data(as_text=True)
        assert "同时在两个学徒培训项目中" in page and "申领补贴" in page and "共 2 条" in page
    xuhui = login_as(factories.district_official(District.XUHUI))
    assert "没有风险提示" in xuhui.get("/supervision/risks").get_data(as_text=True)
    pudong = login_as(factories.district_official(District.PUDONG))
    done = pudong.post("/supervision/risks/review", data={
        "kind": risk_rules.OVERLAPPING_ENROLLMENTS, "subject_key": f"overlap:{first.id}:{second.id}", "note": "核实"})
    assert done.status_code == 303


def test_the_weekly_summary_counts_the_stored_prompts_and_never_runs_the_rules(app, ctx, rule):
    """The summary is composed in the scheduler's tick, which must never wait for the rules: it counts what is
    stored, however old (the scheduler's refresh process keeps it fresh)."""
    from app.supervision.reminders import summary_text

    rule.found = [("p1", District.PUDONG), ("p2", District.PUDONG), ("x1", District.XUHUI)]
    risks.refresh()
    rule.fail = True
    assert "待核查风险 2 条（测试风险 2）" in summary_text(District.PUDONG, 2026)
    app.config["RISK_PROMPTS_MAX_AGE_SECONDS"] = 0  # stale: still not found again in the tick
    assert "待核查风险 2 条（测试风险 2）" in summary_text(District.PUDONG, 2026)
    assert rule.calls == 1
