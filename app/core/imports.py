"""What every area's Excel import shares: the end of an all-or-nothing import (the people import is in
app/people/imports.py)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.errors import DomainError
from app.extensions import db


def finish_import(created: int, reports: list) -> tuple[int, list]:
    """End an all-or-nothing import: no data rows is an error; any bad row writes nothing and returns the
    row reports; otherwise everything is committed."""
    if not reports:
        db.session.rollback()
        raise DomainError(_("文件中没有数据行"), "file")
    if any(r.errors for r in reports):
        db.session.rollback()
        return 0, reports
    db.session.commit()
    return created, []
