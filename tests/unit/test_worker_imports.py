"""A gunicorn worker (wsgi.py) does not hold what only a download, an upload, the scheduler or a migration needs
(issue 21: worker memory); the `flask` command still gets `flask db`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAZY = ["openpyxl", "PIL", "apscheduler", "icalendar", "flask_migrate", "alembic", "weasyprint", "zxcvbn", "app.demo"]


def _modules(tmp_path: Path, modules: list[str] = LAZY, **env: str) -> dict[str, bool]:
    code = f"import json, sys, wsgi; print(json.dumps({{m: m in sys.modules for m in {modules!r}}}))"
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}", "APP_ENV": "development",
                   **env}
    environment.pop("FLASK_RUN_FROM_CLI", None)
    environment.update(env)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_web_worker_loads_no_excel_calendar_scheduler_migration_password_strength_or_demo_code(tmp_path):
    assert _modules(tmp_path) == dict.fromkeys(LAZY, False)


def test_the_flask_command_still_sets_up_migrations(tmp_path):
    assert _modules(tmp_path, FLASK_RUN_FROM_CLI="true")["flask_migrate"] is True


def test_a_worker_on_postgresql_does_not_load_sqlite(tmp_path):
    # create_app makes the engine without connecting, so no server is needed at this address.
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    assert _modules(tmp_path, ["sqlite3", "psycopg"], DATABASE_URL=url) == {"sqlite3": False, "psycopg": True}


def test_sqlite_connections_still_enforce_foreign_keys(tmp_path):
    code = ("import wsgi; from app.extensions import db\n"
            "with wsgi.app.app_context(), db.engine.connect() as c:\n"
            "    print(*(c.exec_driver_sql(f'PRAGMA {p}').scalar() for p in ('foreign_keys', 'busy_timeout')))")
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}", "APP_ENV": "development"}
    environment.pop("FLASK_RUN_FROM_CLI", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "1 5000"
