"""The audit trail: every write adds a row in the same transaction (who, when, what, before/after)."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.labels import reference_kind
from app.core.models import AuditEntry, Occupation, Organisation, Person, User
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


# ---------------------------------------------------------------- references in audit values

#: kind -> (how a stored value becomes a key, keys -> {key: label}) — one query per kind and page.
Resolver = Callable[[Collection[Any]], dict[Any, str]]
RESOLVERS: dict[str, tuple[Callable[[Any], Any], Resolver]] = {}
#: Values are looked up this many at a time (an export holds up to 10,000 rows).
CHUNK = 500


def register_resolver(kind: str, resolve: Resolver, key: Callable[[Any], Any] = int) -> None:
    """Let audit pages show the label of a ``kind`` record (organisations, events…) instead of its id."""
    RESOLVERS[kind] = (key, resolve)


def names_of(column_id: Any, column_label: Any) -> Resolver:
    """A resolver reading one label column by id."""

    def resolve(keys: Collection[Any]) -> dict[Any, str]:
        return {k: str(v) for k, v in db.session.execute(sa.select(column_id, column_label)
                                                          .where(column_id.in_(list(keys))))}
    return resolve


class References:
    """The labels of every record the given audit rows refer to; a reference whose record no longer exists reads
    as its id with a note."""

    def __init__(self, labels: dict[tuple[str, Any], str]):
        self.labels = labels

    def label(self, entity_type: str, field: str, value: object) -> str | None:
        kind = reference_kind(entity_type, field)
        if kind is None or kind not in RESOLVERS:
            return None
        try:
            key = RESOLVERS[kind][0](value)
        except (TypeError, ValueError):
            return None
        found = self.labels.get((kind, key))
        return found if found is not None else _("%(id)s（记录已删除）", id=value)


def _values(entry: AuditEntry) -> Iterable[tuple[str, Any]]:
    for values in (entry.before, entry.after):
        stack = list((values or {}).items())
        while stack:
            field, value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.items())
            elif isinstance(value, list):
                stack.extend((field, v) for v in value)
            elif value is not None and value != "" and not isinstance(value, bool):
                yield field, value


def references(entries: Iterable[AuditEntry]) -> References:
    """Look up, in one query per kind of record (in chunks), every reference the rows' values hold."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    for entry in entries:
        for field, value in _values(entry):
            kind = reference_kind(entry.entity_type, field)
            if kind is None or kind not in RESOLVERS:
                continue
            try:
                wanted[kind].add(RESOLVERS[kind][0](value))
            except (TypeError, ValueError):
                continue
    labels: dict[tuple[str, Any], str] = {}
    for kind, keys in wanted.items():
        ordered = sorted(keys, key=str)
        for start in range(0, len(ordered), CHUNK):
            for key, label in RESOLVERS[kind][1](ordered[start:start + CHUNK]).items():
                labels[(kind, key)] = label
    return References(labels)


def _users(keys: Collection[Any]) -> dict[Any, str]:
    return {i: f"{name}（{username}）" for i, name, username in db.session.execute(
        sa.select(User.id, User.display_name, User.username).where(User.id.in_(list(keys))))}


def _occupations(keys: Collection[Any]) -> dict[Any, str]:
    return {code: f"{code} {name}" for code, name in db.session.execute(
        sa.select(Occupation.code, Occupation.name).where(Occupation.code.in_(list(keys))))}


register_resolver("organisations", names_of(Organisation.id, Organisation.name))
register_resolver("people", names_of(Person.id, Person.name))
register_resolver("users", _users)
register_resolver("occupations", _occupations, key=str)
