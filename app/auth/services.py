"""Sign-in use cases."""

from __future__ import annotations

import sqlalchemy as sa

from app.core import audit
from app.core.models import User
from app.core.types import utcnow
from app.extensions import db


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, recording the sign-in; None otherwise."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    audit.record(user, "login", user, summary=user.username)
    db.session.commit()
    return user


def set_locale(user: User | None, locale: str) -> None:
    if user is not None:
        user.locale = locale
        db.session.commit()


def end_sessions(user: User) -> None:
    """End every session and remember cookie of ``user`` on the server side (sign-out, sign out everywhere)."""
    user.end_sessions()
    db.session.commit()
