"""The one place that reads HX-* headers: whole page or just the changed block."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from flask import Response, make_response, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block

from app.extensions import htmx


def wants_fragment() -> bool:
    """True for an htmx request that swaps a part of the page.

    A boosted navigation and a history restore also send HX-Request, but they need the whole page.
    """
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, block: str | None = None, *, http_status: int = 200, **context: Any) -> Response:
    """Render ``template`` whole, or only ``block`` of it when an htmx request asks for a part.

    The response's status is ``http_status`` (keyword only): every other keyword, ``status`` included, is a
    template variable, so a list filtered by status can never become the HTTP status.
    """
    if block and wants_fragment():
        body = render_block(template, block, **context)
        body += render_template("_flash_oob.html")
    else:
        body = render_template(template, **context)
    response = make_response(body, http_status)
    response.headers.add("Vary", "HX-Request")
    return response


def redirect_after_post(endpoint: str, **values: Any) -> Response:
    """Go to the next page after a successful write (303 so the browser re-requests with GET)."""
    url = url_for(endpoint, **values)
    if bool(htmx) and not htmx.boosted:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return cast(Response, redirect(url, code=303))  # flask.redirect builds the app's Response class


def is_htmx() -> bool:
    return bool(htmx)


def page_url() -> str:
    """The address of the page the user is on: for an htmx request the page that sent it (a fragment or
    POST-only endpoint is no place to come back to), otherwise the request's own path and query."""
    if bool(htmx) and htmx.current_url:
        parts = urlsplit(htmx.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.full_path.rstrip("?")


def hx_redirect_or_redirect(url: str) -> Response:
    """Send a signed-out htmx request to ``url`` as a full page, never a fragment swap."""
    if bool(htmx):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url
        return response
    return cast(Response, redirect(url))  # flask.redirect builds the app's Response class


__all__ = ["render", "redirect_after_post", "wants_fragment", "is_htmx", "hx_redirect_or_redirect"]
