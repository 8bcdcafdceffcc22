"""Marking schemes in and out of Excel: one row per aspect."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from flask_babel import gettext as _

from app.competitions.judging.models import AspectKind, Criterion, Result
from app.competitions.judging.services import SchemeRow
from app.core.xlsx import export_workbook, open_upload
from app.errors import DomainError

HEADERS = ["模块代码*", "模块名称*", "子模块代码*", "子模块名称", "评分项描述*", "类型（M/J）*", "分值*",
           "测量评分规则", "评价描述 0 分", "评价描述 1 分", "评价描述 2 分", "评价描述 3 分"]
MAX_ROWS = 1000


@dataclass
class SchemeRowReport:
    line: int
    description: str
    errors: list[str] = field(default_factory=list)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def export_scheme(criteria: list[Criterion]) -> bytes:
    """The scheme as the import file (an empty scheme gives the template)."""
    # lazy: openpyxl (~8 MB) loads with the first Excel file, not in every worker (issue 21)
    from openpyxl.styles import Font, PatternFill
    wb = export_workbook()
    ws = wb.active
    ws.title = "评分方案"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for criterion in criteria:
        for a in criterion.aspects:
            ws.append([criterion.code, criterion.name, a.sub_code, a.sub_name, a.description, a.kind.value,
                       float(a.max_mark), a.rule, *a.descriptors])
    for col, width in zip("ABCDEFGHIJKL", (8, 16, 10, 16, 40, 10, 8, 24, 18, 18, 18, 18), strict=True):
        ws.column_dimensions[col].width = width
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_scheme(content: bytes) -> tuple[list[SchemeRow], list[SchemeRowReport]]:
    """Parse every row; returns the rows, or the reports of the bad ones (then nothing is imported)."""
    ws = open_upload(content).worksheets[0]
    rows = ws.iter_rows(values_only=True, max_col=len(HEADERS))
    header = [_text(v).rstrip("*") for v in next(rows, ())]
    if header[:7] != [h.rstrip("*") for h in HEADERS[:7]]:
        raise DomainError(_("表头与模板不一致，请使用下载的模板"), "file")
    parsed: list[SchemeRow] = []
    reports: list[SchemeRowReport] = []
    names: dict[str, str] = {}
    for line, values in enumerate(rows, start=2):
        if line > MAX_ROWS + 1:
            raise DomainError(_("一次最多导入 %(n)d 行", n=MAX_ROWS), "file")
        values = tuple(values) + (None,) * len(HEADERS)
        if all(v in (None, "") for v in values[:7]):
            continue
        texts = [_text(v) for v in values[:len(HEADERS)]]
        report = SchemeRowReport(line, texts[4])
        reports.append(report)
        code, name, sub_code, sub_name, description, kind_text, max_text = texts[:7]
        for value, label in ((code, _("模块代码")), (name, _("模块名称")), (sub_code, _("子模块代码")),
                             (description, _("评分项描述"))):
            if not value:
                report.errors.append(_("缺少%(what)s", what=label))
        if code and names.setdefault(code.upper(), name) != name:
            report.errors.append(_("模块 %(code)s 的名称与前面的行不一致", code=code))
        kind = {"M": AspectKind.MEASUREMENT, "J": AspectKind.JUDGEMENT}.get(kind_text.upper())
        if kind is None:
            report.errors.append(_("类型须为 M（测量）或 J（评价）"))
        try:
            max_mark = Decimal(max_text).quantize(Decimal("0.01")) if max_text else None
        except InvalidOperation:
            max_mark = None
        if max_mark is None or not Decimal(0) < max_mark <= 100:
            report.errors.append(_("分值须为大于 0、不超过 100 的数"))
        descriptors = (texts[8], texts[9], texts[10], texts[11])
        if kind is AspectKind.JUDGEMENT and not all(descriptors):
            report.errors.append(_("评价类评分项须填写 0–3 分的全部描述"))
        if len(code) > 5 or len(sub_code) > 10 or len(description) > 500:
            report.errors.append(_("代码或描述过长"))
        if not report.errors:
            parsed.append(SchemeRow(code.upper(), name[:200], sub_code.upper(), sub_name[:200], kind,  # type: ignore[arg-type]
                                    description, max_mark, texts[7][:300],  # type: ignore[arg-type]
                                    tuple(d[:300] for d in descriptors)))  # type: ignore[arg-type]
    if not reports:
        raise DomainError(_("文件中没有数据行"), "file")
    bad = [r for r in reports if r.errors]
    return ([], bad) if bad else (parsed, [])


def export_results(event_name: str, codes: list[str], results: list[Result], show_scale: bool) -> bytes:
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("成绩")
    ws.append(["名次", "赛位号", "选手/队伍", "单位", "总分", *(["世赛分"] if show_scale else []), "奖项",
               *[f"模块 {c}" for c in codes]])
    for r in results:
        ws.append([r.rank, r.contestant.bib, _contestant_label(r), r.contestant.unit.name,
                   float(r.total.quantize(Decimal("0.01"))), *([r.scale_score] if show_scale else []),
                   str(r.medal.label) if r.medal else "",
                   *[float(Decimal(r.breakdown.get(c, "0")).quantize(Decimal("0.01"))) for c in codes]])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _contestant_label(result: Result) -> str:
    c = result.contestant
    if c.team_id is None:
        return c.name
    return f"{c.name}（{'、'.join(m.person.name for m in c.members)}）"
