"""Heavy jobs apart: the scheduler's risk-prompt refresh runs in a child process (never on the tick's thread),
and the risk desk never holds a page for a refresh longer than RISK_PROMPTS_WAIT_SECONDS."""

from __future__ import annotations

import threading
import time
from datetime import date

import sqlalchemy as sa

from app.core import risks
from app.core.enums import District
from app.core.models import RiskPromptRow, RiskRefresh
from app.core.types import utcnow
from app.extensions import db
from tests import factories

KIND = "slow_rule"


class Acting:
    def acting(self) -> bool:
        return True


def test_the_scheduler_refreshes_every_kind_in_a_child_process_of_its_own(app, ctx, monkeypatch):
    from app.reminders.scheduler import build_scheduler, risk_refresh_job

    kind = next(iter(risks.RULES))
    db.session.add(RiskPromptRow(kind=kind, subject_key="vanished", facts={"t": 1}, link=None,
                                 district=District.PUDONG, refreshed_at=utcnow()))
    db.session.commit()
    db.session.remove()
    ran_here: list[str] = []  # the rules run in the child process: in this one they are spies
    for name, (label, _fn) in list(risks.RULES.items()):
        monkeypatch.setitem(risks.RULES, name, (label, lambda district, name=name: ran_here.append(name) or []))
    assert risk_refresh_job(app, Acting()) == 0  # the child's exit code
    assert ran_here == []
    marks = set(db.session.scalars(sa.select(RiskRefresh.kind)))
    assert set(risks.RULES) <= marks  # every kind was refreshed, by the child
    assert db.session.scalar(sa.select(RiskPromptRow.id).where(RiskPromptRow.subject_key == "vanished")) is None
    jobs = {job.id: job.executor for job in build_scheduler(app, Acting()).get_jobs()}
    assert jobs == {"reminders.tick": "default", "risks.refresh": "heavy"}  # never on the tick's thread


def test_a_stopping_scheduler_starts_no_refresh(app, ctx):
    from app.reminders.scheduler import risk_refresh_job

    stop = threading.Event()
    stop.set()
    assert risk_refresh_job(app, Acting(), stop) is None  # stopping: not started at all


def test_the_desk_waits_at_most_its_limit_and_the_refresh_goes_on_behind_the_page(app, ctx, login_as,
                                                                                     monkeypatch):
    finished, release = threading.Event(), threading.Event()

    def slow(district):  # noqa: ANN001, ANN202
        release.wait(timeout=60)  # a refresh that lasts until the test lets it end
        finished.set()
        return [risks.RiskPrompt(KIND, "late", {"title": "迟到的提示"}, None, (District.PUDONG,), date(2026, 11, 1))]

    monkeypatch.setitem(risks.RULES, KIND, ("慢规则", slow))
    monkeypatch.setitem(risks.TEXTS, KIND, lambda facts: (facts["title"], "说明"))
    monkeypatch.setitem(app.config, "RISK_PROMPTS_WAIT_SECONDS", 0.5)
    client = login_as(factories.municipal_official())
    page = client.get("/supervision/risks").get_data(as_text=True)
    assert not finished.is_set()  # the page came back while the refresh was still running
    assert "迟到的提示" not in page
    release.set()
    assert finished.wait(timeout=30)
    for _ in range(100):  # the background thread commits just after the rule returns
        db.session.remove()
        if db.session.scalar(sa.select(RiskPromptRow.id).where(RiskPromptRow.subject_key == "late")):
            break
        time.sleep(0.1)
    monkeypatch.setitem(app.config, "RISK_PROMPTS_MAX_AGE_SECONDS", 3600)  # fresh now: no second refresh
    assert "迟到的提示" in client.get("/supervision/risks").get_data(as_text=True)
