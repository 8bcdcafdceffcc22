"""Pure rules of certificates: verification codes and masked names."""

from __future__ import annotations

import base64
import secrets

#: 10 random bytes: 80 bits, written as 16 base-32 letters and digits (no padding).
CODE_BYTES = 10
CODE_LENGTH = 16
CODE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def new_code() -> str:
    """A verification code from the operating system's random source, unrelated to any row id."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()


def normalise_code(text: str) -> str:
    """What a person typed or scanned, without spaces and dashes, upper case (never longer than a code)."""
    return "".join(ch for ch in text.upper() if ch not in " -")[:CODE_LENGTH + 8]


def looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and set(code) <= CODE_ALPHABET


def grouped(code: str) -> str:
    """ABCD-EFGH-IJKL-MNOP: easier to read out and type."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def mask_name(name: str) -> str:
    """张*华, 李*, 欧阳**锋: the first and (for three or more characters) the last character are kept."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
