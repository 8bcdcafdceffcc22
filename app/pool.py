"""A pooled connection is checked before use only when it has sat idle (issue 21: one round trip less a request).

SQLAlchemy's ``pool_pre_ping`` sends a statement (``;`` on PostgreSQL) on *every* checkout, so that a connection the
server has dropped (a restart, an idle timeout, ``pg_terminate_backend``) is replaced before a request uses it. A
sync worker checks its one connection out for each request: under load that is one extra round trip to the
database per page, which the same-SQL floor does not pay (the cheapest page, ``/healthz``, sends one statement).

Here the check runs only for a connection that has been back in the pool for at least ``after_seconds``
(``DATABASE_PING_AFTER_IDLE_SECONDS``, 1 s by default): every connection that sat through a restart or a timeout is
still checked, and a worker serving one request after another sends no ping. What is given up is a connection
broken in the last second before it is used: that request fails (HTTP 500, as any request in flight during a
restart does), and SQLAlchemy then replaces every connection of the pool, as it does after a failed ping.
A failed check replaces every pooled connection too (``InvalidatePoolError``), as ``pool_pre_ping`` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

#: Key in each pooled connection's ``info`` (cleared when the connection is replaced): when it was checked in.
IDLE_SINCE = "jinengtong_idle_since"


def ping_after_idle(engine: Engine, after_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
    """Check each connection of ``engine``'s pool on checkout once it has been idle ``after_seconds`` or longer."""
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _idle_since(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[IDLE_SINCE] = clock()

    @event.listens_for(engine.pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(IDLE_SINCE)
        if since is None or clock() - since < after_seconds:  # just connected, or used a moment ago
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error
            raise
