"""公示 ending on the officials' 我的待办 (see app/core/todos.py): one count, linking to the list it counts."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _

from app.competitions.awards import due
from app.core.enums import Role
from app.core.models import User
from app.core.todos import Todo, todo_provider


@todo_provider("awards.notices_ending", roles={Role.OFFICIAL}, order=61)
def notices_ending(user: User, today: date) -> list[Todo]:
    """Award notices whose 公示 ends within a few working days or has ended, awaiting approval."""
    return [Todo(_("公示即将期满或已期满待批准"), due.count_due(user, today), url_for("competitions.award_notices_due"),
                 _("%(n)d 个工作日内期满", n=due.NOTICE_ENDING_WORKING_DAYS))]
