"""Sessions that end: the signed-in user is loaded in one query, and only while the session is still good.

The session and the remember cookie hold ``<user id>.<epoch>.<signed-in at>`` (Flask-Login's "alternative
token"). A session is good while the user is active, the epoch matches the user's ``session_epoch`` (sign-out,
a new password, deactivation and "sign out everywhere" move it on) and the sign-in is at most
``SESSION_MAX_AGE`` old (14 days by default; the remember cookie lasts as long). A copied cookie therefore
stops working at the latest when its owner signs out.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import contains_eager

from app.core import clock
from app.core.models import User, UserRole
from app.extensions import db, login_manager

DEFAULT_MAX_AGE = timedelta(days=14)


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_MAX_AGE", DEFAULT_MAX_AGE)
    # The remember cookie never outlives the session it restores.
    app.config.setdefault("REMEMBER_COOKIE_DURATION", app.config["SESSION_MAX_AGE"])
    if app.config["REMEMBER_COOKIE_DURATION"] > app.config["SESSION_MAX_AGE"]:
        app.config["REMEMBER_COOKIE_DURATION"] = app.config["SESSION_MAX_AGE"]
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", False))
    check_limiter_storage(app)


def check_limiter_storage(app: Flask) -> None:
    """In production the sign-in limit must hold across worker processes: per-process storage is refused.

    ``memory://`` keeps one count per process, so with ``gunicorn -w 4`` an attacker gets four times the
    limit (and more as workers restart). Set ``RATELIMIT_STORAGE_URI`` to Redis (``redis://…``); only a
    deployment that runs exactly one process may say so with ``RATELIMIT_SINGLE_PROCESS=1``.
    """
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    single = os.environ.get("RATELIMIT_SINGLE_PROCESS", app.config.get("RATELIMIT_SINGLE_PROCESS", "0"))
    if app.config.get("ENV_NAME") == "production" and storage.startswith("memory://") and str(single) != "1":
        raise RuntimeError("RATELIMIT_STORAGE_URI is memory:// in production: the sign-in limit would be per "
                           "worker process. Use shared storage (redis://…), or set RATELIMIT_SINGLE_PROCESS=1 "
                           "if exactly one process serves the app.")


def session_token(user: User) -> str:
    """The token a new session of ``user`` carries (computed once, at sign-in)."""
    return user.new_session_token()


def _parse(token: str) -> tuple[int, int, int] | None:
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 19 for p in parts):
        return None  # a token from before this scheme, or a forged one
    return int(parts[0]), int(parts[1]), int(parts[2])


def user_query(user_id: int | sa.BindParameter[int]) -> sa.Select:
    """The user with organisation and roles, in one statement."""
    return (sa.select(User)
            .join(User.organisation)
            .outerjoin(User.role_rows)
            .options(contains_eager(User.organisation), contains_eager(User.role_rows))
            .where(User.id == user_id)
            .order_by(UserRole.role))


@cache
def _user_by_id() -> sa.Select:
    """``user_query`` built once (with the id as a bound parameter): every signed-in request runs it, and building
    the statement cost more Python than running it."""
    return user_query(sa.bindparam("user_id"))


@login_manager.user_loader
def load_user(token: str) -> User | None:
    parsed = _parse(token)
    if parsed is None:
        return None
    user_id, epoch, signed_in_at = parsed
    max_age: timedelta = current_app.config["SESSION_MAX_AGE"]
    if clock.now().timestamp() - signed_in_at > max_age.total_seconds():
        return None
    user = db.session.execute(_user_by_id(), {"user_id": user_id}).unique().scalar_one_or_none()
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    user.session_token = token
    return user


__all__ = ["init_app", "load_user", "session_token", "user_query"]
