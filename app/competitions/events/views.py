"""Thin views of the competition pyramid: the pyramid, competitions and their events."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import require
from app.competitions.blueprint import bp
from app.competitions.events import services
from app.competitions.events.forms import CompetitionForm, EventForm
from app.competitions.events.models import CompetitionClass, CompetitionLevel, Locality
from app.core import services as core_services
from app.core.enums import District, SkillLevel
from app.core.views import form_status, submit, today_in_shanghai
from app.htmx import redirect_after_post, render
from app.people import services as people


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
    form.organiser_id.choices = [("", "—")] + people.organisation_choices(current_user)
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
