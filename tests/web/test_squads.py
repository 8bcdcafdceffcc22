"""Selection: a squad from locked results, stage assessments that narrow it, the final pick registered above."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from app.competitions.events.models import CompetitionLevel
from app.competitions.judging import services as judging
from app.competitions.judging.models import Score
from app.competitions.registration.models import Registration, RegistrationStatus
from app.competitions.squads import services as squads
from app.competitions.squads.models import Squad, SquadMemberStatus
from app.core.models import User
from app.core.types import utcnow
from app.errors import DomainError
from app.extensions import db
from tests import competition_factories as cf


def locked_event(n: int = 6, **fields):
    ev, aspects, panel, organiser = cf.judged_event(n=n, aspects=[("A", "M", "100")], experts=1, **fields)
    cf.score_all(ev, aspects, panel, {b: [str(95 - 5 * b)] for b in range(1, n + 1)})
    judging.lock_results(organiser, ev, utcnow())
    return ev, organiser


def test_the_top_five_are_promoted_narrowed_by_stages_and_the_last_one_registered_above(app, ctx, login_as):
    upper = cf.event(cf.competition(level=CompetitionLevel.NATIONAL, name="世赛全国选拔赛"), name="数控车（全国）",
                     starts=date(2027, 6, 1))
    ev, organiser = locked_event(6, feeds_event_id=upper.id, feeds_top_n=5)
    client = login_as(organiser)
    form = client.get(f"/competitions/events/{ev.id}/squads/new?top=5").get_data(as_text=True)
    assert form.count('name="result_id"') == 6 and form.count(" checked") == 5
    top5 = [str(r.id) for r in judging.results(ev)[:5]]
    response = client.post(f"/competitions/events/{ev.id}/squads/new?top=5", data={
        "squad-name": "上海市世赛集训队（数控车）", "squad-tier": "第一梯队", "squad-target_event_id": str(upper.id),
        "squad-final_size": "1", "result_id": top5})
    assert response.status_code == 303
    squad = db.session.scalar(sa.select(Squad))
    assert len(squad.members) == 5

    stage = client.post(f"/competitions/squads/{squad.id}/stages", data={
        "stage-name": "五进二", "stage-held_on": "2027-02-01", "stage-advance_count": "2"})
    assert stage.status_code == 303
    stage_row = squad.stages[0] if squad.stages else db.session.scalar(sa.select(squads.SquadStage))
    members = sorted(squad.members, key=lambda m: m.source_rank)
    scores = {m.id: s for m, s in zip(members, ["70", "88", "91", "60", "55"], strict=True)}
    proposed = client.post(f"/competitions/stages/{stage_row.id}/record",
                           data={"action": "propose", **{f"score-{k}": v for k, v in scores.items()}})
    page = proposed.get_data(as_text=True)
    assert page.count(" checked") == 2 and "五进二 未晋级" in page
    missing_reason = {f"score-{k}": v for k, v in scores.items()} | {
        f"continues-{members[1].id}": "1", f"continues-{members[2].id}": "1", "action": "save"}
    response = client.post(f"/competitions/stages/{stage_row.id}/record", data=missing_reason)
    assert response.status_code == 422 and "离队的原因" in response.get_data(as_text=True)
    reasons = {f"reason-{m.id}": "阶段考核未进前二" for m in (members[0], members[3], members[4])}
    assert client.post(f"/competitions/stages/{stage_row.id}/record",
                       data=missing_reason | reasons).status_code == 303
    db.session.expire_all()
    assert [m.status for m in sorted(squad.members, key=lambda m: m.source_rank)] == [
        SquadMemberStatus.LEFT, SquadMemberStatus.ACTIVE, SquadMemberStatus.ACTIVE, SquadMemberStatus.LEFT,
        SquadMemberStatus.LEFT]

    client.post(f"/competitions/squads/{squad.id}/stages", data={
        "stage-name": "二进一", "stage-held_on": "2027-03-01", "stage-advance_count": "1"})
    final = db.session.scalar(sa.select(squads.SquadStage).where(squads.SquadStage.name == "二进一"))
    data = {"action": "save", f"score-{members[1].id}": "80", f"score-{members[2].id}": "85",
            f"continues-{members[2].id}": "1", f"reason-{members[1].id}": "二进一未晋级"}
    assert client.post(f"/competitions/stages/{final.id}/record", data=data).status_code == 303
    response = client.post(f"/competitions/squads/{squad.id}/finalise")
    assert response.status_code == 303
    registration = db.session.scalar(sa.select(Registration).where(Registration.event_id == upper.id))
    assert registration.person_id == members[2].person_id
    assert registration.status is RegistrationStatus.APPROVED
    page = client.get(f"/competitions/squads/{squad.id}").get_data(as_text=True)
    assert "最终入选" in page and "阶段考核未进前二" in page and "二进一" in page


def test_a_final_pick_who_fails_the_upper_events_rules_is_shown_why_and_not_registered(app, ctx):
    upper = cf.event(cf.competition(level=CompetitionLevel.WORLD, name="世界技能大赛"), name="数控车（世赛）",
                     starts=date(2027, 9, 1), born_on_or_after=date(2030, 1, 1))
    ev, organiser = locked_event(2)
    squad = squads.create_squad(organiser, ev, name="国家集训队", tier="", target_event_id=upper.id, final_size=1,
                                result_ids=squads.top_results(ev, 1))
    outcome = squads.finalise(organiser, squad, utcnow())
    assert outcome.registered == []
    assert "年龄不符" in outcome.not_registered[0][1][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.event_id == upper.id)) == 0


def test_a_squad_needs_locked_results(app, ctx):
    ev, _aspects, _panel, organiser = cf.judged_event(n=2)
    with pytest.raises(DomainError, match="成绩锁定后"):
        squads.create_squad(organiser, ev, name="集训队", tier="", target_event_id=None, final_size=1, result_ids=[1])


def test_a_stage_must_narrow_the_squad(app, ctx):
    ev, organiser = locked_event(3)
    squad = squads.create_squad(organiser, ev, name="集训队", tier="", target_event_id=None, final_size=1,
                                result_ids=squads.top_results(ev, 3))
    with pytest.raises(DomainError, match="晋级人数须少于"):
        squads.add_stage(organiser, squad, name="三进三", held_on=date(2027, 1, 1), advance_count=3)


@pytest.mark.skipif("postgresql" not in __import__("os").environ.get("DATABASE_URL", ""),
                    reason="row locks are a PostgreSQL matter; SQLite serialises writers")
def test_simultaneous_judgement_scores_are_never_lost_and_never_exceed_three(app, ctx):
    ev, aspects, panel, _organiser = cf.judged_event(n=1, experts=4)
    contestant_id = db.session.scalar(sa.select(judging.Contestant.id))
    judgement_id, event_id = aspects[1].id, ev.id
    expert_ids = [e.id for e in panel]
    barrier = threading.Barrier(4, timeout=20)
    outcomes: list[str] = []

    def enter(expert_id: int) -> None:
        with app.app_context():
            expert = db.session.get(User, expert_id)
            event = db.session.get(judging.Event, event_id)
            barrier.wait()
            try:
                judging.save_score(expert, event, contestant_id, judgement_id, "2")
                outcomes.append("saved")
            except DomainError as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=enter, args=(i,)) for i in expert_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    db.session.rollback()
    assert sorted(outcomes) == ["saved", "saved", "saved", "该评分项已有三位专家评分"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Score)) == 3


def test_the_persons_record_keeps_results_medals_and_squad_history(app, ctx, login_as):
    ev, organiser = locked_event(3)
    squad = squads.create_squad(organiser, ev, name="区集训队", tier="第二梯队", target_event_id=None, final_size=1,
                                result_ids=squads.top_results(ev, 2))
    stage = squads.add_stage(organiser, squad, name="二进一", held_on=date(2027, 1, 5), advance_count=1)
    first, second = sorted(squad.members, key=lambda m: m.source_rank)
    squads.record_stage(organiser, stage, [squads.StageEntry(first.id, "70", False, "考核成绩靠后"),
                                           squads.StageEntry(second.id, "90", True)], utcnow())
    from tests import factories

    page = login_as(factories.municipal_official()).get(f"/people/{first.person_id}").get_data(as_text=True)
    assert "技能竞赛与集训" in page and "金牌" in page and "区集训队" in page
    assert "二进一 70.00 离队" in page and "考核成绩靠后" in page
