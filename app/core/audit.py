"""The audit trail: every write adds a row in the same transaction (who, when, what, before/after)."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.core.models import AuditEntry, User
from app.extensions import db


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The named attributes of ``obj`` as JSON-ready values (pass masked fields, never secrets)."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(
    actor: User | None,
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
) -> AuditEntry:
    """Add an audit row for ``obj`` to the current transaction (flushes to learn a new object's id)."""
    if getattr(obj, "id", None) is None:
        db.session.flush()
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=type(obj).__tablename__,
        entity_id=str(obj.id),
        summary=summary[:200],
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def entries_for(entity_type: str, entity_id: str | int, limit: int = 200) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ))
