"""The production install works as written: release step, first account, gunicorn with 4 workers, the scheduler.

Runs against PostgreSQL (the PostgreSQL half of the suite), on a database of its own made empty first, with
APP_ENV=production and freshly generated keys; the commands are the ones docs/deploy.md and the Procfile give.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.throughput import interpreter_env
from tests.factories import valid_ric

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "Huangpu-river-2026"
TEST_TOOLS = {"pytest", "playwright", "ruff", "hypothesis", "pytest-xdist", "time-machine", "aiosmtpd"}

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="the production check runs in the PostgreSQL half of the suite")


def _locked(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {m[0].lower(): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", text, re.M)}


def test_the_production_lock_has_no_test_tools_and_the_same_pins_as_the_test_lock():
    runtime, test = _locked("runtime.lock"), _locked("test.lock")
    assert "redis" in runtime and "gunicorn" in runtime and "psycopg-binary" in runtime
    assert not TEST_TOOLS & set(runtime)
    assert set(test) >= TEST_TOOLS
    assert {name: test[name] for name in runtime} == runtime


def _fresh_database() -> str:
    base, _sep, name = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1).rpartition("/")
    own = f"{name}_production_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{own}"'))
    admin.dispose()
    return f"{base}/{own}"


def _new_key(name: str) -> str:
    return subprocess.run([sys.executable, "deploy/new-key", name], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(site: str, process: subprocess.Popen, seconds: float) -> None:
    """Until /healthz answers (the workers import the app after the master listens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        try:
            if urllib.request.urlopen(f"{site}/healthz", timeout=5).status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("gunicorn did not answer in time")


def test_gunicorn_with_four_workers_and_the_scheduler_serve_the_first_official(tmp_path):
    env = {**os.environ, "APP_ENV": "production", "FLASK_APP": "wsgi.py", "DATABASE_URL": _fresh_database(),
           "SECRET_KEY": _new_key("SECRET_KEY"), "PERSONAL_DATA_KEYS": _new_key("PERSONAL_DATA_KEYS"),
           "PERSONAL_DATA_HASH_KEY": _new_key("PERSONAL_DATA_HASH_KEY"), "UPLOAD_FOLDER": str(tmp_path / "uploads"),
           # The sign-in limit shared by the 4 workers (production refuses per-process storage).
           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/13",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "9", "PROXY_FIX_HOPS": "1"}
    env.pop("_TEST_DATABASE_URI", None)

    def flask(*args: str, stdin: str = "") -> str:
        done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, input=stdin, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    flask("db", "upgrade")  # the release step
    assert "created the organisation" in flask("users", "create-official", "--username", "chen", "--name", "陈主任",
                                               "--password-stdin", stdin=f"{PASSWORD}\n")
    port = _free_port()
    logs = (tmp_path / "web.log").open("w"), (tmp_path / "scheduler.log").open("w")
    # The workers run with the web unit's interpreter settings (no docstrings, asserts or column tables).
    web = subprocess.Popen([str(BIN / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                           cwd=ROOT, env={**env, **interpreter_env()}, stdout=logs[0], stderr=logs[0],
                           start_new_session=True)
    scheduler = subprocess.Popen([str(BIN / "flask"), "scheduler", "run"], cwd=ROOT, env=env, stdout=logs[1],
                                 stderr=logs[1], start_new_session=True)
    try:
        site = f"http://127.0.0.1:{port}"
        _wait_for(site, web, 120)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        sign_in = browser.open(f"{site}/login", timeout=90).read().decode()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', sign_in)[1]
        form = urllib.parse.urlencode({"csrf_token": token, "username": "chen", "password": PASSWORD}).encode()
        home = browser.open(f"{site}/login", data=form, timeout=90)
        assert home.url.rstrip("/") == site and "陈主任" in home.read().decode()
        for page, shows in (("/organisations", "上海市人力资源和社会保障局"), ("/users", "chen"), ("/people", "人员")):
            response = browser.open(f"{site}{page}", timeout=90)
            assert response.status == 200 and shows in response.read().decode(), page
        # A person registered with an ID number and a phone (both encrypted), shown masked, then revealed.
        id_number, phone = valid_ric(), "13912345678"
        form_page = browser.open(f"{site}/people/new", timeout=90).read().decode()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form_page)[1]
        form = urllib.parse.urlencode({"csrf_token": token, "name": "王小明", "doc_type": "ric", "id_number": id_number,
                                       "phone": phone, "employer_id": "", "birth_date": "", "sex": ""}).encode()
        detail = browser.open(f"{site}/people/new", data=form, timeout=90)
        shown = detail.read().decode()
        assert re.search(r"/people/\d+$", detail.url) and "王小明" in shown and id_number not in shown, detail.url
        assert phone not in shown and f"{phone[:3]}****{phone[-4:]}" in shown
        reveal = urllib.parse.urlencode({"csrf_token": token}).encode()
        assert id_number in browser.open(f"{detail.url}/reveal", data=reveal, timeout=90).read().decode()
        workers = subprocess.run(["pgrep", "-P", str(web.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 4
        assert b"PYTHONOPTIMIZE=2" in Path(f"/proc/{workers[0]}/environ").read_bytes().split(b"\0")
        assert scheduler.poll() is None
    finally:
        for process in (web, scheduler):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (web, scheduler):
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in logs:
            log.close()
    assert "Traceback" not in (tmp_path / "web.log").read_text()
    assert "this process now acts" in (tmp_path / "scheduler.log").read_text()
    assert PASSWORD not in (tmp_path / "web.log").read_text() + (tmp_path / "scheduler.log").read_text()
