"""每周风险与进度摘要: scheduled for every district by the command, sent on Monday by the tick to the district's
officials (a real SMTP sink), with the district's open risks and figures and a link; next week's follows."""

from __future__ import annotations

import email.header
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.apprenticeships.enums import EnrollmentStatus, SubsidyKind, SubsidyStatus
from app.apprenticeships.models import SubsidyLine
from app.core import risks
from app.core.enums import District, Role
from app.extensions import db
from app.reminders import services
from app.reminders.models import Channel, Delivery, Reminder, ReminderStatus
from app.supervision.reminders import WEEKLY_SUMMARY, ensure_weekly_summaries
from tests import factories
from tests.web.test_supervision_dashboards import enrollment_row
from tests.web.test_supervision_risks import second_enrollment

THURSDAY = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MONDAY_9 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # the following Monday, 09:00 in Shanghai


def body(message) -> str:  # noqa: ANN001
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_command_schedules_next_monday_for_every_district_once(app, ctx, fixed_clock):
    fixed_clock(THURSDAY)  # the command reads the app's clock, as every code path does
    assert ensure_weekly_summaries(THURSDAY) == len(District)
    db.session.commit()
    assert ensure_weekly_summaries(THURSDAY) == 0
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.kind == WEEKLY_SUMMARY)).all()
    assert {r.subject_key for r in rows} == {f"{d.value}:2026-11-30" for d in District}
    assert {r.send_at for r in rows} == {MONDAY_9}
    runner = app.test_cli_runner()
    assert "weekly summaries scheduled: 0" in runner.invoke(args=["supervision", "weekly-summary"]).output


def test_the_summary_goes_to_the_district_officials_with_their_figures_and_schedules_next_week(app, ctx, smtp):
    pudong = factories.district_official(District.PUDONG, email="pd@example.com", display_name="浦东 王科长")
    factories.district_official(District.XUHUI, email="xh@example.com")
    factories.municipal_official(email="city@example.com")
    first = enrollment_row(District.PUDONG, date(2026, 1, 5), EnrollmentStatus.COMPLETED, ends=date(2027, 1, 1))
    second = second_enrollment(first, District.PUDONG, date(2026, 6, 1), date(2027, 6, 1))  # an open risk
    for e, amount, status in ((first, "2500", SubsidyStatus.PAID), (second, "2000", SubsidyStatus.CLAIMED)):
        db.session.add(SubsidyLine(enrollment_id=e.id, enterprise_id=e.enterprise_id, district=e.district,
                                   training_year=1, year=2026, kind=SubsidyKind.ADVANCE, amount=Decimal(amount),
                                   standard=Decimal("5000"), months=12, status=status))  # and a duplicate
    db.session.commit()
    ensure_weekly_summaries(THURSDAY)
    db.session.commit()
    risks.refresh()  # as the scheduler's refresh process does (the tick itself never runs the rules)

    assert services.tick(now=MONDAY_9 - timedelta(minutes=1)).sent == 0  # not before Monday 09:00
    services.tick(now=MONDAY_9)
    by_address = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in smtp.messages}
    assert set(by_address) == {"pd@example.com", "xh@example.com"}  # district officials only
    message = by_address["pd@example.com"]
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert "浦东新区每周摘要" in subject
    text = body(message)
    assert "待核查风险 2 条（重复申领补贴 1、同时参加两个补贴项目 1）" in text
    assert "2026 年新备案学徒 2 人、结业 0 人" in text
    assert "补贴申领 4,500.00 元、实际支出 2,500.00 元" in text
    assert "/supervision/risks?district=pudong" in text
    assert "待核查风险 0 条；" in body(by_address["xh@example.com"])
    inbox = db.session.scalar(sa.select(Delivery).where(Delivery.user_id == pudong.id,
                                                        Delivery.channel == Channel.INBOX))
    assert inbox is not None and "待核查风险 2 条" in inbox.reminder.title

    next_week = db.session.scalars(sa.select(Reminder).where(
        Reminder.kind == WEEKLY_SUMMARY, Reminder.status == ReminderStatus.SCHEDULED)).all()
    assert {r.subject_key for r in next_week} == {f"{d.value}:2026-12-07" for d in District}
    assert {r.send_at for r in next_week} == {MONDAY_9 + timedelta(days=7)}
    assert services.tick(now=MONDAY_9 + timedelta(hours=1)).sent == 0  # once a week, not once a tick


def test_only_officials_of_a_bureau_receive_it(app, ctx, smtp):
    hr = factories.user(factories.org(district=District.PUDONG), Role.ENTERPRISE_HR, email="hr@example.com")
    assert hr.email
    ensure_weekly_summaries(THURSDAY)
    db.session.commit()
    services.tick(now=MONDAY_9)
    assert smtp.messages == []
