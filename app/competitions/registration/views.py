"""Thin views of the competition pyramid."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import STAFF_ROLES, can, require
from app.competitions.blueprint import bp
from app.competitions.events import services as event_services
from app.competitions.registration import imports, rules, services
from app.competitions.registration.forms import RegisterForm, RegistrationImportForm
from app.competitions.registration.models import RegistrationStatus
from app.core import clock
from app.core.enums import SkillLevel, member_labels
from app.core.models import Person
from app.core.types import utcnow
from app.core.views import attach_error, attempt, submit, try_write
from app.extensions import db
from app.htmx import redirect_after_post, render


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TZ"])


def _registration_filter() -> services.RegistrationFilter:
    status = request.args.get("status", "")
    return services.RegistrationFilter(
        status=RegistrationStatus(status) if status in RegistrationStatus._value2member_map_ else None,
        unit=request.args.get("unit", "").strip()[:100], q=request.args.get("q", "").strip()[:50])


@bp.get("/events/<int:event_id>")
@login_required
def event_detail(event_id: int) -> Response:
    """The event, its qualifier links, and its registrations (filtered in the URL)."""
    event = event_services.get_event(current_user, event_id, links=False)
    return _registration_rows(event, 200, request.args.get("after"))


@bp.route("/events/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    require(current_user, "registration.submit")
    form = RegisterForm()
    q = request.args.get("q", "").strip()[:50]
    _person_choices(form, q, event)
    if request.method == "GET" and request.args.get("person", 0, type=int):
        form.person_id.data = request.args.get("person", type=int)  # "resubmit" from the entrant list
    status = 200
    if request.method == "POST":
        status = 422
        person = db.session.get(Person, form.person_id.data or 0) if form.validate_on_submit() else None
        if person is not None:
            _entry, refusal = try_write(lambda: services.register(current_user, event, person, utcnow(),
                                                                  team_name=form.team_name.data or ""))
            if refusal is not None:
                attach_error(form, refusal)
            else:
                flash(_("已为 %(name)s 报名，等待组织方审核", name=person.name), "success")
                return redirect_after_post("competitions.event_detail", event_id=event.id)
        elif not form.errors:
            form.person_id.errors = [_("请选择选手")]
    return render("competitions/register.html", block="register_form", form=form, event=event, q=q, http_status=status,
                  import_form=RegistrationImportForm(prefix="import"), **_register_context(event))


def _register_context(event) -> dict[str, Any]:
    """The window's state and, for a unit's staff, the places their unit has left."""
    window = rules.window_state(event.registration_opens_at, event.registration_closes_at, utcnow())
    left = None
    if current_user.roles & STAFF_ROLES:
        held = services.places_held(event, current_user.organisation_id)
        left = rules.quota_left(event.quota_per_unit, held)
    return {"window": window, "places_left": left}


@bp.post("/events/<int:event_id>/import")
@login_required
def registration_import(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    require(current_user, "registration.submit")
    import_form = RegistrationImportForm(prefix="import")
    reports: list[imports.RowReport] = []
    imported = submit(import_form, lambda: imports.import_registrations(current_user, event,
                                                                        import_form.file.data.read(), utcnow()))
    if imported is not None:
        created, reports = imported
        if not reports:
            flash(_("已导入 %(n)d 名选手的报名", n=created), "success")
            return redirect_after_post("competitions.event_detail", event_id=event.id)
    form = RegisterForm()
    _person_choices(form, "", event)
    return render("competitions/register.html", form=form, event=event, q="", http_status=422, import_form=import_form,
                  reports=reports, **_register_context(event))


@bp.get("/events/<int:event_id>/import")
@login_required
def registration_import_page(event_id: int) -> ResponseReturnValue:
    """A reload after a failed upload (htmx pushed this address) lands on the register page."""
    return redirect(url_for("competitions.register", event_id=event_id), code=303)


def _person_choices(form: RegisterForm, q: str, event=None) -> None:  # noqa: ANN001
    """The people the user may enter; those the event's rules exclude are marked with the reason."""
    people = services.registrable_people(current_user, q, limit=200)
    problems = services.eligibility_by_person(people, event) if event is not None else {}
    choices: list[tuple] = [("", "—")]
    for p in people:
        label = f"{p.name}  {p.id_number_masked}  {p.employer.name if p.employer else ''}"
        why = problems.get(p.id)
        if why:
            choices.append((p.id, label + "  " + _("（不符合报名条件：%(why)s）", why="；".join(why)),
                            {"data-ineligible": "true"}))
        else:
            choices.append((p.id, label))
    form.person_id.choices = choices


@bp.get("/events/<int:event_id>/import/template.xlsx")
@login_required
def registration_template(event_id: int) -> Response:
    event_services.get_event(current_user, event_id)
    return send_file(BytesIO(imports.template()), as_attachment=True, download_name="registration-template.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/events/<int:event_id>/decide")
@login_required
def decide(event_id: int) -> Response:
    """Approve, reject or send back the selected registrations (one row's buttons, or the bulk bar)."""
    event = event_services.get_event(current_user, event_id, links=False)
    ids = [int(v) for v in request.form.getlist("registration_id") if v.isdigit()]
    decision = request.form.get("decision", "")
    one = request.form.get("decide_one", "")  # a row's own button: "<id>:<decision>"
    if one:
        row_id, _sep, decision = one.partition(":")
        ids = [int(row_id)] if row_id.isdigit() else []
    reason = request.form.get("reason", "")
    done, n = attempt(lambda: services.decide(current_user, event, ids, decision, reason, utcnow()))
    if done:
        flash(_("已处理 %(n)d 条报名", n=n), "success")
    return _registration_rows(event, 200 if done else 422)


def _registration_rows(event, status: int, after: str | None = None) -> Response:
    """The event page (or its registrations block, for htmx) with the registrations filtered in the URL, from the
    keyset cursor ``after``."""
    flt = _registration_filter()
    page = services.list_registrations(current_user, event, flt, after, current_app.config["PAGE_SIZE"])
    window = rules.window_state(event.registration_opens_at, event.registration_closes_at, utcnow())
    return render("competitions/event_detail.html", block="registration_results", http_status=status, event=event,
                  page=page, flt=flt, args=flt.as_args(), statuses=RegistrationStatus, window=window,
                  links=event_services.event_links(event),
                  counts=services.status_counts(current_user, event),
                  labels=member_labels(RegistrationStatus, SkillLevel),
                  can_review=can(current_user, "competition.manage", event),
                  can_register=can(current_user, "registration.submit"))


@bp.post("/registrations/<int:registration_id>/withdraw")
@login_required
def withdraw(registration_id: int) -> Response:
    registration = services.get_registration(current_user, registration_id)
    done, _result = attempt(lambda: services.withdraw(current_user, registration, utcnow()))
    if not done:
        return _registration_rows(registration.event, 422)
    flash(_("%(name)s 已退出，名额已释放", name=registration.person.name), "success")
    return _registration_rows(registration.event, 200)


@bp.get("/events/<int:event_id>/export.xlsx")
@login_required
def registration_export(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    rows = services.registrations_for_export(current_user, event, _registration_filter())
    return send_file(BytesIO(imports.export(rows)), as_attachment=True,
                     download_name=f"event-{event.id}-entrants.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/events/<int:event_id>/print")
@login_required
def registration_print(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    rows = services.registrations_for_export(current_user, event, _registration_filter())
    return render("competitions/print.html", event=event, rows=rows,
                  printed_at=clock.now().astimezone(_tz()).strftime("%Y-%m-%d %H:%M"))
