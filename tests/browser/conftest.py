"""A live server on loopback and Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests import factories

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    # Chromium keeps the static files for the session instead of asking for each again on every page (a 304 each,
    # four per page); in production the proxy in front serves them (docs/deploy.md).
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


#: Chromium logs every 4xx/5xx response as a console error, e.g.
#: "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)".
HTTP_STATUS_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})\b")


@pytest.fixture()
def expected_statuses() -> set[int]:
    """HTTP error statuses a test expects the browser to receive; add to it (e.g. 403) in the test.

    422 is always expected: it is how the app answers a failed form (htmx is configured to swap it).
    """
    return {422}


@pytest.fixture()
def page(browser, live_server: str, expected_statuses: set[int]) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:  # noqa: ANN001
        if msg.type != "error":
            return
        status = HTTP_STATUS_ERROR.match(msg.text)
        if status and int(status.group(1)) in expected_statuses:
            return
        errors.append(msg.text)

    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", on_console)
    yield pg
    # Let the page's last requests finish before the tables are emptied under them (a page still busy
    # after 3 s is closed anyway).
    with contextlib.suppress(Exception):
        pg.wait_for_load_state("networkidle", timeout=3_000)
    context.close()
    # A Content-Security-Policy violation, a script error or an unexpected error response shows up here.
    assert errors == [], errors


def assert_fits_width(page) -> None:
    """Nothing on the page is wider than the window (no horizontal scroll bar)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the window"


def screenshot(page, name: str) -> Path:
    assert_fits_width(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # caret="initial": hiding the caret leaves style="" on inputs, which htmx's settle step then copies onto
    # the swapped-in inputs, a CSP violation (style-src 'self') that the page itself never causes.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def sign_in(page, username: str, password: str = factories.PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def signed_in_as(page, username: str, password: str = factories.PASSWORD) -> None:
    """Sign in by sending the sign-in form from the page's browser context, without drawing the sign-in page.

    For tests about something else (it saves most of a second each); test_sign_in and test_navigation
    sign in through the page itself. The page is left blank: go to where the test starts.
    """
    token = CSRF_FIELD.search(page.request.get("/login").text())
    assert token, "no CSRF token on the sign-in page"
    response = page.request.post("/login", form={"csrf_token": token.group(1), "username": username,
                                                 "password": password}, max_redirects=0)
    assert response.status == 303, f"sign-in as {username} failed: {response.status}"


def htmx_settled(page) -> None:
    """Wait until htmx has finished settling its last swap (call it after the swapped content is seen).

    Settling runs ~20 ms after a swap and focuses the new content's [autofocus] field; typing before then can
    land in that field instead of the one aimed at.
    """
    from playwright.sync_api import expect

    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)


def set_window_marker(page) -> None:
    """Mark the window; the mark survives htmx swaps and disappears on a full page load."""
    page.evaluate("window.__jtMarker = 'still-here'")


def window_marker_survived(page) -> bool:
    return page.evaluate("window.__jtMarker === 'still-here'")


def small_pages(app: Flask, monkeypatch: pytest.MonkeyPatch, size: int = 2) -> None:
    """Make lists page after ``size`` rows, so a few rows are enough to reach "下一页"."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", size)
