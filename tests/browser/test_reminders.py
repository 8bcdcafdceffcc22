"""Reminders in a browser: the header's unread count rises when a reminder falls due, the inbox opens, marks
read and follows the link; an official retries a failed e-mail from the outbox."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.competitions.events.services import APPROVAL_DUE
from app.competitions.registration.models import RegistrationStatus
from app.core.enums import OrgKind, Role
from app.core.types import utcnow
from app.extensions import db
from app.reminders import services
from app.reminders.models import Channel, Delivery, DeliveryStatus, Reminder, ReminderStatus
from tests import competition_factories as cf
from tests import factories
from tests.browser.conftest import htmx_settled, screenshot, signed_in_as

pytestmark = pytest.mark.browser
SH = ZoneInfo("Asia/Shanghai")


def _event_waiting_for_approval(organizer_name: str = "赵组织"):
    organiser = factories.org(OrgKind.ASSOCIATION, name="上海市机械工程学会")
    organizer = factories.user(organiser, Role.ORGANIZER, username="zhao", display_name=organizer_name, email="")
    event = cf.event(cf.competition(organiser, name="2026年上海市职业技能大赛"), name="数控车")
    unit = factories.org()
    cf.registration(event, factories.person(employer=unit), unit, status=RegistrationStatus.SUBMITTED)
    return organizer, event


def _due(event, offset: int) -> None:
    now = utcnow()
    db.session.add(Reminder(kind=APPROVAL_DUE, subject_key=str(event.id), offset_days=offset,
                            due_at=now + timedelta(days=offset, hours=1), send_at=now - timedelta(seconds=1)))
    db.session.commit()


def test_unread_count_rises_when_a_reminder_falls_due_and_the_inbox_leads_to_the_page(page, app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_BADGE_POLL_SECONDS", 1)
    organizer, event = _event_waiting_for_approval()
    signed_in_as(page, "zhao")
    page.goto("/")
    badge = page.locator("#reminder-unread")
    expect(badge).to_have_text("")

    _due(event, 7)
    _due(event, 1)
    services.tick()  # what the scheduler process does when they fall due
    expect(badge).to_contain_text("2", timeout=5_000)  # the open page polls the count
    screenshot(page, "reminders-badge")

    page.locator("nav").get_by_role("link", name="提醒").click()
    expect(page.get_by_role("heading", name="我的提醒")).to_be_visible()
    items = page.locator(".reminder-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("2026年上海市职业技能大赛 · 数控车 报名审核截止")
    screenshot(page, "reminders-inbox")

    items.first.get_by_role("button", name="标为已读").click()
    expect(items.first).to_contain_text("已读")
    htmx_settled(page)
    expect(badge).to_contain_text("1")  # the header follows at once (HX-Trigger), not at the next poll

    items.nth(1).get_by_role("link").click()
    page.wait_for_url(f"**/competitions/events/{event.id}")
    expect(page.get_by_role("heading", name="数控车")).to_be_visible()
    expect(badge).to_have_text("")
    assert services.unread_count(organizer) == 0


def test_official_retries_a_failed_email_from_the_outbox(page, ctx):
    organizer, event = _event_waiting_for_approval()
    now = utcnow()
    reminder = Reminder(kind=APPROVAL_DUE, subject_key=str(event.id), offset_days=1, due_at=now + timedelta(days=1),
                        send_at=now, status=ReminderStatus.DONE, title="2026年上海市职业技能大赛 · 数控车 报名审核截止",
                        link=f"/competitions/events/{event.id}")
    db.session.add(reminder)
    db.session.flush()
    db.session.add(Delivery(reminder_id=reminder.id, user_id=organizer.id, channel=Channel.EMAIL,
                            status=DeliveryStatus.FAILED, address="zhao@example.com", attempts=5,
                            error="SMTP 451: 4.3.0 mailbox busy"))
    db.session.commit()
    factories.municipal_official(username="guan", display_name="管科长")
    signed_in_as(page, "guan")

    page.goto("/reminders/")
    page.get_by_role("link", name="发件箱").click()
    row = page.locator("tr", has_text="zhao@example.com")
    expect(row).to_contain_text("SMTP 451: 4.3.0 mailbox busy")
    expect(row).to_contain_text("发送失败")
    screenshot(page, "reminders-outbox-failed")

    row.get_by_role("button", name="重发").click()
    expect(page.get_by_text("已安排重发：zhao@example.com")).to_be_visible()
    # Still a failure until it is sent, now waiting for its next try (the tick's next run), without 重发.
    expect(page.locator("tr", has_text="zhao@example.com")).to_contain_text("等待重试")
    expect(page.locator("tr", has_text="zhao@example.com").get_by_role("button", name="重发")).to_have_count(0)
    page.get_by_role("link", name="排队中的邮件").click()
    expect(page.locator("tr", has_text="zhao@example.com")).to_contain_text("等待重试")
    screenshot(page, "reminders-outbox-queued")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Delivery.status)) is DeliveryStatus.PENDING


def test_official_sees_the_sending_lag_and_every_failure_with_its_reason_and_next_try(page, ctx):
    organizer, event = _event_waiting_for_approval()
    now = utcnow()
    reminder = Reminder(kind=APPROVAL_DUE, subject_key=str(event.id), offset_days=1, due_at=now + timedelta(days=1),
                        send_at=now, status=ReminderStatus.DONE, title="2026年上海市职业技能大赛 · 数控车 报名审核截止",
                        link=f"/competitions/events/{event.id}")
    db.session.add(reminder)
    db.session.flush()
    other = factories.user(factories.org(), Role.ENTERPRISE_HR, username="qian", display_name="钱人事")
    db.session.add_all([
        Delivery(reminder_id=reminder.id, user_id=organizer.id, channel=Channel.EMAIL, status=DeliveryStatus.FAILED,
                 address="zhao@example.com", attempts=5, error="SMTP 550: 5.1.1 no such user"),
        Delivery(reminder_id=reminder.id, user_id=other.id, channel=Channel.EMAIL, status=DeliveryStatus.PENDING,
                 address="qian@example.com", attempts=2, error="SMTP 451: 4.3.0 mailbox busy",
                 next_attempt_at=now + timedelta(minutes=2)),
        Reminder(kind=APPROVAL_DUE, subject_key=str(event.id), offset_days=2, due_at=now + timedelta(days=2),
                 send_at=now - timedelta(minutes=12)),  # due 12 minutes ago, not sent: the scheduler is behind
    ])
    db.session.commit()
    services.beat(now - timedelta(seconds=20), "sched-1", 4321)
    factories.municipal_official(username="guan", display_name="管科长")
    signed_in_as(page, "guan")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/reminders/outbox")
    expect(page.locator("#outbox-lag")).to_have_text("已等待 12分钟")
    expect(page.locator("#scheduler-health")).to_contain_text("发送滞后")
    failed = page.locator("tr", has_text="zhao@example.com")
    expect(failed).to_contain_text("SMTP 550: 5.1.1 no such user")
    expect(failed).to_contain_text("不再自动重试")
    retrying = page.locator("tr", has_text="qian@example.com")
    expect(retrying).to_contain_text("等待重试")
    expect(retrying).to_contain_text("SMTP 451: 4.3.0 mailbox busy")
    expect(retrying.locator(".retry-at")).to_have_text((now + timedelta(minutes=2)).astimezone(SH).strftime(
        "%Y-%m-%d %H:%M"))
    screenshot(page, "reminders-outbox-lag-and-failures")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#outbox-lag")).to_be_visible()
    screenshot(page, "reminders-outbox-lag-and-failures-390")
