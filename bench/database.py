"""Which database the bench uses, making it if missing, and the app built on it with the schema migrated."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.config import INSTANCE_DIR


def default_url(scale: int) -> str:
    """Never the development database (instance/jinengtong.sqlite3): the bench fills its own, one file per
    scale, so a 10,000-people run does not reuse (and time) the 1,000,000-people file."""
    return f"sqlite:///{INSTANCE_DIR / f'bench-{scale}.sqlite3'}"


BENCH_CONFIG: dict[str, Any] = {
    "WTF_CSRF_ENABLED": False,
    "LOGIN_RATE_LIMIT": "10000 per minute",
}


def database_url(scale: int) -> str:
    """DATABASE_URL from the environment (any spelling the app accepts), or the bench's SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return default_url(scale)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def create_database_if_missing(url: str) -> None:
    """PostgreSQL only: make the bench database through the server's ``postgres`` database."""
    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": parsed.database})
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
                logging.getLogger("bench").warning("created database %s", parsed.database)
    finally:
        admin.dispose()


def bench_app(url: str) -> Flask:
    """The real app (as gunicorn would build it) on the bench database, with CSRF off for scripted sign-in."""
    app = create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    # One JSON line per request on stderr would drown the diagnostics; the request-logging hook still
    # runs (it loads the signed-in user as in production), only the line is not written.
    logging.getLogger("app.request").setLevel(logging.WARNING)
    return app


def migrate(app: Flask) -> None:
    """Bring the schema up with the Alembic migrations, the only way the schema is made."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows into ``table`` inside the session's transaction: ``COPY`` on PostgreSQL (one round trip, no
    statement per row), Core ``executemany`` on SQLite (which has no faster path)."""
    from app.extensions import db

    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    target = db.metadata.tables[table]  # its column types store the values as the app does (instants in UTC)
    batch = [dict(zip(columns, row, strict=True)) for row in rows]
    if batch:
        connection.execute(sa.insert(target), batch)


#: Set by every bench data maker that bulk-loaded rows; ``vacuum_analyze_if_loaded`` then runs once for them all.
_loaded = {"rows": False}


def mark_loaded() -> None:
    _loaded["rows"] = True


def vacuum_analyze_if_loaded() -> bool:
    """After the bench data is made, on PostgreSQL: one ``VACUUM ANALYZE`` of the database (planner statistics
    and the visibility map the index-only scans need, as autovacuum would in time), once for every table loaded
    instead of once per table per maker. Not on SQLite: the app runs there without statistics, and the bench
    measures what the app gets (bench/README.md, finding 5). Returns whether it ran."""
    from app.extensions import db

    if not _loaded["rows"] or db.engine.dialect.name != "postgresql":
        return False
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    _loaded["rows"] = False
    return True


SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid IN (SELECT to_regclass(t) FROM unnest(CAST(:tables AS text[])) AS t)
  AND NOT i.indisprimary AND NOT i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


@contextmanager
def bulk_load(*tables: str) -> Iterator[None]:
    """Load many rows into ``tables`` within the session's transaction, as a restore does (PostgreSQL; nothing
    changes on SQLite): their secondary indexes (not the primary keys, not the unique ones) are dropped first and
    built again after, each in one sort, instead of taking every row one by one; foreign keys are not checked row
    by row (``session_replication_role = replica``, superuser only: the bench's rows are made consistent); sorts
    get memory; and the tables are ANALYZEd at the end. All of it in the one transaction: if the load fails, the
    indexes come back with the rollback. The caller commits."""
    from app.extensions import db

    session = db.session
    if session.connection().dialect.name != "postgresql":
        yield
        return
    indexes = session.execute(sa.text(SECONDARY_INDEXES), {"tables": list(tables)}).all()
    session.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
    session.execute(sa.text("SET LOCAL work_mem = '256MB'"))
    session.execute(sa.text("SET LOCAL synchronous_commit = off"))
    if session.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    for name, _ in indexes:
        session.execute(sa.text(f"DROP INDEX {name}"))
    yield
    for _, definition in indexes:
        session.execute(sa.text(definition))
    # Statistics at once (a sample, cheap): what is computed from these rows next (results, tallies, risk
    # prompts) must not be planned for empty tables. The VACUUM comes once, after all the bench data.
    session.execute(sa.text(f"ANALYZE {', '.join(tables)}"))
