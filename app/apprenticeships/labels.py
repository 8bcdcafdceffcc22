"""企业新型学徒制: what its audit rows and menu entries say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.apprenticeships.enums import HireType
from app.core.enums import SkillLevel
from app.core.labels import register_audit_labels, register_nav, register_value_enums

register_audit_labels(
    actions={
        "remind": _l("发送提醒"),
        "submit": _l("提交备案"), "return": _l("退回修改"), "start": _l("开始培训"), "assess": _l("记录认定结果"),
        "complete": _l("结业"), "quit": _l("退出学徒培训"), "upload": _l("上传文件"), "claim": _l("申领补贴"),
        "clawback": _l("追回补贴"), "pay": _l("拨付"),
    },
    entities={
        "apprentice_classes": _l("学徒班级"), "enrollments": _l("学徒登记"), "subsidy_lines": _l("学徒补贴"),
    },
    fields={
        "class_id": _l("班级"), "enterprise_id": _l("企业"), "institution_id": _l("培训机构"),
        "target_level": _l("目标等级"), "hire_type": _l("用工类型"), "contract_starts_on": _l("劳动合同起始日"),
        "contract_ends_on": _l("劳动合同终止日"), "extension_reason": _l("延期原因"), "withdrawn_on": _l("退出日期"),
        "assessed_on": _l("认定日期"), "assessment_passed": _l("认定通过"), "certificate_number": _l("证书编号"),
        "certificate_level": _l("取得等级"), "enrollment_id": _l("学徒登记"), "training_year": _l("培训年度"),
        "amount": _l("金额"), "document": _l("文件类型"), "filename": _l("文件名"),
    },
)
register_value_enums({
    "target_level": SkillLevel, "certificate_level": SkillLevel, "hire_type": HireType,
})
register_nav(40, "apprenticeships.index", _l("新型学徒制"))
