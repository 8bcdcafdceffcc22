"""Rate limits kept in Redis (the production install has the client), and trusting a reverse proxy's headers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from flask import request

from tests.conftest import TEST_KEYS, make_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URI = os.environ.get("TEST_REDIS_URI", "redis://127.0.0.1:6379/0")


def test_db_upgrade_and_sign_in_limits_work_with_redis_storage(app):
    """`flask db upgrade` used to crash ('redis' prerequisite not available); the limit is then counted in Redis."""
    script = textwrap.dedent("""
        from app import create_app
        app = create_app({"WTF_CSRF_ENABLED": False})
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, (result.output, result.exception)
        client = app.test_client()
        codes = [client.post("/login", data={"username": "nobody", "password": "x"}).status_code for _ in range(3)]
        from app.extensions import limiter
        print(type(limiter.storage).__name__, codes)
        assert codes[-1] == 429, codes
    """)
    env = {**os.environ, **TEST_KEYS, "APP_ENV": "testing", "DATABASE_URL": os.environ["_TEST_DATABASE_URI"],
           "RATELIMIT_STORAGE_URI": REDIS_URI, "RATELIMIT_KEY_PREFIX": f"jt-test-{uuid.uuid4().hex}",
           "LOGIN_RATE_LIMIT": "2 per minute", "LOG_FORMAT": "text"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("RedisStorage"), done.stdout


@pytest.mark.parametrize(("hops", "seen_address", "seen_scheme"), [(0, "10.0.0.5", "http"),
                                                                     (1, "203.0.113.9", "https")])
def test_forwarded_headers_are_trusted_only_for_the_configured_proxy_hops(app, hops, seen_address, seen_scheme):
    proxied = make_app(PROXY_FIX_HOPS=hops)
    proxied.add_url_rule("/_whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    response = proxied.test_client().get(
        "/_whoami", environ_base={"REMOTE_ADDR": "10.0.0.5"},
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"})
    assert response.get_data(as_text=True) == f"{seen_address} {seen_scheme}"
