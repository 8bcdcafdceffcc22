"""The risk desk: prompts from every area in one list, marked reviewed with a note (audited)."""

from __future__ import annotations

import sqlalchemy as sa

from app.competitions.awards import services as awards
from app.competitions.judging import services as judging
from app.core.enums import District
from app.core.models import AuditEntry, RiskReview
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories


def awards_then_unlock():
    ev, aspects, panel, organiser = cf.judged_event(n=2, aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"]})
    judging.lock_results(organiser, ev, utcnow())
    cf.award_rule(band="gold", competitor_amount="10000", name="市赛金牌")
    official = factories.municipal_official()
    awards.generate(official, ev)
    return ev, official


def test_awards_for_an_unlocked_result_become_a_risk_prompt_until_reviewed(app, ctx, login_as):
    ev, official = awards_then_unlock()
    client = login_as(official)
    assert "没有风险提示" in client.get("/supervision/risks").get_data(as_text=True)
    judging.unlock_results(official, ev, "复核成绩", utcnow())
    page = client.get("/supervision/risks").get_data(as_text=True)
    assert "成绩已解锁，但已生成 1 条奖励" in page and "10,000.00" in page
    subject = f"event:{ev.id}:xuhui"
    missing = client.post("/supervision/risks/review",
                          data={"kind": "award_unlocked_result", "subject_key": subject, "note": ""})
    assert missing.status_code == 422 and "请填写核查说明" in missing.get_data(as_text=True)
    done = client.post("/supervision/risks/review", data={"kind": "award_unlocked_result", "subject_key": subject,
                                                          "note": "成绩更正后奖励不变"})
    assert done.status_code == 303
    assert "没有风险提示" in client.get("/supervision/risks").get_data(as_text=True)
    reviewed = client.get("/supervision/risks?status=reviewed").get_data(as_text=True)
    assert "成绩更正后奖励不变" in reviewed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "review_risk")) == 1
    assert db.session.scalar(sa.select(RiskReview.note)) == "成绩更正后奖励不变"


def test_a_district_official_sees_only_prompts_of_their_district(app, ctx, login_as):
    ev, official = awards_then_unlock()  # the entrants' units are in Xuhui
    judging.unlock_results(official, ev, "复核成绩", utcnow())
    pudong = login_as(factories.district_official(District.PUDONG))
    xuhui = login_as(factories.district_official(District.XUHUI))
    assert "没有风险提示" in pudong.get("/supervision/risks").get_data(as_text=True)
    assert "成绩已解锁" in xuhui.get("/supervision/risks").get_data(as_text=True)
    refused = pudong.post("/supervision/risks/review", data={
        "kind": "award_unlocked_result", "subject_key": f"event:{ev.id}:xuhui", "note": "越权"})
    assert refused.status_code == 422 and "不在您的范围内" in refused.get_data(as_text=True)
