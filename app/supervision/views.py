"""Thin views of supervision: the dashboards, the medal lists behind them, the skills record."""

from __future__ import annotations

from io import BytesIO
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.auth.permissions import can, official_district
from app.competitions import stats
from app.competitions.judging.models import MedalKind
from app.core import clock, risks
from app.core.enums import District
from app.core.views import today_in_shanghai, try_write
from app.core.xlsx import export_workbook
from app.htmx import redirect_after_post, render
from app.supervision import bp, dashboards, services


def _scope() -> services.Scope:
    district_value = request.args.get("district", "")
    district = District(district_value) if district_value in District._value2member_map_ else None
    year = request.args.get("year", type=int) or today_in_shanghai().year
    return services.scope_for(current_user, year, district)


@bp.get("/")
@login_required
def index() -> Response:
    """The officials' dashboards, one tab each (``?tab=``), for a year and a district (in the URL); every
    figure links to the list behind it. The tabs are a registry: app/supervision/dashboards.py."""
    scope = _scope()
    tabs = dashboards.tabs()
    current = dashboards.DASHBOARDS.get(request.args.get("tab", "")) or tabs[0]
    this_year = today_in_shanghai().year
    dargs = {"year": scope.year, "district": scope.district.value if scope.district else ""}
    return render("supervision/dashboard.html", scope=scope, tabs=tabs, tab=current, dargs=dargs,
                  districts=District, years=range(this_year + 1, this_year - 6, -1),
                  fixed_district=official_district(current_user) is not None, **current.build(scope))


@bp.get("/sessions")
@login_required
def base_sessions() -> Response:
    """The list behind a training base's figures: its sessions in the year."""
    scope = _scope()
    base, rows, total = dashboards.base_sessions(request.args.get("base", type=int) or 0, scope.year)
    if base is None or (scope.district is not None and base.organisation.district != scope.district):
        abort(404)
    return render("supervision/base_sessions.html", scope=scope, base=base, rows=rows, total=total)


@bp.get("/enrollments")
@login_required
def enrollments() -> Response:
    """The list behind an apprenticeship figure: ``measure`` (enrolled, completed, plan), year, month, district."""
    scope = _scope()
    measure = request.args.get("measure", "enrolled")
    measure = measure if measure in dashboards.MEASURES else "enrolled"
    month = request.args.get("month", type=int)
    month = month if month in range(1, 13) else None
    rows, total = dashboards.enrollment_list(measure, scope.year, month, scope.district)
    return render("supervision/enrollments.html", scope=scope, rows=rows, total=total, month=month,
                  measure=measure, measure_label=dashboards.MEASURES[measure])


@bp.get("/mentor-months")
@login_required
def mentor_months() -> Response:
    """The list behind a month of the mentor-hours tab (or its year): the approved 带徒 month sheets."""
    scope = _scope()
    month = request.args.get("month", type=int)
    if month is not None and month not in range(1, 13):
        abort(404)
    rows, total = dashboards.DRILL_DOWNS["mentor_months"](scope.year, month, scope.district)
    return render("supervision/mentor_months.html", scope=scope, rows=rows, total=total, month=month)


@bp.get("/medallists")
@login_required
def medallists() -> Response:
    scope = _scope()
    medal_value = request.args.get("medal", "")
    medal = MedalKind(medal_value) if medal_value in MedalKind._value2member_map_ else None
    rows = stats.medallists(scope.year, scope.district, request.args.get("unit", type=int), medal)
    return render("supervision/medallists.html", scope=scope, rows=rows, medal=medal)


@bp.get("/people/<int:person_id>/record")
@login_required
def skills_record(person_id: int) -> Response:
    rec = services.skills_record(current_user, person_id)
    sections = [(s.title, Markup(render_template(s.template, **s.context))) for s in rec.sections]
    return render("supervision/record.html", rec=rec, person=rec.person, sections=sections,
                  can_reveal=can(current_user, "person.reveal_id", rec.person),
                  printed_at=clock.now().astimezone(ZoneInfo(current_app.config["TZ"])).strftime("%Y-%m-%d %H:%M"))


@bp.get("/my-record")
@login_required
def my_record() -> ResponseReturnValue:
    if current_user.person_id is None:
        return redirect(url_for("core.home"))
    return redirect(url_for("supervision.skills_record", person_id=current_user.person_id))


@bp.get("/people/<int:person_id>/record.xlsx")
@login_required
def skills_record_export(person_id: int) -> Response:
    rec = services.skills_record(current_user, person_id)
    person = rec.person
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("技能档案")
    ws.append(["姓名", person.name])
    ws.append(["证件号码", person.id_number_masked])
    ws.append(["工作单位", person.employer.name if person.employer else ""])
    ws.append(["当前技能等级", str(person.current_level.label) if person.current_level else ""])
    ws.append([])
    ws.append(["日期", "类别", "事项", "说明"])
    for item in rec.timeline:
        ws.append([item.on.isoformat(), str(item.kind), str(item.title), str(item.detail)])
    buf = BytesIO()
    wb.save(buf)
    return send_file(BytesIO(buf.getvalue()), as_attachment=True, download_name=f"skills-record-{person.id}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _kind_labels() -> dict[str, Markup]:
    """Each kind's label translated once per view (a lazy string is translated again at each use: a page of
    prompts shows one per row). Markup, as a lazy string renders (its ``__html__``), so the page is unchanged."""
    return {kind: Markup(str(label)) for kind, label in risks.labels().items()}


def _desk_args(kind: str | None, status: str, scope: services.Scope) -> dict[str, str]:
    args = {"status": status}
    if kind:
        args["kind"] = kind
    if scope.district is not None and official_district(current_user) is None:
        args["district"] = scope.district.value
    return args


@bp.get("/risks")
@login_required
def risk_desk() -> Response:
    """The stored risk prompts in scope, a keyset page at a time, with counts per kind (app/core/risks.py)."""
    scope = _scope()
    kind = request.args.get("kind") if request.args.get("kind") in risks.RULES else None
    status = request.args.get("status", "open")
    status = status if status in services.STATUSES else "open"
    desk = services.risk_desk(scope, kind, status, request.args.get("after"))
    return render("supervision/risks.html", block="risk_results", scope=scope, desk=desk, kind=kind,
                  state=status, kinds=_kind_labels(), districts=District, errors={},
                  args=_desk_args(kind, status, scope), fixed_district=official_district(current_user) is not None)


@bp.post("/risks/review")
@login_required
def risk_review() -> Response:
    scope = _scope()
    kind, subject = request.form.get("kind", ""), request.form.get("subject_key", "")
    _result, refusal = try_write(lambda: services.review_risk(current_user, scope, kind, subject,
                                                              request.form.get("note", "")))
    if refusal is not None:
        shown = kind if kind in risks.RULES else None
        desk = services.risk_desk(scope, shown, "open")
        if not any((r.kind, r.subject_key) == (kind, subject) for r in desk.rows):
            flash(refusal.message, "danger")  # no row to show the message beside
        return render("supervision/risks.html", http_status=422, scope=scope, desk=desk, kind=shown,
                      kinds=_kind_labels(), districts=District, errors={(kind, subject): refusal.message},
                      args=_desk_args(shown, "open", scope),
                      fixed_district=official_district(current_user) is not None, state="open")
    flash(_("已标记为已核查"), "success")
    return redirect_after_post("supervision.risk_desk", **{k: v for k, v in request.args.items() if k != "after"})
