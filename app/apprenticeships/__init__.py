"""企业新型学徒制: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("apprenticeships", __name__, url_prefix="/apprenticeships", template_folder="templates")

from app.apprenticeships import todos, views  # noqa: E402,F401
