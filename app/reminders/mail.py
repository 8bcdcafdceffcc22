"""The reminder e-mail, built with the standard library's ``email`` package (EmailMessage, the SMTP policy).

One message per delivery: Subject, From, To, Date, Message-ID (derived from the delivery, so a resend carries
the same one), Auto-Submitted, and a multipart/alternative body with a plain-text and an HTML part (UTF-8,
base64). A header value containing CR or LF is refused by the policy (``ValueError``), so nothing can add a
header or a body through a title or a name; the caller records the delivery as failed.

The policy is the stock ``email.policy.SMTP`` with one change, its header factory: header objects are immutable,
so one made from the same name and value is made once and folds once (the registry's own lookup builds a new
class for every header, and folding parses the value again; both cost more than the rest of a message). Only what
repeats is shared — the sender, a reminder's subject and date, the parts' content types; the To and Message-ID of
each message are made for it, through the same code.
"""

from __future__ import annotations

import email.policy
from collections.abc import Callable
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage, MIMEPart
from functools import lru_cache
from typing import Any


class _FoldsOnce(BaseHeader):
    """A header that remembers how it folded under a policy's line settings (headers never change)."""

    def fold(self, *, policy: Any) -> str:
        folds: dict[tuple[object, ...], str] = self.__dict__.setdefault("_folds", {})
        key = (policy.linesep, policy.max_line_length, policy.utf8)
        if key not in folds:
            folds[key] = super().fold(policy=policy)
        return folds[key]


class _SharedHeaders(HeaderRegistry):
    """The standard header registry, with each header class made once and each (name, text) header made once
    (at most ``size`` of them kept)."""

    def __init__(self, size: int = 4096) -> None:
        super().__init__(base_class=_FoldsOnce)
        self._classes: dict[str, type] = {}
        self._made: Callable[[str, str], BaseHeader] = lru_cache(maxsize=size)(self._make)

    def __getitem__(self, name: str) -> type:
        cls = self._classes.get(name)
        if cls is None:
            cls = self._classes[name] = super().__getitem__(name)
        return cls

    def _make(self, name: str, value: str) -> BaseHeader:
        return self[name](name, value)

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str):
            return self._made(name, value)
        return self[name](name, value)


#: RFC 5322 over SMTP: CRLF line ends, lines folded at 78, non-ASCII headers as RFC 2047 encoded words.
POLICY = email.policy.SMTP.clone(header_factory=_SharedHeaders())


@lru_cache(maxsize=4096)
def mailbox(display_name: str, address: str) -> str:
    """``"Display Name <address>"``, quoted as needed (refuses CR/LF and an address that does not parse)."""
    return str(Address(display_name=display_name, addr_spec=address))


def build(headers: list[tuple[str, str]], text: str, html: str, boundary: str) -> bytes:
    """The message as SMTP sends it. ``headers`` in order (a value with CR or LF raises ValueError);
    ``boundary`` must not occur in the base64 parts (one with ``=_`` cannot)."""
    message = EmailMessage(policy=POLICY)
    for name, value in headers:
        message[name] = value
    message["MIME-Version"] = "1.0"
    # What make_alternative() would do, with the boundary given (the generator would otherwise search both
    # parts for a random one it could use, and set it, for every message).
    message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    for content, subtype in ((text, "plain"), (html, "html")):
        part = MIMEPart(policy=POLICY)
        part.set_content(content, subtype=subtype, cte="base64")
        message.attach(part)  # type: ignore[arg-type]  # typeshed wants an EmailMessage; a MIMEPart is what attach() takes
    return message.as_bytes()
