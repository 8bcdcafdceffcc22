"""The logs of the whole test run never hold a full 身份证号 or mobile number (个人信息保护法)."""

import re

FULL_ID = re.compile(r"(?<![0-9A-Za-z*])\d{17}[0-9Xx](?![0-9A-Za-z])")
FULL_PHONE = re.compile(r"(?<![0-9*])1[3-9]\d{9}(?!\d)")


def test_whole_run_logs_hold_no_full_id_or_phone_number(app, captured_logs):
    text = captured_logs.getvalue()
    assert "app.request" in text, "the run should have produced request logs to scan"
    assert FULL_ID.findall(text) == []
    assert FULL_PHONE.findall(text) == []
