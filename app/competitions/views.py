"""Thin views of the competition pyramid."""

from __future__ import annotations

from io import BytesIO
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import can, require
from app.competitions import bp, imports, services
from app.competitions.forms import CompetitionForm, DecisionForm, EventForm, RegisterForm, RegistrationImportForm
from app.competitions.models import CompetitionClass, CompetitionLevel, Locality, RegistrationStatus
from app.core import clock
from app.core import services as core_services
from app.core.enums import District, SkillLevel
from app.core.models import Person
from app.core.types import utcnow
from app.core.views import attach_error, attempt, form_status, submit, today_in_shanghai
from app.errors import DomainError
from app.extensions import db
from app.htmx import redirect_after_post, render


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TZ"])


def _year_arg() -> int:
    return request.args.get("year", type=int) or today_in_shanghai().year


@bp.get("/")
@login_required
def index() -> Response:
    """The pyramid: five levels with counts for the chosen year."""
    year = _year_arg()
    levels = services.pyramid(current_user, year)
    return render("competitions/pyramid.html", block="pyramid", levels=levels, year=year,
                  years=range(today_in_shanghai().year + 1, today_in_shanghai().year - 6, -1))


@bp.get("/list")
@login_required
def competitions() -> Response:
    level_value = request.args.get("level", "")
    level = CompetitionLevel(level_value) if level_value in CompetitionLevel._value2member_map_ else None
    year = request.args.get("year", type=int)
    q = request.args.get("q", "").strip()[:50]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = services.list_competitions(current_user, level=level, year=year, q=q, page=page,
                                             per_page=per_page)
    args = {k: v for k, v in {"level": level_value if level else "", "year": year or "", "q": q}.items() if v}
    return render("competitions/list.html", block="competition_results", rows=rows, total=total, page=page,
                  per_page=per_page, args=args, level=level, year=year, q=q, levels=CompetitionLevel)


def _competition_form(competition=None) -> CompetitionForm:
    form = CompetitionForm(obj=competition)
    form.organiser_id.choices = [("", "—")] + core_services.organisation_choices(current_user)
    if competition is not None and request.method == "GET":
        form.level.data, form.klass.data = competition.level.value, competition.klass.value
        form.host_district.data = competition.host_district.value if competition.host_district else ""
    elif competition is None and request.method == "GET":
        form.organiser_id.data = current_user.organisation_id
    return form


def _competition_data(form: CompetitionForm) -> services.CompetitionData:
    return services.CompetitionData(
        name=form.name.data or "", level=CompetitionLevel(form.level.data), klass=CompetitionClass(form.klass.data),
        organiser_id=form.organiser_id.data or 0, year=form.year.data,
        host_district=District(form.host_district.data) if form.host_district.data else None,
        description=form.description.data or "")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def competition_new() -> Response:
    require(current_user, "competition.manage")
    form = _competition_form()
    competition = submit(form, lambda: services.create_competition(current_user, _competition_data(form)))
    if competition is not None:
        flash(_("已创建大赛：%(name)s", name=competition.name), "success")
        return redirect_after_post("competitions.competition_detail", competition_id=competition.id)
    return render("competitions/competition_form.html", form=form, competition=None,
                  http_status=form_status())


@bp.route("/<int:competition_id>/edit", methods=["GET", "POST"])
@login_required
def competition_edit(competition_id: int) -> Response:
    competition = services.get_competition(current_user, competition_id)
    require(current_user, "competition.manage", competition)
    form = _competition_form(competition)
    saved = submit(form, lambda: services.update_competition(current_user, competition,
                                                             _competition_data(form)))
    if saved is not None:
        flash(_("已保存"), "success")
        return redirect_after_post("competitions.competition_detail", competition_id=competition.id)
    return render("competitions/competition_form.html", form=form, competition=competition,
                  http_status=form_status())


@bp.get("/<int:competition_id>")
@login_required
def competition_detail(competition_id: int) -> Response:
    competition = services.get_competition(current_user, competition_id)
    return render("competitions/competition_detail.html", competition=competition)


def _event_form(competition, event=None) -> EventForm:
    form = EventForm(obj=event)
    form.occupation_code.choices = core_services.occupation_choices()
    form.feeds_event_id.choices = [("", _("（不晋级）"))] + services.upper_event_choices(competition)
    if event is not None and request.method == "GET":
        for name in ("min_level", "max_level"):
            value = getattr(event, name)
            getattr(form, name).data = value.value if value else ""
        form.locality.data = event.locality.value
        form.registration_opens_at.data = event.registration_opens_at.astimezone(_tz()).replace(tzinfo=None)
        form.registration_closes_at.data = event.registration_closes_at.astimezone(_tz()).replace(tzinfo=None)
    return form


def _event_data(form: EventForm) -> services.EventData:
    def level(value: str) -> SkillLevel | None:
        return SkillLevel(value) if value else None

    return services.EventData(
        name=form.name.data or "", occupation_code=form.occupation_code.data,
        worldskills_no=(form.worldskills_no.data or "").strip(), team_size=form.team_size.data,
        venue=form.venue.data or "", starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        # The form speaks Beijing time; the database keeps instants.
        registration_opens_at=form.registration_opens_at.data.replace(tzinfo=_tz()),
        registration_closes_at=form.registration_closes_at.data.replace(tzinfo=_tz()),
        quota_per_unit=form.quota_per_unit.data, born_on_or_after=form.born_on_or_after.data,
        min_level=level(form.min_level.data), max_level=level(form.max_level.data),
        locality=Locality(form.locality.data), exclude_past_worldskills=bool(form.exclude_past_worldskills.data),
        feeds_event_id=form.feeds_event_id.data, feeds_top_n=form.feeds_top_n.data)


@bp.route("/<int:competition_id>/events/new", methods=["GET", "POST"])
@login_required
def event_new(competition_id: int) -> Response:
    competition = services.get_competition(current_user, competition_id)
    require(current_user, "competition.manage", competition)
    form = _event_form(competition)
    event = submit(form, lambda: services.create_event(current_user, competition, _event_data(form)))
    if event is not None:
        flash(_("已添加赛项：%(name)s", name=event.name), "success")
        return redirect_after_post("competitions.competition_detail", competition_id=competition.id)
    return render("competitions/event_form.html", form=form, competition=competition, event=None,
                  http_status=form_status())


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(event_id: int) -> Response:
    event = services.get_event(current_user, event_id)
    require(current_user, "competition.manage", event)
    form = _event_form(event.competition, event)
    saved = submit(form, lambda: services.update_event(current_user, event, _event_data(form)))
    if saved is not None:
        flash(_("已保存"), "success")
        return redirect_after_post("competitions.event_detail", event_id=event.id)
    return render("competitions/event_form.html", form=form, competition=event.competition, event=event,
                  http_status=form_status())


def _registration_filter() -> services.RegistrationFilter:
    status = request.args.get("status", "")
    return services.RegistrationFilter(
        status=RegistrationStatus(status) if status in RegistrationStatus._value2member_map_ else None,
        unit=request.args.get("unit", "").strip()[:100], q=request.args.get("q", "").strip()[:50])


@bp.get("/events/<int:event_id>")
@login_required
def event_detail(event_id: int) -> Response:
    """The event, its qualifier links, and its registrations (filtered in the URL)."""
    event = services.get_event(current_user, event_id)
    flt = _registration_filter()
    page = services.list_registrations(current_user, event, flt, request.args.get("after"),
                                       current_app.config["PAGE_SIZE"])
    window = services.rules.window_state(event.registration_opens_at, event.registration_closes_at, utcnow())
    return render("competitions/event_detail.html", block="registration_results", event=event, page=page, flt=flt,
                  args=flt.as_args(), statuses=RegistrationStatus, window=window,
                  counts=services.status_counts(current_user, event), decision_form=DecisionForm(),
                  can_review=can(current_user, "competition.manage", event),
                  can_register=can(current_user, "registration.submit"))


@bp.route("/events/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id: int) -> Response:
    event = services.get_event(current_user, event_id)
    require(current_user, "registration.submit")
    form = RegisterForm()
    q = request.args.get("q", "").strip()[:50]
    _person_choices(form, q)
    if request.method == "GET" and request.args.get("person", type=int):
        form.person_id.data = request.args.get("person", type=int)  # "resubmit" from the entrant list
    status = 200
    if request.method == "POST":
        status = 422
        person = db.session.get(Person, form.person_id.data or 0) if form.validate_on_submit() else None
        if person is not None:
            try:
                services.register(current_user, event, person, utcnow(), team_name=form.team_name.data or "")
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
            else:
                flash(_("已为 %(name)s 报名，等待组织方审核", name=person.name), "success")
                return redirect_after_post("competitions.event_detail", event_id=event.id)
        elif not form.errors:
            form.person_id.errors = [_("请选择选手")]
    return render("competitions/register.html", block="register_form", form=form, event=event, q=q, http_status=status,
                  import_form=RegistrationImportForm(prefix="import"), **_register_context(event))


def _register_context(event) -> dict[str, object]:
    """The window's state and, for a unit's staff, the places their unit has left."""
    window = services.rules.window_state(event.registration_opens_at, event.registration_closes_at, utcnow())
    left = None
    if current_user.roles & services.STAFF_ROLES:
        held = services.places_held(event, current_user.organisation_id)
        left = services.rules.quota_left(event.quota_per_unit, held)
    return {"window": window, "places_left": left}


@bp.post("/events/<int:event_id>/import")
@login_required
def registration_import(event_id: int) -> Response:
    event = services.get_event(current_user, event_id)
    require(current_user, "registration.submit")
    import_form = RegistrationImportForm(prefix="import")
    reports = []
    if import_form.validate_on_submit():
        try:
            created, reports = imports.import_registrations(current_user, event, import_form.file.data.read(),
                                                            utcnow())
        except DomainError as exc:
            db.session.rollback()
            attach_error(import_form, exc)
        else:
            if not reports:
                flash(_("已导入 %(n)d 名选手的报名", n=created), "success")
                return redirect_after_post("competitions.event_detail", event_id=event.id)
    form = RegisterForm()
    _person_choices(form, "")
    return render("competitions/register.html", form=form, event=event, q="", http_status=422, import_form=import_form,
                  reports=reports, **_register_context(event))


@bp.get("/events/<int:event_id>/import")
@login_required
def registration_import_page(event_id: int) -> Response:
    """A reload after a failed upload (htmx pushed this address) lands on the register page."""
    return redirect(url_for("competitions.register", event_id=event_id), code=303)


def _person_choices(form: RegisterForm, q: str) -> None:
    people = services.registrable_people(current_user, q, limit=200)
    form.person_id.choices = [("", "—")] + [
        (p.id, f"{p.name}  {p.id_number_masked}  {p.employer.name if p.employer else ''}") for p in people]


@bp.get("/events/<int:event_id>/import/template.xlsx")
@login_required
def registration_template(event_id: int) -> Response:
    services.get_event(current_user, event_id)
    return send_file(BytesIO(imports.template()), as_attachment=True, download_name="registration-template.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/events/<int:event_id>/decide")
@login_required
def decide(event_id: int) -> Response:
    """Approve, reject or send back the selected registrations (one row's buttons, or the bulk bar)."""
    event = services.get_event(current_user, event_id)
    ids = request.form.getlist("registration_id", type=int)
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


def _registration_rows(event, status: int) -> Response:
    flt = _registration_filter()
    page = services.list_registrations(current_user, event, flt, None, current_app.config["PAGE_SIZE"])
    window = services.rules.window_state(event.registration_opens_at, event.registration_closes_at, utcnow())
    return render("competitions/event_detail.html", block="registration_results", http_status=status, event=event,
                  page=page, flt=flt, args=flt.as_args(), statuses=RegistrationStatus, window=window,
                  counts=services.status_counts(current_user, event), decision_form=DecisionForm(),
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
    event = services.get_event(current_user, event_id)
    rows = services.registrations_for_export(current_user, event, _registration_filter())
    return send_file(BytesIO(imports.export(rows)), as_attachment=True,
                     download_name=f"event-{event.id}-entrants.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/events/<int:event_id>/print")
@login_required
def registration_print(event_id: int) -> Response:
    event = services.get_event(current_user, event_id)
    rows = services.registrations_for_export(current_user, event, _registration_filter())
    return render("competitions/print.html", event=event, rows=rows,
                  printed_at=clock.now().astimezone(_tz()).strftime("%Y-%m-%d %H:%M"))


@bp.get("/mine")
@login_required
def my_registrations() -> Response:
    from app.competitions.record import my_awards_html

    return render("competitions/mine.html", rows=services.my_registrations(current_user),
                  awards_html=my_awards_html(current_user))
