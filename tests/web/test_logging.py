import json
import logging

from tests import factories


def test_log_lines_are_json_and_mask_full_ids_and_phones(app, ctx, captured_logs):
    number = factories.valid_ric()
    logging.getLogger("app.test").warning("checking %s with phone %s", number, "13812345678")
    line = [ln for ln in captured_logs.getvalue().splitlines() if "checking" in ln][-1]
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "app.test"
    assert number not in line and "13812345678" not in line
    assert number[:3] + "*" * 13 + number[-2:] in entry["msg"] and "138****5678" in entry["msg"]


def test_each_request_is_logged_with_status_and_user(app, ctx, login_as, captured_logs):
    official = factories.municipal_official()
    web = login_as(official)
    web.get(f"/people?q={factories.valid_ric()}")
    lines = [json.loads(ln) for ln in captured_logs.getvalue().splitlines() if '"app.request"' in ln]
    last = lines[-1]
    assert last["msg"].startswith("GET /people?q=") and f"user={official.id}" in last["msg"]
    assert "***********" in last["msg"]
