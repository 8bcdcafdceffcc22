"""每周风险与进度摘要: a weekly e-mail (and inbox item) to each district's officials through the reminders machinery.

One reminder row per district per week, subject ``<district>:<monday>``, sent on Monday at the policy's send
hour (``reminder.send_hour``, Shanghai time). ``flask supervision weekly-summary`` makes the coming Monday's
rows for every district (run it once, or from cron: it never makes a row twice); after that the chain keeps
itself going — when a week's summary goes out, ``describe`` makes the next week's row in the same transaction.

The summary's figures are counted when it goes out (not when it was scheduled): open risk prompts of the
district by kind, the year's new and completed apprentices, subsidies claimed and spent.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import risks
from app.core.enums import District, OrgKind, Role
from app.core.models import Organisation, User, UserRole
from app.core.types import utcnow
from app.extensions import db
from app.reminders.models import Reminder
from app.reminders.registry import DeadlineKind, Subject, register_kind
from app.reminders.services import send_policy
from app.supervision import bp, dashboards, services

WEEKLY_SUMMARY = "supervision.weekly_summary"


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TZ"])


def next_monday(now: datetime) -> date:
    """The first Monday (Shanghai) whose send time is still to come."""
    today = now.astimezone(_tz()).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    if send_at(monday, send_policy(WEEKLY_SUMMARY, now).hour) <= now:
        monday += timedelta(days=7)
    return monday


def send_at(monday: date, hour: int) -> datetime:
    return datetime.combine(monday, time(hour), tzinfo=_tz())


def ensure_week(district: District, monday: date, now: datetime) -> Reminder | None:
    """The district's summary for the week of ``monday``, made if missing (adds to the session); None when it
    exists already."""
    key = f"{district.value}:{monday.isoformat()}"
    exists = db.session.scalar(sa.select(Reminder.id).where(Reminder.kind == WEEKLY_SUMMARY,
                                                            Reminder.subject_key == key).limit(1))
    if exists is not None:
        return None
    at = send_at(monday, send_policy(WEEKLY_SUMMARY, now).hour)
    # Due a day after it goes out: the machinery skips a reminder whose deadline has passed.
    row = Reminder(kind=WEEKLY_SUMMARY, subject_key=key, offset_days=0, send_at=at, due_at=at + timedelta(days=1))
    db.session.add(row)
    return row


def ensure_weekly_summaries(now: datetime | None = None) -> int:
    """The coming Monday's summary for every district (idempotent); returns how many were made. Caller commits."""
    now = now or utcnow()
    monday = next_monday(now)
    return sum(1 for d in District if ensure_week(d, monday, now) is not None)


def _parse(subject_key: str) -> tuple[District, date] | None:
    value, _sep, day = subject_key.partition(":")
    if value not in District._value2member_map_:
        return None
    try:
        return District(value), date.fromisoformat(day)
    except ValueError:
        return None


def district_officials(subject_key: str) -> list[User]:
    """The active officials of the district's bureau."""
    parsed = _parse(subject_key)
    if parsed is None:
        return []
    return list(db.session.scalars(
        sa.select(User).join(Organisation, Organisation.id == User.organisation_id)
        .where(Organisation.kind == OrgKind.DISTRICT_BUREAU, Organisation.district == parsed[0],
               User.active.is_(True),
               User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.OFFICIAL)))
        .order_by(User.id)))


def summary_text(district: District, year: int) -> str:
    """The figures of the district, in one line (the reminder's title, at most 200 characters)."""
    # The stored prompts as they are: the tick never runs the rules (the scheduler's refresh process keeps them
    # within RISK_PROMPTS_MAX_AGE_SECONDS).
    by_kind = services.risk_counts(services.Scope(year, district), "open")
    labels = risks.labels()
    kinds = "、".join(f"{labels[k]} {by_kind[k]}" for k in labels if by_kind.get(k))
    _progress, months = dashboards.apprenticeship_figures(year, district)
    subsidy = dashboards.subsidy_by_district(year, district)
    claimed = sum((r.claimed for r in subsidy), start=dashboards.Decimal(0))
    spent = sum((r.spent for r in subsidy), start=dashboards.Decimal(0))
    text = _("%(district)s每周摘要：待核查风险 %(n)d 条%(kinds)s；%(year)d 年新备案学徒 %(enrolled)d 人、结业 "
             "%(completed)d 人；补贴申领 %(claimed)s 元、实际支出 %(spent)s 元",
             district=district.label, n=sum(by_kind.values()), kinds=f"（{kinds}）" if kinds else "", year=year,
             enrolled=sum(m.enrolled for m in months), completed=sum(m.completed for m in months),
             claimed=f"{claimed:,.2f}", spent=f"{spent:,.2f}")
    return text[:200]


def describe(subject_key: str) -> Subject | None:
    """The week's figures for the district, and a link to its risk desk. Going out, the summary also makes next
    week's (the chain that keeps the weekly schedule)."""
    parsed = _parse(subject_key)
    if parsed is None:
        return None
    district, monday = parsed
    ensure_week(district, monday + timedelta(days=7), utcnow())
    return Subject(summary_text(district, monday.year), url_for("supervision.risk_desk", district=district.value))


register_kind(DeadlineKind(key=WEEKLY_SUMMARY, label=_l("每周风险与进度摘要"), recipients=district_officials,
                           describe=describe, default_offsets=(0,)))


@bp.cli.command("weekly-summary")
def weekly_summary_command() -> None:
    """Schedule the coming Monday's 每周风险与进度摘要 for every district (safe to run again)."""
    made = ensure_weekly_summaries()
    db.session.commit()
    click.echo(f"weekly summaries scheduled: {made}")
