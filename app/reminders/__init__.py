"""提醒: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("reminders", __name__, url_prefix="/reminders", template_folder="templates")

from app.reminders import labels, views  # noqa: E402,F401
from app.reminders.registry import has_deadline, kind_label  # noqa: E402

bp.add_app_template_filter(kind_label, "reminder_kind")
bp.add_app_template_filter(has_deadline, "reminder_has_deadline")
