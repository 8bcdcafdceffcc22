"""Uploaded documents: kept as files under UPLOAD_FOLDER (outside the database), type sniffed from the content.

The name a browser sends and the type it claims are not trusted: a file is accepted only when its first bytes
are those of a PDF, PNG or JPEG, and when it is no larger than UPLOAD_MAX_BYTES.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

#: Leading bytes ("magic numbers") of the accepted types.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG, judged by its first bytes; None for anything else."""
    for magic, content_type, extension in SIGNATURES:
        if content.startswith(magic):
            return content_type, extension
    return None


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size: int
    sha256: str


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(content: bytes, content_type: str, extension: str) -> StoredFile:
    """Write the file under a random name, readable by the app's user only."""
    name = f"{secrets.token_hex(16)}.{extension}"
    descriptor = os.open(folder() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    return StoredFile(name, content_type, len(content), hashlib.sha256(content).hexdigest())


def path_of(stored_name: str) -> Path:
    """The stored file's path; a name that is not one of ours (e.g. "../x") is refused."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise FileNotFoundError(stored_name)
    return folder() / stored_name


def remove(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        path_of(stored_name).unlink(missing_ok=True)
