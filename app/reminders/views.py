"""Thin views: the inbox (with the header's unread count), e-mail preferences, the officials' outbox."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth.permissions import require
from app.core import clock
from app.core.types import utcnow
from app.core.views import attempt
from app.htmx import is_htmx, redirect_after_post, render
from app.reminders import bp, services
from app.reminders.models import DeliveryStatus, ReminderStatus
from app.reminders.registry import KINDS

OUTBOX_TITLES = {"scheduled": _l("待发送的提醒"), "pending": _l("排队中的邮件"), "sent": _l("已发送的邮件"),
                 "failed": _l("发送失败的邮件"), "skipped": _l("已跳过的提醒")}


def scheduler_health() -> tuple[dict[str, object], int]:
    """For monitoring: the scheduler's last heartbeat and the age of the oldest due-but-unsent reminder or
    e-mail; 200 when it beats and keeps up, 503 when it is silent ("down") or behind. Not part of /healthz,
    which the load balancer asks: a stopped scheduler must not take the web servers out of rotation."""
    health = services.scheduler_health(clock.now())
    return health.as_json(), 200 if health.ok else 503


@bp.record_once
def _register_health_route(state: object) -> None:
    # Beside /healthz, outside the blueprint's /reminders prefix.
    state.app.add_url_rule("/healthz/scheduler", "reminders.scheduler_health", scheduler_health)  # type: ignore[attr-defined]


def _inbox_filter() -> services.InboxFilter:
    kind = request.args.get("kind", "")
    return services.InboxFilter(kind=kind if kind in KINDS else "", unread=request.args.get("unread") == "1")


@bp.get("/")
@login_required
def index() -> Response:
    """The inbox: the signed-in user's reminders, newest first, with filters."""
    flt = _inbox_filter()
    page = services.inbox(current_user, flt, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render("reminders/inbox.html", block="inbox_results", page=page, flt=flt, args=flt.as_args(),
                  kinds=KINDS, unread=services.unread_count(current_user))


@bp.get("/unread")
def unread_badge() -> Response:
    """The header's unread count (polled by htmx). A signed-out poll gets 204 and changes nothing: the page
    that polls must not be carried off to the sign-in page by its badge (the page's own links do that)."""
    if not current_user.is_authenticated:
        return Response(status=204)
    response = render("reminders/_unread.html", unread=services.unread_count(current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:delivery_id>/read")
@login_required
def mark_read(delivery_id: int) -> Response:
    item = services.mark_read(current_user, delivery_id, utcnow())
    if is_htmx():
        response = render("reminders/_item.html", item=item)
        response.headers["HX-Trigger"] = "reminders-read"
        return response
    return redirect_after_post("reminders.index")


@bp.post("/read-all")
@login_required
def mark_all_read() -> Response:
    n = services.mark_all_read(current_user, utcnow())
    flash(_("已将 %(n)d 条提醒标为已读", n=n), "success")
    return redirect_after_post("reminders.index")


@bp.get("/<int:delivery_id>/open")
@login_required
def open_item(delivery_id: int) -> ResponseReturnValue:
    """Follow a reminder's link, marking it read on the way."""
    item = services.mark_read(current_user, delivery_id, utcnow())
    return redirect(item.reminder.link or "/", code=303)


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Response:
    """Per kind of deadline: also by e-mail, or only in the inbox."""
    if request.method == "POST":
        done, _result = attempt(lambda: services.set_email_preferences(current_user,
                                                                       set(request.form.getlist("email"))))
        if not done:
            return render("reminders/preferences.html", kinds=KINDS,
                          chosen=services.email_preferences(current_user), http_status=422)
        flash(_("已保存提醒设置"), "success")
        return redirect_after_post("reminders.preferences")
    return render("reminders/preferences.html", kinds=KINDS, chosen=services.email_preferences(current_user))


@bp.get("/outbox")
@login_required
def outbox() -> Response:
    """Officials: what is scheduled, queued, sent, failed (with the error) or skipped."""
    require(current_user, "reminder.outbox")
    view = request.args.get("view", "failed")
    view = view if view in services.OUTBOX_VIEWS else "failed"
    after, per_page = request.args.get("after"), current_app.config["PAGE_SIZE"]
    if view in ("scheduled", "skipped"):
        page = services.outbox_reminders(current_user, ReminderStatus(view), after, per_page)
    elif view == "failed":
        page = services.outbox_failures(current_user, after, per_page)
    else:
        statuses = {"pending": (DeliveryStatus.PENDING, DeliveryStatus.SENDING), "sent": (DeliveryStatus.SENT,)}[view]
        page = services.outbox_deliveries(current_user, statuses, after, per_page)
    return render("reminders/outbox.html", block="outbox_results", page=page, view=view, views=OUTBOX_TITLES,
                  counts=services.outbox_counts(current_user), args={"view": view},
                  health=services.scheduler_health(clock.now()), age=_age,
                  kind_label=lambda key: str(KINDS[key].label) if key in KINDS else key)


def _age(seconds: float | None) -> str:
    """A duration as people say it, in the page's language ("3分钟", "2 hours")."""
    return format_timedelta(timedelta(seconds=seconds or 0), threshold=1)


@bp.post("/outbox/<int:delivery_id>/retry")
@login_required
def retry(delivery_id: int) -> Response:
    done, delivery = attempt(lambda: services.retry_delivery(current_user, delivery_id, utcnow()))
    if done and delivery is not None:
        flash(_("已安排重发：%(address)s", address=delivery.address), "success")
    return redirect_after_post("reminders.outbox", view="failed")
