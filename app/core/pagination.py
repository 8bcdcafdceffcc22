"""Keyset pagination: a page is "the next N rows after this key", so a deep page costs what the first does."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from app.extensions import db

T = TypeVar("T")

#: A sort column: a mapped attribute (``Person.id``) or any column expression.
OrderColumn = sa.ColumnElement[Any] | QueryableAttribute[Any]


@dataclass
class KeysetPage(Generic[T]):
    items: list[T]
    next_cursor: str | None
    has_previous: bool


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values), ensure_ascii=False).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, width: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(values, list) or len(values) != width:
        return None
    # A hand-made cursor must not reach the database as a list or a mapping.
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
        return None
    return values


def keyset_page(
    stmt: sa.Select[Any],
    order: Sequence[tuple[OrderColumn, bool]],
    cursor: str | None,
    per_page: int,
    filters: Sequence[sa.ColumnElement[bool]] = (),
    *,
    rows: bool = False,
    then: Callable[[sa.Subquery], sa.Select[Any]] | None = None,
) -> KeysetPage[Any]:
    """Run ``stmt`` ordered by ``order`` ((column, descending) pairs, the last one unique), one page deep.

    The cursor holds the sort key of the last row shown; an unreadable cursor starts from the top.
    The cursor's bound goes into the WHERE clause before ``filters``: SQLite starts an index range at the
    first usable bound it meets, so a deep page then starts at the cursor, not at the top of the range.
    With ``rows`` the page's items are the statement's result rows (a select of columns, each sort column
    among them under its own key), not ORM objects.

    With ``then`` (a "deferred join"), ``stmt`` selects only what finds and orders the page (the sort columns,
    which an index can cover) and ``then(page)`` the page's rows from that subquery of at most ``per_page + 1``
    keys: the wide rows and their joins are read for the page alone, not for every row the filters match
    before the sort. It is ordered again by the subquery's sort columns.
    """
    after = decode_cursor(cursor, len(order))
    if after is not None:
        stmt = stmt.where(_after(order, after))
    stmt = stmt.where(*filters).order_by(*[col.desc() if desc else col.asc() for col, desc in order])
    stmt = stmt.limit(per_page + 1)
    if then is not None:
        page = stmt.subquery("page")
        stmt = then(page).order_by(*[page.c[str(col.key)].desc() if desc else page.c[str(col.key)].asc()
                                     for col, desc in order])
    items: list[Any] = list(db.session.execute(stmt).all()) if rows else list(db.session.scalars(stmt).unique())
    more = len(items) > per_page
    items = items[:per_page]
    next_cursor = None
    if more and items:
        next_cursor = encode_cursor([_key_value(items[-1], col) for col, _ in order])
    return KeysetPage(items, next_cursor, after is not None)


def _key_value(row: Any, column: OrderColumn) -> Any:
    value = getattr(row, str(column.key))
    return getattr(value, "value", value)


def _after(order: Sequence[tuple[OrderColumn, bool]], values: list[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after ``values`` in the given order.

    When every column sorts the same way this is a row-value comparison, (a, b) > (x, y), which both
    databases turn into an index bound; mixed directions fall back to (a > x) or (a = x and b > y) …
    """
    directions = {desc for _, desc in order}
    if len(order) > 1 and len(directions) == 1:
        columns, bound = sa.tuple_(*[c for c, _ in order]), sa.tuple_(*values)
        return columns < bound if directions == {True} else columns > bound
    (col, desc), value = order[0], values[0]
    beyond = col < value if desc else col > value
    if len(order) == 1:
        return beyond
    return sa.or_(beyond, sa.and_(col == value, _after(order[1:], values[1:])))
