"""Files out of the training-base area: sessions and logs as .xlsx, a coach's or athlete's calendar as .ics."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _

from app.core.xlsx import export_workbook
from app.training_bases.models import TrainingSession
from app.training_bases.services import tz


def _local(at: datetime) -> str:
    return at.astimezone(tz()).strftime("%Y-%m-%d %H:%M")


def export_sessions(sessions: list[TrainingSession]) -> bytes:
    """Three sheets: sessions with their log summary, attendance per athlete, scores per athlete and criterion."""
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet(_("课程"))
    ws.append([_("编号"), _("开始（北京时间）"), _("结束（北京时间）"), _("集训"), _("训练模块"), _("课程内容"),
               _("设施"), _("教练"), _("选手数"), _("已记录日志"), _("实际学时"), _("出勤人数"), _("训练内容")])
    attendance = wb.create_sheet(_("出勤"))
    attendance.append([_("课程编号"), _("开始（北京时间）"), _("选手"), _("出勤"), _("原因")])
    scores = wb.create_sheet(_("成绩"))
    scores.append([_("课程编号"), _("开始（北京时间）"), _("选手"), _("类型"), _("评分项"), _("得分"), _("满分")])
    for s in sessions:
        log = s.log
        present = sum(1 for a in log.attendance if a.status.counts_hours) if log else ""
        ws.append([s.id, _local(s.starts_at), _local(s.ends_at), s.camp.name, s.module.name if s.module else "",
                   s.title, s.facility.name, s.coach.name, len(s.athletes), _("是") if log else _("否"),
                   float(log.actual_hours) if log else "", present, log.content if log else ""])
        if log is None:
            continue
        for a in log.attendance:
            attendance.append([s.id, _local(s.starts_at), a.person.name, str(a.status.label), a.reason])
        for sc in log.scores:
            scores.append([s.id, _local(s.starts_at), sc.person.name, str(sc.kind.label), sc.criterion,
                           float(sc.score), float(sc.max_score)])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sessions_ics(sessions: list[TrainingSession], calendar_name: str) -> bytes:
    """An iCalendar file (RFC 5545) with one VEVENT per session, times in UTC."""
    from icalendar import Calendar, Event  # only this download needs it (80 modules a worker need not hold)

    cal = Calendar()
    cal.add("prodid", "-//jinengtong//training sessions//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", current_app.config["TZ"])
    stamp = datetime.now(UTC)
    for s in sessions:
        event = Event()
        event.add("uid", f"training-session-{s.id}@jinengtong")
        event.add("dtstamp", stamp)
        event.add("dtstart", s.starts_at.astimezone(UTC))
        event.add("dtend", s.ends_at.astimezone(UTC))
        event.add("summary", f"{s.title or _('训练')} · {s.camp.name}")
        event.add("location", s.facility.name)
        event.add("description", f"{_('教练')}：{s.coach.name}")
        cal.add_component(event)
    return cal.to_ical()
