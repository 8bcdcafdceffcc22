#!/usr/bin/env python3
"""Back up and restore 技能通's data: the database and the uploaded documents. Never the keys (docs/deploy.md).

    .venv/bin/python deploy/backup.py backup  --to /var/backups/jinengtong/2026-12-04
    .venv/bin/python deploy/backup.py restore --from /var/backups/jinengtong/2026-12-04

Both read DATABASE_URL and UPLOAD_FOLDER as the app does (source /etc/jinengtong/env first). A backup folder holds
  database.dump      PostgreSQL: pg_dump's custom format (restored by pg_restore), or
  database.sqlite3   SQLite: a consistent copy made by SQLite's online backup API,
  uploads.tar        the upload folder,
  manifest.json      the row count of every table, checked after a restore.
A restore goes into an EMPTY database and an empty (or missing) upload folder, and fails loudly otherwise; it ends
by comparing every table's row count with the manifest. The personal data in it stays encrypted: reading it
needs PERSONAL_DATA_KEYS (and PERSONAL_DATA_HASH_KEY to find people), which are kept apart from the backups.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "") or f"sqlite:///{ROOT / 'instance' / 'jinengtong.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return url


def upload_folder() -> Path:
    return Path(os.environ.get("UPLOAD_FOLDER", "") or ROOT / "instance" / "uploads")


def libpq_url(url: sa.URL) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def row_counts(url: sa.URL) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(sa.inspect(conn).get_table_names())
            return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    finally:
        engine.dispose()


def backup(target: Path) -> dict[str, int]:
    url = sa.make_url(database_url())
    target.mkdir(parents=True, exist_ok=False)
    target.chmod(0o700)
    counts = row_counts(url)
    if url.get_backend_name() == "postgresql":
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file",
                        str(target / "database.dump"), libpq_url(url)], check=True)
    else:
        source, copy = sqlite3.connect(url.database), sqlite3.connect(target / "database.sqlite3")
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
    with tarfile.open(target / "uploads.tar", "w") as archive:
        folder = upload_folder()
        if folder.is_dir():
            archive.add(folder, arcname="uploads")
    (target / "manifest.json").write_text(json.dumps({"backend": url.get_backend_name(), "rows": counts},
                                                     indent=2, sort_keys=True))
    return counts


def restore(source: Path) -> dict[str, int]:
    manifest = json.loads((source / "manifest.json").read_text())
    url = sa.make_url(database_url())
    if url.get_backend_name() != manifest["backend"]:
        sys.exit(f"the backup is of a {manifest['backend']} database, DATABASE_URL is {url.get_backend_name()}")
    if row_counts(url):
        sys.exit("refusing to restore into a database that has tables: create an empty one first")
    folder = upload_folder()
    if folder.is_dir() and any(folder.iterdir()):
        sys.exit(f"refusing to restore uploads into {folder}: it is not empty")
    if url.get_backend_name() == "postgresql":
        subprocess.run(["pg_restore", "--exit-on-error", "--no-owner", "--no-privileges", "--dbname",
                        libpq_url(url), str(source / "database.dump")], check=True)
    else:
        Path(url.database).unlink(missing_ok=True)  # an empty SQLite file (no tables, checked above)
        copy, target = sqlite3.connect(source / "database.sqlite3"), sqlite3.connect(url.database)
        with target:
            copy.backup(target)
        copy.close()
        target.close()
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / "uploads.tar") as archive:
        for member in archive.getmembers():
            if not member.name.startswith("uploads/"):
                continue
            member.name = member.name[len("uploads/"):]
            archive.extract(member, folder, filter="data")
    counts = row_counts(url)
    if counts != manifest["rows"]:
        differ = sorted(t for t in set(counts) | set(manifest["rows"]) if counts.get(t) != manifest["rows"].get(t))
        sys.exit(f"restored, but the row counts differ from the backup's in: {', '.join(differ)}")
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Back up or restore the database and the uploaded documents.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup").add_argument("--to", type=Path, required=True, help="a new folder")
    commands.add_parser("restore").add_argument("--from", dest="source", type=Path, required=True)
    args = parser.parse_args(argv)
    if shutil.which("pg_dump") is None and database_url().startswith("postgresql"):
        sys.exit("pg_dump and pg_restore are needed (Debian: apt-get install postgresql-client)")
    if args.command == "backup":
        counts = backup(args.to)
        print(f"backed up {sum(counts.values())} rows in {len(counts)} tables and the uploads to {args.to}")
    else:
        counts = restore(args.source)
        print(f"restored {sum(counts.values())} rows in {len(counts)} tables (the same counts as the backup) "
              "and the uploads")


if __name__ == "__main__":
    main()
