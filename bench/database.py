"""Which database the bench uses, making it if missing, and the app built on it with the schema migrated."""

from __future__ import annotations

import logging
import os
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
