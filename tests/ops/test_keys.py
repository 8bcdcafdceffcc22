"""Keys: start-up refusals, new keys from the command line, and `flask keys rotate` (both databases)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.core.crypto import cipher
from app.core.keys import encrypted_columns
from app.core.models import AuditEntry, Organisation, Person
from app.extensions import db
from tests import factories
from tests.conftest import TEST_KEYS, make_app

ROOT = Path(__file__).resolve().parents[2]
OLD = TEST_KEYS["PERSONAL_DATA_KEYS"]
NEW = "fDxQhOJpn6yBS2P2Q7h7xkWLz0bN7yfcdPhfqI8kXy0="
STRONG = {"SECRET_KEY": "s" * 40, "PERSONAL_DATA_HASH_KEY": "h" * 40, "PERSONAL_DATA_KEYS": NEW}
#: What production also needs to start: the sign-in limit's storage shared by every worker.
PRODUCTION = {**STRONG, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/13"}


@pytest.mark.parametrize("name", ["staging", "prod", ""])
def test_an_unknown_app_env_refuses_to_start(app, name):
    with pytest.raises(RuntimeError, match="APP_ENV must be one of development, production, testing"):
        make_app(ENV_NAME=name)


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("SECRET_KEY", "changeme", "SECRET_KEY is too short"),
    ("PERSONAL_DATA_HASH_KEY", "test-hash-key", "PERSONAL_DATA_HASH_KEY is too short"),
    ("PERSONAL_DATA_KEYS", f"{NEW},not-a-key-at-all", "key 2 is not a Fernet key"),
    ("PERSONAL_DATA_KEYS", "", "missing configuration in production: PERSONAL_DATA_KEYS"),
])
def test_production_refuses_keys_that_cannot_be_real(app, setting, value, message):
    with pytest.raises(RuntimeError, match=message) as refused:
        make_app(ENV_NAME="production", **{**STRONG, setting: value})
    assert value.split(",")[-1] not in str(refused.value) or not value


def test_production_starts_with_real_keys(app):
    assert make_app(ENV_NAME="production", **PRODUCTION).config["ENV_NAME"] == "production"


@pytest.mark.parametrize("name", ["SECRET_KEY", "PERSONAL_DATA_KEYS", "PERSONAL_DATA_HASH_KEY"])
def test_the_documented_command_prints_a_key_production_accepts(app, name):
    printed, again = (subprocess.run([sys.executable, "deploy/new-key", name], capture_output=True, text=True,
                                     check=True, cwd=ROOT).stdout.strip() for _ in range(2))
    assert printed != again
    make_app(ENV_NAME="production", **{**PRODUCTION, name: printed})
    if name == "PERSONAL_DATA_KEYS":
        Fernet(printed.encode())


def test_every_encrypted_column_is_rotated():
    found = {(table.name, column.name) for table, _key, column in encrypted_columns()}
    assert {("people", "id_number_encrypted"), ("people", "phone_encrypted"),
            ("organisations", "contact_phone_encrypted")} <= found


def _rotate(args):
    rotating = make_app(PERSONAL_DATA_KEYS=f"{NEW},{OLD}")
    with rotating.app_context():  # the CLI runs in the context it finds: this app's, with both keys
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate", "--quiet", *args])
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    return result.output


def test_rotation_in_batches_resumes_and_leaves_every_value_readable_without_the_old_key(app, ctx):
    numbers = [factories.valid_ric() for _ in range(5)]
    people = [factories.person(name=f"人{i}", id_number=n, phone=f"1381234567{i}" if i % 2 else None)
              for i, n in enumerate(numbers)]
    company = factories.org(contact_phone_encrypted=cipher().encrypt("02154321234"), contact_phone_masked="021****1234")
    stamped, company_id = {p.id: p.updated_at for p in people}, company.id
    # A sheet waiting for its "import" click is kept encrypted too (app/people/imports.py).
    preview = Path(app.instance_path) / "imports" / f"rotation-test-{uuid.uuid4().hex}.xlsx.enc"
    preview.parent.mkdir(parents=True, exist_ok=True)
    preview.write_bytes(cipher().encrypt_bytes(b"sheet with ID numbers"))
    db.session.remove()

    first = _rotate(["--batch-size", "2", "--max-batches", "2"])  # the organisation, then 2 of the 5 people
    assert "people.id_number_encrypted: 2 re-encrypted" in first and "stopped after 2 batches" in first
    second = _rotate(["--batch-size", "2"])
    assert "people.id_number_encrypted: 3 re-encrypted, 2 already under the newest key" in second
    assert "people.phone_encrypted: 2 re-encrypted" in second
    assert "organisations.contact_phone_encrypted: 0 re-encrypted, 1 already" in second
    assert Fernet(NEW.encode()).decrypt(preview.read_bytes()) == b"sheet with ID numbers"
    preview.unlink()
    third = _rotate([])
    assert "people.id_number_encrypted: 0 re-encrypted, 5 already under the newest key" in third
    assert "done" in third

    only_new = make_app(PERSONAL_DATA_KEYS=NEW)
    with only_new.app_context():
        rows = db.session.scalars(sa.select(Person).order_by(Person.id)).all()
        assert [cipher().decrypt(p.id_number_encrypted) for p in rows] == numbers
        assert [cipher().decrypt(p.phone_encrypted) for p in rows if p.phone_encrypted] == \
            ["13812345671", "13812345673"]
        assert {p.id: p.updated_at for p in rows} == stamped  # a rotation changes no one's record
        assert cipher().decrypt(db.session.get(Organisation, company_id).contact_phone_encrypted) == "02154321234"
        audited = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "rotate_key")
                                     .order_by(AuditEntry.id)).all()
        assert sum(e.after["rotated"] for e in audited) == 8
        assert all(NEW not in str(e.after) and OLD not in str(e.after) for e in audited)
        db.session.remove()
        db.engine.dispose()
