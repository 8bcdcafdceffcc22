"""Risk prompts to review on the officials' 我的待办 (see app/core/todos.py): the open prompts in the official's
scope, counted from the tallies the desk's own counts read, linking to the desk's open list."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _

from app.auth.permissions import official_district
from app.core import risks
from app.core.enums import Role
from app.core.models import User
from app.core.todos import Todo, todo_provider


@todo_provider("supervision.risks", roles={Role.OFFICIAL}, order=62)
def risk_prompts_to_review(user: User, today: date) -> list[Todo]:
    """Open (unreviewed) stored risk prompts of the official's district, or of the city: one read of at most one
    tally row per kind."""
    district = official_district(user)
    count = risks.open_count(district)
    link = (url_for("supervision.risk_desk", status="open") if district is None
            else url_for("supervision.risk_desk", status="open", district=district.value))
    return [Todo(_("待核查的风险提示"), count, link)]
