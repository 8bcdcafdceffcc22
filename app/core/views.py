"""Thin views: parse the form, call the service, render the page or the changed fragment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, current_app, flash, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.core import bp, clock
from app.core.todos import todos_for
from app.errors import DomainError
from app.extensions import db
from app.htmx import render

T = TypeVar("T")


def today_in_shanghai() -> date:
    return clock.today(ZoneInfo(current_app.config["TZ"]))


def attach_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's refusal next to the field it concerns (or above the form)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message] if isinstance(field.errors, list) else [exc.message]
    else:
        form.form_errors.append(exc.message)


def try_write(write: Callable[[], T]) -> tuple[T | None, DomainError | None]:
    """Run a service write; a refusal is rolled back and handed back, for a view that shows it in a place of its
    own (beside a table row, in a fragment, as JSON).

    Returns (what the write returned, None) or (None, the refusal).
    """
    try:
        return write(), None
    except DomainError as exc:
        db.session.rollback()
        return None, exc


def submit(form: FlaskForm, write: Callable[[], T]) -> T | None:
    """Validate the form and run the write; a DomainError lands next to its field (after a rollback).

    Returns what the write returned, or None when the form is to be shown again.
    """
    if not form.validate_on_submit():
        return None
    result, refusal = try_write(write)
    if refusal is not None:
        attach_error(form, refusal)
    return result


def attempt(write: Callable[[], T], category: str = "danger") -> tuple[bool, T | None]:
    """Run a service write from a button (no form to show it next to): a refusal is rolled back and flashed
    (as ``category``).

    Returns (True, what the write returned) or (False, None).
    """
    result, refusal = try_write(write)
    if refusal is not None:
        flash(refusal.message, category)
        return False, None
    return True, result


def form_status() -> int:
    """200 for a form shown for the first time, 422 for one shown again with its errors."""
    return 422 if request.method == "POST" else 200


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.get("/")
@login_required
def home() -> Response:
    return render("core/home.html", todos=todos_for(current_user, today_in_shanghai()))


@bp.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("favicon.svg")
