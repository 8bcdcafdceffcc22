"""The bench times a heavy job (the city-wide risk refresh) a bounded number of times, whatever --requests says."""

from bench.cases import REGISTRY, TimedCase
from bench.runner import measure_case


def test_a_heavy_case_is_timed_at_most_its_bound_after_one_warm_up():
    calls: list[int] = []
    case = TimedCase("heavy", lambda ctx: lambda: calls.append(1), at_most=3)
    [result] = measure_case(None, case, requests=200, warmup=20)  # type: ignore[arg-type]
    assert len(result.samples_ms) == 3 and len(calls) == 4


def test_the_city_wide_risk_refresh_is_one_of_them():
    import bench.supervision  # noqa: F401 - registers its cases

    [case] = [c for c in REGISTRY if c.name == "supervision_risks_refresh_city"]
    assert isinstance(case, TimedCase) and case.at_most == 5 and case.warmups == 0


def test_a_heavy_job_the_data_step_already_ran_is_timed_without_a_warm_up_of_its_own():
    calls: list[int] = []
    case = TimedCase("refresh", lambda ctx: lambda: calls.append(1), at_most=5, warmups=0)
    [result] = measure_case(None, case, requests=200, warmup=20)  # type: ignore[arg-type]
    assert len(result.samples_ms) == 5 and len(calls) == 5
