"""企业新型学徒制: what its audit rows and menu entries say."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.apprenticeships.enums import HireType
from app.apprenticeships.models import ApprenticeClass, Enrollment, MentorAssignment, PlanModule
from app.core.audit import names_of, register_resolver
from app.core.enums import SkillLevel
from app.core.labels import register_audit_labels, register_nav, register_reference_fields, register_value_enums
from app.core.models import Person
from app.extensions import db

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


def _enrollments(keys: Collection[Any]) -> dict[Any, str]:
    return {i: f"{name}（{code}）" for i, name, code in db.session.execute(
        sa.select(Enrollment.id, Person.name, Enrollment.occupation_code)
        .join(Person, Person.id == Enrollment.person_id).where(Enrollment.id.in_(list(keys))))}


def _assignments(keys: Collection[Any]) -> dict[Any, str]:
    apprentice = aliased(Person)
    return {i: f"{mentor} → {learner}" for i, mentor, learner in db.session.execute(
        sa.select(MentorAssignment.id, Person.name, apprentice.name)
        .join(Person, Person.id == MentorAssignment.mentor_id)
        .join(Enrollment, Enrollment.id == MentorAssignment.enrollment_id)
        .join(apprentice, apprentice.id == Enrollment.person_id)
        .where(MentorAssignment.id.in_(list(keys))))}


register_resolver("apprentice_classes", names_of(ApprenticeClass.id, ApprenticeClass.name))
register_resolver("enrollments", _enrollments)
register_resolver("mentor_assignments", _assignments)
register_resolver("plan_modules", names_of(PlanModule.id, PlanModule.name))
register_reference_fields({"class_id": "apprentice_classes", "enrollment_id": "enrollments",
                           "assignment_id": "mentor_assignments", "mentor_id": "people"},
                          {("mentor_hour_entries", "module_id"): "plan_modules"})
