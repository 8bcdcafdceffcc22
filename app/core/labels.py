"""What audit rows and menus say, registered by each area so that core and ``app/templating.py`` know no area.

An area calls ``register_audit_labels`` (its actions, tables and fields), ``register_value_enums`` (which enum reads
a field's stored value) and ``register_nav`` (its menu entries) from its package ``__init__``.
"""

from __future__ import annotations

from typing import Protocol

from flask_babel import lazy_gettext as _l

from app.core.enums import District, DocType, LabelledEnum, OrgKind, Role, Sex, SkillLevel

AUDIT_ACTIONS: dict[str, object] = {}
AUDIT_ENTITIES: dict[str, object] = {}
AUDIT_FIELDS: dict[str, object] = {}
#: field -> the enums its stored values may belong to (tried in order).
VALUE_ENUMS: dict[str, tuple[type[LabelledEnum], ...]] = {}
#: (position, endpoint, label, permission needed or None); the menu shows them by position.
NAV: list[tuple[int, str, object, str | None]] = []
#: field -> the kind of record its audit values refer to ("organisations", "people"…; resolved by
#: ``app.core.audit.references``), and (entity type, field) for a field whose meaning depends on the record.
REFERENCE_FIELDS: dict[str, str] = {}
ENTITY_REFERENCE_FIELDS: dict[tuple[str, str], str] = {}


class ReferenceLabels(Protocol):
    """The labels of the records a page's audit values refer to, looked up in bulk (``app.core.audit``)."""

    def label(self, entity_type: str, field: str, value: object) -> str | None: ...


def register_audit_labels(*, actions: dict[str, object] | None = None, entities: dict[str, object] | None = None,
                          fields: dict[str, object] | None = None) -> None:
    AUDIT_ACTIONS.update(actions or {})
    AUDIT_ENTITIES.update(entities or {})
    AUDIT_FIELDS.update(fields or {})


def register_value_enums(enums: dict[str, type[LabelledEnum] | tuple[type[LabelledEnum], ...]]) -> None:
    for field, classes in enums.items():
        known = VALUE_ENUMS.get(field, ())
        VALUE_ENUMS[field] = known + tuple(c for c in (classes if isinstance(classes, tuple) else (classes,))
                                           if c not in known)


def register_reference_fields(fields: dict[str, str] | None = None,
                              entity_fields: dict[tuple[str, str], str] | None = None) -> None:
    """Declare which audit fields hold a reference (an id or code), and to what kind of record."""
    REFERENCE_FIELDS.update(fields or {})
    ENTITY_REFERENCE_FIELDS.update(entity_fields or {})


def reference_kind(entity_type: str, field: str) -> str | None:
    return ENTITY_REFERENCE_FIELDS.get((entity_type, field)) or REFERENCE_FIELDS.get(field)


def register_nav(position: int, endpoint: str, label: object, permission: str | None = None) -> None:
    if all(entry[1] != endpoint for entry in NAV):
        NAV.append((position, endpoint, label, permission))
        NAV.sort(key=lambda entry: entry[0])


def audit_label(value: str, kind: str) -> str:
    """The translated label of an audit action, entity type or field name (the raw name if unknown)."""
    table = {"action": AUDIT_ACTIONS, "entity": AUDIT_ENTITIES, "field": AUDIT_FIELDS}[kind]
    return str(table.get(value, value))


def audit_value(value: object, field: str, refs: ReferenceLabels | None = None, entity_type: str = "") -> str:
    """An audit before/after value as a person reads it: the label of a referenced record (``refs``, looked up in
    bulk for the page), enum labels, 是/否, — for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if isinstance(value, dict):
        return "；".join(f"{audit_label(k, 'field')}: {audit_value(v, k, refs, entity_type)}"
                        for k, v in value.items())
    if refs is not None and not isinstance(value, list):
        label = refs.label(entity_type, field, value)
        if label is not None:
            return label
    for enum_cls in VALUE_ENUMS.get(field, ()):
        try:
            return enum_cls(str(value)).label
        except ValueError:
            continue
    if isinstance(value, list):
        return "、".join(audit_value(v, "role" if field == "roles" else field, refs, entity_type) for v in value)
    if field == "role":
        try:
            return Role(str(value)).label
        except ValueError:
            return str(value)
    return str(value)


# ---------------------------------------------------------------- core's own

register_audit_labels(
    actions={
        "create": _l("新增"), "update": _l("修改"), "import": _l("导入"), "login": _l("登录"),
        "reveal_id_number": _l("查看完整证件号"), "approve": _l("审核通过"), "reject": _l("不通过"),
        "delete": _l("删除"), "end_sessions": _l("结束所有登录会话"), "merge": _l("合并人员记录"),
        "rotate_key": _l("更换加密密钥"),
    },
    entities={
        "people": _l("人员"), "organisations": _l("组织机构"), "users": _l("用户"), "certificates": _l("证书"),
        "policy_values": _l("政策参数"),
    },
    fields={
        "name": _l("名称/姓名"), "kind": _l("类型"), "uscc": _l("统一社会信用代码"), "district": _l("所在区"),
        "address": _l("地址"), "contact_name": _l("联系人"), "contact_phone_masked": _l("联系人手机"),
        "active": _l("启用"), "username": _l("用户名"), "display_name": _l("姓名"), "email": _l("电子邮箱"),
        "organisation_id": _l("所属单位"), "person_id": _l("关联人员"), "roles": _l("角色"), "password": _l("密码"),
        "doc_type": _l("证件类型"), "id_number_masked": _l("证件号码"), "birth_date": _l("出生日期"),
        "sex": _l("性别"), "phone_masked": _l("手机号"), "employer_id": _l("工作单位"),
        "current_level": _l("技能等级"), "level": _l("等级"), "occupation_code": _l("职业编码"),
        "issuer": _l("发证机构"), "number": _l("证书编号"), "issued_on": _l("发证日期"), "key": _l("参数"),
        "qualifier": _l("适用范围"), "effective_from": _l("生效日期"), "value": _l("数值"), "note": _l("备注"),
        "status": _l("状态"), "reason": _l("原因"),
    },
)
register_reference_fields({
    "organisation_id": "organisations", "employer_id": "organisations", "unit_id": "organisations",
    "enterprise_id": "organisations", "institution_id": "organisations", "organiser_id": "organisations",
    "person_id": "people", "user_id": "users", "expert_id": "users", "occupation_code": "occupations",
})
register_value_enums({
    "kind": OrgKind, "district": District, "doc_type": DocType, "sex": Sex, "current_level": SkillLevel,
    "level": SkillLevel,
})
register_nav(10, "core.home", _l("首页"))
register_nav(50, "core.people", _l("人员"), "person.view")
register_nav(60, "core.organisations", _l("组织机构"), "organisation.view")
register_nav(70, "core.users", _l("用户"), "user.manage")
register_nav(80, "core.policies", _l("政策参数"), "policy.view")
register_nav(120, "core.audit_log", _l("审计日志"), "audit.view")
