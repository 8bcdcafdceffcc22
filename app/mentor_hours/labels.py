"""带徒学时: what its audit rows and menu entries say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.labels import register_audit_labels, register_nav

register_audit_labels(
    actions={
        "submit_hours": _l("提交带徒学时"), "dispute_hours": _l("对带徒学时提出异议"),
        "confirm_hours": _l("确认带徒学时"), "approve_hours": _l("审批带徒学时"),
        "reopen_hours": _l("重新打开带徒学时"),
    },
    entities={
        "mentor_hour_entries": _l("带徒学时"), "mentor_hour_months": _l("带徒学时月报"),
        "mentor_allowance_rules": _l("带徒津贴规则"),
    },
    fields={
        "assignment_id": _l("带徒关系"), "worked_on": _l("带徒日期"), "hours": _l("学时"), "place": _l("地点"),
        "dispute": _l("学徒异议"), "allowance": _l("带徒津贴"), "monthly_cap": _l("每月上限"),
        "completion_bonus": _l("认定通过奖励"), "refund_on_early_end": _l("提前终止退回"),
    },
)
register_nav(90, "mentor_hours.index", _l("带徒学时"), "mentor_hours.view")
