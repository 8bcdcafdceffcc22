"""Award incentives through the web: rules as data, generating lines from locked results, 公示 with objections,
approval with promotions and honours, the ledger, payment batches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError

from app.competitions.awards import services as awards
from app.competitions.awards.models import AwardLine, AwardLineStatus, AwardNotice, Honour, PaymentBatch
from app.competitions.events.models import CompetitionLevel
from app.competitions.judging import services as judging
from app.core.enums import Role, SkillLevel
from app.core.models import Certificate, Person
from app.core.types import utcnow
from app.errors import DomainError
from app.extensions import db
from tests import competition_factories as cf
from tests import factories


@pytest.fixture(autouse=True)
def _monday_23_november(fixed_clock):
    """Results are locked and the 公示 published on Monday 2026-11-23 (09:00 in Shanghai): a notice may not start
    before the day it is published."""
    fixed_clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


def locked(n: int = 4, level=SkillLevel.LEVEL_3):
    """A municipal event with ``n`` results (bib order = rank order), entrants at ``level``."""
    ev, aspects, panel, organiser = cf.judged_event(n=n, aspects=[("A", "M", "100")], experts=1)
    for person in db.session.scalars(sa.select(Person)):
        person.current_level = level
    db.session.commit()
    cf.score_all(ev, aspects, panel, {b: [str(95 - 5 * b)] for b in range(1, n + 1)})
    judging.lock_results(organiser, ev, utcnow())
    return ev


def standard_rules():
    cf.award_rule(band="gold", competitor_amount="10000", expert_team_amount="5000", promotion="to_level",
                  promotion_level=SkillLevel.LEVEL_2, promotion_alt_level=SkillLevel.LEVEL_1, name="市赛金牌")
    cf.award_rule(band="silver", competitor_amount="6000", promotion="to_level", promotion_level=SkillLevel.LEVEL_2,
                  promotion_alt_level=SkillLevel.LEVEL_1, name="市赛银牌")
    cf.award_rule(band="top_n", top_n=2, honour_title="上海市技术能手", honour_level="市级",
                  honour_body="上海市人力资源和社会保障局", name="技术能手")


def person_at_rank(ev, rank: int) -> Person:
    result = next(r for r in judging.results(ev) if r.rank == rank)
    return result.contestant.members[0].person


def test_the_preview_shows_every_line_and_its_total_before_anything_is_written(app, ctx, login_as):
    ev = locked()
    standard_rules()
    client = login_as(factories.municipal_official())
    page = client.get(f"/competitions/events/{ev.id}/awards").get_data(as_text=True)
    assert 'id="preview-total">21,000.00' in page  # 10,000 + 5,000 + 6,000
    assert "上海市技术能手" in page and "技师" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardLine)) == 0
    assert client.post(f"/competitions/events/{ev.id}/awards/generate").status_code == 303
    lines = db.session.scalars(sa.select(AwardLine)).all()
    assert len(lines) == 5 and sum(ln.amount for ln in lines) == Decimal("21000")
    again = client.post(f"/competitions/events/{ev.id}/awards/generate")
    assert again.status_code == 422 and "已全部生成" in again.get_data(as_text=True)


def test_the_database_refuses_a_second_line_for_the_same_result_rule_and_person(app, ctx):
    ev = locked(2)
    standard_rules()
    awards.generate(factories.municipal_official(), ev)
    line = db.session.scalar(sa.select(AwardLine).where(AwardLine.recipient_kind == "competitor"))
    twin = AwardLine(rule_id=line.rule_id, result_id=line.result_id, event_id=line.event_id,
                     competition_id=line.competition_id, level=line.level, recipient_kind=line.recipient_kind,
                     recipient_key=line.recipient_key, person_id=line.person_id, unit_id=line.unit_id)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_only_rules_in_force_on_the_events_last_day_and_for_its_level_apply(app, ctx):
    ev = locked(2)
    cf.award_rule(band="gold", competitor_amount="100", name="已失效", effective_to=ev.ends_on)
    cf.award_rule(band="gold", competitor_amount="200", name="尚未生效", effective_from=ev.ends_on + timedelta(days=1))
    cf.award_rule(band="gold", competitor_amount="300", name="国家级", level=CompetitionLevel.NATIONAL)
    other = cf.competition(name="另一届")
    cf.award_rule(band="gold", competitor_amount="400", name="另一届专项", competition_id=other.id)
    cf.award_rule(band="gold", competitor_amount="500", name="本届专项", competition_id=ev.competition_id)
    assert [r.name for r in awards.rules_in_force(ev)] == ["本届专项"]


def test_notice_objection_and_approval_with_promotion_and_honour(app, ctx, login_as):
    ev = locked()
    standard_rules()
    official = factories.municipal_official()
    client = login_as(official)
    client.post(f"/competitions/events/{ev.id}/awards/generate")
    monday = date(2026, 11, 23)
    assert client.post(f"/competitions/events/{ev.id}/awards/notice",
                       data={"notice-title": "市赛数控车奖励公示", "notice-starts_on": monday.isoformat()}
                       ).status_code == 303
    notice = db.session.scalar(sa.select(AwardNotice))
    assert notice.ends_on == date(2026, 11, 27)  # five working days, Monday to Friday
    silver_line = db.session.scalar(sa.select(AwardLine).where(AwardLine.amount == Decimal("6000")))
    awards.hold(official, silver_line.id, "举报成绩存疑", today=date(2026, 11, 25))
    with pytest.raises(DomainError, match="公示期满后"):
        awards.approve(official, ev, today=date(2026, 11, 27), now=utcnow())
    with pytest.raises(DomainError, match="公示期已结束"):
        other = db.session.scalar(sa.select(AwardLine).where(AwardLine.status == AwardLineStatus.NOTICE))
        awards.hold(official, other.id, "逾期异议", today=date(2026, 11, 30))
    assert awards.approve(official, ev, today=date(2026, 11, 30), now=utcnow()) == 4
    db.session.expire_all()
    champion = person_at_rank(ev, 1)
    assert champion.current_level is SkillLevel.LEVEL_2  # 高级工 → 技师
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.person_id == champion.id))
    assert certificate.level is SkillLevel.LEVEL_2 and certificate.occupation_code == ev.occupation_code
    assert {h.title for h in db.session.scalars(sa.select(Honour))} == {"上海市技术能手"}
    assert db.session.get(AwardLine, silver_line.id).status is AwardLineStatus.ON_HOLD
    assert person_at_rank(ev, 2).current_level is SkillLevel.LEVEL_3  # the held silver promotion waits
    page = client.get(f"/people/{champion.id}").get_data(as_text=True)
    assert "奖励与荣誉" in page and "上海市技术能手" in page and "已批准" in page


def test_a_person_already_a_technician_is_promoted_to_senior_technician(app, ctx):
    ev = locked(2, level=SkillLevel.LEVEL_2)
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    awards.publish_notice(official, ev, "公示", date(2026, 11, 23), utcnow())
    awards.approve(official, ev, today=date(2026, 12, 1), now=utcnow())
    assert person_at_rank(ev, 1).current_level is SkillLevel.LEVEL_1


def test_only_officials_generate_and_approve_awards(app, ctx, login_as):
    ev = locked(2)
    standard_rules()
    organiser = factories.user(ev.competition.organiser, Role.ORGANIZER)
    client = login_as(organiser)
    assert client.get(f"/competitions/events/{ev.id}/awards").status_code == 403
    assert client.post(f"/competitions/events/{ev.id}/awards/approve").status_code == 403


def test_the_ledger_totals_add_up_by_group_and_status(app, ctx, login_as):
    ev = locked()
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    awards.publish_notice(official, ev, "公示", date(2026, 11, 23), utcnow())
    held = db.session.scalar(sa.select(AwardLine).where(AwardLine.amount == Decimal("6000")))
    awards.hold(official, held.id, "异议", today=date(2026, 11, 24))
    awards.approve(official, ev, today=date(2026, 12, 1), now=utcnow())
    rows, total, count = awards.ledger(official)
    independent = sum(ln.amount for ln in db.session.scalars(sa.select(AwardLine)))
    assert total == independent == Decimal("21000.00") and sum(r.amount for r in rows) == total
    assert count == sum(r.lines for r in rows) == 5
    by_status = {s: awards.ledger(official, status=s)[1] for s in AwardLineStatus}
    assert by_status[AwardLineStatus.ON_HOLD] == Decimal("6000.00")
    assert by_status[AwardLineStatus.APPROVED] == Decimal("15000.00")
    assert sum(by_status.values()) == total
    page = login_as(official).get("/competitions/awards/ledger").get_data(as_text=True)
    assert 'id="ledger-total">21,000.00' in page


def test_a_payment_batch_exports_masked_ids_and_is_marked_paid_all_or_nothing(app, ctx, login_as):
    ev = locked()
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    awards.publish_notice(official, ev, "公示", date(2026, 11, 23), utcnow())
    awards.approve(official, ev, today=date(2026, 12, 1), now=utcnow())
    client = login_as(official)
    assert client.post("/competitions/awards/payments").status_code == 303
    batch = db.session.scalar(sa.select(PaymentBatch))
    assert batch.line_count == 3 and batch.total == Decimal("21000")  # the honour line carries no money
    sheet = load_workbook(BytesIO(client.get(f"/competitions/awards/payments/{batch.id}.xlsx").data)).active
    champion = person_at_rank(ev, 1)
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [champion.name, champion.id_number_masked, 10000] in [[r[1], r[2], r[5]] for r in rows]
    assert "*" in champion.id_number_masked and rows[-1][5] == 21000
    line = db.session.scalar(sa.select(AwardLine).where(AwardLine.batch_id == batch.id))
    line.status = AwardLineStatus.ON_HOLD  # someone objected late: the batch must not be half-paid
    db.session.commit()
    response = client.post(f"/competitions/awards/payments/{batch.id}/paid")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardLine).where(
        AwardLine.status == AwardLineStatus.PAID)) == 0
    line.status = AwardLineStatus.APPROVED
    db.session.commit()
    client.post(f"/competitions/awards/payments/{batch.id}/paid")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardLine).where(
        AwardLine.status == AwardLineStatus.PAID)) == 3


def test_a_rule_needs_n_for_a_top_n_band_and_a_later_alternative_level(app, ctx, login_as):
    client = login_as(factories.municipal_official())
    data = {"rule-name": "技术能手", "rule-level": "national", "rule-klass": "", "rule-band": "top_n",
            "rule-competitor_amount": "0", "rule-expert_team_amount": "0", "rule-unit_amount": "0",
            "rule-promotion": "none", "rule-promotion_level": "", "rule-promotion_alt_level": "",
            "rule-honour_title": "全国技术能手", "rule-effective_from": "2026-01-01"}
    response = client.post("/competitions/awards/rules", data=data)
    assert response.status_code == 422 and "须填写 N" in response.get_data(as_text=True)
    bad = data | {"rule-top_n": "5", "rule-promotion": "to_level", "rule-promotion_level": "level2",
                  "rule-promotion_alt_level": "level3"}
    response = client.post("/competitions/awards/rules", data=bad)
    assert response.status_code == 422 and "替代等级须高于目标等级" in response.get_data(as_text=True)
    good = data | {"rule-top_n": "5", "rule-top_n_pair": "3", "rule-top_n_trio": "2"}
    assert client.post("/competitions/awards/rules", data=good).status_code == 303
    assert "全国技术能手" in client.get("/competitions/awards/rules").get_data(as_text=True)


def test_the_athlete_sees_their_awards_on_their_own_page(app, ctx, login_as):
    ev = locked(2)
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    champion = person_at_rank(ev, 1)
    athlete = login_as(factories.user(champion.employer, Role.PERSON, person_id=champion.id))
    assert "我的奖励与荣誉" not in athlete.get("/competitions/mine").get_data(as_text=True)  # drafts stay inside
    awards.publish_notice(official, ev, "公示", date(2026, 11, 23), utcnow())
    page = athlete.get("/competitions/mine").get_data(as_text=True)
    assert "我的奖励与荣誉" in page and "10,000.00" in page and "公示中" in page


def test_results_can_be_unlocked_and_relocked_after_awards_were_generated(app, ctx):
    ev = locked(2)
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    judging.unlock_results(official, ev, "复核", utcnow())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardLine)) > 0  # kept, for the risk desk
    organiser = factories.user(ev.competition.organiser, Role.ORGANIZER)
    judging.lock_results(organiser, ev, utcnow())
    with pytest.raises(DomainError, match="已全部生成"):
        awards.generate(official, ev)


def test_a_notice_over_national_day_counts_working_days_by_the_chinese_calendar(app, ctx, fixed_clock):
    fixed_clock(datetime(2025, 9, 30, 1, 0, tzinfo=UTC))
    ev = locked(2)
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    notice = awards.publish_notice(official, ev, "国庆前公示", date(2025, 9, 30), utcnow())
    # 30 Sep (Tue) counts; 1–8 Oct are holidays; Thu 9, Fri 10, Sat 11 (调休 working day), Mon 13.
    assert notice.ends_on == date(2025, 10, 13)


def test_a_notice_cannot_start_before_it_is_published_nor_before_the_result_was_locked(app, ctx, login_as,
                                                                                        fixed_clock):
    """The issue's example: published on 12-04 with 公示期 11-20 至 11-26 — refused; from 12-04 it runs five
    working days, and the printed notice shows the day it was published."""
    fixed_clock(datetime(2026, 12, 3, 1, 0, tzinfo=UTC))
    ev = locked()  # locked on 12-03
    standard_rules()
    official = factories.municipal_official()
    client = login_as(official)
    client.post(f"/competitions/events/{ev.id}/awards/generate")
    fixed_clock(datetime(2026, 12, 4, 1, 0, tzinfo=UTC))  # published on Friday 12-04
    response = client.post(f"/competitions/events/{ev.id}/awards/notice",
                           data={"notice-title": "市赛数控车奖励公示", "notice-starts_on": "2026-11-20"})
    assert response.status_code == 422
    assert "公示开始日期不能早于发布当天和成绩锁定日（2026-12-04）" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AwardNotice)) is None
    with pytest.raises(DomainError, match="不能早于"):
        awards.publish_notice(official, ev, "公示", date(2026, 12, 3), utcnow())  # yesterday
    db.session.rollback()
    assert client.post(f"/competitions/events/{ev.id}/awards/notice",
                       data={"notice-title": "市赛数控车奖励公示", "notice-starts_on": "2026-12-04"}
                       ).status_code == 303
    notice = db.session.scalar(sa.select(AwardNotice))
    assert (notice.starts_on, notice.ends_on) == (date(2026, 12, 4), date(2026, 12, 10))  # Fri + Mon–Thu
    printed = client.get(f"/competitions/awards/notices/{notice.id}").get_data(as_text=True)
    assert "公示期：2026-12-04 至 2026-12-10" in printed and "发布日期：2026-12-04" in printed
    line_id = db.session.scalar(sa.select(AwardLine.id))
    awards.hold(official, line_id, "异议", today=date(2026, 12, 10))  # the last day of the period: in time
    assert db.session.get(AwardLine, line_id).status is AwardLineStatus.ON_HOLD


def test_a_notice_needs_a_locked_result(app, ctx):
    ev = locked(2)
    standard_rules()
    official = factories.municipal_official()
    awards.generate(official, ev)
    ev.results_locked_at = None
    db.session.commit()
    with pytest.raises(DomainError, match="成绩锁定后才能公示"):
        awards.publish_notice(official, ev, "公示", date(2026, 11, 23), utcnow())
