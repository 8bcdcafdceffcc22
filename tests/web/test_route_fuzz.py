"""Issue 18.6: the route fuzzer (tests/fuzz.py) finds no HTTP 500 and no exception in a bounded run.

``FUZZ_SECONDS`` (default 30) and ``FUZZ_REQUESTS`` bound it; ``make fuzz`` runs a long one.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests import fuzz


def test_no_route_answers_500_to_hostile_input_as_any_role(app, fixed_clock):
    from datetime import UTC, datetime

    fixed_clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    fuzz.seed_demo(app)
    progress = os.environ.get("FUZZ_PROGRESS")
    report = fuzz.run(app, seconds=float(os.environ.get("FUZZ_SECONDS", "30")),
                      max_requests=int(os.environ.get("FUZZ_REQUESTS", str(10**9))),
                      seed=int(os.environ.get("FUZZ_SEED", "1")), progress=Path(progress) if progress else None)
    print(report.summary())
    assert report.requests >= 200, report.summary()
    assert not report.failures, report.summary() + "\n" + "\n\n".join(report.failures[:10])
