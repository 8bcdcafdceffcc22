"""A pooled connection is pinged before use only after it has sat idle (app/pool.py; issue 21)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.pool import ping_after_idle
from tests.conftest import make_app

ON_POSTGRES = "postgresql" in os.environ.get("DATABASE_URL", "")


def _count_pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pings: list[object] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


def test_requests_one_after_another_send_no_ping(app: Flask, web, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        engine = db.engine
    assert web.get("/healthz").status_code == 200  # the connection may have sat idle since an earlier test
    pings = _count_pings(engine, monkeypatch)
    for _ in range(5):
        assert web.get("/healthz").status_code == 200
    assert pings == []  # pool_pre_ping would have sent one each time


def test_a_connection_idle_long_enough_is_pinged_once_per_checkout(tmp_path, monkeypatch) -> None:
    now = [100.0]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    ping_after_idle(engine, 5.0, clock=lambda: now[0])
    pings = _count_pings(engine, monkeypatch)

    with engine.connect() as conn:  # a new connection: nothing to check
        conn.execute(sa.text("SELECT 1"))
    assert pings == []
    now[0] += 4.9  # back in the pool for less than 5 s
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert pings == []
    now[0] += 5.0
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        conn.execute(sa.text("SELECT 2"))
    assert len(pings) == 1
    with engine.connect() as conn:  # the idle time counts from the last check-in
        conn.execute(sa.text("SELECT 1"))
    assert len(pings) == 1
    engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="the server ends a connection (pg_terminate_backend): PostgreSQL only")
def test_a_connection_the_server_ended_while_idle_is_replaced_before_the_request_uses_it() -> None:
    application = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=0)  # every checkout counts as after an idle spell
    client = application.test_client()
    with application.app_context():
        engine = db.engine
        before = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()
    assert client.get("/healthz").status_code == 200
    admin = sa.create_engine(str(engine.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": before}).scalar_one() is True
    admin.dispose()

    response = client.get("/healthz")

    assert response.status_code == 200 and response.get_json()["database"] == "ok"
    with application.app_context():
        after = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()
    assert after != before
    engine.dispose()
