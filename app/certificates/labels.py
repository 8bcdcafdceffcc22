"""证书: what its audit rows say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.labels import register_audit_labels

register_audit_labels(
    actions={
        "issue_certificates": _l("签发获奖证书"), "issue_certificate": _l("签发证书"),
        "revoke_certificate": _l("作废证书"), "reissue_certificate": _l("重新签发证书"),
    },
    entities={"issued_certificates": _l("证书（获奖/学徒合格）")},
    fields={"certificates": _l("证书数"), "lines": _l("笔数"), "total": _l("合计金额")},
)
