"""What certificates do when another area announces a change (``app.core.signals``): revoke, with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.certificates import services
from app.competitions.awards.models import AwardLine
from app.core.models import User
from app.core.signals import award_line_withdrawn, results_changed
from app.extensions import db


@results_changed.connect
def _results_changed(event: Any, *, result_ids: list[int], actor: User, now: datetime) -> None:
    line_ids = list(db.session.scalars(sa.select(AwardLine.id).where(AwardLine.result_id.in_(result_ids))))
    services.revoke_for_lines(line_ids, _("成绩解锁后更改，证书作废"), actor, now)


@award_line_withdrawn.connect
def _award_line_withdrawn(line: AwardLine, *, reason: str, actor: User, now: datetime) -> None:
    services.revoke_for_lines([line.id], _("奖励已撤销：%(reason)s", reason=reason), actor, now)
