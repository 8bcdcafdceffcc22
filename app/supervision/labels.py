"""监管: what its audit rows and menu entries say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.labels import register_audit_labels, register_nav

register_audit_labels(
    actions={
        "review_risk": _l("核查风险提示"),
    },
    entities={
        "risk_reviews": _l("风险核查"),
    },
)
register_nav(100, "supervision.index", _l("监管"), "supervision.view")
