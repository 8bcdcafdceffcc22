"""The competitions pages that show more than one sub-package: an athlete's own entries with their awards."""

from __future__ import annotations

from flask import Response
from flask_login import current_user, login_required

from app.competitions.blueprint import bp
from app.competitions.record import my_awards_html
from app.competitions.registration import services as registration
from app.htmx import render


@bp.get("/mine")
@login_required
def my_registrations() -> Response:
    return render("competitions/mine.html", rows=registration.my_registrations(current_user),
                  awards_html=my_awards_html(current_user))
