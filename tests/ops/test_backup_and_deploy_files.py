"""deploy/backup.py: back up, restore into an empty database, every row there and every ID still readable.
And the deploy files say what docs/deploy.md says: migrations are the release step, not part of a web start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from app.core.crypto import cipher
from app.core.models import Person
from app.extensions import db
from tests import factories
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]


def _empty_database(tmp_path: Path) -> str:
    url = os.environ["_TEST_DATABASE_URI"]
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    base, _sep, name = url.rpartition("/")
    own = f"{name}_restored"
    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{own}"'))
    admin.dispose()
    return f"{base}/{own}"


def _script(*args: str, database: str, uploads: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database, "UPLOAD_FOLDER": str(uploads)}
    return subprocess.run([sys.executable, "deploy/backup.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_backup_restores_into_an_empty_database_with_every_row_and_readable_ids(app, ctx, tmp_path):
    numbers = [factories.valid_ric() for _ in range(3)]
    for i, number in enumerate(numbers):
        factories.person(name=f"备份{i}", id_number=number, employer=factories.org())
    factories.municipal_official(username="chen")
    uploads = tmp_path / "uploads"
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / "contract.pdf").write_bytes(b"%PDF-1.4 signed contract")
    db.session.remove()

    made = _script("backup", "--to", str(tmp_path / "backup"), database=os.environ["_TEST_DATABASE_URI"],
                   uploads=uploads)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in (tmp_path / "backup").iterdir()) == \
        ["database." + ("dump" if "postgresql" in os.environ["_TEST_DATABASE_URI"] else "sqlite3"),
         "manifest.json", "uploads.tar"]
    assert "KEY" not in (tmp_path / "backup" / "manifest.json").read_text()

    restored_db, restored_uploads = _empty_database(tmp_path), tmp_path / "restored-uploads"
    back = _script("restore", "--from", str(tmp_path / "backup"), database=restored_db, uploads=restored_uploads)
    assert back.returncode == 0, back.stderr
    assert "the same counts as the backup" in back.stdout
    assert (restored_uploads / "ab" / "contract.pdf").read_bytes() == b"%PDF-1.4 signed contract"

    restored = make_app(SQLALCHEMY_DATABASE_URI=restored_db)
    with restored.app_context():
        people = db.session.scalars(sa.select(Person).order_by(Person.id)).all()
        assert [cipher().decrypt(p.id_number_encrypted) for p in people] == numbers
        db.session.remove()
        db.engine.dispose()

    again = _script("restore", "--from", str(tmp_path / "backup"), database=restored_db,
                    uploads=tmp_path / "elsewhere")
    assert again.returncode != 0 and "refusing to restore into a database that has tables" in again.stderr


def test_migrations_are_the_release_step_and_never_part_of_a_web_start():
    web = (ROOT / "deploy" / "jinengtong-web.service").read_text()
    release = (ROOT / "deploy" / "jinengtong-release.service").read_text()
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    assert "db upgrade" not in web and "ExecStartPre" not in web
    assert "Type=oneshot" in release and "db upgrade" in release
    assert "db upgrade" in procfile["release"] and "db upgrade" not in procfile["web"]
    assert "gunicorn -w 4" in procfile["web"]


def test_the_web_workers_run_with_the_bytecode_the_install_compiled_for_their_optimisation_level():
    unit = (ROOT / "deploy" / "jinengtong-web.service").read_text()
    install = (ROOT / "deploy" / "install.sh").read_text()
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    for setting in ("PYTHONOPTIMIZE=2", "PYTHONNODEBUGRANGES=1", "PYTHONDONTWRITEBYTECODE=1"):
        assert f"Environment={setting}" in unit and setting in procfile["web"]
    assert 'PYTHONOPTIMIZE=2 "$VENV/bin/python" -m compileall' in install
    # the release step and the scheduler keep their docstrings (the flask command's help texts)
    for other in ("jinengtong-release.service", "jinengtong-scheduler.service"):
        assert "PYTHONOPTIMIZE" not in (ROOT / "deploy" / other).read_text()
