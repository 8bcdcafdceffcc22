"""企业新型学徒制: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("apprenticeships", __name__, url_prefix="/apprenticeships", template_folder="templates")

from app.apprenticeships.models import ApprenticeClass, Enrollment  # noqa: E402
from app.auth.apprenticeships import apprenticeship_rule  # noqa: E402
from app.auth.permissions import register_object_rule  # noqa: E402

register_object_rule(Enrollment, apprenticeship_rule)
register_object_rule(ApprenticeClass, apprenticeship_rule)

from app.apprenticeships import labels, reminders, todos, views  # noqa: E402,F401
