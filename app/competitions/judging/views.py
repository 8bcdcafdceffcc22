"""Thin views of judging, results and selection (same blueprint as the competition pyramid)."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import can, require
from app.competitions.blueprint import bp
from app.competitions.events import services as event_services
from app.competitions.events.models import AwardRuleKind, JudgingState
from app.competitions.judging import imports as scheme_io
from app.competitions.judging import services as judging
from app.competitions.judging.forms import (
    ExpertForm,
    JudgingSettingsForm,
    SchemeImportForm,
    UnlockForm,
)
from app.competitions.judging.models import Aspect, AspectKind, Contestant, MedalKind
from app.core import clock
from app.core.types import utcnow
from app.core.views import attempt, submit, try_write
from app.errors import DomainError
from app.extensions import db
from app.htmx import redirect_after_post, render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: The award rule as applied, in a sentence or two (results, judging and 公示 pages: ``award_rule_statement(event)``).
bp.add_app_template_global(judging.rule_statement, "award_rule_statement")


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TZ"])


def _managed_event(event_id: int):
    event = event_services.get_event(current_user, event_id)
    require(current_user, "competition.manage", event)
    return event


# ---------------------------------------------------------------- the judging desk (organisers)

def _settings_form(event) -> JudgingSettingsForm:
    form = JudgingSettingsForm(obj=event, prefix="settings")
    if request.method == "GET" or not form.is_submitted():
        form.award_rule.data = event.award_rule.value
        if event.scores_due_at:
            form.scores_due_at.data = event.scores_due_at.astimezone(_tz()).replace(tzinfo=None)
    return form


def _desk(event, status: int = 200, **forms) -> Response:
    expert_form = forms.get("expert_form") or ExpertForm(prefix="expert")
    expert_form.user_id.choices = [(u.id, f"{u.display_name}（{u.organisation.name}）")
                                   for u in judging.expert_candidates(event)]
    conflicts = judging.conflicted_units(event)
    return render("competitions/judging.html", event=event, http_status=status, criteria=judging.scheme(event),
                  experts=judging.experts(event), conflicts=conflicts, expert_form=expert_form,
                  import_form=forms.get("import_form") or SchemeImportForm(prefix="scheme"),
                  settings_form=forms.get("settings_form") or _settings_form(event),
                  scoring=judging.scoring_status(event) if event.judging_state is not JudgingState.NOT_STARTED
                  else None, reports=forms.get("reports", []), states=JudgingState)


@bp.get("/events/<int:event_id>/judging")
@login_required
def judging_desk(event_id: int) -> Response:
    """Marking scheme, experts and conflicts of interest, award rule, scoring progress."""
    return _desk(_managed_event(event_id))


@bp.post("/events/<int:event_id>/judging/settings")
@login_required
def judging_settings(event_id: int) -> Response:
    event = _managed_event(event_id)
    form = _settings_form(event)

    def write() -> bool:
        due = form.scores_due_at.data.replace(tzinfo=_tz()) if form.scores_due_at.data else None
        judging.update_settings(current_user, event, judging.JudgingSettings(
            AwardRuleKind(form.award_rule.data), form.tie_break.data or "", form.medal_margin.data,
            form.share_gold.data, form.share_silver.data, form.share_bronze.data, form.share_merit.data, due,
            form.merit_rounding.data or "down"))
        return True

    if submit(form, write):
        flash(_("评奖规则已保存"), "success")
        return redirect_after_post("competitions.judging_desk", event_id=event.id)
    return _desk(event, 422, settings_form=form)


@bp.post("/events/<int:event_id>/scheme")
@login_required
def scheme_import(event_id: int) -> Response:
    event = _managed_event(event_id)
    form = SchemeImportForm(prefix="scheme")
    reports: list[scheme_io.SchemeRowReport] = []

    def write() -> int | None:
        rows, bad = scheme_io.read_scheme(form.file.data.read())
        if bad:
            reports.extend(bad)
            return None
        return judging.replace_scheme(current_user, event, rows)

    n = submit(form, write)
    if n:
        flash(_("已导入评分方案：%(n)d 个评分项", n=n), "success")
        return redirect_after_post("competitions.judging_desk", event_id=event.id)
    if reports:
        form.file.errors = [_("有 %(n)d 行有误，未导入任何内容；请按下表修改后重新上传", n=len(reports))]
    return _desk(event, 422, import_form=form, reports=reports)


@bp.get("/events/<int:event_id>/scheme.xlsx")
@login_required
def scheme_export(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    content = scheme_io.export_scheme(judging.scheme_for_download(current_user, event))
    return send_file(BytesIO(content), as_attachment=True,
                     download_name=f"event-{event.id}-marking-scheme.xlsx", mimetype=XLSX)


@bp.post("/events/<int:event_id>/experts")
@login_required
def expert_assign(event_id: int) -> Response:
    event = _managed_event(event_id)
    form = ExpertForm(prefix="expert")
    form.user_id.choices = [(u.id, u.display_name) for u in judging.expert_candidates(event)]
    if submit(form, lambda: judging.assign_expert(current_user, event, form.user_id.data,
                                                  bool(form.is_chief.data))):
        flash(_("已加入裁判组"), "success")
        return redirect_after_post("competitions.judging_desk", event_id=event.id)
    return _desk(event, 422, expert_form=form)


@bp.post("/events/<int:event_id>/experts/<int:user_id>/remove")
@login_required
def expert_remove(event_id: int, user_id: int) -> Response:
    event = _managed_event(event_id)
    done, _result = attempt(lambda: judging.remove_expert(current_user, event, user_id))
    if not done:
        return _desk(event, 422)
    flash(_("已移出裁判组"), "success")
    return redirect_after_post("competitions.judging_desk", event_id=event.id)


@bp.post("/events/<int:event_id>/scoring/open")
@login_required
def scoring_open(event_id: int) -> Response:
    event = _managed_event(event_id)
    done, n = attempt(lambda: judging.open_scoring(current_user, event, utcnow()))
    if not done:
        return _desk(event, 422)
    flash(_("已抽签产生 %(n)d 个赛位，专家可以开始评分", n=n), "success")
    return redirect_after_post("competitions.judging_desk", event_id=event.id)


# ---------------------------------------------------------------- score entry (experts, tablet-first)

@bp.get("/judging/mine")
@login_required
def my_judging() -> Response:
    require(current_user, "judging.score")
    events = judging.events_to_mark(current_user)
    return render("competitions/my_judging.html", events=events, chief_of=judging.chief_of(current_user),
                  progress={e.id: judging.progress(current_user, e) for e in events})


def _score_context(event, aspect_position: int) -> dict[str, Any]:
    aspects = judging.aspects_of(event)
    if not aspects:
        raise DomainError(_("该赛项还没有评分方案"))
    index = min(max(aspect_position, 1), len(aspects)) - 1
    aspect = aspects[index]
    rows = judging.contestants(event, current_user)
    done, total = judging.progress(current_user, event)
    return {"event": event, "aspect": aspect, "aspects": aspects, "index": index, "rows": rows,
            "scores": judging.scores_for_aspect(current_user, event, aspect, [c.id for c in rows]),
            "done": done, "total": total, "judgement": aspect.kind is AspectKind.JUDGEMENT,
            "is_chief": judging.is_chief_expert(current_user, event)}


@bp.get("/events/<int:event_id>/score")
@login_required
def score_sheet(event_id: int) -> Response:
    """One aspect at a time, every contestant the expert may mark; each score saves as it is entered."""
    event = event_services.get_event(current_user, event_id)
    judging._require_expert(current_user, event)
    return render("competitions/score.html", block="sheet",
                  **_score_context(event, request.args.get("aspect", 1, type=int)))


@bp.post("/events/<int:event_id>/score")
@login_required
def score_save(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    contestant_id = request.form.get("contestant_id", type=int) or 0
    aspect_id = request.form.get("aspect_id", type=int) or 0
    error, status = None, 200

    def write() -> object:
        judging._require_expert(current_user, event)
        return judging.save_score(current_user, event, contestant_id, aspect_id, request.form.get("value", ""))

    entry, refusal = try_write(write)
    if refusal is not None:
        error, status = refusal.message, 422
        aspect = db.session.get(Aspect, aspect_id)
        if aspect is None or aspect.event_id != event.id:
            raise refusal
        entry = judging.aspect_scores(current_user, contestant_id, aspect)
    aspect = db.session.get_one(Aspect, aspect_id)  # the score was saved (or refused) on this aspect
    contestant = db.session.get(Contestant, contestant_id)
    done, total = judging.progress(current_user, event)
    return render("competitions/_score_row.html", http_status=status, event=event, aspect=aspect, c=contestant,
                  s=entry, error=error, done=done, total=total, oob=True,
                  judgement=aspect.kind is AspectKind.JUDGEMENT)


@bp.get("/events/<int:event_id>/judging/progress")
@login_required
def marking_progress(event_id: int) -> Response:
    """Who has saved which scores, and the disagreements (the chief expert and the event's managers)."""
    event = judging.get_progress_event(current_user, event_id)
    progress = judging.marking_progress(event, request.args.get("aspect", 1, type=int))
    return render("competitions/marking_progress.html", block="aspect_progress", event=event, progress=progress,
                  can_manage=can(current_user, "competition.manage", event))


# ---------------------------------------------------------------- results

def _results_context(event) -> dict[str, Any]:
    locked = event.judging_state is JudgingState.LOCKED
    codes = [c.code for c in judging.scheme(event)]
    context: dict[str, object] = {"event": event, "locked": locked, "codes": codes,
                                  "can_manage": can(current_user, "competition.manage", event),
                                  "can_unlock": can(current_user, "results.unlock"),
                                  "show_scale": event.award_rule is AwardRuleKind.WORLDSKILLS,
                                  "unlock_form": UnlockForm(prefix="unlock")}
    if locked:
        context["page"] = judging.results_page(event, request.args.get("after"), current_app.config["PAGE_SIZE"])
        context["medal_counts"] = judging.medal_counts(event)
        context["medal_kinds"] = list(MedalKind)
    elif event.judging_state is JudgingState.SCORING:
        status = judging.scoring_status(event)
        context["scoring"] = status
        context["withheld"] = judging.preview_withheld(current_user, event, status)
        outcome = judging.preview(event) if not context["withheld"] else None
        by_id = {c.id: c for c in judging.contestants(event)} if outcome else {}
        context["preview"] = [(p, by_id[p.key]) for p in outcome.placings] if outcome else []
        context["unresolved"] = outcome.unresolved_ties if outcome else False
    return context


@bp.get("/events/<int:event_id>/results")
@login_required
def results(event_id: int) -> Response:
    event = judging.get_results_event(current_user, event_id)
    context = _results_context(event)
    # Only locked results are paged (the list block); before that an htmx request gets the whole page.
    return render("competitions/results.html", block="results_list" if "page" in context else None, **context)


@bp.post("/events/<int:event_id>/results/lock")
@login_required
def results_lock(event_id: int) -> Response:
    event = _managed_event(event_id)
    done, _result = attempt(lambda: judging.lock_results(current_user, event, utcnow()))
    if not done:
        return render("competitions/results.html", http_status=422, **_results_context(event))
    flash(_("成绩已锁定，名次和奖项已生成"), "success")
    return redirect_after_post("competitions.results", event_id=event.id)


@bp.post("/events/<int:event_id>/results/unlock")
@login_required
def results_unlock(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    require(current_user, "results.unlock")
    form = UnlockForm(prefix="unlock")

    def write() -> bool:
        judging.unlock_results(current_user, event, form.reason.data, utcnow())
        return True

    if submit(form, write):
        flash(_("成绩已解锁，可以更正评分"), "success")
        return redirect_after_post("competitions.results", event_id=event.id)
    context = _results_context(event)
    context["unlock_form"] = form
    return render("competitions/results.html", http_status=422, **context)


@bp.post("/events/<int:event_id>/contestants/<int:contestant_id>/time")
@login_required
def contestant_time(event_id: int, contestant_id: int) -> Response:
    event = _managed_event(event_id)
    minutes = request.form.get("minutes", "")
    done, _result = attempt(lambda: judging.set_time(current_user, event, contestant_id, minutes))
    if not done:
        return render("competitions/results.html", http_status=422, **_results_context(event))
    flash(_("用时已保存"), "success")
    return redirect_after_post("competitions.results", event_id=event.id)


@bp.get("/events/<int:event_id>/results.xlsx")
@login_required
def results_export(event_id: int) -> Response:
    event = judging.get_published_event(current_user, event_id)
    codes = [c.code for c in judging.scheme(event)]
    content = scheme_io.export_results(event.name, codes, judging.results(event),
                                       event.award_rule is AwardRuleKind.WORLDSKILLS)
    return send_file(BytesIO(content), as_attachment=True, download_name=f"event-{event.id}-results.xlsx",
                     mimetype=XLSX)


@bp.get("/events/<int:event_id>/results/notice")
@login_required
def results_notice(event_id: int) -> Response:
    """The printable public notice (公示) of the medal list."""
    event = judging.get_published_event(current_user, event_id)
    rows = [r for r in judging.results(event) if r.medal is not None]
    return render("competitions/results_notice.html", event=event, rows=rows,
                  show_scale=event.award_rule is AwardRuleKind.WORLDSKILLS,
                  printed_at=clock.now().astimezone(_tz()).strftime("%Y-%m-%d"))


# ---------------------------------------------------------------- qualification to the upper event

@bp.route("/events/<int:event_id>/qualifiers", methods=["GET", "POST"])
@login_required
def qualifiers(event_id: int) -> Response:
    event = _managed_event(event_id)
    status = 200
    if request.method == "POST":
        ids = request.form.getlist("person_id", type=int)
        done, n = attempt(lambda: judging.confirm_qualifiers(current_user, event, ids, utcnow()))
        if done:
            flash(_("已确认 %(n)d 名晋级选手报名", n=n), "success")
            return redirect_after_post("competitions.qualifiers", event_id=event.id)
        status = 422
    return render("competitions/qualifiers.html", event=event, http_status=status,
                  candidates=judging.qualifier_candidates(current_user, event))
