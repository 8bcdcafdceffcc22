"""The floor: a minimal Flask app that runs, for each list page, the very SQL the real page sent and renders
the rows with a trivial template. `python -m bench.throughput` captures the statements (user load included)
from the real app, writes them to the file named by BENCH_FLOOR_STATEMENTS, and serves this app with the same
gunicorn settings; ``GET /<case name>`` replays that case's statements on a pooled DBAPI connection.

No ORM, no session, no Babel, no login: what any Flask app on this database would pay for the same rows.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, render_template_string

ROWS = """<!doctype html><title>{{ name }}</title><table>
{% for row in rows %}<tr>{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</table>"""


def create_floor_app(url: str, statements: dict[str, list[tuple[str, Any]]]) -> Flask:
    app = Flask(__name__)
    engine = sa.create_engine(url, pool_pre_ping=False)

    @app.get("/<name>")
    def replay(name: str) -> str:
        captured = statements.get(name)
        if captured is None:
            abort(404)
        rows: list[Any] = []
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in captured:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    rows.extend(cursor.fetchall())
            cursor.close()
            raw.rollback()  # the real request ends its transaction too
        finally:
            raw.close()
        return render_template_string(ROWS, name=name, rows=rows)

    return app


def _from_environment() -> Flask:
    statements = pickle.loads(Path(os.environ["BENCH_FLOOR_STATEMENTS"]).read_bytes())  # noqa: S301 (our own file)
    return create_floor_app(os.environ["BENCH_DATABASE_URL"], statements)


app = _from_environment() if "BENCH_FLOOR_STATEMENTS" in os.environ else None
