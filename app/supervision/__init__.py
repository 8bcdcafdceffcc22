"""监管: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/supervision", template_folder="templates")

from app.supervision import labels, reminders, risk_rules, tallies, todos, views  # noqa: E402,F401
