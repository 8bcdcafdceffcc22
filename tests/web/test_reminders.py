"""Reminders: scheduling with deadlines, the tick against a real SMTP server, retries, leases, the inbox, the outbox."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from app.competitions.events import services as competition_services
from app.competitions.events.services import APPROVAL_DUE, REGISTRATION_CLOSES
from app.competitions.registration.models import RegistrationStatus, Team
from app.core.enums import OrgKind, Role
from app.core.models import AuditEntry, PolicyValue
from app.extensions import db
from app.reminders import services
from app.reminders.models import Channel, Delivery, DeliveryStatus, Reminder, ReminderPreference, ReminderStatus
from tests import competition_factories as cf
from tests import factories
from tests.conftest import count_queries
from tests.reminder_factories import TEST_KIND, TEST_RECIPIENTS, due_reminder

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
JAN_1 = datetime(2026, 1, 1).date()


def staff(org=None, **fields):
    return factories.user(org or factories.org(), Role.ENTERPRISE_HR, email=fields.pop("email", "hr@example.com"),
                          **fields)


def event_data(event, **changes) -> competition_services.EventData:
    fields = {name: getattr(event, name) for name in competition_services.EVENT_FIELDS}
    fields.update(changes)
    return competition_services.EventData(**fields)


# ---------------------------------------------------------------- scheduling with the deadline

def test_creating_an_event_schedules_reminders_7_and_1_days_before_at_9_in_shanghai(ctx, fixed_clock):
    fixed_clock(NOW)  # a month before the deadline, which is before the event starts (10 January 2027)
    official = factories.municipal_official()
    competition = cf.competition()
    factories.occupation()
    closes = NOW.astimezone(SH).replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=30)
    template = cf.event(competition)
    event = competition_services.create_event(official, competition, event_data(
        template, name="焊接", registration_closes_at=closes))
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.kind == REGISTRATION_CLOSES,
                                                        Reminder.subject_key == str(event.id))
                              .order_by(Reminder.send_at)).all()
    assert [(r.offset_days, r.send_at.astimezone(SH).replace(tzinfo=None)) for r in rows] == [
        (7, (closes - timedelta(days=7)).replace(hour=9, tzinfo=None)),
        (1, (closes - timedelta(days=1)).replace(hour=9, tzinfo=None)),
    ]
    approval = db.session.scalars(sa.select(Reminder).where(Reminder.kind == APPROVAL_DUE,
                                                            Reminder.subject_key == str(event.id))).all()
    assert {r.due_at.astimezone(SH).date() for r in approval} == {event.starts_on}


def test_moving_a_deadline_moves_its_unsent_reminders_and_keeps_sent_ones(ctx):
    due = datetime(2026, 12, 1, 9, tzinfo=SH)
    services.schedule_deadline(TEST_KIND, "42", due, now=NOW)
    db.session.commit()
    seven, one = db.session.scalars(sa.select(Reminder).order_by(Reminder.offset_days.desc())).all()
    seven.status = ReminderStatus.DONE  # the 7-day reminder already went out
    db.session.commit()

    later = datetime(2026, 12, 10, 9, tzinfo=SH)
    services.schedule_deadline(TEST_KIND, "42", later, now=NOW)
    db.session.commit()
    rows = db.session.scalars(sa.select(Reminder).order_by(Reminder.id)).all()
    assert [(r.offset_days, r.status, r.due_at.astimezone(SH).day, r.send_at.astimezone(SH).day) for r in rows] == [
        (7, ReminderStatus.DONE, 1, 24),
        (1, ReminderStatus.SCHEDULED, 10, 9),  # the same row, moved
        (7, ReminderStatus.SCHEDULED, 10, 3),  # the new deadline's own 7-day reminder
    ]

    # Back to the first date: its 7-day reminder was sent already and is not sent again.
    services.schedule_deadline(TEST_KIND, "42", due, now=NOW)
    db.session.commit()
    scheduled = db.session.scalars(sa.select(Reminder).where(Reminder.status == ReminderStatus.SCHEDULED)).all()
    assert [(r.offset_days, r.due_at.astimezone(SH).day) for r in scheduled] == [(1, 1)]


def test_cancelling_a_deadline_cancels_unsent_reminders_only(ctx):
    services.schedule_deadline(TEST_KIND, "7", datetime(2026, 12, 1, 9, tzinfo=SH), now=NOW)
    db.session.commit()
    first = db.session.scalars(sa.select(Reminder).order_by(Reminder.id)).first()
    first.status = ReminderStatus.DONE
    db.session.commit()
    assert services.cancel_deadline(TEST_KIND, "7") == 1
    db.session.commit()
    assert sorted(r.status for r in db.session.scalars(sa.select(Reminder))) == sorted(
        [ReminderStatus.DONE, ReminderStatus.CANCELLED])


def test_offsets_whose_time_has_passed_are_not_created(ctx):
    services.schedule_deadline(TEST_KIND, "3", NOW + timedelta(days=3), now=NOW)
    db.session.commit()
    assert [r.offset_days for r in db.session.scalars(sa.select(Reminder))] == [1]


def test_offsets_hour_and_working_day_rule_come_from_the_policy_table(ctx):
    for qualifier, value in (("first", "3"), ("second", "0")):
        db.session.add(PolicyValue(key="reminder.offset_days", qualifier=qualifier, effective_from=JAN_1,
                                   value=Decimal(value)))
    db.session.add(PolicyValue(key="reminder.send_hour", effective_from=JAN_1, value=Decimal("8")))
    db.session.add(PolicyValue(key="reminder.working_days_only", effective_from=JAN_1, value=Decimal("1")))
    db.session.commit()
    # Deadline Thursday 2026-10-08 18:00: 3 days before is Monday 5 October, inside the National Day holiday.
    services.schedule_deadline(TEST_KIND, "9", datetime(2026, 10, 8, 18, tzinfo=SH), now=datetime(2026, 9, 1,
                                                                                                   tzinfo=UTC))
    db.session.commit()
    sends = sorted(r.send_at.astimezone(SH).replace(tzinfo=None) for r in db.session.scalars(sa.select(Reminder)))
    assert sends == [datetime(2026, 9, 30, 8, 0), datetime(2026, 10, 8, 8, 0)]


# ---------------------------------------------------------------- the tick

def test_tick_reminds_units_with_unfinished_entries_by_inbox_and_email_with_a_link_back(ctx, smtp, app):
    comp = cf.competition(name="上海市技能大赛")
    event = cf.event(comp, name="数控车", opens=NOW - timedelta(days=10), closes=NOW + timedelta(days=1, hours=8),
                     team_size=2)
    sent_back_unit, done_unit, team_unit = factories.org(), factories.org(), factories.org()
    sent_back_hr = staff(sent_back_unit, email="a@example.com", display_name="王人事")
    staff(done_unit, email="done@example.com")
    team_hr = staff(team_unit, email="team@example.com")
    team = Team(event_id=event.id, unit_id=team_unit.id, name="一队")
    db.session.add(team)
    db.session.commit()
    cf.registration(event, factories.person(employer=sent_back_unit), sent_back_unit,
                    status=RegistrationStatus.CHANGES_REQUESTED, team_id=None)
    cf.registration(event, factories.person(employer=done_unit), done_unit, status=RegistrationStatus.APPROVED)
    cf.registration(event, factories.person(employer=team_unit), team_unit, team_id=team.id)  # 1 of 2 members
    db.session.add(Reminder(kind=REGISTRATION_CLOSES, subject_key=str(event.id), offset_days=1,
                            due_at=event.registration_closes_at, send_at=NOW - timedelta(minutes=1)))
    db.session.commit()

    result = services.tick(now=NOW)

    assert (result.expanded, result.sent, result.failed) == (1, 2, 0)
    inbox = db.session.scalars(sa.select(Delivery.user_id).where(Delivery.channel == Channel.INBOX)).all()
    assert sorted(inbox) == sorted([sent_back_hr.id, team_hr.id])
    by_address = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in smtp.messages}
    assert set(by_address) == {"a@example.com", "team@example.com"}
    message = by_address["a@example.com"]
    assert str(message["Subject"]) == "【技能通】提醒：上海市技能大赛 · 数控车 报名截止（2026-11-03 17:00 截止）"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"{app.config['APP_BASE_URL']}/competitions/events/{event.id}"
    assert "王人事，您好" in plain and link in plain
    assert f'href="{link}"' in html
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.address == "a@example.com"))
    assert str(message["Message-ID"]) == f"<reminder-{delivery.reminder_id}.delivery-{delivery.id}@jinengtong.example>"


def test_approval_reminder_goes_to_the_organisers_organizers_only_while_entries_wait(ctx, smtp):
    organiser = factories.org(OrgKind.ASSOCIATION)
    factories.user(organiser, Role.ORGANIZER, email="org@example.com")
    factories.user(organiser, Role.COACH, email="coach@example.com")
    event = cf.event(cf.competition(organiser))
    unit = factories.org()
    registration = cf.registration(event, factories.person(employer=unit), unit)
    for subject in (event.id,):
        db.session.add(Reminder(kind=APPROVAL_DUE, subject_key=str(subject), offset_days=1,
                                due_at=NOW + timedelta(days=1), send_at=NOW))
    db.session.commit()
    services.tick(now=NOW)
    assert [str(m["To"]) for m in smtp.messages] == ["测试用户 <org@example.com>"]

    registration.status = RegistrationStatus.APPROVED  # all decided: the next reminder finds no one
    db.session.add(Reminder(kind=APPROVAL_DUE, subject_key=str(event.id), offset_days=0,
                            due_at=NOW + timedelta(days=1), send_at=NOW))
    db.session.commit()
    result = services.tick(now=NOW)
    assert (result.expanded, result.deliveries, len(smtp.messages)) == (1, 0, 1)


def test_users_who_turned_email_off_get_the_reminder_in_the_inbox_only(ctx, smtp):
    wants, inbox_only = staff(email="yes@example.com"), staff(email="no@example.com")
    services.set_email_preferences(inbox_only, set())
    due_reminder("1", [wants, inbox_only], send_at=NOW, due_at=NOW + timedelta(days=1))
    services.tick(now=NOW)
    assert [str(m["To"]) for m in smtp.messages] == ["测试用户 <yes@example.com>"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)
                             .where(Delivery.channel == Channel.INBOX)) == 2


def test_after_downtime_the_tick_catches_up_and_skips_reminders_whose_deadline_passed(ctx, smtp):
    user = staff(email="u@example.com")
    # Both fell due three days ago while no scheduler ran; only the first deadline is still ahead.
    due_reminder("ahead", [user], send_at=NOW - timedelta(days=3), due_at=NOW + timedelta(hours=2))
    due_reminder("passed", [user], send_at=NOW - timedelta(days=3), due_at=NOW - timedelta(hours=2))
    result = services.tick(now=NOW)
    assert (result.expanded, result.skipped, result.sent) == (1, 1, 1)
    statuses = dict(db.session.execute(sa.select(Reminder.subject_key, Reminder.status)).tuples().all())
    assert statuses == {"ahead": ReminderStatus.DONE, "passed": ReminderStatus.SKIPPED}


def test_a_reminder_for_a_subject_that_no_longer_exists_is_cancelled(ctx, smtp):
    due_reminder("gone", [staff()], send_at=NOW, due_at=NOW + timedelta(days=1))
    assert services.tick(now=NOW).cancelled == 1
    assert smtp.messages == []


def test_a_failing_send_is_retried_with_back_off_then_marked_failed(ctx, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "REMINDER_RETRY_SECONDS", 60)
    smtp.refuse["busy@example.com"] = "451 4.3.0 try again later"
    due_reminder("1", [staff(email="busy@example.com")], send_at=NOW, due_at=NOW + timedelta(days=2))

    assert services.tick(now=NOW).retried == 1
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.channel == Channel.EMAIL))
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.PENDING, 1, NOW + timedelta(seconds=60))
    assert services.tick(now=NOW + timedelta(seconds=59)).work == 0  # not before the back-off
    assert services.tick(now=NOW + timedelta(seconds=60)).retried == 1
    db.session.expire_all()
    assert delivery.next_attempt_at == NOW + timedelta(seconds=60 + 120)  # doubled
    assert services.tick(now=NOW + timedelta(seconds=180)).failed == 1
    db.session.expire_all()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert "451" in delivery.error
    assert smtp.messages == []


def test_a_permanent_refusal_fails_at_once(ctx, smtp):
    smtp.refuse["nobody@example.com"] = "550 5.1.1 no such user"
    due_reminder("1", [staff(email="nobody@example.com")], send_at=NOW, due_at=NOW + timedelta(days=2))
    assert services.tick(now=NOW).failed == 1


def test_a_send_that_crashed_before_its_commit_is_resent_after_the_lease_with_the_same_message_id(ctx, smtp, app,
                                                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_LEASE_SECONDS", 300)
    due_reminder("1", [staff(email="u@example.com")], send_at=NOW, due_at=NOW + timedelta(days=2))
    services.expand_due(NOW)
    # A scheduler claims the e-mail, sends it, and dies before recording that it did.
    with monkeypatch.context() as patched:
        patched.setattr(services._Recording, "record", lambda *args: None)
        services.send_due(NOW)
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.channel == Channel.EMAIL))
    db.session.refresh(delivery)
    assert delivery.status is DeliveryStatus.SENDING

    assert services.tick(now=NOW + timedelta(seconds=299)).sent == 0  # still leased
    assert services.tick(now=NOW + timedelta(seconds=300)).sent == 1
    ids = smtp.message_ids()
    assert list(ids.values()) == [2] and len(ids) == 1  # the one at-least-once case: same Message-ID


def test_the_database_refuses_a_second_delivery_to_the_same_recipient_on_the_same_channel(ctx):
    user = staff()
    reminder = due_reminder("1", [user], send_at=NOW, due_at=NOW + timedelta(days=1))
    db.session.add(Delivery(reminder_id=reminder.id, user_id=user.id, channel=Channel.EMAIL))
    db.session.commit()
    db.session.add(Delivery(reminder_id=reminder.id, user_id=user.id, channel=Channel.EMAIL))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_concurrent_ticks_send_every_email_exactly_once(app, smtp):
    with app.app_context():
        users = [staff(email=f"u{i}@example.com") for i in range(20)]
        for i in range(30):
            due_reminder(f"s{i}", users[i % 20: i % 20 + 3], send_at=NOW, due_at=NOW + timedelta(days=1),
                         commit=False)
        db.session.commit()
        expected = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder))

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                services.tick(now=NOW, batch=7)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        emails = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)
                                   .where(Delivery.channel == Channel.EMAIL, Delivery.status == DeliveryStatus.SENT))
        done = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                                 .where(Reminder.status == ReminderStatus.DONE))
    ids = smtp.message_ids()
    assert (done, emails, len(ids), max(ids.values())) == (expected, 30 * 3 - 3, emails, 1)


def test_the_cli_tick_sends_what_is_due(app, smtp):
    with app.app_context():
        due_reminder("1", [staff(email="cli@example.com")], send_at=datetime.now(UTC) - timedelta(minutes=1),
                     due_at=datetime.now(UTC) + timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["scheduler", "tick"])
    assert "expanded=1" in result.output and "sent=1" in result.output
    assert len(smtp.messages) == 1


# ---------------------------------------------------------------- the scheduler's job settings

def test_a_late_tick_still_runs_however_late(app):
    """APScheduler drops a run later than misfire_grace_time; ours has none, so a late tick is never lost."""
    from apscheduler.events import EVENT_JOB_EXECUTED
    from apscheduler.executors.base import run_job

    from app.reminders.scheduler import Leadership, build_scheduler

    with app.app_context():
        scheduler = build_scheduler(app, Leadership(db.engine))
    job = scheduler.get_jobs()[0]
    assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (None, True, 1)
    ran: list[bool] = []
    job.func = lambda *args: ran.append(True)
    hours_late = datetime.now(UTC) - timedelta(hours=5)
    events = run_job(job, "default", [hours_late], "test")
    assert ran == [True] and [e.code for e in events] == [EVENT_JOB_EXECUTED]

    job.misfire_grace_time = 1  # APScheduler's default would have dropped it
    ran.clear()
    run_job(job, "default", [hours_late], "test")
    assert ran == []


def test_only_one_scheduler_acts_and_another_takes_over_when_it_stops(app):
    from app.reminders.scheduler import Leadership

    with app.app_context():
        first, second = Leadership(db.engine), Leadership(db.engine)
        try:
            assert first.acting() and not second.acting()
            first.release()
            assert second.acting()
        finally:
            first.release()
            second.release()


# ---------------------------------------------------------------- inbox

def test_inbox_lists_own_reminders_with_unread_count_filters_and_mark_read(app, ctx, smtp, login_as):
    user, other = staff(email=""), staff(email="")
    due_reminder("1", [user, other], send_at=NOW, due_at=NOW + timedelta(days=1))
    due_reminder("2", [user], send_at=NOW, due_at=NOW + timedelta(days=2))
    services.tick(now=NOW)
    client = login_as(user)
    assert "2</span>" in client.get("/reminders/unread").get_data(as_text=True)
    page = client.get("/reminders/").get_data(as_text=True)
    assert "测试事项1" in page and "测试事项2" in page

    mine = db.session.scalar(sa.select(Delivery).where(Delivery.user_id == user.id,
                                                       Delivery.reminder.has(Reminder.subject_key == "1")))
    response = client.post(f"/reminders/{mine.id}/read", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "reminders-read"
    assert "已读" in response.get_data(as_text=True)
    assert "1</span>" in client.get("/reminders/unread").get_data(as_text=True)
    unread_only = client.get("/reminders/?unread=1").get_data(as_text=True)
    assert "测试事项2" in unread_only and "测试事项1" not in unread_only
    assert client.get(f"/reminders/?kind={REGISTRATION_CLOSES}").get_data(as_text=True).count("reminder-item") == 0

    theirs = db.session.scalar(sa.select(Delivery).where(Delivery.user_id == other.id))
    assert client.post(f"/reminders/{theirs.id}/read").status_code == 404


def test_opening_a_reminder_marks_it_read_and_goes_to_its_page(ctx, login_as):
    user = staff(email="")
    due_reminder("5", [user], send_at=NOW, due_at=NOW + timedelta(days=1))
    services.tick(now=NOW)
    item = db.session.scalar(sa.select(Delivery))
    response = login_as(user).get(f"/reminders/{item.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == "/competitions/events/5"
    db.session.refresh(item)
    assert item.read_at is not None


def test_inbox_page_queries_do_not_grow_with_rows(app, ctx, login_as):
    user = staff(email="")
    client = login_as(user)

    def queries() -> int:
        with count_queries(app) as statements:
            assert client.get("/reminders/").status_code == 200
        return len(statements)

    due_reminder("1", [user], send_at=NOW, due_at=NOW + timedelta(days=1))
    services.tick(now=NOW)
    few = queries()
    for i in range(2, 12):
        due_reminder(str(i), [user], send_at=NOW, due_at=NOW + timedelta(days=1))
    services.tick(now=NOW)
    assert queries() == few


def test_mark_all_read_clears_the_count(ctx, login_as):
    user = staff(email="")
    for i in range(3):
        due_reminder(str(i), [user], send_at=NOW, due_at=NOW + timedelta(days=1))
    services.tick(now=NOW)
    client = login_as(user)
    assert client.post("/reminders/read-all").status_code == 303
    assert services.unread_count(user) == 0


def test_preferences_page_saves_email_choice_per_kind_with_an_audit_row(ctx, login_as):
    user = staff()
    client = login_as(user)
    assert "赛项报名截止" in client.get("/reminders/preferences").get_data(as_text=True)
    response = client.post("/reminders/preferences", {"email": [APPROVAL_DUE]})
    assert response.status_code == 303
    assert services.email_preferences(user)[REGISTRATION_CLOSES] is False
    assert services.email_preferences(user)[APPROVAL_DUE] is True
    assert db.session.scalar(sa.select(ReminderPreference.email).where(
        ReminderPreference.user_id == user.id, ReminderPreference.kind == REGISTRATION_CLOSES)) is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.entity_type == "users", AuditEntry.action == "update")) == 1


# ---------------------------------------------------------------- outbox

def test_outbox_shows_failed_emails_with_the_error_and_retry_resends_them(app, ctx, smtp, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_MAX_ATTEMPTS", 1)
    smtp.refuse["busy@example.com"] = "451 4.3.0 mailbox busy"
    due_reminder("1", [staff(email="busy@example.com")], send_at=NOW, due_at=NOW + timedelta(days=2))
    due_reminder("old", [staff()], send_at=NOW - timedelta(days=2), due_at=NOW - timedelta(days=1))
    services.tick(now=NOW)
    official = factories.municipal_official()
    client = login_as(official)
    page = client.get("/reminders/outbox?view=failed").get_data(as_text=True)
    assert "busy@example.com" in page and "SMTP 451: 4.3.0 mailbox busy" in page and "重发" in page
    assert "测试事项old" not in page
    assert "old" in client.get("/reminders/outbox?view=skipped").get_data(as_text=True)

    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.status == DeliveryStatus.FAILED))
    assert client.post(f"/reminders/outbox/{delivery.id}/retry").status_code == 303
    del smtp.refuse["busy@example.com"]
    assert services.tick(now=datetime.now(UTC)).sent == 1
    assert [str(m["Message-ID"]) for m in smtp.messages] == [delivery.message_id("jinengtong.example")]
    assert "busy@example.com" in client.get("/reminders/outbox?view=sent").get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.entity_type == "reminder_deliveries")) \
        == "retry"


def test_only_officials_see_the_outbox(ctx, login_as):
    assert login_as(staff()).get("/reminders/outbox").status_code == 403
    assert login_as(factories.municipal_official()).get("/reminders/outbox?view=scheduled").status_code == 200


def test_outbox_pages_queries_do_not_grow_with_rows(app, ctx, smtp, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_MAX_ATTEMPTS", 1)
    client = login_as(factories.municipal_official())

    def queries(view: str) -> int:
        with count_queries(app) as statements:
            assert client.get(f"/reminders/outbox?view={view}").status_code == 200
        return len(statements)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            smtp.refuse[f"f{i}@example.com"] = "550 5.1.1 no such user"
            due_reminder(f"q{i}", [staff(email=f"f{i}@example.com"), staff(email=f"s{i}@example.com")],
                         send_at=NOW, due_at=NOW + timedelta(days=1))
            due_reminder(f"later{i}", [staff()], send_at=NOW + timedelta(days=1), due_at=NOW + timedelta(days=2))
        services.tick(now=NOW)

    add(1, 0)
    few = {view: queries(view) for view in services.OUTBOX_VIEWS}
    add(6, 1)
    assert {view: queries(view) for view in services.OUTBOX_VIEWS} == few


def test_a_signed_out_badge_poll_changes_nothing_instead_of_redirecting_the_page(app, web):
    response = web.get("/reminders/unread", headers={"HX-Request": "true"})
    assert response.status_code == 204 and "HX-Redirect" not in response.headers


def test_on_a_fake_clock_a_deadline_at_00_30_after_a_month_end_reminds_at_9_the_day_before(ctx, smtp):
    """Scheduling and the tick read the clock themselves (no ``now`` passed): the clock is moved by time-machine."""
    due = datetime(2026, 3, 1, 0, 30, tzinfo=SH)  # 00:30 on 1 March in Shanghai: still 28 February in UTC
    user = staff(email="clock@example.com")
    TEST_RECIPIENTS["clock"] = [user.id]
    with time_machine.travel(datetime(2026, 2, 27, 10, 0, tzinfo=SH), tick=False):
        services.schedule_deadline(TEST_KIND, "clock", due)
        db.session.commit()
        # 7 days before (22 February) has passed; 1 day before is 28 February at 09:00 in Shanghai.
        rows = db.session.scalars(sa.select(Reminder).where(Reminder.subject_key == "clock")).all()
        assert [(r.offset_days, r.send_at.astimezone(SH)) for r in rows] == [
            (1, datetime(2026, 2, 28, 9, 0, tzinfo=SH))]
    with time_machine.travel(datetime(2026, 2, 28, 8, 59, tzinfo=SH), tick=False):
        assert services.tick().work == 0
    with time_machine.travel(datetime(2026, 2, 28, 9, 0, tzinfo=SH), tick=False):
        assert services.tick().sent == 1
    assert [str(m["To"]).split("<")[-1] for m in smtp.messages] == ["clock@example.com>"]


def test_one_batch_over_several_connections_records_each_outcome_once(ctx, smtp, app, monkeypatch):
    """Twelve e-mails over three SMTP connections: the refused one fails, the others are sent, each once."""
    monkeypatch.setitem(app.config, "REMINDER_SMTP_CONNECTIONS", 3)
    smtp.refuse["bad@example.com"] = "550 5.1.1 no such user"
    users = [staff(email=f"u{n}@example.com") for n in range(11)] + [staff(email="bad@example.com")]
    due_reminder("many", users, send_at=NOW, due_at=NOW + timedelta(days=2))
    result = services.tick(now=NOW)
    assert (result.sent, result.failed, result.retried) == (11, 1, 0)
    assert sorted(smtp.message_ids().values()) == [1] * 11  # eleven distinct Message-IDs, each once
    statuses = db.session.execute(sa.select(Delivery.status, sa.func.count()).where(Delivery.channel == Channel.EMAIL)
                                  .group_by(Delivery.status)).tuples().all()
    assert dict(statuses) == {DeliveryStatus.SENT: 11, DeliveryStatus.FAILED: 1}


def test_eight_senders_record_every_outcome_once_on_the_connections_the_pool_keeps(ctx, smtp, app, monkeypatch):
    """Eight SMTP connections in parallel: every e-mail arrives once and its outcome is recorded by its own UPDATE,
    on recording connections shared by the senders — so a tick after the first opens no database connection
    (one recording connection on SQLite; on PostgreSQL as many as the pool keeps beside the tick's session)."""
    monkeypatch.setitem(app.config, "REMINDER_SMTP_CONNECTIONS", 8)
    recorded: list[int] = []
    execute = services._Recording._execute

    def counting(self, sql, params):  # noqa: ANN001, ANN202
        recorded.append(params[-2])  # the delivery's id
        return execute(self, sql, params)

    monkeypatch.setattr(services._Recording, "_execute", counting)
    opened: list[object] = []

    def connected(dbapi_connection, record):  # noqa: ANN001, ANN202
        opened.append(dbapi_connection)

    engine = db.engine
    sa.event.listen(engine, "connect", connected)
    try:
        for tick in range(2):
            opened.clear()
            due_reminder(f"eight{tick}", [staff(email=f"e{tick}.{n}@example.com") for n in range(40)], send_at=NOW,
                         due_at=NOW + timedelta(days=2))
            assert services.tick(now=NOW).sent == 40
    finally:
        sa.event.remove(engine, "connect", connected)
    assert opened == []  # the second tick: every connection it used was one the pool had kept
    assert sorted(smtp.message_ids().values()) == [1] * 80
    sent = db.session.scalars(sa.select(Delivery.id).where(Delivery.channel == Channel.EMAIL,
                                                           Delivery.status == DeliveryStatus.SENT)).all()
    assert sorted(recorded) == sorted(sent) and len(sent) == 80  # one UPDATE per message, none twice
    assert len({port for _name, port in smtp.connections}) > 1  # several connections carried them


def test_a_tick_goes_round_again_only_after_a_full_batch(ctx, smtp):
    """A round that found less than a batch has done what was due: the tick ends there, without a second round
    only to find nothing; a full batch may have left more, so it looks again (a heartbeat per round)."""
    users = [staff(email=f"r{n}@example.com") for n in range(7)]
    for n, user in enumerate(users):
        due_reminder(f"round{n}", [user], send_at=NOW, due_at=NOW + timedelta(days=2), commit=False)
    db.session.commit()
    rounds: list[int] = []
    result = services.tick(now=NOW, batch=5, heartbeat=lambda: rounds.append(1))
    assert (result.expanded, result.sent, len(rounds)) == (7, 7, 2)  # 5, then 2 (less than a batch: done)
    rounds.clear()
    assert services.tick(now=NOW, batch=5, heartbeat=lambda: rounds.append(1)).work == 0 and len(rounds) == 1


def test_email_preferences_are_per_kind_within_one_batch(ctx, smtp):
    """The batch asks once who turned e-mail off, for every kind in it: off for one kind is not off for another."""
    user = staff(email="kinds@example.com")
    db.session.add(ReminderPreference(user_id=user.id, kind=APPROVAL_DUE, email=False))
    db.session.commit()
    due_reminder("pref", [user], send_at=NOW, due_at=NOW + timedelta(days=2))  # the test kind: e-mail stays on
    TEST_RECIPIENTS["pref"] = [user.id]
    result = services.tick(now=NOW)
    assert (result.expanded, len(smtp.messages)) == (1, 1)
    services.set_email_preferences(user, {APPROVAL_DUE})  # now off for the test kind, on for the other
    due_reminder("pref2", [user], send_at=NOW, due_at=NOW + timedelta(days=2))
    assert services.tick(now=NOW).expanded == 1 and len(smtp.messages) == 1  # inbox only this time


def test_a_batch_whose_composing_fails_stops_its_senders_and_returns(ctx, smtp, app, monkeypatch):
    users = [staff(email=f"c{n}@example.com") for n in range(5)]
    due_reminder("broken", users, send_at=NOW, due_at=NOW + timedelta(days=2))
    services.expand_due(NOW)
    compose = services._Composer.compose
    made = []

    def failing(self, delivery):  # noqa: ANN001, ANN202
        if len(made) == 2:
            raise RuntimeError("template broke")
        made.append(delivery.id)
        return compose(self, delivery)

    monkeypatch.setattr(services._Composer, "compose", failing)
    raised = []

    def send() -> None:
        with app.app_context():
            try:
                services.send_due(NOW)
            except RuntimeError as exc:
                raised.append(exc)

    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    worker.join(timeout=15)
    assert not worker.is_alive()  # it did not wait for ever on its sender threads
    assert [str(e) for e in raised] == ["template broke"]
    assert len(smtp.messages) <= 2  # nothing composed after the failure went out


# ---------------------------------------------------------------- the message, as the SMTP server received it

def test_the_email_is_a_standard_multipart_alternative_message_with_utf8_headers_and_parts(ctx, smtp, app):
    user = staff(email="li@example.com", display_name="李 \"四\"")
    due_reminder("m1", [user], send_at=NOW, due_at=NOW + timedelta(days=2))
    assert services.tick(now=NOW).sent == 1
    [message] = smtp.messages  # parsed by the email package (policy.default) from what aiosmtpd received
    assert message.defects == [] and all(part.defects == [] for part in message.walk())
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    assert str(message["Subject"]) == "【技能通】提醒：测试事项m1（2026-11-04 09:00 截止）"
    assert message["To"].addresses[0].display_name == "李 \"四\""
    assert message["To"].addresses[0].addr_spec == "li@example.com"
    assert message["From"].addresses[0].display_name == "技能通"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime == NOW
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.channel == Channel.EMAIL))
    assert message["Message-ID"] == delivery.message_id("jinengtong.example")
    assert "测试事项m1" in message.get_body(("plain",)).get_content()
    assert "<a href=\"http://127.0.0.1:5000/competitions/events/m1\">" in message.get_body(("html",)).get_content()
    raw = services.build_message(delivery)
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))  # folded for SMTP
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_a_header_with_a_line_break_is_refused_not_sent_and_the_others_go(ctx, smtp, app):
    good, bad_name = staff(email="ok@example.com"), staff(email="n@example.com", display_name="王\nBcc: x@example.com")
    reminder = due_reminder("crlf", [good], send_at=NOW, due_at=NOW + timedelta(days=2))
    due_reminder("name", [bad_name], send_at=NOW, due_at=NOW + timedelta(days=2))
    services.expand_due(NOW)
    reminder.title = "测试事项bad\r\nBcc: victim@example.com"  # as a kind's describe() might have produced it
    db.session.commit()
    result = services.send_due(NOW)
    assert (result.sent, result.failed) == (0, 2)
    assert smtp.messages == []  # nothing went out, let alone to the Bcc
    errors = db.session.scalars(sa.select(Delivery.error).where(Delivery.channel == Channel.EMAIL,
                                                                 Delivery.status == DeliveryStatus.FAILED)).all()
    assert len(errors) == 2 and all("拒绝发送" in e for e in errors)
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.address == "ok@example.com"))
    with pytest.raises(ValueError):
        services.build_message(delivery)


# ---------------------------------------------------------------- stop, heartbeat, lag

def test_a_stop_lets_the_senders_finish_the_message_in_hand_and_gives_the_untried_back(ctx, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_SMTP_CONNECTIONS", 2)
    users = [staff(email=f"t{n}@example.com") for n in range(30)]
    due_reminder("stop", users, send_at=NOW, due_at=NOW + timedelta(days=2))
    services.expand_due(NOW)
    stop = threading.Event()
    record = services._Recording.record

    def record_then_stop(self, *args):  # noqa: ANN001, ANN202
        record(self, *args)
        stop.set()  # SIGTERM arrives after the first outcome is recorded

    monkeypatch.setattr(services._Recording, "record", record_then_stop)
    result = services.send_due(NOW, stop=stop)
    assert 1 <= result.sent <= 2 and len(smtp.messages) == result.sent  # each sender's message in hand at most
    statuses = dict(db.session.execute(sa.select(Delivery.status, sa.func.count()).where(
        Delivery.channel == Channel.EMAIL).group_by(Delivery.status)).tuples().all())
    assert statuses == {DeliveryStatus.SENT: result.sent, DeliveryStatus.PENDING: 30 - result.sent}
    assert db.session.scalar(sa.select(sa.func.max(Delivery.attempts)).where(
        Delivery.status == DeliveryStatus.PENDING)) == 0  # given back untried, not counted as a try
    monkeypatch.setattr(services._Recording, "record", record)
    assert services.tick(now=NOW).sent == 30 - result.sent
    assert max(smtp.message_ids().values()) == 1


def test_healthz_scheduler_reports_the_heartbeat_and_the_oldest_due_reminder(app, ctx, web, fixed_clock):
    fixed_clock(NOW)
    response = web.get("/healthz/scheduler")
    assert response.status_code == 503 and response.json["status"] == "down"  # never beat
    assert response.json["heartbeat_at"] is None

    services.beat(NOW - timedelta(seconds=30), "host-a", 4242)
    response = web.get("/healthz/scheduler")
    assert response.status_code == 200
    expected = {"status": "ok", "heartbeat_age_seconds": 30.0, "heartbeat_host": "host-a", "heartbeat_pid": 4242,
                "oldest_due_age_seconds": 0.0, "oldest_due_at": None}
    assert {key: response.json[key] for key in expected} == expected

    due_reminder("late", [staff()], send_at=NOW - timedelta(minutes=10), due_at=NOW + timedelta(days=1))
    due_reminder("later", [staff()], send_at=NOW + timedelta(minutes=10), due_at=NOW + timedelta(days=1))
    response = web.get("/healthz/scheduler")
    assert response.status_code == 503 and response.json["status"] == "behind"
    assert response.json["oldest_due_age_seconds"] == 600.0
    services.tick(now=NOW)
    services.beat(NOW, "host-a", 4242)
    assert web.get("/healthz/scheduler").json["oldest_due_age_seconds"] == 0.0

    services.beat(NOW - timedelta(minutes=10), "host-a", 4242)  # silent for 10 minutes (interval 60 s)
    assert web.get("/healthz/scheduler").json["status"] == "down"


def test_the_tick_job_beats_and_a_waiting_email_counts_in_the_lag(app, ctx, smtp, fixed_clock, monkeypatch):
    from app.reminders.models import SchedulerHeartbeat
    from app.reminders.scheduler import tick_job

    class Acting:
        def acting(self) -> bool:
            return True

    fixed_clock(NOW)
    smtp.refuse["wait@example.com"] = "451 4.3.0 try again later"
    due_reminder("w", [staff(email="wait@example.com")], send_at=NOW, due_at=NOW + timedelta(days=2))
    db.session.remove()
    tick_job(app, Acting())
    heart = db.session.get(SchedulerHeartbeat, services.TICK_JOB)
    assert heart.beat_at == NOW and heart.pid > 0
    health = services.scheduler_health(NOW + timedelta(seconds=90))  # the retry was due at NOW + 60 s
    assert health.oldest_due_email == NOW + timedelta(seconds=60) and health.lag == 30.0


def test_the_outbox_shows_the_lag_and_every_failure_with_its_reason_and_retry_time(app, ctx, smtp, login_as,
                                                                                    fixed_clock, monkeypatch):
    fixed_clock(NOW)
    monkeypatch.setitem(app.config, "REMINDER_MAX_ATTEMPTS", 3)
    smtp.refuse["busy@example.com"] = "451 4.3.0 mailbox busy"
    smtp.refuse["gone@example.com"] = "550 5.1.1 no such user"
    due_reminder("f", [staff(email="busy@example.com"), staff(email="gone@example.com"),
                       staff(email="fine@example.com")], send_at=NOW, due_at=NOW + timedelta(days=2))
    services.tick(now=NOW)
    services.beat(NOW, "host-a", 1)
    due_reminder("behind", [staff()], send_at=NOW - timedelta(minutes=7), due_at=NOW + timedelta(days=2))
    client = login_as(factories.municipal_official())
    page = client.get("/reminders/outbox").get_data(as_text=True)  # the failures are the default view
    assert "已等待 7分钟" in page and "发送滞后" in page
    assert "gone@example.com" in page and "SMTP 550: 5.1.1 no such user" in page and "不再自动重试" in page
    assert "busy@example.com" in page and "SMTP 451: 4.3.0 mailbox busy" in page and "等待重试" in page
    assert "2026-11-02 09:01" in page  # busy's next try: 60 s later, shown in Shanghai time
    assert "fine@example.com" not in page
    assert 'badge text-bg-secondary">2<' in page


# ---------------------------------------------------------------- the lease while a batch is sent

def _email_rows():
    db.session.expire_all()
    return db.session.execute(sa.select(Delivery.status, Delivery.next_attempt_at, Delivery.attempts)
                              .where(Delivery.channel == Channel.EMAIL).order_by(Delivery.id)).all()


def test_a_batch_longer_than_its_lease_renews_it_and_sends_everything_once(ctx, smtp, app, monkeypatch):
    """Each message takes 0.3 s and the lease is 1 s: the batch (2.4 s) goes on because the lease is moved on
    while the sender works, and while it is sent no e-mail of the batch is ever due for another scheduler."""
    monkeypatch.setitem(app.config, "REMINDER_LEASE_SECONDS", 1)
    monkeypatch.setitem(app.config, "REMINDER_SMTP_CONNECTIONS", 1)
    due_reminder("slow", [staff(email=f"s{n}@example.com") for n in range(8)], send_at=NOW,
                 due_at=NOW + timedelta(days=2))
    services.expand_due(NOW)
    send = services._Smtp.send
    seen: list[datetime] = []

    def slow_send(self, message):  # noqa: ANN001, ANN202
        time.sleep(0.3)
        with app.app_context():  # what another scheduler would see as the end of the lease, now
            seen.append(db.session.scalar(sa.select(sa.func.min(Delivery.next_attempt_at)).where(
                Delivery.status == DeliveryStatus.SENDING)))
            db.session.remove()
        return send(self, message)

    monkeypatch.setattr(services._Smtp, "send", slow_send)
    started = time.monotonic()
    result = services.send_due(NOW)
    elapsed = time.monotonic() - started
    assert result.sent == 8 and elapsed > 2  # more than twice the lease, in one batch
    assert max(seen) > NOW + timedelta(seconds=1.5)  # moved on past the first lease's end
    assert sorted(smtp.message_ids().values()) == [1] * 8
    assert {row.status for row in _email_rows()} == {DeliveryStatus.SENT}


def test_a_sender_that_cannot_renew_its_lease_stops_before_it_runs_out_and_gives_the_rest_back(
        ctx, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_LEASE_SECONDS", 1)
    monkeypatch.setitem(app.config, "REMINDER_SMTP_CONNECTIONS", 1)
    due_reminder("cut", [staff(email=f"c{n}@example.com") for n in range(8)], send_at=NOW,
                 due_at=NOW + timedelta(days=2))
    services.expand_due(NOW)

    def cut_off(self):  # noqa: ANN001, ANN202 - the database refuses the renewal (gone, locked, ...)
        raise sa.exc.OperationalError("UPDATE", {}, Exception("database gone"))

    send = services._Smtp.send
    sent_at: list[float] = []

    class Stopwatch:
        """The services' monotonic clock, moved only by the sends (0.2 s each): what the lease allows then does
        not depend on how busy the machine is."""
        seconds = 1000.0

        def monotonic(self) -> float:
            return self.seconds

        def __getattr__(self, name: str):  # noqa: ANN204 - everything else is the real time module
            return getattr(time, name)

    stopwatch = Stopwatch()

    def slow_send(self, message):  # noqa: ANN001, ANN202
        stopwatch.seconds += 0.2
        sent_at.append(stopwatch.seconds)
        return send(self, message)

    with monkeypatch.context() as patched:
        patched.setattr(services._Lease, "renew", cut_off)
        patched.setattr(services._Smtp, "send", slow_send)
        patched.setattr(services, "time", stopwatch)
        started = stopwatch.seconds
        result = services.send_due(NOW)
    # Only while half the lease was left did a message start: 0.5 s of the 1 s lease, at 0.2 s a message
    # (started at 0, 0.2 and 0.4 s; at 0.6 s the lease had less than half to run).
    assert result.sent == 3
    assert all(at - started < 1.0 for at in sent_at)  # every one sent and recorded inside the lease
    rows = _email_rows()
    assert [r.status for r in rows].count(DeliveryStatus.SENT) == result.sent
    given_back = [r for r in rows if r.status is DeliveryStatus.PENDING]
    assert len(given_back) == 8 - result.sent and all(r.attempts == 0 for r in given_back)
    assert services.tick(now=NOW).sent == 8 - result.sent
    assert sorted(smtp.message_ids().values()) == [1] * 8


def test_each_recipient_of_a_reminder_gets_their_own_name_in_both_parts(ctx, smtp, app):
    users = [staff(email="a@example.com", display_name="王 <五>"), staff(email="b@example.com", display_name="赵六")]
    due_reminder("names", users, send_at=NOW, due_at=NOW + timedelta(days=2))
    assert services.tick(now=NOW).sent == 2
    bodies = {str(m["To"].addresses[0].addr_spec): m for m in smtp.messages}
    assert bodies["a@example.com"].get_body(("plain",)).get_content().startswith("王 <五>，您好")
    assert "<p>王 &lt;五&gt;，您好" in bodies["a@example.com"].get_body(("html",)).get_content()
    assert bodies["b@example.com"].get_body(("plain",)).get_content().startswith("赵六，您好")
    assert "王" not in bodies["b@example.com"].get_body(("html",)).get_content()


def test_the_email_templates_may_read_only_what_the_composer_gives_them(ctx, app, monkeypatch):
    """The bodies are rendered once per content with a slot for the name: a template reading anything else of
    the recipient fails loudly instead of showing one recipient's data to another."""
    source = "{{ user.email }}"
    monkeypatch.setattr(app.jinja_env, "loader", __import__("jinja2").DictLoader(
        {"reminders/email.txt": source, "reminders/email.html": source}))
    if app.jinja_env.cache is not None:
        app.jinja_env.cache.clear()
    due_reminder("strict", [staff(email="x@example.com")], send_at=NOW, due_at=NOW + timedelta(days=2))
    services.expand_due(NOW)
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.channel == Channel.EMAIL))
    with pytest.raises(RuntimeError, match=r"user\.email is not given"):
        services.build_message(delivery)
