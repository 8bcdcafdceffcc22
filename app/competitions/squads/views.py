"""Thin views of training squads and their stage assessments (same blueprint as the competition pyramid)."""

from __future__ import annotations

from decimal import Decimal

from flask import Response, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import can, require
from app.competitions.blueprint import bp
from app.competitions.events import services as event_services
from app.competitions.judging import services as judging
from app.competitions.squads import rules
from app.competitions.squads import services as squads
from app.competitions.squads.forms import SquadForm, StageForm
from app.competitions.squads.models import SquadStage
from app.core.services import raise_not_found
from app.core.types import utcnow
from app.core.views import attempt, form_status, submit, try_write
from app.extensions import db
from app.htmx import redirect_after_post, render


def _managed_event(event_id: int):
    event = event_services.get_event(current_user, event_id)
    require(current_user, "competition.manage", event)
    return event



def _squad_form(event) -> SquadForm:
    form = SquadForm(prefix="squad")
    form.target_event_id.choices = [("", _("（暂不指定）"))] + event_services.upper_event_choices(event.competition)
    return form


@bp.route("/events/<int:event_id>/squads/new", methods=["GET", "POST"])
@login_required
def squad_new(event_id: int) -> Response:
    event = _managed_event(event_id)
    form = _squad_form(event)
    if request.method == "GET" and event.feeds_event_id:
        form.target_event_id.data = event.feeds_event_id
    top_n = request.args.get("top", 5, type=int)
    chosen = [int(v) for v in request.form.getlist("result_id") if v.isdigit()]
    if request.method == "GET":
        chosen = judging_top(event, top_n)
    squad = submit(form, lambda: squads.create_squad(
        current_user, event, name=form.name.data, tier=form.tier.data or "", target_event_id=form.target_event_id.data,
        final_size=form.final_size.data, result_ids=chosen))
    if squad is not None:
        flash(_("已组建集训队：%(name)s（%(n)d 人）", name=squad.name, n=len(squad.members)), "success")
        return redirect_after_post("competitions.squad_detail", squad_id=squad.id)
    return render("competitions/squad_new.html", event=event, form=form, results=judging.results(event),
                  chosen=set(chosen), top_n=top_n, http_status=form_status())


def judging_top(event, n: int) -> list[int]:
    return squads.top_results(event, n)


@bp.get("/squads/<int:squad_id>")
@login_required
def squad_detail(squad_id: int) -> Response:
    squad = squads.get_squad(current_user, squad_id)
    return _squad_page(squad)


def _squad_page(squad, status: int = 200, stage_form: StageForm | None = None) -> Response:
    scores = {stage.id: squads.stage_scores(stage) for stage in squad.stages}
    return render("competitions/squad.html", squad=squad, http_status=status, scores=scores,
                  stage_form=stage_form or StageForm(prefix="stage"),
                  can_manage=can(current_user, "competition.manage", squad.source_event),
                  open_stage=next((s for s in squad.stages if s.decided_at is None), None),
                  active=squads.active_members(squad))


@bp.post("/squads/<int:squad_id>/stages")
@login_required
def stage_add(squad_id: int) -> Response:
    squad = squads.get_squad(current_user, squad_id)
    form = StageForm(prefix="stage")
    if submit(form, lambda: squads.add_stage(current_user, squad, name=form.name.data, held_on=form.held_on.data,
                                             advance_count=form.advance_count.data)):
        flash(_("已添加阶段考核"), "success")
        return redirect_after_post("competitions.squad_detail", squad_id=squad.id)
    return _squad_page(squad, 422, form)


@bp.route("/stages/<int:stage_id>/record", methods=["GET", "POST"])
@login_required
def stage_record(stage_id: int) -> Response:
    stage = db.session.get(SquadStage, stage_id)
    if stage is None:
        raise_not_found()
    squad = squads.get_squad(current_user, stage.squad_id)
    require(current_user, "competition.manage", squad.source_event)
    members = squads.active_members(squad)
    values = {m.id: request.form.get(f"score-{m.id}", "") for m in members}
    error, status = None, 200
    if request.method == "POST" and request.form.get("action") == "propose":
        try:
            scored = {m: Decimal(v) for m, v in values.items()}
        except ArithmeticError:
            error, status = _("请先为每位选手录入数字成绩"), 422
        else:
            keep = rules.proposed_continuers(scored, stage.advance_count)
            continues = {m.id: m.id in keep for m in members}
            reasons = {m.id: _("%(stage)s 未晋级", stage=stage.name) for m in members if m.id not in keep}
            return render("competitions/stage_record.html", stage=stage, squad=squad, members=members,
                          values=values, continues=continues, reasons=reasons, error=None)
    continues = {m.id: request.form.get(f"continues-{m.id}") == "1" for m in members}
    reasons = {m.id: request.form.get(f"reason-{m.id}", "") for m in members}
    if request.method == "POST" and status == 200:
        entries = [squads.StageEntry(m.id, values[m.id], continues[m.id], reasons[m.id]) for m in members]
        _result, refusal = try_write(lambda: squads.record_stage(current_user, stage, entries, utcnow()))
        if refusal is not None:
            error, status = refusal.message, 422
        else:
            flash(_("%(stage)s 结果已记录", stage=stage.name), "success")
            return redirect_after_post("competitions.squad_detail", squad_id=squad.id)
    return render("competitions/stage_record.html", stage=stage, squad=squad, members=members, values=values,
                  continues=continues, reasons=reasons, error=error, http_status=status)


@bp.post("/squads/<int:squad_id>/finalise")
@login_required
def squad_finalise(squad_id: int) -> Response:
    squad = squads.get_squad(current_user, squad_id)
    done, outcome = attempt(lambda: squads.finalise(current_user, squad, utcnow()))
    if not done or outcome is None:
        return _squad_page(squad, 422)
    if outcome.registered:
        flash(_("已入选并报名上一级赛项：%(names)s", names="、".join(outcome.registered)), "success")
    for name, problems in outcome.not_registered:
        flash(_("%(name)s 未能报名：%(why)s", name=name, why="；".join(problems)), "warning")
    if not outcome.registered and not outcome.not_registered:
        flash(_("集训队选拔已结束"), "success")
    return redirect_after_post("competitions.squad_detail", squad_id=squad.id)
