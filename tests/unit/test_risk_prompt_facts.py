"""The pure parts of per-district risk prompts (issue 19): a policy value as each district has it in force, in
Python and as the SQL CASE the rules compare with; the districts a prompt concerns, the asking district first;
the facts a district's row holds (its own limit)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app.core.enums import District
from app.core.risks import RiskPrompt
from app.mentor_hours.risks import Limit
from app.supervision.risk_rules import _districts


def test_a_districts_own_value_beats_the_citys_and_the_lowest_is_the_strictest():
    limit = Limit(Decimal(12), {District.PUDONG: Decimal(8), District.XUHUI: Decimal(14)})
    assert limit.at(District.PUDONG) == Decimal(8)
    assert limit.at(District.HUANGPU) == Decimal(12)  # no value of its own: the city's
    assert limit.at(None) == Decimal(12)
    assert limit.lowest() == Decimal(8)
    assert not limit.none()
    only_a_district = Limit(None, {District.PUDONG: Decimal(160)})  # e.g. a monthly ceiling only Pudong sets
    assert only_a_district.at(District.HUANGPU) is None and only_a_district.lowest() == Decimal(160)
    assert Limit(None, {}).none() and Limit(None, {}).lowest() is None


def test_the_sql_limit_is_a_case_on_the_district_when_a_district_has_its_own_value():
    district = sa.column("district", sa.String)
    plain = str(Limit(Decimal(12), {}).sql(district).compile(compile_kwargs={"literal_binds": True}))
    assert "CASE" not in plain and "12" in plain
    own = str(Limit(Decimal(12), {District.PUDONG: Decimal(8)}).sql(district)
              .compile(compile_kwargs={"literal_binds": True}))
    assert own.startswith("CASE WHEN (district = 'pudong') THEN 8") and "ELSE 12" in own
    none = str(Limit(None, {District.PUDONG: Decimal(8)}).sql(district).compile(compile_kwargs={"literal_binds": True}))
    assert "ELSE NULL" in none  # no limit elsewhere: a comparison with it is never true


def test_a_prompt_names_its_districts_in_order_with_the_asking_district_first():
    assert _districts("xuhui,pudong,huangpu") == (District.HUANGPU, District.XUHUI, District.PUDONG)
    assert _districts("xuhui,pudong,huangpu", District.PUDONG) == (District.PUDONG, District.HUANGPU, District.XUHUI)
    assert _districts("xuhui", District.PUDONG) == (District.XUHUI,)
    assert _districts(None) == ()


def test_each_districts_row_holds_its_own_facts():
    prompt = RiskPrompt("mentor_hours_over_cap", "7:2026-03", {"name": "王师傅", "n": 3, "cap": "1"}, "/x",
                        (District.PUDONG, District.XUHUI), None, {District.XUHUI: {"cap": "2"}})
    assert prompt.district == District.PUDONG
    assert prompt.facts_in(District.PUDONG)["cap"] == "1"
    assert prompt.facts_in(District.XUHUI) == {"name": "王师傅", "n": 3, "cap": "2"}
