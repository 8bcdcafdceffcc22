"""Training bases through the test client: designation, facilities, members, camps, scheduling with clash
refusal, moves, coach logs and their correction window, progress, reports and exports."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import sqlalchemy as sa
from icalendar import Calendar
from openpyxl import load_workbook

from app.core.enums import District, OrgKind, Role
from app.core.models import AuditEntry, User
from app.core.types import utcnow
from app.extensions import db
from app.training_bases.models import (
    Attendance,
    Facility,
    SessionLog,
    TrainingBase,
    TrainingCamp,
    TrainingSession,
)
from tests import factories
from tests import training_base_factories as tf
from tests.conftest import WebClient, count_queries


def _today() -> date:
    return datetime.now(tf.BEIJING).date()


def _session_form(s: tf.Setup, day: date, start: str = "08:30", end: str = "11:30", **fields) -> dict:
    return {"title": "数控编程", "facility_id": s.facility.id, "coach_id": s.coach.id,
            "athlete_ids": [a.id for a in s.athletes], "first_day": day.isoformat(), "start_time": start,
            "end_time": end, **fields}


def _sessions() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))


# ---------------------------------------------------------------- designation

def test_an_official_designates_a_college_as_a_base_listed_by_skill_and_district(app, ctx, login_as):
    factories.occupation()
    factories.occupation("6-18-02-04", "焊工")
    college = factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG, name="上海申江技师学院")
    web = login_as(factories.municipal_official())
    response = web.post("/training-bases/new", {
        "organisation_id": college.id, "name": "世赛上海集训基地（数控车）", "designation": "worldskills_shanghai",
        "skill_codes": ["6-18-01-01"], "designated_from": "2025-01-01", "designated_until": "2027-12-31"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    base = db.session.scalar(sa.select(TrainingBase))
    assert [o.code for o in base.skills] == ["6-18-01-01"]
    listed = web.get("/training-bases/?skill=6-18-01-01&district=pudong").get_data(as_text=True)
    assert "世赛上海集训基地（数控车）" in listed and "上海申江技师学院" in listed
    assert "世赛上海集训基地（数控车）" not in web.get("/training-bases/?skill=6-18-02-04").get_data(as_text=True)
    assert "世赛上海集训基地（数控车）" not in web.get("/training-bases/?district=xuhui").get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.entity_type == "training_bases")) \
        == "designate"


def test_a_base_cannot_be_hosted_by_a_bureau(app, ctx, login_as):
    factories.occupation()
    official = factories.municipal_official()
    web = login_as(official)
    response = web.post("/training-bases/new", {
        "organisation_id": official.organisation_id, "name": "基地", "designation": "high_skill",
        "skill_codes": ["6-18-01-01"], "designated_from": "2025-01-01"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingBase)) == 0
    form = web.get("/training-bases/new").get_data(as_text=True)
    assert f'value="{official.organisation_id}"' not in form


def test_only_officials_designate_bases(app, ctx, login_as):
    s = tf.setup()
    assert login_as(s.manager).get("/training-bases/new").status_code == 403
    assert login_as(s.coach_user).get("/training-bases/new").status_code == 403


def test_base_list_query_count_does_not_grow_with_bases(app, ctx, login_as):
    tf.base()
    web = login_as(factories.municipal_official())
    with count_queries(app) as few:
        web.get("/training-bases/")
    for _ in range(8):
        b = tf.base()
        tf.facility(b)
    with count_queries(app) as many:
        web.get("/training-bases/")
    assert len(many) == len(few)


# ---------------------------------------------------------------- facilities, members, camps

def test_the_base_manager_adds_a_facility_and_a_coach_but_a_coach_cannot(app, ctx, login_as):
    s = tf.setup()
    web = login_as(s.manager)
    response = web.post(f"/training-bases/{s.base.id}/facilities",
                        {"name": "焊接工位区", "kind": "workstation", "capacity": "6", "active": "y",
                         "skill_codes": ["6-18-01-01"]})
    assert response.status_code == 303
    assert "焊接工位区" in web.get(f"/training-bases/{s.base.id}").get_data(as_text=True)
    duplicate = web.post(f"/training-bases/{s.base.id}/facilities",
                         {"name": "焊接工位区", "kind": "workstation", "capacity": "2"})
    assert duplicate.status_code == 422 and "本基地已有同名设施" in duplicate.get_data(as_text=True)
    expert = factories.person("钱专家", employer=s.base.organisation)
    assert web.post(f"/training-bases/{s.base.id}/members", {"person_id": expert.id, "role": "expert_lead",
                                                             "title": "组长"}).status_code == 303
    page = web.get(f"/training-bases/{s.base.id}").get_data(as_text=True)
    assert "钱专家" in page and "专家组组长" in page
    coach_web = login_as(s.coach_user)
    assert coach_web.post(f"/training-bases/{s.base.id}/facilities",
                          {"name": "教练的工位", "kind": "room", "capacity": "2"}).status_code == 403


def test_staff_of_another_organisation_cannot_manage_the_base(app, ctx, login_as):
    s = tf.setup()
    outsider = factories.user(factories.org(OrgKind.TECHNICAL_SCHOOL), Role.COLLEGE_STAFF)
    response = login_as(outsider).post(f"/training-bases/{s.base.id}/facilities",
                                       {"name": "X", "kind": "room", "capacity": "2"})
    assert response.status_code == 403


def test_a_camp_is_created_with_athletes_and_a_plan_of_modules(app, ctx, login_as):
    s = tf.setup()
    web = login_as(s.manager)
    response = web.post(f"/training-bases/{s.base.id}/camps/new", {
        "name": "第48届世赛数控车集训（第二阶段）", "occupation_code": "6-18-01-01", "starts_on": "2026-03-01",
        "ends_on": "2026-04-30", "athlete_ids": [a.id for a in s.athletes],
        "modules": "数控车削编程 | A | 60\n零件测量 | B | 20"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    camp = db.session.scalar(sa.select(TrainingCamp).where(TrainingCamp.name.like("第48届%")))
    assert [(m.criterion_code, m.name, int(m.planned_hours)) for m in camp.modules] == [
        ("A", "数控车削编程", 60), ("B", "零件测量", 20)]
    assert {p.id for p in camp.athletes} == {a.id for a in s.athletes}
    page = web.get(f"/training-bases/camps/{camp.id}").get_data(as_text=True)
    assert "数控车削编程" in page and s.athletes[0].name in page


# ---------------------------------------------------------------- scheduling and clashes

def test_a_coach_schedules_a_session_for_the_camp(app, ctx, login_as):
    s = tf.setup()
    web = login_as(s.coach_user)
    response = web.post(f"/training-bases/camps/{s.camp.id}/sessions", _session_form(s, _today()))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    session = db.session.scalar(sa.select(TrainingSession))
    assert session.starts_at.astimezone(tf.BEIJING).strftime("%H:%M") == "08:30"
    assert session.starts_at.utcoffset().total_seconds() == 0 or session.starts_at.astimezone(tf.BEIJING).hour == 8
    assert len(session.athletes) == 3


def test_a_coach_already_coaching_at_another_base_is_refused_with_the_clashing_booking(app, ctx, login_as):
    s = tf.setup()
    other_base = tf.base(name="另一基地")
    other_facility = tf.facility(other_base, name="另一车间", capacity=10)
    other_camp = tf.camp(other_base, [factories.person("赵强")])
    tf.session(other_camp, other_facility, s.coach, other_camp.athletes, tf.at(_today(), 10), title="外出指导")
    response = login_as(s.coach_user).post(f"/training-bases/camps/{s.camp.id}/sessions", _session_form(s, _today()))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "教练 陈教练 已有安排" in text and "外出指导" in text and "另一基地" in text
    assert _sessions() == 1


def test_an_athlete_booked_at_another_base_at_the_same_time_is_refused(app, ctx, login_as):
    s = tf.setup()
    other_base = tf.base(name="宝山焊接基地")
    other_camp = tf.camp(other_base, [s.athletes[1]])
    other_coach, _account = tf.coach(other_base, name="孙教练")
    tf.session(other_camp, tf.facility(other_base, capacity=5), other_coach, [s.athletes[1]], tf.at(_today(), 9))
    response = login_as(s.coach_user).post(f"/training-bases/camps/{s.camp.id}/sessions", _session_form(s, _today()))
    assert response.status_code == 422
    assert f"选手 {s.athletes[1].name} 已有安排" in response.get_data(as_text=True)


def test_a_facility_takes_overlapping_sessions_only_up_to_its_capacity(app, ctx, login_as):
    s = tf.setup(n_athletes=3, capacity=4)
    second_coach, second_account = tf.coach(s.base, name="吴教练")
    others = [factories.person(n, employer=s.base.organisation) for n in ("甲一", "乙二")]
    s.camp.athletes = s.camp.athletes + others
    db.session.commit()
    tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(_today(), 8))
    web = login_as(second_account)
    fits = _session_form(s, _today(), "09:00", "10:00", coach_id=second_coach.id, athlete_ids=[others[0].id])
    assert web.post(f"/training-bases/camps/{s.camp.id}/sessions", fits).status_code == 303
    over = _session_form(s, _today(), "09:30", "10:30", coach_id=second_coach.id, athlete_ids=[others[1].id])
    response = web.post(f"/training-bases/camps/{s.camp.id}/sessions", over)
    assert response.status_code == 422
    assert "设施已满（容量 4" in response.get_data(as_text=True)


def test_a_recurring_series_with_one_clash_is_not_created_and_lists_the_clash(app, ctx, login_as, fixed_clock):
    monday = date(2026, 11, 2)  # six weeks without a public holiday
    fixed_clock(datetime(2026, 10, 30, 2, tzinfo=UTC))
    s = tf.setup(camp_start=monday)
    other_base = tf.base(name="闵行基地")
    other_camp = tf.camp(other_base, [factories.person("路人")], starts=monday)
    clash_day = monday + timedelta(days=9)  # the second Wednesday
    tf.session(other_camp, tf.facility(other_base, capacity=5), s.coach, other_camp.athletes, tf.at(clash_day, 10),
               title="闵行带训")
    form = _session_form(s, monday, repeat="y", last_day=(monday + timedelta(days=41)).isoformat(),
                         weekdays=["0", "1", "2", "3", "4"])
    web = login_as(s.coach_user)
    response = web.post(f"/training-bases/camps/{s.camp.id}/sessions", form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "1 天冲突（2026-11-11）：陈教练。整组课程均未保存" in text
    assert "闵行带训" in text and clash_day.isoformat() in text
    assert _sessions() == 1
    form["start_time"], form["end_time"] = "13:30", "16:30"
    assert web.post(f"/training-bases/camps/{s.camp.id}/sessions", form).status_code == 303
    assert _sessions() == 1 + 30
    assert len({row for row in db.session.scalars(sa.select(TrainingSession.series_key)) if row}) == 1


def test_the_clash_headline_counts_days_and_names_the_resources(app, ctx, login_as, fixed_clock):
    monday = date(2026, 11, 2)
    fixed_clock(datetime(2026, 10, 30, 2, tzinfo=UTC))
    s = tf.setup(camp_start=monday)  # three athletes, a facility for four
    for week in (0, 1):
        tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(monday + timedelta(days=7 * week), 8, 30))
    form = _session_form(s, monday, repeat="y", last_day=(monday + timedelta(days=11)).isoformat(),
                         weekdays=["0", "2"])
    response = login_as(s.coach_user).post(f"/training-bases/camps/{s.camp.id}/sessions", form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    # Ten clash lines (two Mondays × the facility, the coach and three athletes): two days, five resources.
    assert "2 天冲突（2026-11-02、2026-11-09）：数控车实训车间、陈教练、李明、王芳、张伟。整组课程均未保存" in text
    assert "处冲突" not in text
    single = login_as(s.coach_user).post(f"/training-bases/camps/{s.camp.id}/sessions", _session_form(s, monday))
    assert "1 天冲突（2026-11-02）：数控车实训车间、陈教练、李明、王芳、张伟。课程未保存" in \
        single.get_data(as_text=True)


def test_a_series_over_national_day_skips_the_public_holidays_and_names_them(app, ctx, login_as, fixed_clock):
    monday = date(2026, 9, 28)
    fixed_clock(datetime(2026, 9, 20, 2, tzinfo=UTC))
    s = tf.setup(camp_start=monday)
    form = _session_form(s, monday, repeat="y", last_day="2026-10-09", weekdays=["0", "1", "2", "3", "4"])
    web = login_as(s.coach_user)
    response = web.post(f"/training-bases/camps/{s.camp.id}/sessions", form)
    assert response.status_code == 303
    days = sorted(t.astimezone(tf.BEIJING).date() for t in db.session.scalars(sa.select(TrainingSession.starts_at)))
    assert [d.isoformat() for d in days] == ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09"]
    page = web.get(f"/training-bases/camps/{s.camp.id}").get_data(as_text=True)
    assert "已安排 5 次课程" in page
    assert ("以下日期是法定节假日，已跳过，未安排课程：2026-10-01（国庆节）、2026-10-02（国庆节）、"
            "2026-10-05（国庆节）、2026-10-06（国庆节）、2026-10-07（国庆节）") in page
    assert "法定节假日（元旦、春节、国庆等）默认跳过" in page  # the form says so before saving


def test_a_series_kept_on_new_years_day_is_created_with_a_warning_naming_it(app, ctx, login_as, fixed_clock):
    monday = date(2025, 12, 29)
    fixed_clock(datetime(2025, 12, 20, 2, tzinfo=UTC))
    s = tf.setup(camp_start=monday)
    form = _session_form(s, monday, repeat="y", last_day="2026-01-02", weekdays=["0", "1", "2", "3", "4"],
                         keep_holidays="y")
    web = login_as(s.coach_user)
    assert web.post(f"/training-bases/camps/{s.camp.id}/sessions", form).status_code == 303
    assert _sessions() == 5
    page = web.get(f"/training-bases/camps/{s.camp.id}").get_data(as_text=True)
    assert "以下课程安排在法定节假日：2026-01-01（元旦）、2026-01-02（元旦）" in page
    single = _session_form(s, date(2026, 1, 3))
    assert web.post(f"/training-bases/camps/{s.camp.id}/sessions", single).status_code == 303
    assert "以下课程安排在法定节假日：2026-01-03（元旦）" in web.get(f"/training-bases/camps/{s.camp.id}").get_data(
        as_text=True)


def test_a_series_only_on_holidays_is_refused_and_nothing_is_saved(app, ctx, login_as, fixed_clock):
    fixed_clock(datetime(2026, 9, 20, 2, tzinfo=UTC))
    s = tf.setup(camp_start=date(2026, 9, 28))
    form = _session_form(s, date(2026, 10, 1), repeat="y", last_day="2026-10-07", weekdays=["3", "4"])
    response = login_as(s.coach_user).post(f"/training-bases/camps/{s.camp.id}/sessions", form)
    assert response.status_code == 422
    assert "所选日期都是法定节假日：2026-10-01（国庆节）、2026-10-02（国庆节）" in response.get_data(as_text=True)
    assert _sessions() == 0


def test_a_series_in_a_year_the_holiday_table_does_not_know_is_created_and_says_it_was_not_checked(
        app, ctx, login_as, fixed_clock):
    monday = date(2099, 1, 5)
    fixed_clock(datetime(2098, 12, 20, 2, tzinfo=UTC))
    s = tf.setup(camp_start=date(2098, 12, 28))
    form = _session_form(s, date(2098, 12, 28), repeat="y", last_day=monday.isoformat(), weekdays=["0", "3"])
    web = login_as(s.coach_user)
    assert web.post(f"/training-bases/camps/{s.camp.id}/sessions", form).status_code == 303
    assert _sessions() == 3  # 2098-12-28, 2099-01-01 and 2099-01-05: nothing skipped on a guess
    page = web.get(f"/training-bases/camps/{s.camp.id}").get_data(as_text=True)
    assert "系统的节假日表尚未收录 2098、2099 年的放假安排，这些日期未检查是否为法定节假日" in page


def test_a_session_across_midnight_blocks_the_early_morning_of_the_next_day(app, ctx, login_as):
    s = tf.setup()
    web = login_as(s.coach_user)
    day = _today()
    night = _session_form(s, day, "22:00", "01:00")
    assert web.post(f"/training-bases/camps/{s.camp.id}/sessions", night).status_code == 303
    session = db.session.scalar(sa.select(TrainingSession))
    assert session.ends_at.astimezone(tf.BEIJING) == tf.at(day + timedelta(days=1), 1)
    early = _session_form(s, day + timedelta(days=1), "00:30", "02:00")
    response = web.post(f"/training-bases/camps/{s.camp.id}/sessions", early)
    assert response.status_code == 422 and "已有安排" in response.get_data(as_text=True)


def test_sessions_outside_the_camp_dates_or_with_strangers_are_refused(app, ctx, login_as):
    s = tf.setup()
    web = login_as(s.coach_user)
    late = web.post(f"/training-bases/camps/{s.camp.id}/sessions", _session_form(s, s.camp.ends_on + timedelta(days=3)))
    assert late.status_code == 422 and "课程须在集训期间" in late.get_data(as_text=True)


def test_a_person_who_is_not_a_coach_of_the_base_cannot_schedule(app, ctx, login_as):
    s = tf.setup()
    stranger = factories.user(factories.org(), Role.COACH)
    response = login_as(stranger).post(f"/training-bases/camps/{s.camp.id}/sessions", _session_form(s, _today()))
    assert response.status_code == 403


# ---------------------------------------------------------------- calendar

def test_the_calendar_feed_gives_beijing_times_and_a_constant_number_of_queries(app, ctx, login_as):
    s = tf.setup()
    day = _today()
    tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(day, 8, 30))
    web = login_as(s.manager)
    monday = day - timedelta(days=day.weekday())
    url = (f"/training-bases/{s.base.id}/calendar.json?start={monday.isoformat()}T00:00:00Z"
           f"&end={(monday + timedelta(days=7)).isoformat()}T00:00:00Z")
    with count_queries(app) as few:
        events = web.get(url).get_json()
    assert events[0]["start"] == f"{day.isoformat()}T08:30:00"
    assert "数控车实训车间" in events[0]["title"] and "3人" in events[0]["title"]
    for hour in (12, 15, 19):
        tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(day, hour))
    with count_queries(app) as many:
        assert len(web.get(url).get_json()) == 4
    assert len(many) == len(few)
    page = web.get(f"/training-bases/{s.base.id}/calendar").get_data(as_text=True)
    assert 'id="training-calendar"' in page and "vendor/fullcalendar/fullcalendar.js" in page


def test_dragging_a_session_moves_it_or_is_refused_with_the_clash(app, ctx, login_as):
    s = tf.setup()
    day = _today()
    moving = tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(day, 8))
    tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(day, 14), title="下午训练")
    web = login_as(s.coach_user)
    ok = web.post(f"/training-bases/sessions/{moving.id}/move",
                  {"starts_at": f"{day.isoformat()}T09:00:00", "ends_at": f"{day.isoformat()}T12:00:00"})
    assert ok.status_code == 200 and ok.get_json()["ok"] is True
    db.session.refresh(moving)
    assert moving.starts_at.astimezone(tf.BEIJING) == tf.at(day, 9)
    refused = web.post(f"/training-bases/sessions/{moving.id}/move",
                       {"starts_at": f"{day.isoformat()}T13:00:00", "ends_at": f"{day.isoformat()}T16:00:00"})
    assert refused.status_code == 422
    assert "下午训练" in refused.get_json()["error"]
    db.session.refresh(moving)
    assert moving.starts_at.astimezone(tf.BEIJING) == tf.at(day, 9)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "move")) == 1


def test_a_move_without_the_csrf_token_is_refused(app, ctx, login_as):
    s = tf.setup()
    moving = tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(_today(), 8))
    client = login_as(s.coach_user).client
    with app.app_context():
        response = client.post(f"/training-bases/sessions/{moving.id}/move",
                               data={"starts_at": "2026-01-01T09:00:00", "ends_at": "2026-01-01T10:00:00"})
    assert response.status_code == 400


# ---------------------------------------------------------------- coach logs

def _log_form(s: tf.Setup, **fields) -> dict:
    form = {"actual_hours": "2.5", "content": "G71 粗车循环练习", "notes": "", "score_kind": "mock_test",
            "max_score": "100"}
    for i, a in enumerate(s.athletes):
        form[f"status-{a.id}"] = "present" if i else "absent"
        form[f"reason-{a.id}"] = "" if i else "病假"
        if i:
            form[f"score-{a.id}-0"] = str(80 + i)
    form.update(fields)
    return form


def test_the_coach_logs_attendance_hours_and_scores_of_a_session(app, ctx, login_as):
    s = tf.setup()
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(hours=4))
    web = login_as(s.coach_user)
    response = web.post(f"/training-bases/sessions/{session.id}", _log_form(s))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    log = db.session.scalar(sa.select(SessionLog))
    assert log.actual_hours == 2.5
    assert {a.person_id: a.status for a in log.attendance}[s.athletes[0].id] is Attendance.ABSENT
    assert sorted(float(x.score) for x in log.scores) == [81.0, 82.0]
    page = web.get(f"/training-bases/sessions/{session.id}").get_data(as_text=True)
    assert "G71 粗车循环练习" in page


def test_an_absence_needs_a_reason(app, ctx, login_as):
    s = tf.setup()
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(hours=4))
    response = login_as(s.coach_user).post(f"/training-bases/sessions/{session.id}",
                                           _log_form(s, **{f"reason-{s.athletes[0].id}": ""}))
    assert response.status_code == 422 and "缺勤须填写原因" in response.get_data(as_text=True)


def test_only_the_sessions_coach_logs_it(app, ctx, login_as):
    s = tf.setup()
    _other, other_account = tf.coach(s.base, name="周教练")
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(hours=4))
    response = login_as(other_account).post(f"/training-bases/sessions/{session.id}", _log_form(s))
    assert response.status_code == 422
    assert "只有本课程的教练可以记录训练日志" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionLog)) == 0


def test_after_seven_days_only_the_base_manager_corrects_a_log_and_it_is_audited(app, ctx, login_as):
    s = tf.setup()
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(days=8))
    coach_web = login_as(s.coach_user)
    response = coach_web.post(f"/training-bases/sessions/{session.id}", _log_form(s))
    assert response.status_code == 422
    assert "7 天内更正" in response.get_data(as_text=True)
    manager_web = login_as(s.manager)
    assert manager_web.post(f"/training-bases/sessions/{session.id}", _log_form(s)).status_code == 303
    assert manager_web.post(f"/training-bases/sessions/{session.id}",
                            _log_form(s, actual_hours="3")).status_code == 303
    actions = list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity_type == "session_logs")
                                      .order_by(AuditEntry.id)))
    assert actions == ["create", "correct"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "correct"))
    assert entry.before["actual_hours"] == "2.50" and entry.after["actual_hours"] == "3.00"
    assert "基地管理员更正" in entry.summary


def test_the_correction_window_is_a_policy_value(app, ctx, login_as):
    s = tf.setup()
    from app.core.models import PolicyValue

    db.session.add(PolicyValue(key="training_base.log_correction_days", effective_from=date(2021, 1, 1),
                               value=30))
    db.session.commit()
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(days=8))
    assert login_as(s.coach_user).post(f"/training-bases/sessions/{session.id}", _log_form(s)).status_code == 303
    log = db.session.scalar(sa.select(SessionLog).where(SessionLog.session_id == session.id))
    assert log is not None and log.actual_hours == Decimal("2.50")


def test_a_logged_session_cannot_be_moved(app, ctx, login_as):
    s = tf.setup()
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(hours=4))
    web = login_as(s.coach_user)
    web.post(f"/training-bases/sessions/{session.id}", _log_form(s))
    day = _today().isoformat()
    response = web.post(f"/training-bases/sessions/{session.id}/move",
                        {"starts_at": f"{day}T06:00:00", "ends_at": f"{day}T07:00:00"})
    assert response.status_code == 422
    assert response.get_json() == {"ok": False, "error": "已记录训练日志的课程不能再调整时间"}


# ---------------------------------------------------------------- progress, reports, exports

def _logged_week(s: tf.Setup, login_as) -> None:
    web = login_as(s.coach_user)
    for days_ago in (1, 2, 6):
        session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(days=days_ago))
        assert web.post(f"/training-bases/sessions/{session.id}", _log_form(s)).status_code == 303


def test_the_athlete_sees_their_hours_and_scores_with_the_numbers_in_tables(app, ctx, login_as):
    s = tf.setup()
    _logged_week(s, login_as)
    athlete = s.athletes[1]
    account = factories.user(s.base.organisation, Role.PERSON, person_id=athlete.id)
    page = login_as(account).get(f"/training-bases/athletes/{athlete.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "期间累计训练 7.50 学时" in text
    assert 'data-kind="weeks"' in text and "echarts.common.min.js" in text
    assert "81.00 / 100.00" in text
    absent = s.athletes[0]
    other = login_as(account).get(f"/training-bases/athletes/{absent.id}")
    assert other.status_code == 403


def test_the_base_report_shows_utilisation_and_hours_per_athlete(app, ctx, login_as):
    s = tf.setup()
    _logged_week(s, login_as)
    web = login_as(s.manager)
    end = _today()
    text = web.get(f"/training-bases/{s.base.id}/report?start={(end - timedelta(days=9)).isoformat()}"
                   f"&end={end.isoformat()}").get_data(as_text=True)
    # 3 sessions × 3 h = 9 h over 10 days × 10 h a day = 9 %.
    assert "9.0%" in text
    assert s.athletes[1].name in text and "7.50" in text


def test_sessions_and_logs_export_to_excel(app, ctx, login_as):
    s = tf.setup()
    _logged_week(s, login_as)
    response = login_as(s.manager).get(f"/training-bases/{s.base.id}/sessions.xlsx")
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.data))
    assert wb.sheetnames == ["课程", "出勤", "成绩"]
    assert wb["课程"].max_row == 1 + 3
    assert wb["出勤"].max_row == 1 + 9
    assert {row[3] for row in wb["出勤"].iter_rows(min_row=2, values_only=True)} == {"出勤", "缺勤"}


def test_a_coach_and_an_athlete_download_their_sessions_as_icalendar(app, ctx, login_as):
    s = tf.setup()
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(_today(), 8, 30))
    response = login_as(s.coach_user).get(f"/training-bases/people/{s.coach.id}/calendar.ics?as=coach")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtstart") == session.starts_at
    assert str(event["location"]) == "数控车实训车间"
    athlete = s.athletes[0]
    account = factories.user(s.base.organisation, Role.PERSON, person_id=athlete.id)
    mine = login_as(account).get(f"/training-bases/people/{athlete.id}/calendar.ics")
    assert len(Calendar.from_ical(mine.data).walk("VEVENT")) == 1
    assert login_as(account).get(f"/training-bases/people/{s.coach.id}/calendar.ics?as=coach").status_code == 403


def test_the_camp_page_query_count_does_not_grow_with_sessions(app, ctx, login_as):
    s = tf.setup()
    web = login_as(s.manager)
    tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(_today(), 8))
    with count_queries(app) as few:
        web.get(f"/training-bases/camps/{s.camp.id}")
    for hour in (11, 14, 17, 20):
        tf.session(s.camp, s.facility, s.coach, s.athletes, tf.at(_today(), hour))
    with count_queries(app) as many:
        web.get(f"/training-bases/camps/{s.camp.id}")
    assert len(many) == len(few)


def test_facility_rows_keep_their_capacity_after_a_booking(app, ctx, login_as):
    """The SQLite write lock is a no-op update; it must not change the facility."""
    s = tf.setup(capacity=4)
    login_as(s.coach_user).post(f"/training-bases/camps/{s.camp.id}/sessions", _session_form(s, _today()))
    db.session.rollback()
    assert db.session.get(Facility, s.facility.id).capacity == 4


def test_a_coach_finds_their_own_calendar_feed_on_the_base_page(app, ctx, login_as):
    s = tf.setup()
    page = login_as(s.coach_user).get(f"/training-bases/{s.base.id}").get_data(as_text=True)
    assert f"/training-bases/people/{s.coach.id}/calendar.ics?as=coach" in page
    assert "calendar.ics" not in login_as(s.manager).get(f"/training-bases/{s.base.id}").get_data(as_text=True)


def test_demo_training_base_loads_twice_without_duplicates_and_the_athlete_sees_progress(app, ctx, web):
    from app.competitions.events import demo as competitions_demo
    from app.competitions.registration import demo as registration_demo
    from app.core import demo as core_demo
    from app.training_bases import demo

    today = _today()
    core_demo.seed(people=30)
    competitions_demo.seed(today)
    registration_demo.seed(today)  # the athlete's sign-in
    assert "new sessions" in demo.seed(today)
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (TrainingSession, SessionLog)]
    assert counts[0] > 30 and counts[1] > 10
    assert demo.seed(today) == "demo training base ready (0 new sessions)"
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (TrainingSession, SessionLog)] == counts
    web.login("athlete", core_demo.DEMO_PASSWORD)
    index = web.get("/training-bases/").get_data(as_text=True)
    assert "我的训练进度" in index
    person_id = db.session.scalar(sa.select(User.person_id).where(User.username == "athlete"))
    text = web.get(f"/training-bases/athletes/{person_id}").get_data(as_text=True)
    assert re.search(r"期间累计训练 [1-9]\d*\.\d\d 学时", text)
    coach = WebClient(app.test_client())
    coach.login("coach", core_demo.DEMO_PASSWORD)  # a person too, but never on an attendance list
    assert "我的训练进度" not in coach.get("/training-bases/").get_data(as_text=True)
    web = WebClient(app.test_client())
    web.login("college", core_demo.DEMO_PASSWORD)
    base_id = db.session.scalar(sa.select(TrainingBase.id))
    assert "calendar.ics?as=coach" in web.get(f"/training-bases/{base_id}").get_data(as_text=True)


def test_the_area_speaks_english_too(app, ctx, login_as):
    s = tf.setup()
    session = tf.session(s.camp, s.facility, s.coach, s.athletes, utcnow() - timedelta(hours=4))
    web = login_as(s.coach_user)
    web.post("/locale", {"locale": "en", "next": "/"})
    assert "Coaches and expert team" in web.get(f"/training-bases/{s.base.id}").get_data(as_text=True)
    assert "Schedule sessions (weekly repetition possible)" in web.get(
        f"/training-bases/camps/{s.camp.id}").get_data(as_text=True)
    assert "Reason for absence" in web.get(f"/training-bases/sessions/{session.id}").get_data(as_text=True)
    assert 'data-locale="en"' in web.get(f"/training-bases/{s.base.id}/calendar").get_data(as_text=True)
    refused = web.post(f"/training-bases/camps/{s.camp.id}/sessions",
                       _session_form(s, s.camp.ends_on + timedelta(days=3)))
    assert "Sessions must fall within the camp" in refused.get_data(as_text=True)
