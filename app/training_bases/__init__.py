"""集训基地: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("training_bases", __name__, url_prefix="/training-bases", template_folder="templates")

from app.training_bases import views  # noqa: E402,F401
