"""Judging, selection and award deadlines remind the people who still have to act, and stop when done."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.competitions.awards import reminders as award_reminders
from app.competitions.awards import services as awards
from app.competitions.awards.models import AwardLine
from app.competitions.judging import reminders as judging_reminders
from app.competitions.judging import services as judging
from app.competitions.squads import reminders as squad_reminders
from app.competitions.squads import services as squads
from app.core.types import utcnow
from app.extensions import db
from app.reminders.models import Reminder, ReminderStatus
from tests import certificate_factories as certf
from tests import competition_factories as cf
from tests import factories

#: Before every deadline below: a reminder is scheduled only for a deadline still ahead.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _before_the_deadlines(fixed_clock) -> None:
    fixed_clock(NOW)


def scheduled(kind: str) -> list[Reminder]:
    return list(db.session.scalars(sa.select(Reminder).where(Reminder.kind == kind,
                                                             Reminder.status == ReminderStatus.SCHEDULED)))


def settings(ev, due: datetime | None) -> judging.JudgingSettings:
    return judging.JudgingSettings(ev.award_rule, "", 0, ev.share_gold, ev.share_silver, ev.share_bronze,
                                   ev.share_merit, due)


def test_scores_due_reminds_experts_with_unmarked_aspects_and_the_organisers_until_the_results_lock(app, ctx):
    ev, aspects, panel, organiser = cf.judged_event(n=2, aspects=[("A", "M", "100")], experts=2)
    judging.update_settings(organiser, ev, settings(ev, datetime(2027, 3, 1, 9, 0, tzinfo=UTC)))
    assert len(scheduled(judging.SCORES_DUE)) == 2  # 7 days and 1 day before
    with app.test_request_context():
        reached = {u.id for u in judging_reminders.scores_due_recipients(str(ev.id))}
        assert reached == {u.id for u in panel} | {organiser.id}
        cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"]})  # measured: done for every expert
        assert judging_reminders.scores_due_recipients(str(ev.id)) == []
    judging.lock_results(organiser, ev, utcnow())
    assert scheduled(judging.SCORES_DUE) == []


def test_a_stage_reminds_the_organisers_until_it_is_decided(app, ctx):
    ev, aspects, panel, organiser = cf.judged_event(n=3, aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"], 3: ["70"]})
    judging.lock_results(organiser, ev, utcnow())
    squad = squads.create_squad(organiser, ev, name="集训队", tier="", target_event_id=None, final_size=1,
                                result_ids=squads.top_results(ev, 2))
    stage = squads.add_stage(organiser, squad, name="二进一", held_on=date(2027, 5, 10), advance_count=1)
    assert [r.subject_key for r in scheduled(squads.STAGE_ASSESSMENT)] == [str(stage.id)] * 2
    with app.test_request_context():
        assert [u.id for u in squad_reminders.stage_recipients(str(stage.id))] == [organiser.id]
    first, second = sorted(squad.members, key=lambda m: m.source_rank)
    squads.record_stage(organiser, stage, [squads.StageEntry(first.id, "90", True),
                                           squads.StageEntry(second.id, "80", False, "未晋级")], utcnow())
    assert scheduled(squads.STAGE_ASSESSMENT) == []


def test_notice_end_and_payment_due_remind_officials_while_work_remains(app, ctx):
    ev, aspects, panel, organiser = cf.judged_event(n=2, aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {1: ["90"], 2: ["80"]})
    judging.lock_results(organiser, ev, utcnow())
    cf.award_rule(band="gold", competitor_amount="1000", name="金牌")
    official = factories.municipal_official()
    awards.generate(official, ev)
    notice = awards.publish_notice(official, ev, "公示", date(2030, 1, 7), utcnow())
    assert [r.subject_key for r in scheduled(awards.NOTICE_ENDS)] == [str(notice.id)]
    with app.test_request_context():
        assert official.id in {u.id for u in award_reminders.notice_recipients(str(notice.id))}
    awards.approve(official, ev, today=date(2030, 1, 20), now=utcnow())
    with app.test_request_context():
        assert award_reminders.notice_recipients(str(notice.id)) == []  # nothing left to approve
        assert official.id in {u.id for u in award_reminders.payment_recipients(str(ev.id))}
    assert len(scheduled(awards.PAYMENT_DUE)) == 2
    for line in db.session.scalars(sa.select(AwardLine).where(AwardLine.amount > 0)):  # a batch needs accounts
        certf.account(person=line.person)
    batch = awards.create_batch(official, utcnow())
    awards.mark_paid(official, batch, utcnow())
    with app.test_request_context():
        assert award_reminders.payment_recipients(str(ev.id)) == []
