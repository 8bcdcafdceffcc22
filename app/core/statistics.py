"""Planner statistics after the app's own bulk rewrites.

PostgreSQL's autovacuum analyses a table only once enough of it changed *and* its next round comes.
A bulk rewrite (the risk refresh, the tallies rebuild) can change a table's shape at
once, and a plan chosen from the old statistics can be 100× slower (the risk desk's list: 29.8 ms with stale
statistics, 0.38 ms after ``ANALYZE``). So the code that rewrites a table analyses that table, after its
transaction committed (``ANALYZE`` reads committed rows only), on a connection of its own.
"""

from __future__ import annotations

import logging

from app.extensions import db

log = logging.getLogger(__name__)

#: A rewrite smaller than this leaves the statistics to autovacuum (its own threshold is 50 rows + 10 %).
MIN_CHANGED_ROWS = 100


def analyze(*tables: str) -> bool:
    """``ANALYZE`` each table (names from the app's own metadata only), in a short transaction of its own, on
    PostgreSQL. On SQLite nothing: the app runs it there without statistics by design (bench/README.md,
    finding 5: statistics flip some plans for the worse). Returns whether it analysed."""
    known = db.metadata.tables
    for table in tables:
        if table not in known:
            raise ValueError(f"not a table of the app: {table!r}")
    if db.engine.dialect.name != "postgresql":
        return False
    with db.engine.connect() as conn:
        for table in tables:
            conn.exec_driver_sql(f'ANALYZE "{table}"')
        conn.commit()
    log.info("analyzed %s", ", ".join(tables))
    return True
