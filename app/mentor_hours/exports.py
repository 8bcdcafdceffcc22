"""The monthly allowance statement (带徒津贴发放表) as .xlsx for payroll."""

from __future__ import annotations

from io import BytesIO

from app.core.xlsx import export_workbook


def statement_xlsx(statements: list) -> bytes:  # list[services.MentorStatement]
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("带徒津贴")
    ws.append(["月份", "导师", "学徒", "已审批学时", "按学时/人月（元）", "其中按人月（元）", "封顶后（元）",
               "认定通过奖励（元）", "退回（元）", "应发（元）", "适用规则"])
    for s in statements:
        st = s.statement
        for line in st.lines:
            rule = line.rule
            rule_text = "无规则"
            if rule is not None:
                kind = "元/小时" if rule.kind == "per_hour" else "元/人月"
                rule_text = f"{rule.effective_from.isoformat()} 起 {rule.amount} {kind}"
                if rule.monthly_cap is not None:
                    rule_text += f"，每月上限 {rule.monthly_cap} 元"
            ws.append([st.month.strftime("%Y-%m"), s.mentor.name, line.label, line.hours, line.base, line.flat,
                       line.capped, line.bonus, line.refund, line.amount, rule_text])
        cap_text = ""
        if st.cap is not None:
            cap_text = f"每月上限 {st.cap} 元" + ("（已封顶）" if st.cap_applied else "")
        ws.append([st.month.strftime("%Y-%m"), s.mentor.name, "合计", st.hours, st.base, None, st.capped, None, None,
                   st.total, cap_text])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
