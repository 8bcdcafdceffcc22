"""Encryption of personal data at rest (Fernet) and the keyed hash used to find it again."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


class PersonalDataCipher:
    def __init__(self, keys: list[str], hash_key: str):
        if not keys or not hash_key:
            raise RuntimeError("PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY must be configured")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
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


def cipher() -> PersonalDataCipher:
    return current_app.extensions["personal_data_cipher"]
