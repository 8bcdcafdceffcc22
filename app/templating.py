"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth import permissions

#: Navigation: (endpoint, label, permission needed or None). Areas not built yet show what is coming.
NAV = [
    ("core.home", _l("首页"), None),
    ("competitions.index", _l("技能竞赛"), None),
    ("training_bases.index", _l("集训基地"), None),
    ("apprenticeships.index", _l("新型学徒制"), None),
    ("core.people", _l("人员"), "person.view"),
    ("core.organisations", _l("组织机构"), "organisation.view"),
    ("core.users", _l("用户"), "user.manage"),
    ("core.policies", _l("政策参数"), "policy.view"),
    ("mentor_hours.index", _l("带徒学时"), "mentor_hours.view"),
    ("supervision.index", _l("监管"), "supervision.view"),
    ("reminders.index", _l("提醒"), None),
    ("core.audit_log", _l("审计日志"), "audit.view"),
    ("competitions.my_judging", _l("评分"), "judging.score"),
]


AUDIT_ACTIONS = {
    "create": _l("新增"), "update": _l("修改"), "import": _l("导入"), "login": _l("登录"),
    "reveal_id_number": _l("查看完整证件号"), "approve": _l("审核通过"), "reject": _l("不通过"),
    "request_changes": _l("退回修改"), "withdraw": _l("退赛"),
    "import_scheme": _l("导入评分方案"), "assign_expert": _l("安排裁判"), "remove_expert": _l("移出裁判组"),
    "open_scoring": _l("抽签并开始评分"), "score": _l("评分"), "rescore": _l("修改评分"),
    "lock_results": _l("锁定成绩"), "unlock_results": _l("解锁成绩"), "qualify": _l("晋级报名"),
    "decide_stage": _l("阶段考核定去留"), "finalise": _l("确定最终人选"),
    "generate_awards": _l("生成奖励"), "publish_notice": _l("发布公示"), "hold": _l("登记异议"),
    "release": _l("异议已处理"), "promote": _l("技能等级晋升"), "mark_paid": _l("标记已发放"),
    "review_risk": _l("核查风险提示"),
    "designate": _l("认定"), "delete": _l("删除"), "move": _l("调整时间"), "cancel": _l("取消"),
    "correct": _l("更正"),
    "retry": _l("重发"), "end_sessions": _l("结束所有登录会话"),
    "submit": _l("提交备案"), "return": _l("退回修改"), "start": _l("开始培训"), "assess": _l("记录认定结果"),
    "complete": _l("结业"), "quit": _l("退出学徒培训"), "upload": _l("上传文件"), "claim": _l("申领补贴"),
    "clawback": _l("追回补贴"), "pay": _l("拨付"),
    "submit_hours": _l("提交带徒学时"), "dispute_hours": _l("对带徒学时提出异议"), "confirm_hours": _l("确认带徒学时"),
    "approve_hours": _l("审批带徒学时"), "reopen_hours": _l("重新打开带徒学时"),
}
AUDIT_ENTITIES = {
    "people": _l("人员"), "organisations": _l("组织机构"), "users": _l("用户"), "certificates": _l("证书"),
    "policy_values": _l("政策参数"), "competitions": _l("大赛"), "events": _l("赛项"),
    "registrations": _l("报名"),
    "contestants": _l("赛位"), "squads": _l("集训队"), "squad_stages": _l("阶段考核"),
    "award_rules": _l("奖励规则"), "award_lines": _l("奖励"), "award_notices": _l("奖励公示"),
    "payment_batches": _l("支付批次"), "risk_reviews": _l("风险核查"),
    "training_bases": _l("集训基地"), "facilities": _l("设施"), "base_members": _l("基地教练与专家"),
    "training_camps": _l("集训"), "camp_modules": _l("训练模块"), "training_sessions": _l("训练课程"),
    "session_logs": _l("训练日志"),
    "reminder_deliveries": _l("提醒发送"),
    "apprentice_classes": _l("学徒班级"), "enrollments": _l("学徒登记"), "subsidy_lines": _l("学徒补贴"),
    "mentor_hour_entries": _l("带徒学时"), "mentor_hour_months": _l("带徒学时月报"),
    "mentor_allowance_rules": _l("带徒津贴规则"),
}
AUDIT_FIELDS = {
    "name": _l("名称/姓名"), "kind": _l("类型"), "uscc": _l("统一社会信用代码"), "district": _l("所在区"),
    "address": _l("地址"), "contact_name": _l("联系人"), "contact_phone_masked": _l("联系人手机"),
    "active": _l("启用"), "username": _l("用户名"), "display_name": _l("姓名"), "email": _l("电子邮箱"),
    "organisation_id": _l("所属单位"), "person_id": _l("关联人员"), "roles": _l("角色"), "password": _l("密码"),
    "doc_type": _l("证件类型"),
    "id_number_masked": _l("证件号码"), "birth_date": _l("出生日期"), "sex": _l("性别"),
    "phone_masked": _l("手机号"), "employer_id": _l("工作单位"), "current_level": _l("技能等级"),
    "level": _l("等级"), "occupation_code": _l("职业编码"), "issuer": _l("发证机构"), "number": _l("证书编号"),
    "issued_on": _l("发证日期"), "key": _l("参数"), "qualifier": _l("适用范围"), "effective_from": _l("生效日期"),
    "value": _l("数值"), "note": _l("备注"), "status": _l("状态"), "reason": _l("原因"), "event_id": _l("赛项"),
    "unit_id": _l("报名单位"), "team_id": _l("队伍"), "starts_on": _l("比赛开始日期"), "ends_on": _l("比赛结束日期"),
    "registration_opens_at": _l("报名开始"), "registration_closes_at": _l("报名截止"),
    "quota_per_unit": _l("每单位名额"), "born_on_or_after": _l("出生日期不早于"), "min_level": _l("最低技能等级"),
    "max_level": _l("最高技能等级"), "locality": _l("单位所在地要求"),
    "exclude_past_worldskills": _l("已参加过世赛者不得报名"), "feeds_event_id": _l("晋级到"),
    "feeds_top_n": _l("晋级名额"), "worldskills_no": _l("世赛项目编号"), "team_size": _l("每队人数"),
    "venue": _l("比赛地点"), "year": _l("年份"), "klass": _l("类别"), "organiser_id": _l("主办单位"),
    "host_district": _l("承办区"), "description": _l("说明"),
    "judging_state": _l("评分状态"), "results_locked_at": _l("成绩锁定时间"), "award_rule": _l("评奖规则"),
    "tie_break": _l("决胜顺序"), "medal_margin": _l("世赛分并列差值"), "share_gold": _l("金牌比例"),
    "share_silver": _l("银牌比例"), "share_bronze": _l("铜牌比例"), "share_merit": _l("优胜奖比例"),
    "scores_due_at": _l("评分截止"), "aspect_id": _l("评分项"), "expert_id": _l("裁判专家"),
    "time_seconds": _l("用时（秒）"), "aspects": _l("评分项数"), "criteria": _l("模块"), "user_id": _l("用户"),
    "is_chief": _l("裁判长"), "tier": _l("梯队"), "source_event_id": _l("来源赛项"),
    "target_event_id": _l("目标赛项"), "final_size": _l("最终入选人数"), "members": _l("队员数"),
    "advance_count": _l("晋级人数"), "held_on": _l("考核日期"), "continues": _l("晋级者"),
    "selected": _l("最终人选"), "registered": _l("已报名"),
    "band": _l("奖励对象"), "competitor_amount": _l("选手奖金"), "expert_team_amount": _l("专家团队奖金"),
    "unit_amount": _l("单位奖金"), "split_team": _l("队员平分"), "promotion": _l("晋升方式"),
    "promotion_level": _l("晋升到"), "promotion_alt_level": _l("替代晋升等级"), "honour_title": _l("荣誉称号"),
    "honour_level": _l("荣誉级别"), "honour_body": _l("授予机构"), "funder": _l("出资方"),
    "effective_to": _l("失效日期"), "top_n": _l("前 N 名"), "top_n_pair": _l("前 N 名（双人）"),
    "top_n_trio": _l("前 N 名（三人）"), "competition_id": _l("届次"), "lines": _l("条数"), "total": _l("合计"),
    "hold_reason": _l("异议内容"), "subject_key": _l("对象"),
    "designation": _l("认定类别"), "designated_from": _l("认定开始日期"), "designated_until": _l("认定结束日期"),
    "skills": _l("集训项目"), "capacity": _l("容量"), "role": _l("身份"), "title": _l("职务/内容"),
    "athletes": _l("选手"), "facility_id": _l("设施"), "coach_id": _l("教练"), "module_id": _l("训练模块"),
    "starts_at": _l("开始时间"), "ends_at": _l("结束时间"), "actual_hours": _l("实际学时"),
    "content": _l("训练内容"), "notes": _l("备注"), "attendance": _l("出勤"), "scores": _l("成绩"),
    "criterion_code": _l("评分标准模块"), "planned_hours": _l("计划学时"),
    "attempts": _l("尝试次数"), "error": _l("错误"), "reminder_email": _l("邮件提醒"),
    "class_id": _l("班级"), "enterprise_id": _l("企业"), "institution_id": _l("培训机构"),
    "target_level": _l("目标等级"), "hire_type": _l("用工类型"), "contract_starts_on": _l("劳动合同起始日"),
    "contract_ends_on": _l("劳动合同终止日"), "extension_reason": _l("延期原因"), "withdrawn_on": _l("退出日期"),
    "assessed_on": _l("认定日期"), "assessment_passed": _l("认定通过"), "certificate_number": _l("证书编号"),
    "certificate_level": _l("取得等级"), "enrollment_id": _l("学徒登记"), "training_year": _l("培训年度"),
    "amount": _l("金额"), "document": _l("文件类型"), "filename": _l("文件名"),
    "assignment_id": _l("带徒关系"), "worked_on": _l("带徒日期"), "hours": _l("学时"), "place": _l("地点"),
    "dispute": _l("学徒异议"), "allowance": _l("带徒津贴"), "monthly_cap": _l("每月上限"),
    "completion_bonus": _l("认定通过奖励"), "refund_on_early_end": _l("提前终止退回"),
}


def audit_label(value: str, kind: str) -> str:
    """The translated label of an audit action, entity type or field name (the raw name if unknown)."""
    table = {"action": AUDIT_ACTIONS, "entity": AUDIT_ENTITIES, "field": AUDIT_FIELDS}[kind]
    return str(table.get(value, value))


def _value_enums() -> dict[str, type | tuple[type, ...]]:
    # Imported here: templating loads before the areas' models.
    from app.apprenticeships.enums import HireType
    from app.competitions.models import (
        AwardBand,
        AwardLineStatus,
        AwardRuleKind,
        CompetitionClass,
        CompetitionLevel,
        JudgingState,
        Locality,
        PromotionMode,
        RegistrationStatus,
    )
    from app.core.enums import District, DocType, OrgKind, Sex, SkillLevel

    return {
        "kind": OrgKind, "district": District, "host_district": District, "doc_type": DocType, "sex": Sex,
        "current_level": SkillLevel, "level": (SkillLevel, CompetitionLevel), "min_level": SkillLevel,
        "max_level": SkillLevel, "status": (RegistrationStatus, AwardLineStatus), "locality": Locality,
        "klass": CompetitionClass, "judging_state": JudgingState, "award_rule": AwardRuleKind, "band": AwardBand,
        "promotion": PromotionMode, "promotion_level": SkillLevel, "promotion_alt_level": SkillLevel,
        **_training_base_enums(),
        "target_level": SkillLevel, "certificate_level": SkillLevel, "hire_type": HireType,
    }


def _training_base_enums() -> dict[str, type | tuple[type, ...]]:
    from app.core.enums import OrgKind
    from app.training_bases.models import Designation, FacilityKind, MemberRole

    return {"designation": Designation, "kind": (OrgKind, FacilityKind), "role": MemberRole}


def audit_value(value: object, field: str) -> str:
    """An audit before/after value as a person reads it: enum labels, 是/否, — for nothing."""
    if value is None or value == "":
        return "—"
    if field == "id_number_masked" and isinstance(value, str):
        from app.core.rules import remask_id_number

        return remask_id_number(value)  # rows written under the older, more generous mask
    if field == "birth_date" and isinstance(value, str) and not (
            current_user.is_authenticated and permissions.can(current_user, "person.reveal_id")):
        return value[:4]  # the year only: with the masked number the full date would narrow the ID down
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    enum_classes = _value_enums().get(field, ())
    for enum_cls in enum_classes if isinstance(enum_classes, tuple) else (enum_classes,):
        try:
            return enum_cls(value).label
        except ValueError:
            continue
    if isinstance(value, list):
        return "、".join(audit_value(v, "role" if field == "roles" else field) for v in value)
    if field == "role":
        from app.core.enums import Role

        try:
            return Role(value).label
        except ValueError:
            return str(value)
    return str(value)


MACROS = ("field", "form_errors", "keyset_nav", "offset_nav", "import_card")


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TZ"])).strftime(fmt)


def fmt_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def label(value: object) -> str:
    """The translated label of an enum member, or "" for None."""
    if value is None:
        return ""
    return getattr(value, "label", str(value))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(localtime=localtime, fmt_date=fmt_date, money=money, label=label,
                                 audit_label=audit_label, audit_value=audit_value)
    from app.reminders.registry import kind_label

    app.jinja_env.filters["reminder_kind"] = kind_label
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def macros() -> dict[str, object]:
        # Fragments rendered alone (jinja2-fragments) skip a template's top-level imports, so the shared
        # macros are also offered to every template as context.
        if "macros" not in app.extensions or app.debug:
            module = app.jinja_env.get_template("macros.html").make_module()
            app.extensions["macros"] = {name: getattr(module, name) for name in MACROS}
        return app.extensions["macros"]

    @app.context_processor
    def inject() -> dict[str, object]:
        user = current_user if current_user.is_authenticated else None
        nav = [(ep, lbl) for ep, lbl, perm in NAV if user and (perm is None or permissions.can(user, perm))]
        return {
            "nav_items": nav,
            # Babel spells zh_CN as "zh_Hans_CN"; templates compare against our LANGUAGES keys.
            "current_locale": "zh_CN" if (get_locale() or "zh").language == "zh" else "en",
            "languages": current_app.config["LANGUAGES"],
            "can": lambda action, obj=None: bool(user) and permissions.can(user, action, obj),
            "active_endpoint": request.endpoint or "",
        }
