"""Excel in and out for apprenticeships: a class template, an all-or-nothing class import with a row report,
and exports of a class and of the subsidy ledger."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO

import sqlalchemy as sa
from flask_babel import gettext as _

from app.apprenticeships import rules, services
from app.apprenticeships.models import ApprenticeClass, Enrollment, HireType, MentorKind, ModuleKind, SubsidyLine
from app.auth.permissions import can
from app.core import audit
from app.core import rules as core_rules
from app.core import services as core_services
from app.core.enums import DocType
from app.core.imports import finish_import
from app.core.models import Organisation, Person, User
from app.core.xlsx import export_workbook, open_upload
from app.errors import DomainError
from app.extensions import db

HEADERS = ["姓名*", "证件类型", "证件号码*", "用工类型*", "劳动合同起始日*", "劳动合同终止日", "企业导师*",
           "院校导师*", "培训开始日期*", "培训结束日期*", "延期原因"]
PLAN_HEADERS = ["模块名称*", "类型*", "计划学时*"]
PLAN_SHEET = "培训计划"
MAX_ROWS = 500


@dataclass
class RowReport:
    line: int
    name: str
    id_masked: str
    errors: list[str] = field(default_factory=list)


def _bold(ws) -> None:  # noqa: ANN001
    # lazy: openpyxl (~8 MB) loads with the first Excel file, not in every worker (issue 21)
    from openpyxl.styles import Font, PatternFill
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")


@functools.cache  # the same bytes every time: its text-formatted rows take a while to write
def template() -> bytes:
    wb = export_workbook()
    ws = wb.active
    ws.title = "学徒"
    ws.append(HEADERS)
    _bold(ws)
    for row in range(2, MAX_ROWS + 2):
        ws[f"C{row}"].number_format = "@"
    for col, width in zip("ABCDEFGHIJK", (10, 12, 22, 10, 14, 14, 22, 22, 14, 14, 20), strict=True):
        ws.column_dimensions[col].width = width
    plan = wb.create_sheet(PLAN_SHEET)
    plan.append(PLAN_HEADERS)
    _bold(plan)
    plan.append(["（示例）安全生产与职业素养", "课堂", 120])
    plan.append(["（示例）岗位技能实训", "岗位实践", 600])
    notes = wb.create_sheet("说明")
    notes.append(["用工类型填：新招用、转岗或在岗；劳动合同为无固定期限时终止日留空。"])
    notes.append(["导师填姓名（须为本企业/培训机构的职工；重名时填证件号码）。"])
    notes.append(["「培训计划」表中的模块适用于本次导入的每位学徒；请删除示例行后填写。日期格式 YYYY-MM-DD。"])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _date(value: object, label: str, required: bool = True) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        if required:
            raise DomainError(_("缺少%(label)s", label=label))
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError as exc:
        raise DomainError(_("%(label)s格式应为 YYYY-MM-DD", label=label)) from exc


def _hire_type(text: str) -> HireType:
    found = next((h for h in HireType if text in (h.value, str(h.label))), None)
    if found is None:
        raise DomainError(_("用工类型应为：新招用、转岗或在岗"))
    return found


def _module_kind(text: str) -> ModuleKind | None:
    aliases = {"课堂": ModuleKind.CLASSROOM, "理论": ModuleKind.CLASSROOM, "实践": ModuleKind.PRACTICAL,
               "岗位实践": ModuleKind.PRACTICAL}
    return aliases.get(text) or next((k for k in ModuleKind if text == k.value), None)


def _plan(wb) -> list[services.ModuleData]:  # noqa: ANN001
    if PLAN_SHEET not in wb.sheetnames:
        raise DomainError(_("缺少「培训计划」工作表，请使用下载的模板"), "file")
    rows = wb[PLAN_SHEET].iter_rows(values_only=True, max_col=len(PLAN_HEADERS))
    next(rows, None)
    modules: list[services.ModuleData] = []
    for line, values in enumerate(rows, start=2):
        if line > 100:
            raise DomainError(_("培训计划最多 100 个模块"), "file")
        values = tuple(values) + (None,) * 3
        name, kind_text, hours = _text(values[0]), _text(values[1]), values[2]
        if not name and not kind_text and hours in (None, ""):
            continue
        kind = _module_kind(kind_text)
        if kind is None or not name or not isinstance(hours, (int, float)) or int(hours) != hours or hours <= 0:
            raise DomainError(_("「培训计划」第 %(line)d 行有误：须有名称、类型（课堂/岗位实践）和正整数学时",
                                line=line), "file")
        modules.append(services.ModuleData(name, kind, int(hours)))
    if not modules:
        raise DomainError(_("「培训计划」工作表中没有模块"), "file")
    return modules


def import_class(actor: User, klass: ApprenticeClass, content: bytes, today: date) -> tuple[int, list[RowReport]]:
    """Enroll every row into the class, or none: (created, []) on success, (0, reports) when any row is bad."""
    if not can(actor, "apprenticeship.enroll", klass):
        raise DomainError(_("只能向本企业的班级导入"), "file")
    wb = open_upload(content)
    rows = wb.worksheets[0].iter_rows(values_only=True, max_col=len(HEADERS))
    header = [_text(v) for v in next(rows, ())]
    if [h.rstrip("*") for h in header[:3]] != [h.rstrip("*") for h in HEADERS[:3]]:
        raise DomainError(_("表头与模板不一致，请使用下载的模板"), "file")
    modules = _plan(wb)
    institution = db.session.get(Organisation, klass.institution_id)
    reports: list[RowReport] = []
    created = 0
    for line, values in enumerate(rows, start=2):
        if line > MAX_ROWS + 1:  # sheet rows, blank ones too
            db.session.rollback()
            raise DomainError(_("一次最多导入 %(n)d 行", n=MAX_ROWS), "file")
        values = tuple(values) + (None,) * len(HEADERS)
        if all(v in (None, "") for v in values[: len(HEADERS)]):
            continue
        report = RowReport(line, _text(values[0]), "")
        reports.append(report)
        try:
            person = _apprentice(actor, report, values)
            data = services.EnrollmentData(
                person_id=person.id, institution_id=klass.institution_id,
                enterprise_mentor_id=_mentor(values[6], klass.enterprise_id, MentorKind.ENTERPRISE),
                institution_mentor_id=_mentor(values[7], institution.id if institution else 0, MentorKind.INSTITUTION),
                occupation_code=klass.occupation_code, target_level=klass.target_level,
                hire_type=_hire_type(_text(values[3])),
                contract_starts_on=_date(values[4], _("劳动合同起始日")),  # type: ignore[arg-type]
                contract_ends_on=_date(values[5], _("劳动合同终止日"), required=False),
                starts_on=_date(values[8], _("培训开始日期")),  # type: ignore[arg-type]
                ends_on=_date(values[9], _("培训结束日期")),  # type: ignore[arg-type]
                extension_reason=_text(values[10]), modules=list(modules), class_id=klass.id)
            services.create_enrollment(actor, data, today, commit=False)
            created += 1
        except DomainError as exc:
            report.errors.append(exc.message)
    return finish_import(created, reports)


def _apprentice(actor: User, report: RowReport, values: tuple) -> Person:
    """The row's apprentice: a known employee of the enterprise, or a new person registered as one."""
    doc = next((d for d in DocType if _text(values[1]) in (d.value, str(d.label))), None) \
        if _text(values[1]) else DocType.RIC
    if doc is None:
        raise DomainError(_("证件类型无法识别：%(t)s", t=_text(values[1])))
    if isinstance(values[2], (int, float)):
        raise DomainError(_("证件号码被存成了数字，末几位已丢失；请将该列设为文本格式后重新填写"))
    data = core_services.PersonData(name=report.name, doc_type=doc, id_number=_text(values[2]),
                                    employer_id=actor.organisation_id)
    data = core_services.check_person_data(data)
    report.id_masked = core_rules.mask_id_number(data.id_number)
    person = core_services.find_person_by_id_number(doc, data.id_number)
    if person is not None:
        if person.employer_id != actor.organisation_id:  # never tell a stranger's name (or who employs them)
            raise DomainError(_("学徒须为本企业职工"))
        if person.name != data.name:
            raise DomainError(_("该证件号码已登记为另一个姓名：%(name)s", name=person.name))
        return person
    person = Person()
    core_services.apply_person_data(person, data)
    db.session.add(person)
    db.session.flush()
    audit.record(actor, "import", person, after=audit.snapshot(person, core_services.PERSON_FIELDS),
                 summary=person.name)
    return person


def _mentor(value: object, organisation_id: int, kind: MentorKind) -> int:
    """A mentor named by 证件号码 or by name among the organisation's employees."""
    text = _text(value)
    if not text:
        raise DomainError(_("缺少%(kind)s", kind=kind.label))
    if len(text) >= 15 and text[:6].isdigit():
        person = core_services.find_person_by_id_number(DocType.RIC, core_rules.normalise_id_number(text))
        if person is None or person.employer_id != organisation_id:
            raise DomainError(_("%(kind)s不存在或不是该单位职工", kind=kind.label))
        return person.id
    ids = db.session.scalars(sa.select(Person.id).where(Person.employer_id == organisation_id, Person.name == text)
                             .limit(2)).all()
    if not ids:
        raise DomainError(_("%(kind)s「%(name)s」不是该单位职工", kind=kind.label, name=text))
    if len(ids) > 1:
        raise DomainError(_("%(kind)s「%(name)s」有重名，请填写证件号码", kind=kind.label, name=text))
    return ids[0]


def export_enrollments(enrollments: list[Enrollment]) -> bytes:
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("学徒")
    ws.append(["序号", "姓名", "证件号码（脱敏）", "企业", "培训机构", "职业", "目标等级", "企业导师", "院校导师",
               "培训开始", "培训结束", "状态", "原因"])
    for n, e in enumerate(enrollments, start=1):
        ent, ins = e.mentor(MentorKind.ENTERPRISE), e.mentor(MentorKind.INSTITUTION)
        ws.append([n, e.person.name, e.person.id_number_masked, e.enterprise.name, e.institution.name,
                   f"{e.occupation_code} {e.occupation.name}", str(e.target_level.label),
                   ent.mentor.name if ent else "", ins.mentor.name if ins else "", e.starts_on, e.ends_on,
                   str(e.status.label), e.reason])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_ledger(summary: list[tuple[str, rules.LedgerTotals]], total: rules.LedgerTotals,
                  lines: list[SubsidyLine]) -> bytes:
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("汇总")
    ws.append(["分组", "申领", "核准", "拨付", "追回", "净额"])
    for label, t in [*summary, ("合计", total)]:
        ws.append([label, t.claimed, t.approved, t.paid, t.clawed_back, t.net])
    detail = wb.create_sheet("明细")
    detail.append(["编号", "学徒", "企业", "区", "年度", "培训年度", "类型", "标准（元/年）", "月数", "金额", "状态",
                   "备注"])
    for line in lines:
        detail.append([line.id, line.enrollment.person.name, line.enterprise.name, str(line.district.label), line.year,
                       line.training_year, str(line.kind.label), line.standard, line.months, line.amount,
                       str(line.status.label), line.note])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
