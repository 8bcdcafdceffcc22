"""Previewed import sheets are swept an hour after upload, their age measured on the file system's clock."""

from __future__ import annotations

import os

from app.people import imports


def test_an_upload_sweeps_sheets_older_than_an_hour_by_the_file_systems_clock_and_keeps_younger_ones(app, ctx):
    imports._store_upload("ops16-old", b"old")
    imports._store_upload("ops16-young", b"young")
    folder = imports._imports_dir()
    old, young = folder / "ops16-old.xlsx.enc", folder / "ops16-young.xlsx.enc"
    try:
        stamp = young.stat().st_mtime
        os.utime(old, (stamp - imports.UPLOAD_TTL_SECONDS - 60, stamp - imports.UPLOAD_TTL_SECONDS - 60))
        os.utime(young, (stamp - imports.UPLOAD_TTL_SECONDS + 60, stamp - imports.UPLOAD_TTL_SECONDS + 60))
        imports._store_upload("ops16-new", b"new")
        assert not old.exists() and young.exists() and (folder / "ops16-new.xlsx.enc").exists()
    finally:
        for name in ("ops16-old", "ops16-young", "ops16-new"):
            (folder / f"{name}.xlsx.enc").unlink(missing_ok=True)
