"""提醒: what its audit rows and menu entries say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.labels import register_audit_labels, register_nav

register_audit_labels(
    actions={
        "retry": _l("重发"),
    },
    entities={
        "reminder_deliveries": _l("提醒发送"),
    },
    fields={
        "attempts": _l("尝试次数"), "error": _l("错误"), "reminder_email": _l("邮件提醒"),
    },
)
register_nav(110, "reminders.index", _l("提醒"))
