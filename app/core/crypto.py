"""Encryption of personal data at rest (Fernet) and the keyed hash used to find it again.

New keys: ``deploy/new-key SECRET_KEY`` (or PERSONAL_DATA_KEYS, PERSONAL_DATA_HASH_KEY) prints a fresh value for
that setting. Rotation: docs/deploy.md and app/core/keys.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

#: SECRET_KEY and PERSONAL_DATA_HASH_KEY shorter than this are refused in production (token_urlsafe(48) gives 64).
MIN_SECRET_LENGTH = 32


class PersonalDataCipher:
    def __init__(self, keys: list[str], hash_key: str):
        if not keys or not hash_key:
            raise RuntimeError("PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY must be configured")
        self._keys = [Fernet(k.encode()) for k in keys]
        self._fernet = MultiFernet(self._keys)
        self._newest_fingerprint = key_fingerprint(keys[0])
        self._hash_key = hash_key.encode()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)

    def lookup_hash(self, kind: str, value: str) -> str:
        return hmac.new(self._hash_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    # -------------------------------------------------------------- rotation

    @property
    def newest_key_fingerprint(self) -> str:
        return self._newest_fingerprint

    def is_current(self, token: str | bytes) -> bool:
        """True when ``token`` is encrypted under the newest key (the first of PERSONAL_DATA_KEYS)."""
        raw = token.encode() if isinstance(token, str) else token
        try:
            self._keys[0].decrypt(raw)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same plaintext encrypted under the newest key (the token's original timestamp is kept)."""
        return self._fernet.rotate(token.encode()).decode()

    def rotate_bytes(self, token: bytes) -> bytes:
        return self._fernet.rotate(token)


def cipher() -> PersonalDataCipher:
    return current_app.extensions["personal_data_cipher"]


def key_fingerprint(key: str) -> str:
    """A short name for a key that reveals nothing of it (for audit rows and messages)."""
    return hashlib.sha256(key.strip().encode()).hexdigest()[:12]


def check_production_keys(config: Mapping[str, Any]) -> None:
    """Refuse keys that cannot be real ones: too short, or not a Fernet key. The message never holds a key."""
    for name in ("SECRET_KEY", "PERSONAL_DATA_HASH_KEY"):
        if len(str(config[name]).strip()) < MIN_SECRET_LENGTH:
            raise RuntimeError(f"{name} is too short for production (at least {MIN_SECRET_LENGTH} characters; "
                               f"make one with: deploy/new-key {name})")
    keys = [k.strip() for k in str(config["PERSONAL_DATA_KEYS"]).split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise RuntimeError(f"PERSONAL_DATA_KEYS: key {position} is not a Fernet key (32 bytes, url-safe base64; "
                               "make one with: deploy/new-key PERSONAL_DATA_KEYS)")
    if len(set(keys)) != len(keys):
        raise RuntimeError("PERSONAL_DATA_KEYS names the same key twice")
