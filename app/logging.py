"""Structured (JSON lines) logs that never carry a full ID number or mobile number."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

from app.core.rules import scrub


class ScrubPersonalData(logging.Filter):
    """Mask ID and phone numbers in every record, whatever logger produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context():
            entry["method"] = request.method
            entry["path"] = request.path
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    root = logging.getLogger()
    if any(isinstance(f, ScrubPersonalData) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler(sys.stderr)
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubPersonalData())
    root.addHandler(handler)
    if root.level == logging.WARNING:
        root.setLevel(logging.INFO)
    # Our own loggers speak at INFO whatever another library (Alembic's fileConfig) does to the root.
    logging.getLogger("app").setLevel(logging.INFO)
    # Handlers other loggers add later (werkzeug, gunicorn) get the same filter through the logger.
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "app", "sqlalchemy"):
        logging.getLogger(name).addFilter(ScrubPersonalData())


def log_requests(app: Flask) -> None:
    """One structured line per request: method, path with query, status, user (if the request loaded them),
    duration."""
    logger = logging.getLogger("app.request")

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):  # noqa: ANN001, ANN202
        elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        # The user the request loaded (Flask-Login keeps it in g): a page that never asked who is signed in
        # (/healthz, static files) is not made to load them just for this line.
        loaded = g.get("_login_user")
        user = loaded.id if loaded is not None and loaded.is_authenticated else "-"
        logger.info("%s %s %s user=%s %.1fms", request.method, request.full_path.rstrip("?"),
                    response.status_code, user, elapsed)
        return response
