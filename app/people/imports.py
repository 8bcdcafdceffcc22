"""Excel in and out for people: a template, a validated preview, an all-or-nothing import, an export."""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from app.auth.permissions import can, organisation_scope, people_scope, require
from app.core import audit, rules, services
from app.core.crypto import cipher
from app.core.enums import DocType, Sex
from app.core.labels import audit_label, audit_value
from app.core.models import Organisation, Person, User
from app.core.xlsx import export_workbook, open_upload
from app.errors import DomainError
from app.extensions import db

HEADERS = ["姓名*", "证件类型", "证件号码*", "手机号", "工作单位（统一社会信用代码或名称）", "出生日期", "性别"]
MAX_ROWS = 5000


@dataclass
class RowResult:
    line: int
    name: str
    id_masked: str
    errors: list[str] = field(default_factory=list)
    existing: bool = False
    data: services.PersonData | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    token: str
    rows: list[RowResult]

    @property
    def bad(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    @property
    def good(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok and not r.existing]

    @property
    def existing(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok and r.existing]

    @property
    def ok(self) -> bool:
        return not self.bad


def people_template() -> bytes:
    """The people sheet to fill in: the same bytes every time (its 5,000 text-formatted rows take a third of a
    second to write), so it is made once per language."""
    return _people_template(str(get_locale()))


@functools.lru_cache(maxsize=4)
def _people_template(_locale: str) -> bytes:
    # lazy: openpyxl (~8 MB) loads with the first Excel file, not in every worker (issue 21)
    from openpyxl.styles import Font, PatternFill

    wb = export_workbook()
    ws = wb.active
    ws.title = "人员"
    ws.append(HEADERS)
    ws.append(["张三", "居民身份证", "（18位身份证号，请以文本格式填写）", "13800000000", "", "", ""])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    # ID numbers and phones must be text: Excel keeps only 15 significant digits of a number.
    for col in ("C", "D"):
        for row in range(2, MAX_ROWS + 2):
            ws[f"{col}{row}"].number_format = "@"
    for col, width in zip("ABCDEFG", (10, 14, 24, 14, 36, 12, 8), strict=True):
        ws.column_dimensions[col].width = width
    notes = wb.create_sheet("说明")
    notes.append(["带 * 的列必填。证件类型可填：" + "、".join(str(d.label) for d in DocType)])
    notes.append(["身份证号会自动校验并推算出生日期与性别；其他证件请填写出生日期（YYYY-MM-DD）与性别（男/女）。"])
    notes.append(["请删除示例行后再上传。"])
    return _save(wb)


def _save(wb: Any) -> bytes:  # an openpyxl Workbook
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _imports_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


#: An uploaded sheet waits this long for its "import" click; older ones are deleted.
UPLOAD_TTL_SECONDS = 3600


def _store_upload(token: str, content: bytes) -> None:
    """Keep the previewed sheet for the confirm step: encrypted (it holds full ID numbers), owner-only,
    and swept after an hour."""
    folder = _imports_dir()
    path = folder / f"{token}.xlsx.enc"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(cipher().encrypt_bytes(content))
    # Ages are measured on the clock that stamps the files (the file system's: a shared folder's server, say),
    # by the file just written, never against this process's clock, which may disagree with it.
    cutoff = path.stat().st_mtime - UPLOAD_TTL_SECONDS
    for old in folder.glob("*.xlsx*"):
        try:
            stale = old != path and old.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue  # imported or swept by another worker since the folder was listed
        if stale:
            old.unlink(missing_ok=True)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _doc_type(text: str) -> DocType | None:
    if not text:
        return DocType.RIC
    for doc in DocType:
        if text in (doc.value, str(doc.label), doc.label.replace("居民", "")):
            return doc
    return None


def _employers(actor: User) -> tuple[dict[str, int], dict[str, int]]:
    if can(actor, "organisation.view"):
        stmt = sa.select(Organisation.id, Organisation.name, Organisation.uscc).where(organisation_scope(actor))
    else:
        stmt = sa.select(Organisation.id, Organisation.name, Organisation.uscc).where(
            Organisation.id == actor.organisation_id)
    by_name: dict[str, int] = {}
    by_uscc: dict[str, int] = {}
    for row in db.session.execute(stmt):
        by_name[row.name] = row.id
        if row.uscc:
            by_uscc[row.uscc] = row.id
    return by_name, by_uscc


def _parse(actor: User, content: bytes) -> list[RowResult]:
    ws = open_upload(content).worksheets[0]
    rows = ws.iter_rows(values_only=False, max_col=len(HEADERS))
    header = [_cell_text(c.value) for c in next(rows, [])]
    if [h.rstrip("*") for h in header[:3]] != [h.rstrip("*") for h in HEADERS[:3]]:
        raise DomainError(_("表头与模板不一致，请使用下载的模板"), "file")
    by_name, by_uscc = _employers(actor)
    default_employer = None if can(actor, "organisation.view") else actor.organisation_id
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    parsed: list[tuple[RowResult, str]] = []
    for line, cells in enumerate(rows, start=2):
        # Count sheet rows, blank ones too, so a sheet of a million empty rows is refused quickly.
        if line > MAX_ROWS + 1:
            raise DomainError(_("一次最多导入 %(n)d 行", n=MAX_ROWS), "file")
        values = [c.value for c in cells] + [None] * len(HEADERS)
        if all(v in (None, "") for v in values[: len(HEADERS)]):
            continue
        name, doc_text, raw_id, phone, employer_text, birth, sex_text = (values[i] for i in range(7))
        result = RowResult(line=line, name=_cell_text(name), id_masked="")
        results.append(result)
        if not result.name:
            result.errors.append(_("缺少姓名"))
        doc = _doc_type(_cell_text(doc_text))
        if doc is None:
            result.errors.append(_("证件类型无法识别：%(t)s", t=_cell_text(doc_text)))
            continue
        if raw_id in (None, ""):
            result.errors.append(_("缺少证件号码"))
            continue
        if isinstance(raw_id, (int, float)):
            # Excel stored it as a number: only 15 significant digits survive, the rest became zeros.
            result.id_masked = rules.mask_id_number(str(int(raw_id)))
            result.errors.append(_("证件号码被存成了数字，末几位已丢失；请将该列设为文本格式后重新填写"))
            continue
        data = services.PersonData(name=result.name, doc_type=doc, id_number=_cell_text(raw_id),
                                   phone=_cell_text(phone), employer_id=default_employer)
        result.id_masked = rules.mask_id_number(rules.normalise_id_number(data.id_number))
        if doc is not DocType.RIC:
            birth_text = _cell_text(birth)
            try:
                data.birth_date = date.fromisoformat(birth_text) if birth_text else None
            except ValueError:
                result.errors.append(_("出生日期格式应为 YYYY-MM-DD"))
            sex = _cell_text(sex_text)
            data.sex = {"男": Sex.MALE, "女": Sex.FEMALE, "M": Sex.MALE, "F": Sex.FEMALE}.get(sex)
        employer = _cell_text(employer_text)
        if employer:
            employer_id = by_uscc.get(employer.upper()) or by_name.get(employer)
            if employer_id is None:
                result.errors.append(_("工作单位不存在或不在您的管辖范围：%(e)s", e=employer))
            else:
                data.employer_id = employer_id
        elif default_employer is None:
            data.employer_id = None
        try:
            data = services.check_person_data(data)
        except DomainError as exc:
            if exc.field != "name" or result.name:  # a missing name is already reported above
                result.errors.append(exc.message)
            continue
        result.id_masked = rules.mask_id_number(data.id_number)
        key = services.id_hash(data.doc_type, data.id_number)
        if key in seen:
            result.errors.append(_("与第 %(line)d 行证件号码重复", line=seen[key]))
            continue
        seen[key] = line
        result.data = data
        parsed.append((result, key))
    _mark_existing(actor, parsed)
    return results


def _mark_existing(actor: User, parsed: list[tuple[RowResult, str]]) -> None:
    """Compare with people already registered: same name is skipped, a different name is an error.

    The stored name is shown only for people the actor may see, so an upload cannot look up strangers.
    """
    hashes = [key for _, key in parsed]
    existing: dict[str, tuple[str, bool]] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        rows = db.session.execute(
            sa.select(Person.id_number_hash, Person.name, people_scope(actor).label("visible"))
            .where(Person.id_number_hash.in_(chunk))).all()
        existing.update({row[0]: (row[1], bool(row[2])) for row in rows})
    for result, key in parsed:
        if key in existing:
            name, visible = existing[key]
            if name == result.name:
                result.existing = True
            elif visible:
                result.errors.append(_("该证件号码已登记为另一个姓名：%(name)s", name=name))
            else:
                result.errors.append(_("该证件号码已登记在其他单位，姓名不符"))


def preview_import(actor: User, content: bytes) -> ImportPreview:
    require(actor, "person.import")
    rows = _parse(actor, content)
    if not rows:
        raise DomainError(_("文件中没有数据行"), "file")
    token = f"{actor.id}-{secrets.token_hex(16)}"
    _store_upload(token, content)
    return ImportPreview(token, rows)


def commit_import(actor: User, token: str, *, only_valid: bool) -> int:
    """Write every new person of the previewed file in one transaction (validated again now)."""
    require(actor, "person.import")
    if not token.startswith(f"{actor.id}-") or not token.replace("-", "").isalnum():
        raise DomainError(_("导入已失效，请重新上传文件"))
    path = _imports_dir() / f"{token}.xlsx.enc"
    if not path.exists():
        raise DomainError(_("导入已失效，请重新上传文件"))
    rows = _parse(actor, cipher().decrypt_bytes(path.read_bytes()))
    bad = [r for r in rows if not r.ok]
    if bad and not only_valid:
        raise DomainError(_("文件中有 %(n)d 行有误，未导入任何数据", n=len(bad)))
    created = 0
    try:
        for row in rows:
            if not row.ok or row.existing or row.data is None:
                continue
            person = Person()
            services.apply_person_data(person, row.data)
            db.session.add(person)
            db.session.flush()
            audit.record(actor, "import", person, after=audit.snapshot(person, services.PERSON_FIELDS),
                         summary=person.name)
            created += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    path.unlink(missing_ok=True)
    return created


def export_people(people: list[Person]) -> bytes:
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("人员")
    ws.append(["姓名", "证件类型", "证件号码（脱敏）", "性别", "出生年份", "手机号（脱敏）", "工作单位", "技能等级"])
    for p in people:
        ws.append([p.name, str(p.doc_type.label), p.id_number_masked, str(p.sex.label) if p.sex else "",
                   p.birth_date.year if p.birth_date else "", p.phone_masked, p.employer.name if p.employer else "",
                   str(p.current_level.label) if p.current_level else ""])
    return _save(wb)


def export_audit(entries: list, tz) -> bytes:
    """The audit trail as a sheet: time (Beijing), user, action, record, summary, before and after."""

    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append(["时间", "操作人", "用户名", "操作", "记录类型", "记录编号", "摘要", "变更前", "变更后"])

    refs = audit.references(entries)

    def changes(values: dict | None, entity_type: str) -> str:
        return "；".join(f"{audit_label(k, 'field')}: {audit_value(v, k, refs, entity_type)}"
                        for k, v in (values or {}).items())

    for e in entries:
        ws.append([e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), e.actor.display_name if e.actor else "系统",
                   e.actor.username if e.actor else "", audit_label(e.action, "action"),
                   audit_label(e.entity_type, "entity"), e.entity_id, e.summary, changes(e.before, e.entity_type),
                   changes(e.after, e.entity_type)])
    return _save(wb)

