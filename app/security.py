"""Security headers on every response; a Content-Security-Policy without any inline script; numbers from the
URL and the query string that the database can hold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

#: Every id and every number read with ``type=int`` fits a 32-bit column (PostgreSQL's ``integer``).
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)


def bounded_int(value: str) -> int:
    """``int(value)``, refusing (ValueError) what no column can hold: werkzeug then uses the default."""
    number = int(value)
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError("out of range")
    return number


def _bounded(type_: Callable[[str], Any] | None) -> Callable[[str], Any] | None:
    return bounded_int if type_ is int else type_


class BoundedMultiDict(ImmutableMultiDict):
    """Query-string and form values: ``get(name, type=int)`` treats a number out of range like a non-number."""

    def get(self, key, default=None, type=None):  # noqa: A002, ANN001, ANN201 (werkzeug's signature)
        return super().get(key, default, _bounded(type))

    def getlist(self, key, type=None):  # noqa: A002, ANN001, ANN201
        return super().getlist(key, _bounded(type))


class AppRequest(Request):
    parameter_storage_class = BoundedMultiDict


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in a URL: an id beyond any column's range is a 404, not an OverflowError."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002, ANN001
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def install_request_parsing(app: Flask) -> None:
    """Before any blueprint is registered, so every route's ``<int:…>`` uses the bounded converter."""
    app.request_class = AppRequest
    app.url_map.converters["int"] = BoundedIntConverter

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


#: Added to every response that does not set its own, in this order.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def init_app(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # What ``headers.setdefault`` does for each, with one look at the response's headers instead of three
        # scans of them per header (~190 calls on every request).
        present = {key.lower() for key, _value in response.headers.to_wsgi_list()}
        extra = (HSTS,) if app.config.get("SESSION_COOKIE_SECURE") else ()
        for key, value in SECURITY_HEADERS + extra:
            if key.lower() not in present:
                response.headers.add(key, value)
        return response
