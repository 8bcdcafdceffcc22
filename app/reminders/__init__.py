"""提醒: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("reminders", __name__, url_prefix="/reminders", template_folder="templates")

from app.reminders import views  # noqa: E402,F401
