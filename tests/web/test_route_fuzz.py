"""Issue 18.6: the route fuzzer (tests/fuzz.py) finds no HTTP 500 and no exception in a bounded run.

``FUZZ_SECONDS`` (CPU seconds of the fuzzing process, default 30) and ``FUZZ_REQUESTS`` bound it; ``make fuzz``
runs a long one. ``FUZZ_SHARDS`` splits it into that many runs (seeds ``FUZZ_SEED`` + shard, each its share of the
requests), which pytest-xdist runs in parallel, each worker on its own database; each shard writes its figures to
``FUZZ_PROGRESS``-<shard>.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import fuzz

SHARDS = int(os.environ.get("FUZZ_SHARDS", "1"))


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_route_answers_500_to_hostile_input_as_any_role(app, fixed_clock, shard):
    from datetime import UTC, datetime

    fixed_clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    fuzz.seed_demo(app)
    progress = os.environ.get("FUZZ_PROGRESS")
    if progress and SHARDS > 1:
        progress = f"{progress}-{shard}"
    requests = int(os.environ.get("FUZZ_REQUESTS", str(10**9)))
    report = fuzz.run(app, seconds=float(os.environ.get("FUZZ_SECONDS", "30")),
                      max_requests=-(-requests // SHARDS),
                      seed=int(os.environ.get("FUZZ_SEED", "1")) + shard,
                      progress=Path(progress) if progress else None)
    print(report.summary())
    print(report.slowest())
    assert report.requests >= 200, report.summary()
    assert not report.failures, report.summary() + "\n" + "\n\n".join(report.failures[:10])
