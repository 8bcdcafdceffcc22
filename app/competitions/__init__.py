"""技能竞赛: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("competitions", __name__, url_prefix="/competitions", template_folder="templates")

from app.competitions import award_views, judging_views, record, todos, views  # noqa: E402,F401
