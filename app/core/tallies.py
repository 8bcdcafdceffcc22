"""Summaries kept on write (the dashboards' tallies): a change is added to its row in one atomic upsert."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import click
import sqlalchemy as sa
from flask import Blueprint

from app.core.statistics import analyze
from app.extensions import db


def add_to(connection: sa.Connection, table: sa.Table, key: Mapping[str, object],
           amounts: Mapping[str, object], labels: Mapping[str, object] | None = None) -> None:
    """Add ``amounts`` to the row of ``table`` whose primary key is ``key``, or make that row with them: one
    ``INSERT … ON CONFLICT DO UPDATE SET column = column + excluded.column`` (two writers never lose an update).
    ``labels`` are columns copied as they are (``column = excluded.column``), e.g. a unit's district kept beside
    its counts. Callers add their rows in a fixed order, so that two writers lock rows alike."""
    if connection.dialect.name == "postgresql":
        # the dialect in use picks its upsert; the other dialect's module (PostgreSQL's ~2.4 MB) is never loaded
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API, its own class
    labels = labels or {}
    stmt = insert(table).values(**key, **amounts, **labels)
    connection.execute(stmt.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={**{name: table.c[name] + stmt.excluded[name] for name in amounts},
              **{name: stmt.excluded[name] for name in labels}}))


def rebuild_command(bp: Blueprint, table: str, rebuild: Callable[[], object], help_text: str, done: str) -> None:
    """Register ``flask <area> rebuild-tallies`` on the area's blueprint: ``rebuild()`` (the area's recount of
    ``table`` from its source rows, after a write around the services), commit, then ``ANALYZE`` the table (the
    whole of it was rewritten, app/core/statistics.py) and say ``done``."""
    def command() -> None:
        rebuild()
        db.session.commit()
        analyze(table)
        click.echo(done)

    command.__doc__ = help_text
    bp.cli.command("rebuild-tallies")(command)
