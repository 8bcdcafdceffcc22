"""我的待办 of district and municipal officials (issue 22): 公示 ending (award notices whose 公示期 ends within a few
working days or has ended, awaiting approval) and risk prompts to review. Each count is the number of rows of
the list it links to, and costs one query however much there is."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.competitions.awards import due
from app.competitions.awards import services as awards
from app.competitions.awards.models import AwardLine, AwardLineStatus, AwardNotice
from app.core import risks
from app.core.enums import District
from app.core.todos import PROVIDERS
from app.extensions import db
from tests import factories
from tests.conftest import count_queries
from tests.web.test_awards import locked, standard_rules
from tests.web.test_todos import only, todo_items

#: Monday 2026-11-23, 09:00 in Shanghai: two working days ahead is Wednesday 2026-11-25.
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
ENDING = "公示即将期满或已期满待批准"
RISKS = "待核查的风险提示"
KIND = "test_todo_rule"


@pytest.fixture()
def now(app, ctx, fixed_clock):  # noqa: ANN001, ANN201
    fixed_clock(NOW)


def notices(event, ends: list[tuple[date, AwardLineStatus]]) -> list[AwardNotice]:  # noqa: ANN001
    """Notices of the event ending on the given days, each with one generated line in the given status."""
    lines = list(db.session.scalars(sa.select(AwardLine).where(AwardLine.event_id == event.id)
                                    .order_by(AwardLine.id)))
    made = []
    for (ends_on, status), line in zip(ends, lines, strict=False):
        notice = AwardNotice(event_id=event.id, title=f"公示至{ends_on.isoformat()}", starts_on=date(2026, 11, 16),
                             ends_on=ends_on)
        db.session.add(notice)
        db.session.flush()
        line.notice_id, line.status = notice.id, status
        made.append(notice)
    db.session.commit()
    return made


def rows(page: str, table: str) -> int:
    body = page.split(f'id="{table}"')[1].split("</tbody>")[0]
    return body.count("<tr><td>")


def test_notices_ending_within_two_working_days_or_ended_awaiting_approval_are_an_officials_to_do(now, login_as):
    ev = locked()
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    notices(ev, [(date(2026, 11, 20), AwardLineStatus.NOTICE),      # ended, awaiting approval: due
                 (date(2026, 11, 25), AwardLineStatus.NOTICE),      # ends in two working days: due
                 (date(2026, 11, 26), AwardLineStatus.NOTICE),      # three: not yet
                 (date(2026, 11, 19), AwardLineStatus.APPROVED)])   # ended and approved: done
    assert due.horizon(TODAY) == date(2026, 11, 25)
    web = login_as(official)
    _label, count, link, detail = only(todo_items(web.get("/").get_data(as_text=True)), ENDING)
    assert count == 2 and link == "/competitions/awards/notices/due" and "2 个工作日内" in detail
    page = web.get(link).get_data(as_text=True)
    assert rows(page, "notices-due") == count
    assert "公示至2026-11-20" in page and "公示至2026-11-25" in page and "公示至2026-11-26" not in page
    assert "已期满" in page and f"/competitions/events/{ev.id}/awards" in page
    # A district bureau decides only the awards of competitions it organised: none of these.
    district = login_as(factories.district_official(District.PUDONG))
    assert ENDING not in district.get("/").get_data(as_text=True)
    assert "没有即将期满的公示" in district.get(link).get_data(as_text=True)


def test_risk_prompts_to_review_count_the_open_prompts_the_desk_lists(now, app, login_as, monkeypatch):
    found: list[risks.RiskPrompt] = []
    monkeypatch.setitem(risks.RULES, KIND, ("测试风险", lambda district: found))
    monkeypatch.setitem(risks.TEXTS, KIND, lambda facts: (f"提示 {facts['i']}", ""))
    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 100)
    found[:] = [risks.RiskPrompt(KIND, f"k{i}", {"i": i}, None, districts)
                for i, districts in enumerate([(District.PUDONG,), (District.PUDONG, District.XUHUI),
                                               (District.XUHUI,), (District.JINGAN, District.PUDONG)])]
    risks.refresh()
    pudong = login_as(factories.district_official(District.PUDONG))
    _label, count, link, _detail = only(todo_items(pudong.get("/").get_data(as_text=True)), RISKS)
    assert link == "/supervision/risks?status=open&district=pudong"
    assert count == 3 == rows(pudong.get(link).get_data(as_text=True), "risk-desk")
    done = pudong.post("/supervision/risks/review", data={"kind": KIND, "subject_key": "k1", "note": "已核实"})
    assert done.status_code == 303
    _label, count, link, _detail = only(todo_items(pudong.get("/").get_data(as_text=True)), RISKS)
    assert count == 2 == rows(pudong.get(link).get_data(as_text=True), "risk-desk")
    city = login_as(factories.municipal_official())
    _label, count, link, _detail = only(todo_items(city.get("/").get_data(as_text=True)), RISKS)
    assert link == "/supervision/risks?status=open"
    assert count == 3 == rows(city.get(link).get_data(as_text=True), "risk-desk")  # k0, k2, k3 (k1 reviewed)


def test_each_officials_to_do_costs_one_query_however_much_there_is(now, app, monkeypatch):
    found: list[risks.RiskPrompt] = []
    monkeypatch.setitem(risks.RULES, KIND, ("测试风险", lambda district: found))
    ev = locked()
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    db.session.refresh(official)
    _ = official.roles, official.organisation

    def queries(key: str) -> int:
        with app.test_request_context("/"), count_queries(app) as statements:
            list(PROVIDERS[key].build(official, TODAY))
        return len(statements)

    few = {key: queries(key) for key in ("awards.notices_ending", "supervision.risks")}
    notices(ev, [(date(2026, 11, 20), AwardLineStatus.NOTICE)] * 5)
    found[:] = [risks.RiskPrompt(KIND, f"k{i}", {"i": i}, None, (District.PUDONG,)) for i in range(200)]
    risks.refresh([KIND])
    db.session.expire_all()
    _ = official.roles, official.organisation
    many = {key: queries(key) for key in few}
    assert few == many == {"awards.notices_ending": 1, "supervision.risks": 1}
