"""Enumerations of 企业新型学徒制, each with a translated label (shared by models and the pure rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.enums import LabelledEnum


class EnrollmentStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    IN_TRAINING = "in_training"
    ASSESSED = "assessed"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"draft": _l("草稿"), "submitted": _l("待审核"), "approved": _l("已备案"),
                "in_training": _l("培训中"), "assessed": _l("已认定"), "completed": _l("已结业"),
                "withdrawn": _l("已退出")}


#: Statuses in which an enrollment holds its apprentice (one at a time) and counts against its mentors.
OPEN_STATUSES = (EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED, EnrollmentStatus.APPROVED,
                 EnrollmentStatus.IN_TRAINING, EnrollmentStatus.ASSESSED)


class HireType(LabelledEnum):
    NEW_HIRE = "new_hire"
    TRANSFERRED = "transferred"
    IN_SERVICE = "in_service"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"new_hire": _l("新招用"), "transferred": _l("转岗"), "in_service": _l("在岗")}


class MentorKind(LabelledEnum):
    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"enterprise": _l("企业导师"), "institution": _l("院校导师")}


class ModuleKind(LabelledEnum):
    CLASSROOM = "classroom"
    PRACTICAL = "practical"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"classroom": _l("课堂"), "practical": _l("岗位实践")}


class DocumentKind(LabelledEnum):
    LABOUR_CONTRACT = "labour_contract"
    APPRENTICE_AGREEMENT = "apprentice_agreement"
    INSTITUTION_AGREEMENT = "institution_agreement"
    TRAINING_PLAN = "training_plan"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"labour_contract": _l("劳动合同"), "apprentice_agreement": _l("学徒培训合同（企业与学徒）"),
                "institution_agreement": _l("培训合作协议（企业与培训机构）"), "training_plan": _l("培训计划")}


class SubsidyKind(LabelledEnum):
    ADVANCE = "advance"
    BALANCE = "balance"
    CLAWBACK = "clawback"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"advance": _l("预支"), "balance": _l("尾款"), "clawback": _l("追回")}


class SubsidyStatus(LabelledEnum):
    CLAIMED = "claimed"
    APPROVED = "approved"
    PAID = "paid"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"claimed": _l("已申领"), "approved": _l("已核准"), "paid": _l("已拨付")}
