"""Issue 23 in the browser: the organiser issues and prints an event's certificates (a PDF download on a normal
click), the QR code on a certificate scans (zxing-cpp) to the verification URL printed beside it, and that URL
opens the public verification page without signing in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.extensions import db
from tests import certificate_factories as certf
from tests.browser.conftest import screenshot, signed_in_as

pytestmark = pytest.mark.browser

URL_RE = re.compile(r"https?://[^/\s]+/verify/[A-Z2-7]{16}")


def test_the_organiser_prints_an_events_certificates_and_the_printed_url_verifies(app, ctx, page, fixed_clock):
    fixed_clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    ev, organiser, _official = certf.individual_event()
    organiser.username = "organiser-certificates"
    db.session.commit()
    fixed_clock(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))

    signed_in_as(page, "organiser-certificates")
    page.goto(f"/competitions/events/{ev.id}/results")
    page.locator("#event-certificates-link").click()
    page.wait_for_url(f"**/certificates/events/{ev.id}")
    page.get_by_role("button", name=re.compile("签发证书")).click()
    page.locator("#print-certificates").wait_for()
    assert page.locator("#certificates tbody tr").count() == 3  # gold, silver and the honour
    screenshot(page, "certificates-event-desktop")

    responses = []
    page.on("response", lambda r: responses.append(r) if r.url.endswith("certificates.pdf") else None)
    # the first print loads WeasyPrint in the server and lays the PDF out: seconds on a loaded machine
    with page.expect_download(timeout=60_000) as info:
        page.locator("#print-certificates").click(timeout=60_000)
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    assert responses and responses[0].headers["content-type"] == "application/pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    pages = certf.pdf_text(data)
    assert len(pages) == 3 and "张三华" in pages[0]
    verify_url = URL_RE.search(pages[0]).group(0)
    # every QR code in the print scans to a URL printed on a certificate, one per certificate
    printed = sorted(URL_RE.search(p).group(0) for p in pages)
    assert sorted(set(certf.scanned_codes(data))) == printed and verify_url in printed

    page.context.clear_cookies()  # anyone who scans the code: nobody signed in
    page.goto(verify_url)
    assert page.locator("#verification").get_attribute("data-state") == "valid"
    assert page.locator("#verify-holder").inner_text() == "张*华"
    assert "金牌" in page.locator("#verification").inner_text()
    screenshot(page, "certificates-verify-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "certificates-verify-390")
    page.goto(verify_url + "?lang=en")
    assert "Valid" in page.locator("#verification").inner_text()


def test_the_event_page_fits_a_phone(app, ctx, page, fixed_clock):
    fixed_clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    ev, organiser, _official = certf.individual_event()
    organiser.username = "organiser-certificates-phone"
    db.session.commit()
    signed_in_as(page, "organiser-certificates-phone")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/certificates/events/{ev.id}")
    page.get_by_role("button", name=re.compile("签发证书")).click()
    page.locator("#print-certificates").wait_for()
    screenshot(page, "certificates-event-390")
