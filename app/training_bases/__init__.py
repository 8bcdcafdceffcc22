"""集训基地: the area's blueprint."""

from flask import Blueprint

bp = Blueprint("training_bases", __name__, url_prefix="/training-bases", template_folder="templates")

from app.auth.permissions import register_object_rule  # noqa: E402
from app.auth.training_bases import training_base_rule  # noqa: E402
from app.training_bases.models import TrainingBase, is_base_coach  # noqa: E402

register_object_rule(TrainingBase, training_base_rule(is_base_coach))

from app.training_bases import labels, reminders, views  # noqa: E402,F401
