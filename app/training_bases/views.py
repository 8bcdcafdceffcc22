"""Thin views of the training bases: parse the form, call the service, render the page or the changed part."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from io import BytesIO

from flask import Response, flash, jsonify, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import can, require
from app.core import audit
from app.core import services as core_services
from app.core import tallies as core_tallies
from app.core.enums import District
from app.core.models import Person
from app.core.types import utcnow
from app.core.views import attach_error, attempt, form_status, submit, today_in_shanghai, try_write
from app.errors import DomainError
from app.extensions import db
from app.htmx import redirect_after_post, render
from app.training_bases import bp, imports, rules, services, tallies
from app.training_bases.forms import (
    BaseForm,
    CampForm,
    FacilityForm,
    LogForm,
    MemberForm,
    ModuleForm,
    SessionForm,
)
from app.training_bases.models import Attendance, Designation, FacilityKind, MemberRole, ScoreKind
from app.training_bases.services import tz

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


def _period(default_days: int = 84) -> tuple[date, date]:
    today = today_in_shanghai()
    end = _date_arg("end", today)
    start = _date_arg("start", end - timedelta(days=default_days - 1))
    if start > end:
        start, end = end, start
    # A period of more than ~5 years is a typo; keep pages bounded.
    return max(start, end - timedelta(days=366 * 5)), end


# ---------------------------------------------------------------- bases

@bp.get("/")
@login_required
def index() -> Response:
    """Bases by skill, district and designation; the actor's own bases first."""
    occupation = request.args.get("skill", "").strip()[:16]
    district_value = request.args.get("district", "")
    district = District(district_value) if district_value in District._value2member_map_ else None
    designation_value = request.args.get("designation", "")
    designation = Designation(designation_value) if designation_value in Designation._value2member_map_ else None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = 50
    rows, total = services.list_bases(current_user, occupation_code=occupation, district=district,
                                      designation=designation, page=page, per_page=per_page)
    args = {k: v for k, v in {"skill": occupation, "district": district_value if district else "",
                              "designation": designation_value if designation else ""}.items() if v}
    return render("training_bases/index.html", block="base_results", rows=rows, total=total, page=page,
                  per_page=per_page, args=args, skill=occupation, district=district, designation=designation,
                  occupations=core_services.occupation_choices(), mine=services.managed_bases(current_user),
                  is_athlete=services.trains_as_athlete(current_user), district_choices=District.choices(),
                  designation_choices=Designation.choices())


def _base_form(base=None) -> BaseForm:
    form = BaseForm(obj=base)
    form.organisation_id.choices = [("", "—")] + services.host_choices(current_user)
    form.skill_codes.choices = core_services.occupation_choices()
    if base is not None and request.method == "GET":
        form.designation.data = base.designation.value
        form.skill_codes.data = [o.code for o in base.skills]
    return form


def _base_data(form: BaseForm) -> services.BaseData:
    return services.BaseData(organisation_id=form.organisation_id.data or 0, name=form.name.data or "",
                             designation=Designation(form.designation.data),
                             designated_from=form.designated_from.data, designated_until=form.designated_until.data,
                             skill_codes=list(form.skill_codes.data or []))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def base_new() -> Response:
    require(current_user, "training_base.designate")
    form = _base_form()
    base = submit(form, lambda: services.designate_base(current_user, _base_data(form)))
    if base is not None:
        flash(_("已认定集训基地：%(name)s", name=base.name), "success")
        return redirect_after_post("training_bases.base_detail", base_id=base.id)
    return render("training_bases/base_form.html", form=form, base=None, http_status=form_status())


@bp.route("/<int:base_id>/edit", methods=["GET", "POST"])
@login_required
def base_edit(base_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    require(current_user, "training_base.designate", base)
    form = _base_form(base)
    saved = submit(form, lambda: services.update_base(current_user, base, _base_data(form)))
    if saved is not None:
        flash(_("已保存"), "success")
        return redirect_after_post("training_bases.base_detail", base_id=base.id)
    return render("training_bases/base_form.html", form=form, base=base, http_status=form_status())


def _facility_form(base) -> FacilityForm:
    form = FacilityForm()
    form.skill_codes.choices = [(o.code, f"{o.code} {o.name}") for o in base.skills]
    return form


def _member_form(base) -> MemberForm:
    form = MemberForm()
    form.person_id.choices = [("", "—")] + services.person_choices(current_user, base)
    form.occupation_code.choices = [("", "—")] + [(o.code, f"{o.code} {o.name}") for o in base.skills]
    return form


def _render_base(base, facility_form=None, member_form=None, block=None, status=200) -> Response:
    manager = can(current_user, "training_base.manage", base)
    return render("training_bases/base_detail.html", block=block, base=base, manager=manager,
                  facilities=services.facilities_of(base), members=services.members_of(base),
                  camps=services.camps_of(base),
                  facility_form=facility_form or (_facility_form(base) if manager else None),
                  member_form=member_form or (_member_form(base) if manager else None),
                  history=audit.entries_for("training_bases", base.id, limit=20) if manager else [],
                  http_status=status)


@bp.get("/<int:base_id>")
@login_required
def base_detail(base_id: int) -> Response:
    return _render_base(services.get_base(current_user, base_id))


@bp.post("/<int:base_id>/facilities")
@login_required
def facility_add(base_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    require(current_user, "training_base.manage", base)
    form = _facility_form(base)
    saved = submit(form, lambda: services.add_facility(current_user, base, services.FacilityData(
        name=form.name.data or "", kind=FacilityKind(form.kind.data), capacity=form.capacity.data or 0,
        skill_codes=list(form.skill_codes.data or []), active=bool(form.active.data))))
    if saved is not None:
        flash(_("已添加设施：%(name)s", name=saved.name), "success")
        return redirect_after_post("training_bases.base_detail", base_id=base.id)
    return _render_base(base, facility_form=form, block="facility_panel", status=422)


@bp.post("/<int:base_id>/facilities/<int:facility_id>/toggle")
@login_required
def facility_toggle(base_id: int, facility_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    facility = services.get_facility(base, facility_id)
    services.update_facility(current_user, base, facility, services.FacilityData(
        name=facility.name, kind=facility.kind, capacity=facility.capacity,
        skill_codes=[o.code for o in facility.skills], active=not facility.active))
    flash(_("已保存"), "success")
    return redirect_after_post("training_bases.base_detail", base_id=base.id)


@bp.post("/<int:base_id>/members")
@login_required
def member_add(base_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    require(current_user, "training_base.manage", base)
    form = _member_form(base)
    saved = submit(form, lambda: services.add_member(current_user, base, services.MemberData(
        person_id=form.person_id.data or 0, role=MemberRole(form.role.data),
        occupation_code=form.occupation_code.data or None, title=form.title.data or "")))
    if saved is not None:
        flash(_("已添加成员：%(name)s", name=saved.person.name), "success")
        return redirect_after_post("training_bases.base_detail", base_id=base.id)
    return _render_base(base, member_form=form, block="member_panel", status=422)


@bp.post("/<int:base_id>/members/<int:member_id>/remove")
@login_required
def member_remove(base_id: int, member_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    services.remove_member(current_user, base, member_id)
    flash(_("已移除成员"), "success")
    return redirect_after_post("training_bases.base_detail", base_id=base.id)


# ---------------------------------------------------------------- camps

def _parse_modules(text: str) -> list[services.ModuleData]:
    """One module per line: name | criterion code | planned hours."""
    modules = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if not parts[0]:
            continue
        try:
            hours = Decimal(parts[2]) if len(parts) > 2 and parts[2] else Decimal("0")
            if not hours.is_finite():
                raise InvalidOperation
        except InvalidOperation as exc:
            raise DomainError(_("计划学时须为数字：%(line)s", line=line), "modules") from exc
        modules.append(services.ModuleData(parts[0], parts[1] if len(parts) > 1 else "", hours))
    return modules


def _camp_form(base, camp=None) -> CampForm:
    form = CampForm(obj=camp)
    form.occupation_code.choices = [("", "—")] + [(o.code, f"{o.code} {o.name}") for o in base.skills]
    form.athlete_ids.choices = services.person_choices(current_user, base)
    if camp is not None and request.method == "GET":
        form.athlete_ids.data = [p.id for p in camp.athletes]
        form.occupation_code.data = camp.occupation_code or ""
    return form


def _camp_data(form: CampForm, with_modules: bool = True) -> services.CampData:
    return services.CampData(name=form.name.data or "", occupation_code=form.occupation_code.data or None,
                             starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                             description=form.description.data or "", athlete_ids=list(form.athlete_ids.data or []),
                             modules=_parse_modules(form.modules.data) if with_modules else [])


@bp.route("/<int:base_id>/camps/new", methods=["GET", "POST"])
@login_required
def camp_new(base_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    require(current_user, "training_base.manage", base)
    form = _camp_form(base)
    camp = submit(form, lambda: services.create_camp(current_user, base, _camp_data(form)))
    if camp is not None:
        flash(_("已创建集训：%(name)s", name=camp.name), "success")
        return redirect_after_post("training_bases.camp_detail", camp_id=camp.id)
    return render("training_bases/camp_form.html", form=form, base=base, camp=None, http_status=form_status())


@bp.route("/camps/<int:camp_id>/edit", methods=["GET", "POST"])
@login_required
def camp_edit(camp_id: int) -> Response:
    camp = services.get_camp(current_user, camp_id)
    require(current_user, "training_base.manage", camp.base)
    form = _camp_form(camp.base, camp)
    del form.modules
    saved = submit(form, lambda: services.update_camp(current_user, camp, _camp_data(form, with_modules=False)))
    if saved is not None:
        flash(_("已保存"), "success")
        return redirect_after_post("training_bases.camp_detail", camp_id=camp.id)
    return render("training_bases/camp_form.html", form=form, base=camp.base, camp=camp, http_status=form_status())


def _session_form(camp) -> SessionForm:
    form = SessionForm()
    form.facility_id.choices = [("", "—")] + [(f.id, f"{f.name}（{f.capacity}）")
                                              for f in services.facilities_of(camp.base, active_only=True)]
    form.coach_id.choices = [("", "—")] + services.coach_choices(camp.base)
    form.athlete_ids.choices = [(p.id, p.name) for p in camp.athletes]
    form.module_id.choices = [("", "—")] + [(m.id, f"{m.criterion_code} {m.name}".strip()) for m in camp.modules]
    if request.method == "GET":
        form.athlete_ids.data = [p.id for p in camp.athletes]
        form.first_day.data = max(camp.starts_on, min(today_in_shanghai(), camp.ends_on))
        if current_user.person_id in {cid for cid, _n in form.coach_id.choices[1:]}:
            form.coach_id.data = current_user.person_id
    return form


def _render_camp(camp, session_form=None, clashes=None, status=200, block=None) -> Response:
    may_schedule = can(current_user, "training_session.schedule", camp.base)
    return render("training_bases/camp_detail.html", block=block, camp=camp,
                  manager=can(current_user, "training_base.manage", camp.base), may_schedule=may_schedule,
                  sessions=services.sessions_of_camp(camp),
                  session_form=session_form or (_session_form(camp) if may_schedule else None),
                  module_form=ModuleForm(), clashes=clashes or [], http_status=status)


@bp.get("/camps/<int:camp_id>")
@login_required
def camp_detail(camp_id: int) -> Response:
    return _render_camp(services.get_camp(current_user, camp_id))


@bp.post("/camps/<int:camp_id>/modules")
@login_required
def module_add(camp_id: int) -> Response:
    camp = services.get_camp(current_user, camp_id)
    form = ModuleForm()
    saved = submit(form, lambda: services.add_module(current_user, camp, services.ModuleData(
        name=form.name.data or "", criterion_code=form.criterion_code.data or "",
        planned_hours=form.planned_hours.data or Decimal("0"))))
    if saved is not None:
        flash(_("已添加模块"), "success")
    else:
        # Messages may be lazy strings (a field's own message); join their text.
        flash("；".join(str(e) for errs in form.errors.values() for e in errs) or _("无法添加模块"), "danger")
    return redirect_after_post("training_bases.camp_detail", camp_id=camp.id)


@bp.post("/camps/<int:camp_id>/sessions")
@login_required
def session_new(camp_id: int) -> Response:
    """One session, or a weekly series in one step (all or nothing; every clash listed)."""
    camp = services.get_camp(current_user, camp_id)
    require(current_user, "training_session.schedule", camp.base)
    form = _session_form(camp)
    clashes: list[str] = []

    def write():
        data = services.SessionData(
            facility_id=form.facility_id.data or 0, coach_id=form.coach_id.data or 0,
            athlete_ids=list(form.athlete_ids.data or []), module_id=form.module_id.data,
            title=form.title.data or "", starts_at=utcnow(), ends_at=utcnow())
        if form.repeat.data:
            if form.last_day.data is None:
                raise DomainError(_("请填写重复截止日期"), "last_day")
            recurrence = rules.Recurrence(first_day=form.first_day.data, last_day=form.last_day.data,
                                          weekdays=frozenset(int(d) for d in form.weekdays.data or []),
                                          start=form.start_time.data, end=form.end_time.data, tz=str(tz()))
            return services.schedule_series(current_user, camp, data, recurrence, bool(form.keep_holidays.data))
        starts, ends = rules.local_interval(form.first_day.data, form.start_time.data, form.end_time.data, tz())
        data.starts_at, data.ends_at = starts, ends
        session = services.schedule_session(current_user, camp, data)
        holidays, _unknown = services.holidays_among([form.first_day.data])
        return services.SeriesOutcome([session], holidays, True, ())

    if form.validate_on_submit():
        saved, refusal = try_write(write)
        if isinstance(refusal, services.ClashError):
            clashes = refusal.messages
            refusal = DomainError(
                _("%(headline)s。整组课程均未保存，请调整后重试。", headline=refusal.headline) if form.repeat.data
                else _("%(headline)s。课程未保存，请调整后重试。", headline=refusal.headline))
        if refusal is not None:
            attach_error(form, refusal)
        if saved:
            _flash_series(saved)
            return redirect_after_post("training_bases.camp_detail", camp_id=camp.id)
    camp = services.get_camp(current_user, camp_id)
    return _render_camp(camp, session_form=form, clashes=clashes, status=422, block="session_panel")


def _flash_series(outcome: services.SeriesOutcome) -> None:
    """What was saved, and the public holidays among its dates: skipped, or kept (named either way)."""
    flash(_("已安排 %(n)d 次课程", n=len(outcome.sessions)), "success")
    if outcome.holidays and outcome.holidays_kept:
        flash(_("以下课程安排在法定节假日：%(days)s。请确认设施开放，教练和选手已知悉。",
                days=services.holiday_list(outcome.holidays)), "warning")
    elif outcome.holidays:
        flash(_("以下日期是法定节假日，已跳过，未安排课程：%(days)s。如确需在节假日训练，请勾选“节假日照常安排”后单独安排。",
                days=services.holiday_list(outcome.holidays)), "warning")
    if outcome.unknown_years:
        flash(_("系统的节假日表尚未收录 %(years)s 年的放假安排，这些日期未检查是否为法定节假日。",
                years="、".join(str(y) for y in outcome.unknown_years)), "warning")


# ---------------------------------------------------------------- calendar

@bp.get("/<int:base_id>/calendar")
@login_required
def calendar(base_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    return render("training_bases/calendar.html", base=base,
                  editable=can(current_user, "training_session.schedule", base),
                  initial=request.args.get("date", today_in_shanghai().isoformat())[:10])


def _wall_time(value: str) -> datetime:
    """A calendar time: Beijing wall-clock time (any zone suffix the calendar adds is ignored)."""
    value = value.strip().replace(" ", "T")
    for suffix in ("Z", "+00:00"):
        value = value.removesuffix(suffix)
    return datetime.fromisoformat(value[:19]).replace(tzinfo=tz())


@bp.get("/<int:base_id>/calendar.json")
@login_required
def calendar_events(base_id: int) -> ResponseReturnValue:
    """Sessions between ``start`` and ``end`` (Beijing wall-clock times, as the calendar shows them)."""
    base = services.get_base(current_user, base_id)
    try:
        start, end = _wall_time(request.args["start"]), _wall_time(request.args["end"])
    except (KeyError, ValueError):
        return jsonify(error=_("缺少或无法识别的时间范围")), 400
    if end - start > timedelta(days=62) or end <= start:
        return jsonify(error=_("时间范围过大")), 400
    events = services.calendar_events(current_user, base, start, end)
    # One url_for per kind of link, not per event (a week of a busy base has hundreds).
    marker = "2147483647"
    detail = url_for("training_bases.session_detail", session_id=int(marker)).split(marker)
    move = url_for("training_bases.session_move", session_id=int(marker)).split(marker)
    for event in events:
        event["url"] = f"{detail[0]}{event['id']}{detail[1]}"
        event["extendedProps"] = {"moveUrl": f"{move[0]}{event['id']}{move[1]}"}
    return jsonify(events)


@bp.post("/sessions/<int:session_id>/move")
@login_required
def session_move(session_id: int) -> ResponseReturnValue:
    """A drag on the calendar: 200 with the new times, or 422 with the clash (the calendar reverts)."""
    session = services.get_session(current_user, session_id)
    try:
        starts, ends = _wall_time(request.form["starts_at"]), _wall_time(request.form["ends_at"])
    except (KeyError, ValueError):
        return jsonify(ok=False, error=_("无法识别的时间")), 400
    _result, refusal = try_write(lambda: services.move_session(current_user, session, starts, ends))
    if refusal is not None:
        return jsonify(ok=False, error=refusal.message), 422
    return jsonify(ok=True, message=_("已调整到 %(when)s", when=starts.strftime("%m-%d %H:%M")))


# ---------------------------------------------------------------- sessions and logs

def _criteria(session) -> list[str]:
    codes = [m.criterion_code for m in session.camp.modules if m.criterion_code]
    if session.log is not None:
        codes += [s.criterion for s in session.log.scores]
    unique = list(dict.fromkeys(codes))
    return unique or [_("总分")]


def _render_session(session, form=None, status=200, errors=None) -> Response:
    now = utcnow()
    may_log = services.may_log(current_user, session, now)
    if form is None:
        form = LogForm(obj=session.log)
        if session.log is None:
            form.actual_hours.data = rules.session_hours(session.starts_at, session.ends_at)
        elif session.log.scores:
            form.score_kind.data = session.log.scores[0].kind.value
            form.max_score.data = session.log.scores[0].max_score
    log = session.log
    marks = {a.person_id: a for a in log.attendance} if log else {}
    scores = {(s.person_id, s.criterion): s.score for s in log.scores} if log else {}
    values = request.form if request.method == "POST" else None
    return render("training_bases/session_detail.html", block="log_panel" if status != 200 else None,
                  session=session, form=form, may_log=may_log, marks=marks, scores=scores, values=values,
                  criteria=_criteria(session), attendance_choices=Attendance.choices(), errors=errors or [],
                  may_schedule=can(current_user, "training_session.schedule", session.camp.base),
                  history=audit.entries_for("session_logs", log.id, limit=20) if log else [],
                  started=session.starts_at <= now, http_status=status)


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int) -> Response:
    return _render_session(services.get_session(current_user, session_id))


def _log_data(form: LogForm, session, criteria: list[str]) -> services.LogData:
    attendance, scores = [], []
    kind = ScoreKind(form.score_kind.data) if form.score_kind.data in ScoreKind._value2member_map_ \
        else ScoreKind.MOCK_TEST
    max_score = form.max_score.data or Decimal("100")
    for person in session.athletes:
        status = request.form.get(f"status-{person.id}", "")
        if status not in Attendance._value2member_map_:
            raise DomainError(_("请为每位选手登记出勤"), "actual_hours")
        attendance.append(services.AttendanceData(person.id, Attendance(status),
                                                  request.form.get(f"reason-{person.id}", "")[:200]))
        for index, criterion in enumerate(criteria):
            raw = request.form.get(f"score-{person.id}-{index}", "").strip()
            if not raw:
                continue
            try:
                value = Decimal(raw)
            except InvalidOperation as exc:
                raise DomainError(_("成绩须为数字"), "max_score") from exc
            if not value.is_finite():  # NaN / Infinity parse as decimals but are no score
                raise DomainError(_("成绩须为数字"), "max_score")
            scores.append(services.ScoreData(person.id, criterion, value, kind, max_score))
    return services.LogData(actual_hours=form.actual_hours.data, content=form.content.data or "",
                            notes=form.notes.data or "", attendance=attendance, scores=scores)


@bp.post("/sessions/<int:session_id>")
@login_required
def session_log(session_id: int) -> Response:
    session = services.get_session(current_user, session_id)
    form = LogForm()
    criteria = _criteria(session)
    saved = submit(form, lambda: services.log_session(current_user, session, _log_data(form, session, criteria),
                                                      now=utcnow()))
    if saved is not None:
        flash(_("已保存训练日志"), "success")
        return redirect_after_post("training_bases.session_detail", session_id=session.id)
    session = services.get_session(current_user, session_id)
    return _render_session(session, form=form, status=422)


@bp.post("/sessions/<int:session_id>/cancel")
@login_required
def session_cancel(session_id: int) -> Response:
    session = services.get_session(current_user, session_id)
    camp_id = session.camp_id
    done, _result = attempt(lambda: services.cancel_session(current_user, session))
    if not done:
        return redirect_after_post("training_bases.session_detail", session_id=session_id)
    flash(_("已取消课程"), "success")
    return redirect_after_post("training_bases.camp_detail", camp_id=camp_id)


# ---------------------------------------------------------------- progress and reports

@bp.get("/athletes/<int:person_id>")
@login_required
def athlete_progress(person_id: int) -> Response:
    person = db.session.get(Person, person_id)
    if person is None:
        core_services.raise_not_found()
    start, end = _period()
    progress = services.athlete_progress(current_user, person, start, end)
    chart = {
        "weeks": [w.isoformat() for w, _h in progress.weeks], "weekHours": [float(h) for _w, h in progress.weeks],
        "modules": [m for m, _h in progress.modules], "moduleHours": [float(h) for _m, h in progress.modules],
        "scores": _score_series(progress.scores),
        "labels": {"hours": _("学时"), "score": _("得分率（%）")},
    }
    return render("training_bases/athlete_progress.html", progress=progress, chart=chart, start=start, end=end)


def _score_series(scores) -> list[dict[str, object]]:
    """One line per criterion: [date, percent of the maximum]."""
    series: dict[str, list[list[object]]] = {}
    zone, labels = tz(), {k: k.label for k in ScoreKind}
    for at, criterion, score, max_score, kind in scores:
        name = f"{criterion}（{labels[kind]}）"
        series.setdefault(name, []).append([at.astimezone(zone).strftime("%Y-%m-%d"),
                                            float(round(score * 100 / max_score, 1))])
    return [{"name": k, "data": v} for k, v in series.items()]


@bp.get("/<int:base_id>/report")
@login_required
def base_report(base_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    start, end = _period(default_days=28)
    report = services.base_report(current_user, base, start, end)
    chart = {"facilities": [u.facility.name for u in report.facilities],
             "shares": [float(u.share * 100) for u in report.facilities],
             "athletes": [name for _i, name, _h, _n in report.athletes],
             "hours": [float(h) for _i, _n, h, _s in report.athletes],
             "labels": {"share": _("利用率（%）"), "hours": _("学时")}}
    return render("training_bases/report.html", report=report, base=base, chart=chart, start=start, end=end)


@bp.get("/<int:base_id>/sessions.xlsx")
@login_required
def sessions_export(base_id: int) -> Response:
    base = services.get_base(current_user, base_id)
    start, end = _period(default_days=28)
    data = imports.export_sessions(services.sessions_for_export(current_user, base, start, end))
    return send_file(BytesIO(data), as_attachment=True, mimetype=XLSX,
                     download_name=f"sessions-{base.id}-{start.isoformat()}-{end.isoformat()}.xlsx")


@bp.get("/people/<int:person_id>/calendar.ics")
@login_required
def person_ics(person_id: int) -> Response:
    person = db.session.get(Person, person_id)
    if person is None:
        core_services.raise_not_found()
    as_coach = request.args.get("as") == "coach"
    today = today_in_shanghai()
    start = datetime.combine(today - timedelta(days=90), datetime.min.time(), tz())
    end = datetime.combine(today + timedelta(days=366), datetime.min.time(), tz())
    sessions = services.sessions_for_person(current_user, person, as_coach, start, end)
    body = imports.sessions_ics(sessions, calendar_name=f"{person.name} · {_('训练日程')}")
    return send_file(BytesIO(body), as_attachment=True, mimetype="text/calendar",
                     download_name=f"training-{person.id}-{'coach' if as_coach else 'athlete'}.ics")


core_tallies.rebuild_command(
    bp, "training_base_tallies", tallies.rebuild,
    "Recount the training-base tallies of the officials' tab (after bulk loads), then ANALYZE them.",
    "training-base tallies rebuilt")
