"""The real app as gunicorn serves it for `python -m bench.throughput` (``gunicorn bench.serve:app``).

The same factory and ``gc.freeze()`` as wsgi.py, on the bench database (BENCH_DATABASE_URL), with CSRF off
so the script can sign in and the login rate limit raised; the JSON request log line is written as in
production (gunicorn's stderr goes to a file the bench deletes).
"""

from __future__ import annotations

import gc
import os

from app import create_app
from bench.database import BENCH_CONFIG

app = create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"], "MIGRATIONS": False})
gc.freeze()
