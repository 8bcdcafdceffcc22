"""After the app's own bulk rewrites (the risk refresh, the tallies rebuild) the rewritten table is analysed at
once, so the planner does not keep the old table's shape until autovacuum's next round (SQLite: never)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.competitions.registration.models import RegistrationStatus
from app.core import risks, statistics
from app.core.enums import District, OrgKind
from app.extensions import db
from tests import competition_factories as cf
from tests import factories

KIND = "test_bulk_rule"


def planner_rows(table: str) -> float | None:
    """How many rows the planner's statistics say ``table`` holds (None: never analysed)."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        tuples = db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
        return None if tuples is None or tuples < 0 else float(tuples)
    exists = db.session.scalar(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"))
    stat = db.session.scalar(sa.text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t AND idx IS NOT NULL"),
                             {"t": table}) if exists else None
    return float(stat.split()[0]) if stat else None


def expected(rows: int) -> float | None:
    """PostgreSQL: the rows just written; SQLite is left without statistics (by design)."""
    return float(rows) if db.engine.dialect.name == "postgresql" else None


@pytest.fixture()
def many_prompts(app, monkeypatch):  # noqa: ANN001, ANN201
    found = [risks.RiskPrompt(KIND, f"k{i}", {"i": i}, f"/x/{i}", (District.PUDONG,), date(2026, 11, 1))
             for i in range(statistics.MIN_CHANGED_ROWS + 37)]
    monkeypatch.setitem(risks.RULES, KIND, ("测试风险", lambda district: found))
    return found


def test_a_refresh_that_rewrites_many_prompts_analyses_risk_prompts(app, ctx, many_prompts):
    risks.refresh([KIND])
    assert planner_rows("risk_prompts") == expected(len(many_prompts))


def test_a_refresh_that_changes_a_few_prompts_leaves_the_statistics_to_autovacuum(app, ctx, monkeypatch):
    calls = []
    monkeypatch.setattr(statistics, "analyze", lambda *tables: calls.append(tables))
    found = [risks.RiskPrompt(KIND, "a", {"i": 0}, "/x/a", (District.PUDONG,), date(2026, 11, 1))]
    monkeypatch.setitem(risks.RULES, KIND, ("测试风险", lambda district: found))
    risks.refresh([KIND])
    assert calls == []


def test_the_tallies_rebuild_command_analyses_the_tallies(app, ctx):
    ev = cf.event(cf.competition(year=2026))
    units = [factories.org(OrgKind.ENTERPRISE, district) for district in (District.PUDONG, District.XUHUI)]
    for i in range(3):
        cf.registration(ev, factories.person(f"选手{i}", units[i % 2]), units[i % 2],
                        status=RegistrationStatus.APPROVED)
    result = app.test_cli_runner().invoke(args=["supervision", "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert planner_rows("registration_tallies") == expected(2)  # one tally per (event, district)


@pytest.mark.parametrize(("area", "table", "said"), [
    ("supervision", "registration_tallies", "registration tallies rebuilt"),
    ("competitions", "medal_tallies", "medal tallies rebuilt"),
    ("mentor_hours", "mentor_hour_tallies", "mentor-hour tallies rebuilt"),
    ("training_bases", "training_base_tallies", "training-base tallies rebuilt"),
])
def test_every_areas_rebuild_tallies_command_rewrites_then_analyses_its_table(app, ctx, area, table, said):
    result = app.test_cli_runner().invoke(args=[area, "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == said
    assert planner_rows(table) == expected(0)  # analysed (PostgreSQL: 0 rows known, not "never analysed")


def test_only_the_apps_own_tables_can_be_analysed(app, ctx):
    with pytest.raises(ValueError):
        statistics.analyze("people; DROP TABLE people")
