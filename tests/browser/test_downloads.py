"""Download links clicked as a person would: each page's link delivers a file of the right type (never the
file's bytes swapped into the page by htmx's boost)."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.mentor_hours.models import HourMonth, MonthStatus
from tests import factories
from tests import mentor_hours_factories as mf
from tests.browser.conftest import signed_in_as

pytestmark = pytest.mark.browser

XLSX = b"PK\x03\x04"  # an .xlsx is a zip file


def _click_and_download(page, url: str, link, suffix: str, magic: bytes) -> None:
    page.goto(url)
    before = page.url
    with page.expect_download() as info:
        link(page).click()
    download = info.value
    assert download.suggested_filename.endswith(suffix), (url, download.suggested_filename)
    with open(download.path(), "rb") as fh:
        assert fh.read(len(magic)) == magic, url
    assert page.url == before  # the page stays as it was: nothing swapped into it


def test_every_download_link_delivers_its_file(app, ctx, page):
    s = mf.setup(starts=date(2026, 1, 1), ends=date(2027, 1, 1))
    mf.rule(s.cast.enterprise.id, amount="50")
    mf.entry(s.assignment, date(2026, 3, 2), hours="2")
    e = s.enrollment
    db.session.add(HourMonth(assignment_id=s.assignment.id, enrollment_id=e.id, mentor_id=s.assignment.mentor_id,
                             enterprise_id=e.enterprise_id, district=e.district, month=date(2026, 3, 1),
                             status=MonthStatus.APPROVED, hours=Decimal("2")))
    s.cast.hr.username = "hr-downloads"
    factories.municipal_official(username="chen-downloads")
    db.session.commit()

    signed_in_as(page, "hr-downloads")
    statements = "/mentor-hours/statements?month=2026-03"
    # The month's statement, and one mentor's (the links the issue found boosted).
    _click_and_download(page, statements, lambda p: p.locator(".page-head").get_by_role("link", name="导出 Excel"),
                        ".xlsx", XLSX)
    _click_and_download(page, statements, lambda p: p.locator("section.statement").first.get_by_role(
        "link", name="导出 Excel"), ".xlsx", XLSX)
    _click_and_download(page, "/people", lambda p: p.get_by_role("link", name="导出当前列表"), ".xlsx", XLSX)
    _click_and_download(page, "/apprenticeships/", lambda p: p.get_by_role("link", name="导出 Excel"), ".xlsx", XLSX)

    page.context.clear_cookies()
    signed_in_as(page, "chen-downloads")
    _click_and_download(page, "/apprenticeships/ledger", lambda p: p.get_by_role("link", name="导出 Excel"),
                        ".xlsx", XLSX)
    _click_and_download(page, "/audit", lambda p: p.get_by_role("link", name="导出 Excel"), ".xlsx", XLSX)
