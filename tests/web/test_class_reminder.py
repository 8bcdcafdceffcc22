"""A class is reminded at once: its apprentices and mentors with sign-ins get it at the scheduler's next tick."""

from __future__ import annotations

import sqlalchemy as sa

from app.apprenticeships.reminders import CLASS_NOTICE, class_recipients
from app.core.enums import Role
from app.core.types import utcnow
from app.extensions import db
from app.reminders import services as reminder_services
from app.reminders.models import Delivery, Reminder
from tests import apprenticeship_factories as af
from tests import factories


def test_hr_reminds_a_class_and_its_apprentices_and_mentors_get_it_in_the_inbox(app, ctx, login_as):
    af.policies()
    c = af.cast()
    klass = af.klass(c)
    person = af.apprentice(c)
    af.enrollment(c, person, class_id=klass.id)
    apprentice_user = factories.user(c.enterprise, Role.PERSON, person_id=person.id)
    mentor_user = factories.user(c.enterprise, Role.MENTOR, person_id=c.enterprise_mentor.id)
    factories.user(c.enterprise, Role.PERSON)  # not in the class
    client = login_as(c.hr)
    assert client.post(f"/apprenticeships/classes/{klass.id}/remind").status_code == 303
    again = client.post(f"/apprenticeships/classes/{klass.id}/remind")
    assert again.status_code == 422 and "上一次提醒尚未发出" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder).where(
        Reminder.kind == CLASS_NOTICE)) == 1
    with app.test_request_context():
        assert {u.id for u in class_recipients(str(klass.id))} == {apprentice_user.id, mentor_user.id}
        reminder_services.tick(utcnow())
    recipients = set(db.session.scalars(sa.select(Delivery.user_id).where(Delivery.channel == "inbox")))
    assert recipients == {apprentice_user.id, mentor_user.id}


def test_another_enterprise_cannot_remind_the_class(app, ctx, login_as):
    af.policies()
    c = af.cast()
    klass = af.klass(c)
    stranger = factories.user(factories.org(), Role.ENTERPRISE_HR)
    assert login_as(stranger).post(f"/apprenticeships/classes/{klass.id}/remind").status_code in (403, 404)


def test_the_class_reminder_names_no_deadline_in_its_e_mail_inbox_or_outbox(app, ctx, login_as, smtp, fixed_clock):
    from datetime import UTC, datetime

    fixed_clock(datetime(2026, 4, 7, 2, 0, tzinfo=UTC))
    af.policies()
    c = af.cast()
    klass = af.klass(c)
    person = af.apprentice(c)
    af.enrollment(c, person, class_id=klass.id)
    apprentice_user = factories.user(c.enterprise, Role.PERSON, person_id=person.id, email="xm@example.com")
    assert login_as(c.hr).post(f"/apprenticeships/classes/{klass.id}/remind").status_code == 303
    reminder = db.session.scalar(sa.select(Reminder).where(Reminder.kind == CLASS_NOTICE))
    outbox = login_as(factories.municipal_official()).get("/reminders/outbox?view=scheduled").get_data(as_text=True)
    row = outbox.split(f'id="reminder-row-{reminder.id}"', 1)[1].split("</tr>", 1)[0]
    assert row.endswith("<td>—</td>") and "2026-04-08" not in row  # no invented deadline a day later
    with app.test_request_context():
        reminder_services.tick(utcnow())
    (message,) = smtp.messages
    assert str(message["Subject"]) == f"【技能通】提醒：{klass.name}：请按培训计划参加培训并记录带徒学时"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"提醒：{klass.name}：请按培训计划参加培训并记录带徒学时。" in plain
    assert "截止" not in plain and "截止" not in html and "截止" not in str(message["Subject"])
    inbox = login_as(apprentice_user).get("/reminders/").get_data(as_text=True)
    assert klass.name in inbox and "截止时间" not in inbox
