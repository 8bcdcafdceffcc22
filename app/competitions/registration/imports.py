"""Excel in and out for registrations: a template, an all-or-nothing import with a row report, an export."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from flask_babel import gettext as _

from app.auth.permissions import STAFF_ROLES, can
from app.competitions.events.models import Event
from app.competitions.registration import services
from app.competitions.registration.models import Registration
from app.core import audit, rules
from app.core import services as core_services
from app.core.enums import DocType
from app.core.imports import finish_import
from app.core.models import Person, User
from app.core.xlsx import export_workbook, open_upload
from app.errors import DomainError
from app.extensions import db

HEADERS = ["姓名*", "证件类型", "证件号码*", "队名（团体赛项）"]
MAX_ROWS = 2000


@dataclass
class RowReport:
    line: int
    name: str
    id_masked: str
    errors: list[str] = field(default_factory=list)


@functools.cache  # the same bytes every time: its text-formatted rows take a while to write
def template() -> bytes:
    # lazy: openpyxl (~8 MB) loads with the first Excel file, not in every worker (issue 21)
    from openpyxl.styles import Font, PatternFill
    wb = export_workbook()
    ws = wb.active
    ws.title = "报名"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in range(2, MAX_ROWS + 2):
        ws[f"C{row}"].number_format = "@"
    for col, width in zip("ABCD", (12, 14, 24, 20), strict=True):
        ws.column_dimensions[col].width = width
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _doc_type(text: str) -> DocType | None:
    if not text:
        return DocType.RIC
    return next((d for d in DocType if text in (d.value, str(d.label))), None)


def import_registrations(actor: User, event: Event, content: bytes, now: datetime) -> tuple[int, list[RowReport]]:
    """Register every row or none: returns (created, []) on success, (0, reports) when any row is bad."""
    ws = open_upload(content).worksheets[0]
    rows = ws.iter_rows(values_only=True, max_col=len(HEADERS))
    header = [_text(v) for v in next(rows, ())]
    if [h.rstrip("*") for h in header[:3]] != [h.rstrip("*") for h in HEADERS[:3]]:
        raise DomainError(_("表头与模板不一致，请使用下载的模板"), "file")
    services.check_window(event, now)
    reports: list[RowReport] = []
    created = 0
    for line, values in enumerate(rows, start=2):
        # Count sheet rows, blank ones too, so a sheet of a million empty rows is refused quickly.
        if line > MAX_ROWS + 1:
            db.session.rollback()
            raise DomainError(_("一次最多导入 %(n)d 行", n=MAX_ROWS), "file")
        values = tuple(values) + (None,) * 4
        if all(v in (None, "") for v in values[:4]):
            continue
        report = RowReport(line, _text(values[0]), "")
        reports.append(report)
        try:
            person = _person_for_row(actor, report, values)
            services.register(actor, event, person, now, team_name=_text(values[3]), commit=False)
            created += 1
        except DomainError as exc:
            report.errors.append(exc.message)
    return finish_import(created, reports)


def _person_for_row(actor: User, report: RowReport, values: tuple) -> Person:
    """The registered person of this row; a staff user's unknown employee is registered as a person first."""
    doc = _doc_type(_text(values[1]))
    if doc is None:
        raise DomainError(_("证件类型无法识别：%(t)s", t=_text(values[1])))
    if isinstance(values[2], (int, float)):
        raise DomainError(_("证件号码被存成了数字，末几位已丢失；请将该列设为文本格式后重新填写"))
    data = core_services.PersonData(name=report.name, doc_type=doc, id_number=_text(values[2]),
                                    employer_id=actor.organisation_id)
    data = core_services.check_person_data(data)
    report.id_masked = rules.mask_id_number(data.id_number)
    person = core_services.find_person_by_id_number(doc, data.id_number)
    if person is not None:
        if not can(actor, "person.view", person):  # never tell a stranger's name (or who employs them)
            raise DomainError(_("只能为本单位（本区）的人员报名"))
        if person.name != data.name:
            raise DomainError(_("该证件号码已登记为另一个姓名：%(name)s", name=person.name))
        return person
    if not actor.roles & STAFF_ROLES:
        raise DomainError(_("人员库中没有此人，请先登记人员"))
    person = Person()
    core_services.apply_person_data(person, data)
    db.session.add(person)
    db.session.flush()
    audit.record(actor, "import", person, after=audit.snapshot(person, core_services.PERSON_FIELDS),
                 summary=person.name)
    return person


def export(registrations: list[Registration]) -> bytes:
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("参赛选手")
    ws.append(["序号", "姓名", "证件号码（脱敏）", "性别", "出生年份", "技能等级", "报名单位", "队名", "状态", "原因"])
    for n, r in enumerate(registrations, start=1):
        p = r.person
        birth_year = p.birth_date.year if p.birth_date else ""
        ws.append([n, p.name, p.id_number_masked, str(p.sex.label) if p.sex else "", birth_year,
                   str(p.current_level.label) if p.current_level else "", r.unit.name, r.team.name if r.team else "",
                   str(r.status.label), r.reason])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
