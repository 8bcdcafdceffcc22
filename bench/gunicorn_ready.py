"""gunicorn settings for the throughput bench (``-c bench/gunicorn_ready.py``): each worker, once it has
loaded the app, leaves a file named after its pid in BENCH_READY_DIR, so the bench starts the load only when
every worker serves (the socket listens long before, and on a busy machine an import takes seconds)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    ready = os.environ.get("BENCH_READY_DIR")
    if ready:
        (Path(ready) / str(worker.pid)).touch()
