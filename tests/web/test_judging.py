"""Judging through the web: marking schemes, experts and conflicts, score entry, locking, results, qualification."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import sqlalchemy as sa
from openpyxl import load_workbook

from app.competitions.events.models import AwardRuleKind, JudgingState
from app.competitions.judging import services as judging
from app.competitions.judging.imports import HEADERS
from app.competitions.judging.models import Contestant, MedalKind, Result, Score
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.enums import Role
from app.core.models import AuditEntry
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories

DESCRIPTORS = ["差", "合格", "良好", "优秀"]


def scheme_file(rows: list[list[object]]) -> bytes:
    return factories.xlsx(HEADERS, rows)


GOOD_ROWS = [
    ["A", "工艺准备", "A1", "图纸", "读图正确", "M", 30, "全对得满分", "", "", "", ""],
    ["A", "工艺准备", "A2", "工艺", "工艺合理性", "J", 20, "", *DESCRIPTORS],
    ["B", "零件加工", "B1", "尺寸", "尺寸精度", "M", 50, "超差不得分", "", "", "", ""],
]


def organiser_for(ev):
    return factories.user(ev.competition.organiser, Role.ORGANIZER)


def bib_of(ev, person_name: str) -> Contestant:
    return db.session.scalar(sa.select(Contestant).where(Contestant.event_id == ev.id,
                                                         Contestant.name == person_name))


def test_an_organiser_imports_a_marking_scheme_that_adds_up_to_100(app, ctx, login_as):
    ev = cf.event()
    client = login_as(organiser_for(ev))
    response = client.post(f"/competitions/events/{ev.id}/scheme",
                           data={"scheme-file": (BytesIO(scheme_file(GOOD_ROWS)), "scheme.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    page = client.get(f"/competitions/events/{ev.id}/judging").get_data(as_text=True)
    assert "工艺合理性" in page and "优秀" in page and 'id="scheme-total">100' in page
    exported = load_workbook(BytesIO(client.get(f"/competitions/events/{ev.id}/scheme.xlsx").data)).active
    assert [c.value for c in exported[3]][:7] == ["A", "工艺准备", "A2", "工艺", "工艺合理性", "J", 20]


def test_a_scheme_that_does_not_add_up_to_100_is_refused_whole(app, ctx, login_as):
    ev = cf.event()
    client = login_as(organiser_for(ev))
    rows = [r[:] for r in GOOD_ROWS]
    rows[2][6] = 45
    response = client.post(f"/competitions/events/{ev.id}/scheme",
                           data={"scheme-file": (BytesIO(scheme_file(rows)), "scheme.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "合计须为 100 分，现为 95 分" in response.get_data(as_text=True)
    assert judging.scheme(ev) == []


def test_bad_scheme_rows_are_reported_and_nothing_is_imported(app, ctx, login_as):
    ev = cf.event()
    client = login_as(organiser_for(ev))
    rows = [r[:] for r in GOOD_ROWS]
    rows[1][5] = "X"
    rows[0][8:] = ["", "", "", ""]
    rows.append(["B", "零件加工", "B2", "", "表面", "J", 0, "", "差", "", "", ""])
    response = client.post(f"/competitions/events/{ev.id}/scheme",
                           data={"scheme-file": (BytesIO(scheme_file(rows)), "scheme.xlsx")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "类型须为 M（测量）或 J（评价）" in page
    assert "分值须为大于 0、不超过 100 的数" in page and "评价类评分项须填写 0–3 分的全部描述" in page
    assert judging.scheme(ev) == []


def test_an_expert_from_an_entrants_unit_is_flagged_and_cannot_mark_that_entrant(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=3)
    entrant = bib_of(ev, "选手1")
    colleague = cf.expert(ev, organisation=entrant.unit, name="同单位专家")
    desk = login_as(organiser).get(f"/competitions/events/{ev.id}/judging").get_data(as_text=True)
    assert "本单位选手 1 人，回避" in desk
    client = login_as(colleague)
    sheet = client.get(f"/competitions/events/{ev.id}/score?aspect=1").get_data(as_text=True)
    assert "选手2" in sheet and "选手1" not in sheet
    response = client.post(f"/competitions/events/{ev.id}/score",
                           data={"contestant_id": entrant.id, "aspect_id": aspects[0].id, "value": "10"})
    assert response.status_code == 422
    assert "回避" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Score)) == 0


def test_an_expert_saves_a_judgement_score_with_htmx_and_sees_progress(app, ctx, login_as):
    ev, aspects, panel, _org = cf.judged_event(n=2)
    client = login_as(panel[0])
    contestant = bib_of(ev, "选手1")
    response = client.post(f"/competitions/events/{ev.id}/score", headers={"HX-Request": "true"},
                           data={"contestant_id": contestant.id, "aspect_id": aspects[1].id, "value": "2"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已保存" in page and 'aria-pressed="true">2<' in page
    assert "已评 1 / 6" in page and 'hx-swap-oob="true"' in page


def test_judgement_scores_must_be_0_to_3_and_measurements_within_the_maximum(app, ctx, login_as):
    ev, aspects, panel, _org = cf.judged_event(n=1)
    client = login_as(panel[0])
    contestant = bib_of(ev, "选手1")
    bad = [(aspects[1].id, "4", "评价分只能是 0、1、2、3"), (aspects[1].id, "1.5", "评价分只能是 0、1、2、3"),
           (aspects[0].id, "41", "测量分须在 0 到 40 之间"), (aspects[0].id, "abc", "请输入数字")]
    for aspect_id, value, message in bad:
        response = client.post(f"/competitions/events/{ev.id}/score",
                               data={"contestant_id": contestant.id, "aspect_id": aspect_id, "value": value})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_a_fourth_expert_cannot_add_a_judgement_score(app, ctx):
    ev, aspects, panel, _org = cf.judged_event(n=1, experts=4)
    contestant = bib_of(ev, "选手1")
    for expert in panel[:3]:
        judging.save_score(expert, ev, contestant.id, aspects[1].id, "2")
    try:
        judging.save_score(panel[3], ev, contestant.id, aspects[1].id, "2")
    except judging.DomainError as exc:
        assert "已有三位专家评分" in exc.message
    else:
        raise AssertionError("a fourth judgement score was accepted")


def test_a_disagreement_is_flagged_and_blocks_locking_until_rediscussed(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=2)
    cf.score_all(ev, aspects, panel, {1: ["30", "2", "35"], 2: ["20", "2", "30"]})
    contestant = bib_of(ev, "选手1") if bib_of(ev, "选手1").bib == 1 else bib_of(ev, "选手2")
    judging.save_score(panel[0], ev, contestant.id, aspects[1].id, "0")  # 0, 2, 2: more than 1 apart
    client = login_as(organiser)
    preview = client.get(f"/competitions/events/{ev.id}/results").get_data(as_text=True)
    assert "须重新合议的评分" in preview
    response = client.post(f"/competitions/events/{ev.id}/results/lock")
    assert response.status_code == 422
    assert "须重新合议后再锁定" in response.get_data(as_text=True)
    judging.save_score(panel[0], ev, contestant.id, aspects[1].id, "1")  # re-discussed: 1, 2, 2
    assert client.post(f"/competitions/events/{ev.id}/results/lock").status_code == 303
    db.session.refresh(ev)
    assert ev.judging_state is JudgingState.LOCKED


def test_locking_is_refused_while_scores_are_missing(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=2)
    cf.score_all(ev, aspects, panel, {1: ["30", "2", "35"]})
    response = login_as(organiser).post(f"/competitions/events/{ev.id}/results/lock")
    assert response.status_code == 422
    assert "还有 3 项评分未完成" in response.get_data(as_text=True)


def test_locked_results_show_totals_ranks_medals_and_criteria(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=6)
    marks = {1: ["40", "3", "40"], 2: ["38", "3", "40"], 3: ["35", "2", "39"], 4: ["30", "2", "30"],
             5: ["20", "1", "20"], 6: ["10", "0", "10"]}
    cf.score_all(ev, aspects, panel, marks)
    judging.lock_results(organiser, ev, utcnow())
    client = login_as(factories.user(factories.org(), Role.ENTERPRISE_HR))  # public once locked
    page = client.get(f"/competitions/events/{ev.id}/results").get_data(as_text=True)
    assert "100.00" in page and "98.00" in page
    rows = {r.contestant.bib: r for r in judging.results(ev)}
    assert rows[1].total == Decimal("100") and rows[1].medal is MedalKind.GOLD
    assert rows[2].total == Decimal("98") and rows[2].medal is MedalKind.SILVER
    assert rows[3].medal is MedalKind.BRONZE and rows[4].medal is None  # top half of 6 is 3: no 优胜奖 left
    assert rows[3].breakdown == {"A": "48.3333", "B": "39.0000"}
    assert "金牌" in page and "48.33" in page


def test_national_rule_tie_in_medal_places_needs_a_tie_break(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=4)
    cf.score_all(ev, aspects, panel, {1: ["40", "3", "40"], 2: ["30", "3", "40"], 3: ["40", "3", "30"],
                                      4: ["10", "0", "10"]})
    client = login_as(organiser)
    response = client.post(f"/competitions/events/{ev.id}/results/lock")
    assert response.status_code == 422 and "无法区分的并列" in response.get_data(as_text=True)
    settings = {"settings-award_rule": "national", "settings-tie_break": "criterion:b", "settings-medal_margin": "0",
                "settings-share_gold": "0.1", "settings-share_silver": "0.2", "settings-share_bronze": "0.3",
                "settings-share_merit": "0"}
    assert client.post(f"/competitions/events/{ev.id}/judging/settings", data=settings).status_code == 303
    assert client.post(f"/competitions/events/{ev.id}/results/lock").status_code == 303
    rows = {r.contestant.bib: r for r in judging.results(ev)}
    assert rows[2].medal is MedalKind.SILVER and rows[3].medal is MedalKind.BRONZE  # B 40 beats B 30


def test_an_unknown_tie_break_is_refused_next_to_the_field(app, ctx, login_as):
    ev, _aspects, _panel, organiser = cf.judged_event(n=1)
    settings = {"settings-award_rule": "share", "settings-tie_break": "criterion:Z", "settings-medal_margin": "0",
                "settings-share_gold": "0.5", "settings-share_silver": "0.4", "settings-share_bronze": "0.3",
                "settings-share_merit": "0"}
    response = login_as(organiser).post(f"/competitions/events/{ev.id}/judging/settings", data=settings)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "无法识别的决胜项：criterion:Z" in page
    settings["settings-tie_break"] = "time"
    response = login_as(organiser).post(f"/competitions/events/{ev.id}/judging/settings", data=settings)
    assert response.status_code == 422 and "各奖项比例之和不能超过 100%" in response.get_data(as_text=True)


def test_worldskills_rule_shows_scale_scores_and_medallions(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=5, award_rule=AwardRuleKind.WORLDSKILLS,
                                                    aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"], 3: ["70"], 4: ["69"], 5: ["40"]})
    judging.lock_results(organiser, ev, utcnow())
    rows = {r.contestant.bib: r for r in judging.results(ev)}
    assert rows[3].scale_score == 700  # the median
    assert rows[4].medal is None and rows[4].scale_score < 700
    page = login_as(organiser).get(f"/competitions/events/{ev.id}/results").get_data(as_text=True)
    assert "世赛分" in page and ">700<" in page


def test_a_stale_score_form_cannot_change_locked_results(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=1)
    cf.score_all(ev, aspects, panel, {1: ["30", "2", "35"]})
    client = login_as(panel[0])
    client.get(f"/competitions/events/{ev.id}/score?aspect=1")  # the form is open on the tablet
    judging.lock_results(organiser, ev, utcnow())
    contestant = bib_of(ev, "选手1")
    response = client.post(f"/competitions/events/{ev.id}/score",
                           data={"contestant_id": contestant.id, "aspect_id": aspects[0].id, "value": "40"})
    assert response.status_code == 422
    assert "成绩已锁定" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Result.total)) == Decimal("78.3333")  # 30 + 20 × 2 ÷ 3 + 35


def test_only_an_official_unlocks_results_with_a_reason_and_it_is_audited(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=1)
    cf.score_all(ev, aspects, panel, {1: ["30", "2", "35"]})
    judging.lock_results(organiser, ev, utcnow())
    assert login_as(organiser).post(f"/competitions/events/{ev.id}/results/unlock",
                                    data={"unlock-reason": "录入错误"}).status_code == 403
    official = login_as(factories.municipal_official())
    response = official.post(f"/competitions/events/{ev.id}/results/unlock", data={"unlock-reason": ""})
    assert response.status_code == 422 and "请填写解锁原因" in response.get_data(as_text=True)
    assert official.post(f"/competitions/events/{ev.id}/results/unlock",
                         data={"unlock-reason": "B1 尺寸录入错误"}).status_code == 303
    db.session.refresh(ev)
    assert ev.judging_state is JudgingState.SCORING
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "unlock_results"))
    assert entry.after["reason"] == "B1 尺寸录入错误"
    public = login_as(factories.user(factories.org(), Role.ENTERPRISE_HR))
    assert public.get(f"/competitions/events/{ev.id}/results").status_code == 403  # withdrawn from view
    contestant = bib_of(ev, "选手1")
    judging.save_score(panel[0], ev, contestant.id, aspects[2].id, "40")  # the correction
    judging.lock_results(organiser, ev, utcnow())
    assert db.session.scalar(sa.select(Result.total)) == Decimal("83.3333")  # the same row, updated


def test_results_page_queries_do_not_grow_with_the_field(app, ctx, login_as):
    counts = []
    for n in (3, 12):
        ev, aspects, panel, organiser = cf.judged_event(n=n, aspects=[("A", "M", "100")], experts=1)
        cf.score_all(ev, aspects, panel, {b: [str(100 - b)] for b in range(1, n + 1)})
        judging.lock_results(organiser, ev, utcnow())
        client = login_as(organiser)
        client.get(f"/competitions/events/{ev.id}/results")
        from tests.conftest import count_queries

        with count_queries(app) as statements:
            assert client.get(f"/competitions/events/{ev.id}/results").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_results_export_and_public_notice_list_the_medallists(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=4, aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"], 3: ["70"], 4: ["60"]})
    judging.lock_results(organiser, ev, utcnow())
    client = login_as(organiser)
    sheet = load_workbook(BytesIO(client.get(f"/competitions/events/{ev.id}/results.xlsx").data)).active
    assert [c.value for c in sheet[2]][:5] == [1, 1, bib_of(ev, sheet[2][2].value).name, sheet[2][3].value, 90]
    notice = client.get(f"/competitions/events/{ev.id}/results/notice").get_data(as_text=True)
    assert "获奖名单公示" in notice and notice.count("<tr>") == 4  # header + gold, silver, bronze


def test_top_n_of_a_qualifier_event_are_confirmed_into_the_upper_event(app, ctx, login_as):
    from app.competitions.events.models import CompetitionLevel

    upper_comp = cf.competition(level=CompetitionLevel.NATIONAL, name="全国大赛")
    upper = cf.event(upper_comp, name="数控车（全国）", starts=__import__("datetime").date(2027, 6, 1))
    ev, aspects, panel, organiser = cf.judged_event(n=4, aspects=[("A", "M", "100")], experts=1,
                                                    feeds_event_id=upper.id, feeds_top_n=2)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"], 3: ["70"], 4: ["60"]})
    judging.lock_results(organiser, ev, utcnow())
    upper_organiser = factories.user(upper_comp.organiser, Role.ORGANIZER)
    client = login_as(upper_organiser)
    page = client.get(f"/competitions/events/{upper.id}/qualifiers").get_data(as_text=True)
    top = [r.contestant for r in judging.results(ev)[:2]]
    assert all(c.name in page for c in top)
    assert judging.results(ev)[2].contestant.name not in page
    ids = [str(c.members[0].person_id) for c in top]
    assert client.post(f"/competitions/events/{upper.id}/qualifiers", data={"person_id": ids}).status_code == 303
    registered = db.session.scalars(sa.select(Registration).where(Registration.event_id == upper.id)).all()
    assert {r.person_id for r in registered} == {int(i) for i in ids}
    assert all(r.status is RegistrationStatus.APPROVED for r in registered)
    assert "已报名" in client.get(f"/competitions/events/{upper.id}/qualifiers").get_data(as_text=True)


def test_the_rounding_of_the_top_half_is_part_of_the_rule_and_stated_on_judging_results_and_notice(app, ctx,
                                                                                                  login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=5)
    cf.score_all(ev, aspects, panel, {1: ["40", "3", "40"], 2: ["30", "3", "40"], 3: ["20", "3", "30"],
                                      4: ["10", "2", "10"], 5: ["5", "0", "5"]})
    client = login_as(organiser)
    settings = {"settings-award_rule": "national", "settings-tie_break": "", "settings-medal_margin": "0",
                "settings-share_gold": "0.1", "settings-share_silver": "0.2", "settings-share_bronze": "0.3",
                "settings-share_merit": "0", "settings-merit_rounding": "up"}
    assert client.post(f"/competitions/events/{ev.id}/judging/settings", data=settings).status_code == 303
    assert "一半向上取整（如 7 人时前 4 名）" in client.get(f"/competitions/events/{ev.id}/judging").get_data(
        as_text=True)
    assert client.post(f"/competitions/events/{ev.id}/results/lock").status_code == 303
    assert judging.results(ev)[2].medal is MedalKind.BRONZE  # 5 entrants: half rounded up is 3 — the medals
    for url in (f"/competitions/events/{ev.id}/results", f"/competitions/events/{ev.id}/results/notice"):
        page = client.get(url).get_data(as_text=True)
        assert "排名在前一半的其余选手获优胜奖，参赛人数为奇数时一半向上取整" in page, url
        assert "并列：总分相同按决胜顺序区分" in page


def test_the_worldskills_tie_rule_is_stated(app, ctx, login_as):
    ev, _aspects, _panel, organiser = cf.judged_event(n=2, award_rule=AwardRuleKind.WORLDSKILLS)
    page = login_as(organiser).get(f"/competitions/events/{ev.id}/judging").get_data(as_text=True)
    assert "全部选手成绩相同时全部为第 1 名、均获金牌" in page
