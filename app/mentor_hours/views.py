"""Thin views of 带徒学时: parse the request, call the service, render the page or the changed part."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import sqlalchemy as sa
from flask import Response, abort, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.apprenticeships.enums import EnrollmentStatus
from app.apprenticeships.models import MentorAssignment, PlanModule
from app.auth.mentor_hours import is_apprentice_of, is_hr_of, is_mentor_of
from app.auth.permissions import is_municipal_official, official_district, require
from app.core.models import RiskReview
from app.core.types import utcnow
from app.core.views import submit, today_in_shanghai, try_write
from app.extensions import db
from app.htmx import redirect_after_post, render
from app.mentor_hours import bp, exports, risks, rules, services
from app.mentor_hours.forms import EntryForm, RuleForm
from app.mentor_hours.models import AllowanceKind, HourMonth

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month_arg(name: str = "month") -> date:
    return rules.parse_month(request.args.get(name, "")) or rules.month_start(today_in_shanghai())


def _ym(month: date) -> str:
    return month.strftime("%Y-%m")


def _month_or_404(ym: str) -> date:
    month = rules.parse_month(ym)
    if month is None:
        abort(404)
    return month


@bp.get("/")
@login_required
def index() -> Response:
    """The mentor's apprentices with this month's state; months waiting for the apprentice or HR."""
    require(current_user, "mentor_hours.view")
    month = _month_arg()
    mine = services.my_assignments(current_user)
    sheets = {}
    if mine:
        sheets = {s.assignment_id: s for s in db.session.scalars(sa.select(HourMonth).where(
            HourMonth.assignment_id.in_([a.id for a in mine]), HourMonth.month == month))}
    return render("mentor_hours/index.html", month=month, mine=mine, sheets=sheets,
                  inbox=services.inbox(current_user), prev=rules.month_start(month - timedelta(days=1)),
                  next=rules.next_month(month))


def _entry_form(data: dict | None = None, assignments: list[MentorAssignment] | None = None) -> EntryForm:
    form = EntryForm(data=data or {})
    if assignments is None:  # the quick log offers only apprentices still in training (not withdrawn)
        assignments = [a for a in services.my_assignments(current_user)
                       if a.enrollment.status is not EnrollmentStatus.WITHDRAWN]
    form.assignment_id.choices = [(a.id, f"{a.enrollment.person.name} · {a.kind.label}") for a in assignments]
    form.module_id.choices = _module_choices(assignments, form.assignment_id.data)
    return form


def _module_choices(assignments: list[MentorAssignment], chosen_id: object) -> list[tuple[object, str]]:
    """The chosen apprentice's plan modules only (the first apprentice's when none is chosen yet)."""
    chosen = next((a for a in assignments if a.id == chosen_id), assignments[0] if assignments else None)
    if chosen is None:
        return [(None, "—")]
    modules = db.session.execute(sa.select(PlanModule.id, PlanModule.name)
                                 .where(PlanModule.enrollment_id == chosen.enrollment_id)
                                 .order_by(PlanModule.position)).all()
    return [(None, "—")] + [(m_id, name) for m_id, name in modules]


@bp.get("/log/modules")
@login_required
def log_modules() -> Response:
    """The module list for the apprentice just chosen in the quick log (swapped in by htmx)."""
    require(current_user, "mentor_hours.log")
    form = _entry_form({"assignment_id": request.args.get("assignment_id", type=int)})
    return render("mentor_hours/_module_field.html", form=form)


def _entry_data(form: EntryForm) -> services.EntryData:
    return services.EntryData(form.assignment_id.data, form.worked_on.data, form.starts_at.data, form.ends_at.data,
                              form.hours.data, form.module_id.data, form.content.data or "", form.place.data or "")


@bp.route("/log", methods=["GET", "POST"])
@login_required
def log() -> Response:
    """The quick form (phone-sized): defaults from the last entry; after saving, ready for the next one."""
    require(current_user, "mentor_hours.log")
    today = today_in_shanghai()
    defaults = services.defaults(current_user)
    form = _entry_form({**defaults, "worked_on": today})
    if request.method == "POST":
        saved = submit(form, lambda: services.log_entry(current_user, _entry_data(form), today, utcnow()))
        if saved is not None:
            return redirect_after_post("mentor_hours.log", saved=saved.id)
        return render("mentor_hours/log.html", http_status=422, form=form, saved=None)
    saved_id = request.args.get("saved", type=int)
    saved = services.get_entry(current_user, saved_id) if saved_id else None
    return render("mentor_hours/log.html", form=form, saved=saved)


# ---------------------------------------------------------------- the week

def _week_context(a: MentorAssignment, start: date) -> dict:
    days = rules.week_days(start)
    months = sorted({rules.month_start(d) for d in days})
    return {"a": a, "days": days, "entries": services.week_entries(a, days),
            "sheets": services.month_statuses(a, months), "today": today_in_shanghai(),
            "modules": a.enrollment.modules, "defaults": services.defaults(current_user),
            "prev": days[0] - timedelta(days=7), "next": days[0] + timedelta(days=7)}


@bp.get("/week/<int:assignment_id>")
@login_required
def week(assignment_id: int) -> Response:
    """A week of one apprentice, a row per day; each row saves on its own (htmx)."""
    a = services.get_assignment_to_log(current_user, assignment_id)
    try:
        start = date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        start = today_in_shanghai()
    return render("mentor_hours/week.html", **_week_context(a, start))


@bp.post("/week/<int:assignment_id>/<day>")
@login_required
def week_row(assignment_id: int, day: str) -> Response:
    """Save one day's row of the week: answers with that row (422 and the error when refused)."""
    a = services.get_assignment_to_log(current_user, assignment_id)
    try:
        worked_on = date.fromisoformat(day)
    except ValueError:
        abort(404)
    form = _entry_form(assignments=[a])
    error, saved = None, None
    if form.validate_on_submit():
        saved, refusal = try_write(lambda: services.log_entry(current_user, _entry_data(form), today_in_shanghai(),
                                                              utcnow()))
        error = refusal.message if refusal is not None else None
    else:
        error = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    ctx = _week_context(a, worked_on)
    return render("mentor_hours/week.html", block="week_row", http_status=422 if error else 200, **ctx, day=worked_on,
                  error=error, saved=saved, form_data=request.form if error else None)


# ---------------------------------------------------------------- the month

def _month_page(a: MentorAssignment, month: date, status: int = 200, error: str | None = None,
                error_field: str | None = None) -> Response:
    view = services.month_view(current_user, a, month)
    return render("mentor_hours/month.html", http_status=status, view=view, a=a, month=month, error=error,
                  error_field=error_field, is_mentor=is_mentor_of(current_user, a),
                  is_apprentice=is_apprentice_of(current_user, a), is_hr=is_hr_of(current_user, a),
                  prev=rules.month_start(month - timedelta(days=1)), next=rules.next_month(month))


@bp.get("/a/<int:assignment_id>/<ym>")
@login_required
def month(assignment_id: int, ym: str) -> Response:
    a = services.get_assignment(current_user, assignment_id)
    return _month_page(a, _month_or_404(ym))


@bp.get("/months/<int:sheet_id>")
@login_required
def month_by_id(sheet_id: int) -> ResponseReturnValue:
    sheet = db.session.get(HourMonth, sheet_id)
    if sheet is None:
        abort(404)
    services.get_assignment(current_user, sheet.assignment_id)
    return redirect(url_for("mentor_hours.month", assignment_id=sheet.assignment_id, ym=_ym(sheet.month)))


@bp.post("/a/<int:assignment_id>/<ym>/<action>")
@login_required
def month_action(assignment_id: int, ym: str, action: str) -> Response:
    a = services.get_assignment(current_user, assignment_id)
    month = _month_or_404(ym)
    now = utcnow()
    actions = {"submit": lambda: services.submit_month(current_user, a, month, now),
               "confirm": lambda: services.confirm_month(current_user, a, month, now),
               "approve": lambda: services.approve_month(current_user, a, month, now),
               "reopen": lambda: services.reopen_month(current_user, a, month, request.form.get("reason", ""))}
    if action not in actions:
        abort(404)
    _result, refusal = try_write(actions[action])
    if refusal is not None:
        return _month_page(a, month, 422, refusal.message, refusal.field)
    return redirect_after_post("mentor_hours.month", assignment_id=a.id, ym=ym)


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def entry_edit(entry_id: int) -> Response:
    entry = services.get_entry_to_edit(current_user, entry_id)
    form = _entry_form({"assignment_id": entry.assignment_id, "worked_on": entry.worked_on,
                        "starts_at": entry.starts_at, "ends_at": entry.ends_at,
                        "hours": None if entry.starts_at else entry.hours, "module_id": entry.module_id,
                        "content": entry.content, "place": entry.place}, assignments=[entry.assignment])
    if request.method == "POST":
        if submit(form, lambda: services.update_entry(current_user, entry, _entry_data(form), today_in_shanghai(),
                                                      utcnow()) or True):
            return redirect_after_post("mentor_hours.month", assignment_id=entry.assignment_id, ym=_ym(entry.month))
        return render("mentor_hours/entry_form.html", http_status=422, form=form, entry=entry)
    return render("mentor_hours/entry_form.html", form=form, entry=entry)


@bp.post("/entries/<int:entry_id>/delete")
@login_required
def entry_delete(entry_id: int) -> Response:
    entry = services.get_entry(current_user, entry_id)
    a, month = entry.assignment, entry.month
    _result, refusal = try_write(lambda: services.delete_entry(current_user, entry))
    if refusal is not None:
        return _month_page(a, month, 422, refusal.message)
    return redirect_after_post("mentor_hours.month", assignment_id=a.id, ym=_ym(month))


@bp.post("/entries/<int:entry_id>/dispute")
@login_required
def entry_dispute(entry_id: int) -> Response:
    entry = services.get_entry(current_user, entry_id)
    a, month = entry.assignment, entry.month
    _result, refusal = try_write(lambda: services.dispute_entry(current_user, entry, request.form.get("comment", "")))
    if refusal is not None:
        return _month_page(a, month, 422, refusal.message, f"comment-{entry_id}")
    return redirect_after_post("mentor_hours.month", assignment_id=a.id, ym=_ym(month))


# ---------------------------------------------------------------- allowance rules and statements

@bp.route("/rules", methods=["GET", "POST"])
@login_required
def allowance_rules() -> Response:
    require(current_user, "mentor_hours.approve")
    form = RuleForm()
    status = 200
    if request.method == "POST":
        if submit(form, lambda: services.add_rule(current_user, services.RuleData(
                form.effective_from.data, AllowanceKind(form.kind.data), form.amount.data, form.monthly_cap.data,
                form.completion_bonus.data, form.refund_on_early_end.data, form.note.data or "")) or True):
            return redirect_after_post("mentor_hours.allowance_rules")
        status = 422
    return render("mentor_hours/rules.html", http_status=status, form=form,
                  rows=services.rules_of(current_user.organisation_id))


@bp.get("/statements")
@login_required
def statements() -> Response:
    require(current_user, "mentor_hours.view")
    month = _month_arg()
    return render("mentor_hours/statements.html", month=month, rows=services.statements(current_user, month),
                  prev=rules.month_start(month - timedelta(days=1)), next=rules.next_month(month))


@bp.get("/statements/<int:mentor_id>/<int:enterprise_id>/<ym>.xlsx")
@login_required
def statement_export(mentor_id: int, enterprise_id: int, ym: str) -> Response:
    month = _month_or_404(ym)
    found = services.statement_for(current_user, mentor_id, enterprise_id, month)
    return send_file(BytesIO(exports.statement_xlsx([found])), as_attachment=True,
                     download_name=f"mentor-allowance-{ym}-{mentor_id}.xlsx", mimetype=XLSX)


@bp.get("/statements/<ym>.xlsx")
@login_required
def statements_export(ym: str) -> Response:
    month = _month_or_404(ym)
    return send_file(BytesIO(exports.statement_xlsx(services.statements(current_user, month))), as_attachment=True,
                     download_name=f"mentor-allowance-{ym}.xlsx", mimetype=XLSX)


# ---------------------------------------------------------------- risk prompts and the entries behind them

@bp.get("/risks")
@login_required
def risk_prompts() -> Response:
    """The enterprise's own prompts (officials: their district's, municipal: the city's) for a month."""
    require(current_user, "mentor_hours.risks")
    month = _month_arg()
    kind = request.args.get("kind") if request.args.get("kind") in risks.KINDS else None
    if is_municipal_official(current_user):
        found = risks.prompts_for(month, kind=kind)
    elif official_district(current_user) is not None:
        found = risks.prompts_for(month, district=official_district(current_user), kind=kind)
    else:
        found = risks.prompts_for(month, enterprise_id=current_user.organisation_id, kind=kind)
    reviews = {}
    if found:
        reviews = {(r.kind, r.subject_key): r for r in db.session.scalars(sa.select(RiskReview).where(
            RiskReview.kind.in_({p.kind for p in found}), RiskReview.subject_key.in_({p.subject_key for p in found})))}
    return render("mentor_hours/risks.html", block="risk_results", month=month, rows=found, reviews=reviews,
                  kinds=risks.KINDS, kind=kind, prev=rules.month_start(month - timedelta(days=1)),
                  next=rules.next_month(month))


@bp.get("/entries")
@login_required
def entries() -> Response:
    require(current_user, "mentor_hours.view")
    ids = [int(x) for x in request.args.get("ids", "").split(",") if x.strip().isdigit()]
    day = None
    if request.args.get("day"):
        try:
            day = date.fromisoformat(request.args["day"])
        except ValueError:
            abort(404)
    month = rules.parse_month(request.args.get("month", ""))
    rows = services.entries_behind(current_user, request.args.get("mentor", type=int), month, day, ids)
    return render("mentor_hours/entries.html", rows=rows,
                  mentors=services.mentor_names({r.mentor_id for r in rows}))
