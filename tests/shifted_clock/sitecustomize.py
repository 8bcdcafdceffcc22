"""Loaded by every Python process of the shifted-clock run (`make test-shifted` puts this folder on PYTHONPATH).

Debian's libfaketime 0.9.10 moves the wall clock well but cannot move the monotonic clock without breaking one
of Python's two ways of waiting:

- with the monotonic clock moved too, every wait with a timeout (``Event.wait(t)``, ``Lock.acquire(timeout=t)``,
  ``Thread.join(t)``, ``queue.get(timeout=t)``) never returns: Python waits with ``sem_clockwait``, which that
  libfaketime does not translate, so the kernel waits for a monotonic instant a year away;
- with the monotonic clock left alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``, what the run uses), those waits are
  right, but ``time.sleep`` fails with EINVAL: the library shifts its absolute ``clock_nanosleep`` deadline by the
  wall clock's offset although the monotonic clock was not moved (fixed in libfaketime 0.9.11).

So here ``time.sleep`` waits with ``select`` (a relative timeout, which the library passes through untouched).
Only the way of sleeping changes: the clock the app and the tests read is libfaketime's.
"""

from __future__ import annotations

import os
import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    time.sleep = _sleep
