"""Every page as every demo role, on a phone: no page wider than a 360 px window, and axe-core finds
no serious or critical WCAG 2.1 A/AA violation. One browser context per role, one tab reused for every page; axe-core
checks each page shape once (see page_walk.SHAPE_JS: a page of the same markup as one already checked, rows aside,
gets the same verdict).

The demo data is loaded once per role group; the walk then opens each page the role may see. Which those are is
asked of the app through the test client first (a 403 or 404 there means that role has no such page): Chromium
would spend as long on each refusal as on a page, and about three URLs in four are refused to any one role.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from app.core.demo import DEMO_PASSWORD
from tests.browser.conftest import signed_in_as
from tests.browser.page_walk import (
    AXE_SOURCE,
    ROLES,
    axe_violations,
    page_overflow,
    page_shape,
    page_urls,
    sample_arguments,
    seed_demo,
)
from tests.conftest import WebClient

pytestmark = pytest.mark.browser

#: A Tuesday in term time: every demo area has something going on.
NOW = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
#: The narrowest phone the app supports. A page that fits it fits every wider phone: 360 and 390 px (the other
#: browser tests' phone width) are both below the stylesheets' first breakpoint (576 px), so the same rules apply
#: and only the room grows (until December 2026 the walk also checked each page at 390 px).
SMALL_PHONE = {"width": 360, "height": 780}


#: The roles in three groups, one test each, so that pytest-xdist walks them side by side (each loads the demo).
ROLE_GROUPS = {"officials": ("official", "pudong"), "enterprise": ("hr", "college", "mentor", "apprentice"),
               "competitions": ("organizer", "expert", "athlete")}


def role_pages(app, username: str, urls: list[str]) -> list[str]:
    """The URLs that answer this role with an HTML page (200), asked through the test client."""
    client = WebClient(app.test_client())
    client.login(username, DEMO_PASSWORD)
    return [url for url in urls if (answer := client.get(url)).status_code == 200 and answer.mimetype == "text/html"]


def test_the_role_groups_cover_every_demo_role():
    assert sorted(r for group in ROLE_GROUPS.values() for r in group) == sorted(ROLES)


#: A walk takes minutes: marked long, the three start first, one per worker (tests/conftest.py). One test per role
#: would spread them finer but cost more in all: each test loads the demo again, and a role group checks a page
#: shape that two of its roles share once.
@pytest.mark.long(minutes=3)
@pytest.mark.parametrize("group", sorted(ROLE_GROUPS))
def test_every_page_fits_a_phone_and_has_no_serious_accessibility_violation_for_every_role(
        group, app, ctx, browser, live_server, fixed_clock):
    fixed_clock(NOW)
    today = NOW.date()
    seed_demo(today, NOW)
    urls = page_urls(app, sample_arguments(today))
    axe = AXE_SOURCE.read_text()
    too_wide: list[str] = []
    inaccessible: list[str] = []
    script_errors: list[str] = []
    visited: dict[str, int] = {}
    checked_shapes: set[str] = set()
    started = time.perf_counter()
    for username in ROLE_GROUPS[group]:
        context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=SMALL_PHONE)
        context.set_default_timeout(10_000)
        # The risk desk recomputes its prompts on every view in tests; on a busy machine that can take a while.
        context.set_default_navigation_timeout(60_000)
        page = context.new_page()
        page.on("pageerror", lambda exc, who=username: script_errors.append(f"{who}: {exc}"))
        page.on("console", lambda msg, who=username: script_errors.append(f"{who}: {msg.text}")
                if msg.type == "error" and "Content Security Policy" in msg.text else None)
        signed_in_as(page, username, DEMO_PASSWORD)
        visited[username] = 0
        for url in role_pages(app, username, urls):
            answer = page.goto(url)
            assert answer is not None and answer.status == 200, f"{username} {url}: not the test client's answer"
            visited[username] += 1
            where = f"{username} {url}"
            if (overflow := page_overflow(page)) > 0:
                too_wide.append(f"{where} at 360 px: {overflow}px too wide")
            if (shape := page_shape(page)) not in checked_shapes:
                checked_shapes.add(shape)
                inaccessible += [f"{where}: {v}" for v in axe_violations(page, axe)]
        context.close()
    seconds = time.perf_counter() - started
    print(f"\n{group}: pages × roles checked: {sum(visited.values())} ({visited}), {len(checked_shapes)} page "
          f"shapes through axe-core, in {seconds:.0f} s")
    assert min(visited.values()) >= 20, visited
    assert too_wide == [], "\n".join(too_wide)
    assert inaccessible == [], "\n".join(inaccessible)
    assert script_errors == [], "\n".join(script_errors)
