"""Issue 18.5: the sign-in limit holds in the production shape (gunicorn, 4 workers, Redis)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from app.core.enums import Role
from tests import factories
from tests.conftest import make_app
from tests.ops.test_keys import STRONG

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _open(url: str, data: dict | None = None) -> tuple[int, str | None]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("X-Worker-Pid")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("X-Worker-Pid")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_production_refuses_per_process_limiter_storage(app):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        make_app(ENV_NAME="production", **STRONG, RATELIMIT_STORAGE_URI="memory://")
    make_app(ENV_NAME="production", **STRONG, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/13")


def test_the_limit_counts_the_username_tried_from_any_address(app, ctx, web):
    limited = make_app(LOGIN_RATE_LIMIT="3 per minute", WTF_CSRF_ENABLED=False)
    user = factories.user(factories.org(), Role.ENTERPRISE_HR)
    statuses = []
    for n in range(4):
        client = limited.test_client()
        with limited.app_context():
            statuses.append(client.post("/login", data={"username": user.username, "password": "wrong"},
                                        environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"}).status_code)
    assert statuses == [422, 422, 422, 429]


@pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379")
def test_the_11th_failed_sign_in_gets_429_whichever_of_4_gunicorn_workers_answers(app, ctx):
    user = factories.user(factories.org(), Role.ENTERPRISE_HR)
    port = _free_port()
    prefix = f"jt-security-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, **STRONG, "APP_ENV": "production", "DATABASE_URL": os.environ["_TEST_DATABASE_URI"],
           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/13", "RATELIMIT_KEY_PREFIX": prefix,
           "LOGIN_RATE_LIMIT": "10 per minute", "LOG_FORMAT": "text", "WTF_CSRF_ENABLED": "0"}
    # --preload: the app is built once and the four workers forked from it (four imports of the app would be most
    # of this test's CPU, in each of the suite's three runs); the limits' shared counts are what is under test.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "--preload", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "tests.web.test_login_limit:production_app()"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # all four workers up and answering
            try:
                if len({_open(f"{base}/login")[1] for _ in range(8)}) > 1:
                    break
            except OSError:
                time.sleep(0.5)
        statuses, pids = [], set()
        for _ in range(11):
            # A new connection each time, so the requests spread over the workers.
            status, pid = _open(f"{base}/login", {"username": user.username, "password": "wrong"})
            statuses.append(status)
            pids.add(pid)
        assert statuses[:10] == [422] * 10 and statuses[10] == 429, statuses
        assert len(pids) > 1, pids  # more than one worker answered
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def production_app():
    """The app as gunicorn loads it in production, with CSRF off for the scripted sign-ins and the
    worker's pid on each response (to show that several workers answered)."""
    from app import create_app

    application = create_app({"WTF_CSRF_ENABLED": False,
                              "RATELIMIT_KEY_PREFIX": os.environ["RATELIMIT_KEY_PREFIX"]})

    @application.after_request
    def _pid(response):  # noqa: ANN001, ANN202
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    return application
