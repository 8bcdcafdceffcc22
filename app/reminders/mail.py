"""The reminder e-mail, built with the standard library's ``email`` package (EmailMessage, the SMTP policy).

One message per delivery: Subject, From, To, Date, Message-ID (derived from the delivery, so a resend carries
the same one), Auto-Submitted, and a multipart/alternative body with a plain-text and an HTML part (UTF-8,
base64). A header value containing CR or LF is refused by the policy (``ValueError``), so nothing can add a
header or a body through a title or a name; the caller records the delivery as failed.

The policy is the stock ``email.policy.SMTP`` with one change, its header factory: header objects are immutable,
so one made from the same name and value is made once and folds once (the registry's own lookup builds a new
class for every header, and folding parses the value again; both cost more than the rest of a message). Only what
repeats is shared — the sender, a reminder's subject and date, a recipient's To; the Message-ID of each message is
made for it, through the same code.

A batch sends many messages of one shape, so the generator runs once per batch, not once per message (it was
two thirds of composing one): ``Frame`` is an EmailMessage with the shared headers (MIME-Version, Content-Type
with the batch's boundary) and the two parts, flattened once by ``as_bytes()`` with a slot for each part's
payload. A message is then its headers, each stored and folded by the policy exactly as the generator would
(``header_store_parse``, ``fold_binary``), then the frame with each part's base64 payload (``base64.encodebytes``,
as ``set_payload`` takes it, with the generator's CRLF line ends) in its slot. ``build()`` makes the same message
the long way — an EmailMessage per message, flattened — and the tests hold the two to the same bytes.
"""

from __future__ import annotations

import base64
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


PLAIN = 'text/plain; charset="utf-8"'
HTML = 'text/html; charset="utf-8"'


@lru_cache(maxsize=4096)
def mailbox(display_name: str, address: str) -> str:
    """``"Display Name <address>"``, quoted as needed (refuses CR/LF and an address that does not parse)."""
    return str(Address(display_name=display_name, addr_spec=address))


def _message(headers: list[tuple[str, str]], text_payload: str, html_payload: str, boundary: str) -> EmailMessage:
    """The EmailMessage: ``headers`` in order (a value with CR or LF raises ValueError), then MIME-Version and a
    multipart/alternative body of two parts with the base64 payloads given."""
    message = EmailMessage(policy=POLICY)
    for name, value in headers:
        message[name] = value
    message["MIME-Version"] = "1.0"
    # What make_alternative() and set_content() would do, with the boundary given (the generator would otherwise
    # search both parts for a random one it could use, and set it, for every message) and the parts' headers
    # set as values the shared header factory has already parsed (set_content parses its parameters anew).
    message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    for payload, content_type in ((text_payload, PLAIN), (html_payload, HTML)):
        part = MIMEPart(policy=POLICY)
        part["Content-Type"] = content_type
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(payload)
        message.attach(part)  # type: ignore[arg-type]  # typeshed wants an EmailMessage; a MIMEPart is what attach() takes
    return message


def _base64(content: str) -> str:
    """A part's payload as set_content would set it: UTF-8, base64 in lines of 76."""
    return base64.encodebytes(content.encode()).decode("ascii")


def build(headers: list[tuple[str, str]], text: str, html: str, boundary: str) -> bytes:
    """The message as SMTP sends it, made the long way (an EmailMessage, flattened). ``headers`` in order (a value
    with CR or LF raises ValueError); ``boundary`` must not occur in the base64 parts (one with ``=_`` cannot)."""
    return _message(headers, _base64(text), _base64(html), boundary).as_bytes()


class Frame:
    """The part of a batch's messages that is the same in each, made by the email package once: an EmailMessage
    with MIME-Version, Content-Type (the boundary) and the two parts, flattened with a slot for each payload.
    ``message()`` gives exactly what ``build()`` gives for the same arguments."""

    #: The slots: a payload line that base64 never writes (it has no "-" or "*"), replaced with the real payload.
    SLOTS = ("*-text-payload-*", "*-html-payload-*")

    def __init__(self, boundary: str) -> None:
        text, html = self.SLOTS
        frame = _message([], f"{text}\n", f"{html}\n", boundary).as_bytes()
        text_slot, html_slot = (f"{slot}\r\n".encode() for slot in self.SLOTS)
        if frame.count(text_slot) != 1 or frame.count(html_slot) != 1:
            raise ValueError(f"boundary {boundary!r} hides a payload slot")
        self.before_text, rest = frame.split(text_slot)
        self.between, self.after = rest.split(html_slot)

    #: Headers whose value is the same text parsed or not (ours: ``<reminder-1.delivery-2@domain>``): the policy
    #: folds the text as it is unless the line is too long (then it parses it). Parsing a Message-ID costs ~0.15 ms,
    #: and each is new: that was more than the rest of a message together.
    AS_TEXT = frozenset({"message-id"})

    @classmethod
    def header(cls, name: str, value: str) -> bytes:
        """One header line (folded, CRLF), as the generator writes what ``message[name] = value`` stored; a value
        with a line break raises ValueError, as there."""
        if name.lower() in cls.AS_TEXT:
            if len(value.splitlines()) > 1:
                raise ValueError("Header values may not contain linefeed or carriage return characters")
            return POLICY.fold_binary(name, value)
        return POLICY.fold_binary(name, POLICY.header_store_parse(name, value)[1])

    @staticmethod
    def _payload(content: str) -> bytes:
        # The generator writes a text payload line by line with the policy's line end (CRLF).
        return base64.encodebytes(content.encode()).replace(b"\n", b"\r\n")

    def message(self, headers: list[tuple[str, str]], text: str, html: str) -> bytes:
        """The message as SMTP sends it (a header value with CR or LF raises ValueError)."""
        return b"".join([*(self.header(name, value) for name, value in headers), self.before_text,
                         self._payload(text), self.between, self._payload(html), self.after])
