"""集训基地: what its audit rows and menu entries say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.audit import names_of, register_resolver
from app.core.labels import register_audit_labels, register_nav, register_reference_fields, register_value_enums
from app.training_bases.models import (
    CampModule,
    Designation,
    Facility,
    FacilityKind,
    MemberRole,
    TrainingBase,
    TrainingCamp,
)

register_audit_labels(
    actions={
        "designate": _l("认定"), "move": _l("调整时间"), "cancel": _l("取消"), "correct": _l("更正"),
    },
    entities={
        "training_bases": _l("集训基地"), "facilities": _l("设施"), "base_members": _l("基地教练与专家"),
        "training_camps": _l("集训"), "camp_modules": _l("训练模块"), "training_sessions": _l("训练课程"),
        "session_logs": _l("训练日志"),
    },
    fields={
        "designation": _l("认定类别"), "designated_from": _l("认定开始日期"), "designated_until": _l("认定结束日期"),
        "skills": _l("集训项目"), "capacity": _l("容量"), "role": _l("身份"), "title": _l("职务/内容"),
        "athletes": _l("选手"), "facility_id": _l("设施"), "coach_id": _l("教练"), "module_id": _l("训练模块"),
        "starts_at": _l("开始时间"), "ends_at": _l("结束时间"), "actual_hours": _l("实际学时"),
        "content": _l("训练内容"), "notes": _l("备注"), "attendance": _l("出勤"), "scores": _l("成绩"),
        "criterion_code": _l("评分标准模块"), "planned_hours": _l("计划学时"),
    },
)
register_value_enums({
    "designation": Designation, "kind": FacilityKind, "role": MemberRole,
})
register_nav(30, "training_bases.index", _l("集训基地"))
register_resolver("training_bases", names_of(TrainingBase.id, TrainingBase.name))
register_resolver("facilities", names_of(Facility.id, Facility.name))
register_resolver("training_camps", names_of(TrainingCamp.id, TrainingCamp.name))
register_resolver("camp_modules", names_of(CampModule.id, CampModule.name))
register_reference_fields({"base_id": "training_bases", "facility_id": "facilities", "camp_id": "training_camps",
                           "coach_id": "people"},
                          {("training_sessions", "module_id"): "camp_modules"})
