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


def test_a_sheet_that_goes_while_the_folder_is_swept_does_not_fail_the_upload(app, ctx):
    """Another worker imports (and deletes) its sheet between this upload's listing of the folder and its look at
    that sheet's age: the upload goes on (it was an HTTP 500). A dangling link is a listed name that is gone."""
    folder = imports._imports_dir()
    gone = folder / "ops21-gone.xlsx.enc"
    gone.symlink_to(folder / "ops21-never-there")
    try:
        imports._store_upload("ops21-new", b"new")
        assert (folder / "ops21-new.xlsx.enc").exists()
    finally:
        gone.unlink(missing_ok=True)
        (folder / "ops21-new.xlsx.enc").unlink(missing_ok=True)
