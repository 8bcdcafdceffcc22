"""Fixtures shared by every test: the app on a migrated database (SQLite or PostgreSQL), clients, factories.

The schema is made by the Alembic migrations, as in production. Each test starts from empty tables.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.core import clock
from app.extensions import db
from app.logging import JsonFormatter, ScrubPersonalData
from tests import factories

TEST_KEYS = {
    "SECRET_KEY": "test-secret-key",
    "PERSONAL_DATA_KEYS": "n6Kd0S7o3yq8YbS3rM0Zl0c8L7QhJm0b3yq8YbS3rM0=",
    "PERSONAL_DATA_HASH_KEY": "test-hash-key",
}

_LOG_BUFFER = io.StringIO()


#: The SQLite test files live in memory-backed storage where there is some (Linux's /dev/shm): a commit there costs
#: no disk flush. The tests make tens of thousands of commits, and waiting for the disk to flush each one was a good
#: part of the suite's time. Durability is no part of what the tests check; everything else is the same SQLite.
RAM_DIR = Path("/dev/shm")


def _scratch_dir() -> str | None:
    return str(RAM_DIR) if RAM_DIR.is_dir() and os.access(RAM_DIR, os.W_OK) else None


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url.startswith("postgres"):
        url = _worker_database(url, worker)
    return url or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def _worker_database(url: str, worker: str | None) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (SQLite workers have their own files).

    The test databases commit without waiting for the write-ahead log to reach the disk (``synchronous_commit``
    off, set on these databases only): what one connection commits is seen by the others at once, as always;
    only a crash of the server could lose the last commits, which no test is about.
    """
    base, _sep, name = url.rpartition("/")
    own = f"{name}_{worker}" if worker else name
    admin = sa.create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own}).scalar() is None:
            conn.execute(sa.text(f'CREATE DATABASE "{own}"'))
        conn.execute(sa.text(f'ALTER DATABASE "{own}" SET synchronous_commit TO off'))
    admin.dispose()
    return f"{base}/{own}"


def _reset_postgres_schema(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)
                              if url.startswith("postgresql://") else url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(**overrides: object) -> Flask:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": os.environ["_TEST_DATABASE_URI"],
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "VERIFY_RATE_LIMIT": "10000 per minute",
        "ID_SEARCH_RATE_LIMIT": "10000 per minute",
        "SERVER_NAME": None,
        # The tests make thousands of accounts: a cheap hash (production's is scrypt; test_passwords checks it).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # The risk desk finds its prompts again on every view (tests that need stored ones raise it).
        "RISK_PROMPTS_MAX_AGE_SECONDS": 0,
        # … and waits for it however long it takes (a loaded CI machine); production waits at most 1 s.
        "RISK_PROMPTS_WAIT_SECONDS": 60,
        **TEST_KEYS,
        **overrides,
    }
    return create_app(config)


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    with tempfile.TemporaryDirectory(dir=_scratch_dir()) as tmp:
        url = _database_url(Path(tmp))
        if url.startswith("postgres"):
            _reset_postgres_schema(url)
        os.environ["_TEST_DATABASE_URI"] = url if not url.startswith("postgresql://") else \
            url.replace("postgresql://", "postgresql+psycopg://", 1)
        application = make_app()
        with application.app_context():
            from flask_migrate import upgrade

            upgrade()
        _capture_logs()
        yield application


FULL_ID = re.compile(r"(?<![0-9*])\d{17}[0-9Xx](?!\d)")
FULL_PHONE = re.compile(r"(?<![0-9*])1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="session", autouse=True)
def _logs_hold_no_personal_data() -> Iterator[None]:
    """At the end of the run (of each xdist worker), its logs must hold no full 身份证号 or mobile number."""
    yield
    text = _LOG_BUFFER.getvalue()
    leaks = FULL_ID.findall(text) + FULL_PHONE.findall(text)
    if leaks:
        pytest.fail(f"personal data in the logs: {len(leaks)} full ID or phone numbers")


def _capture_logs() -> None:
    """Keep every log line of the run, formatted and filtered exactly as production does."""
    handler = logging.StreamHandler(_LOG_BUFFER)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubPersonalData())
    logging.getLogger().addHandler(handler)
    # gunicorn's access log does not propagate to the root logger: its lines are kept (and scanned) too.
    logging.getLogger("gunicorn.access").addHandler(handler)


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        # A browser test's last request may still be finishing on the live server when the test ends;
        # if emptying the tables collides with it (a deadlock on PostgreSQL), try again.
        for attempt in range(5):
            try:
                _empty(tables)
                return
            except sa.exc.OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))


def _empty(tables: list[str]) -> None:
    """Delete the rows the test left (children before parents) and restart the ids.

    Only the tables that hold rows are touched: one EXISTS query finds them. On PostgreSQL a DELETE of a few
    rows is much cheaper than a TRUNCATE, which makes new files for every table it names.
    """
    with db.engine.begin() as conn:
        probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
        filled = {row[0] for row in conn.execute(sa.text(probe))}
        for name in tables:
            if name in filled:
                conn.execute(sa.text(f"DELETE FROM {name}"))
        if conn.dialect.name == "postgresql":  # SQLite's rowids restart by themselves (no AUTOINCREMENT)
            conn.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))


@pytest.fixture(autouse=True)
def _system_clock() -> Iterator[None]:
    """Every test starts on the system clock and gives it back: a test that fixes it cannot leak into the next."""
    clock.set_now(None)
    yield
    clock.set_now(None)


@pytest.fixture()
def fixed_clock():
    """Fix the app's one clock: ``fixed_clock(datetime(..., tzinfo=UTC))``; reset after the test."""
    return clock.set_now


@pytest.fixture()
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch):
    """A real SMTP server (aiosmtpd) on loopback that the app sends to; yields what it received."""
    from tests.reminder_factories import smtp_server

    with smtp_server() as (sink, port):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
        yield sink


@pytest.fixture()
def ctx(app: Flask) -> Iterator[None]:
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


class WebClient:
    """A test client that signs in like a person and sends the CSRF token on every write."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.csrf = ""

    def _request(self, method: str, url: str, **kwargs):
        # A fresh application context per request, as in production: otherwise the request would reuse
        # the test's context and its `g` (Flask-Login caches the signed-in user there) and db session.
        with self.client.application.app_context():
            return self.client.open(url, method=method, **kwargs)

    def _refresh_csrf(self, html: str) -> None:
        match = CSRF_RE.search(html)
        if match:
            self.csrf = match.group(1) or match.group(2)

    def get(self, url: str, **kwargs):
        response = self._request("GET", url, **kwargs)
        if response.mimetype == "text/html":
            self._refresh_csrf(response.get_data(as_text=True))
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):
        if not self.csrf:
            self.get("/login")
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        response = self._request("POST", url, data=data, **kwargs)
        if response.mimetype == "text/html":
            self._refresh_csrf(response.get_data(as_text=True))
        return response

    def login(self, username: str, password: str = factories.PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response  # the sign-in page's CSRF token stays good: signing in keeps the session's token


@pytest.fixture()
def web(app: Flask) -> WebClient:
    return WebClient(app.test_client())


@pytest.fixture()
def login_as(app: Flask):
    """login_as(user) -> a WebClient signed in as that user."""

    def _login(user) -> WebClient:
        client = WebClient(app.test_client())
        client.login(user.username)
        return client

    return _login


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture()
def captured_logs() -> io.StringIO:
    """Every log line of the whole run so far, as production would write it."""
    return _LOG_BUFFER


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist hands out the tests one at a time, in the order below (``--maxschedchunk=1``). By default it
    first gives each worker a quarter of its share as one consecutive block: the first worker then got every long
    journey and the page walks, one after the other, while the others ran out of work and waited for it."""
    if config.getoption("maxschedchunk", None) is None and hasattr(config.option, "maxschedchunk"):
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long journeys first, then the other browser tests, then the rest: xdist workers then finish together
    instead of two idling while a third runs a long journey it picked up last.

    The longest (``@pytest.mark.long(minutes=n)``, n > 1) alternate with the other long ones: xdist starts each
    worker with two tests, and two page walks on one worker would leave the others idle at the end."""
    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("long"):
            return 0
        return 1 if "/browser/" in str(item.path) else 2

    def minutes(item: pytest.Item) -> float:
        mark = item.get_closest_marker("long")
        return float(mark.kwargs.get("minutes", 1)) if mark else 0.0

    items.sort(key=weight)
    longs = [item for item in items if weight(item) == 0]
    longest = [item for item in longs if minutes(item) > 1]
    others = [item for item in longs if minutes(item) <= 1]
    paired = [item for pair in zip(longest, others, strict=False) for item in pair]
    n = min(len(longest), len(others))
    items[:len(longs)] = paired + longest[n:] + others[n:]
