"""带徒学时与带徒津贴: mentors log hours with their apprentices, submit each month for the apprentice to confirm and
the enterprise to approve; approved months turn into allowances by the enterprise's rule; risk prompts find what
looks wrong. Builds on ``app.apprenticeships`` (``MentorAssignment``, ``PlanModule``)."""

from flask import Blueprint

bp = Blueprint("mentor_hours", __name__, url_prefix="/mentor-hours", template_folder="templates")

from app.mentor_hours import dashboard, labels, record, reminders, risks, tallies, todos, views  # noqa: E402,F401
