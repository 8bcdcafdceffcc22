"""Issue 18.3: no full ID number or mobile number in the app's log or in gunicorn's access log."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from gunicorn import glogging
from gunicorn.config import Config

from app.core.rules import scrub
from tests.conftest import FULL_ID, FULL_PHONE

NUMBER = "310104199805170013"


def test_scrub_masks_numbers_after_letters_encoded_signs_and_country_codes():
    line = (f"q=ABC{NUMBER} q%3D{NUMBER} {quote('q=' + NUMBER)} tel%2B8613812345678 +8613812345678 "
            f"x{NUMBER}y")
    cleaned = scrub(line)
    assert NUMBER not in cleaned and "13812345678" not in cleaned
    assert not FULL_ID.findall(cleaned) and not FULL_PHONE.findall(cleaned)
    assert scrub("order 123456789012345678901 and 2026-12-04") == "order 123456789012345678901 and 2026-12-04"


def test_a_signed_out_search_keeps_the_number_out_of_next_and_the_log(app, ctx, web, captured_logs):
    start = captured_logs.tell()
    response = web.get(f"/people?q={NUMBER}")
    assert response.status_code == 302
    assert NUMBER not in response.headers["Location"] and "q%3D" not in response.headers["Location"]
    assert response.headers["Location"].endswith("next=/people")
    logged = captured_logs.getvalue()[start:]
    assert "/people" in logged and NUMBER not in logged


def test_gunicorns_access_log_lines_are_scrubbed(app, tmp_path: Path, captured_logs):
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    log = glogging.Logger(cfg)
    assert any(isinstance(f, logging.Filter) for f in logging.getLogger("gunicorn.access").filters)

    class Resp:
        status, sent, headers = "302 FOUND", 0, [("Location", f"/login?next=/people?q%3D{NUMBER}")]

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/people?q=ABC{NUMBER}&phone=%2B8613812345678",
               "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": f"q={NUMBER}", "PATH_INFO": "/people",
               "HTTP_REFERER": f"http://x/people?q%3D{NUMBER}", "REMOTE_ADDR": "127.0.0.1"}
    start = captured_logs.tell()
    log.access(Resp(), [], environ, timedelta(milliseconds=3))
    for handler in logging.getLogger("gunicorn.access").handlers:
        handler.flush()
    written = (tmp_path / "access.log").read_text() + captured_logs.getvalue()[start:]
    assert "GET /people" in written
    assert NUMBER not in written and "13812345678" not in written
