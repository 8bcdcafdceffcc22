"""Every link to a download (an Excel sheet, a calendar, a PDF, an uploaded document) is a plain link: with the
page's hx-boost a normal click would swap the file's bytes into the page as garbage."""

import inspect
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
ANCHOR = re.compile(r"<a\b[^>]*>", re.S)


def download_endpoints(app) -> set[str]:
    """Endpoints whose view sends a file."""
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        source = inspect.getsource(inspect.unwrap(view))
        if rule.rule.endswith((".xlsx", ".ics", ".pdf")) or "send_file(" in source or "as_attachment" in source:
            found.add(rule.endpoint)
    return found


def test_every_link_to_a_download_is_not_boosted(app):
    endpoints = download_endpoints(app)
    assert {"mentor_hours.statements_export", "mentor_hours.statement_export", "core.people_export"} <= endpoints
    offenders, seen = [], set()
    for template in APP.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in ANCHOR.findall(text):
            match = re.search(r"url_for\('([\w.]+)'", tag)
            if match is None or match.group(1) not in endpoints:
                continue
            seen.add(match.group(1))
            if 'hx-boost="false"' not in tag and not re.search(r"\sdownload[\s>=]", tag):
                offenders.append(f"{template.relative_to(APP)}: {tag[:120]}")
    assert {"mentor_hours.statements_export", "mentor_hours.statement_export"} <= seen
    assert offenders == []
