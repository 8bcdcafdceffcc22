from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Response, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp, services
from app.auth.forms import LoginForm
from app.extensions import limiter, login_manager
from app.htmx import hx_redirect_or_redirect, page_url, render


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    # Search terms (q=, which may be an ID number or a phone) are left out: they would otherwise sit in the
    # sign-in page's address, the access log and the browser history. Other filters are kept.
    parts = urlsplit(page_url())
    kept = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "q"])
    return hx_redirect_or_redirect(url_for("auth.login", next=parts.path + (f"?{kept}" if kept else "")))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("core.home")


def _username_tried() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()[:50]


def _failed(response: Response) -> bool:
    return response.status_code != 303  # a successful sign-in redirects; it is not counted


@bp.route("/login", methods=["GET", "POST"])
# Failed sign-ins are limited per client address and, separately, per username tried (so spreading the
# guesses over many addresses does not help); the counts live in shared storage in production (see
# app/auth/sessions.py: check_limiter_storage).
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_username_tried,
               deduct_when=_failed)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            if user.locale:
                session["locale"] = user.locale
            return redirect(_safe_next(request.args.get("next")), code=303)
        form.password.errors.append(_("用户名或密码不正确"))
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", http_status=status, form=form)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out: every session and remember cookie of this user ends, a copied one included."""
    services.end_sessions(current_user)
    logout_user()
    session.pop("locale", None)
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.post("/locale")
def set_locale() -> ResponseReturnValue:
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        services.set_locale(current_user if current_user.is_authenticated else None, locale)
    return redirect(_safe_next(request.form.get("next")), code=303)
