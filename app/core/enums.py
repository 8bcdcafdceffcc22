"""Enumerations shared by every area, each with a translated label."""

from __future__ import annotations

import enum
from functools import cache

from flask_babel import lazy_gettext as _l

from app.i18n import LocaleKey, locale_key


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a translated label (see ``labels()``)."""

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {}

    @property
    def label(self) -> str:
        # The labels are lazy strings; each is translated once per locale (not once per row: a list page
        # shows ~100 labels, and each str() of a lazy string is a full Babel look-up).
        return _member_labels(type(self), locale_key())[self]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        labels = _translated(cls, locale_key())
        return [(m.value, labels.get(m.value, m.value)) for m in cls]


@cache
def _labels_of(enum_cls: type[LabelledEnum]) -> dict[str, object]:
    return enum_cls.labels()


@cache
def _translated(enum_cls: type[LabelledEnum], locale: LocaleKey) -> dict[str, str]:
    """The class's labels as plain strings in ``locale`` (made in a context of that locale: the first call
    for a locale translates them, later calls only look them up)."""
    return {value: str(text) for value, text in _labels_of(enum_cls).items()}


@cache
def _member_labels(enum_cls: type[LabelledEnum], locale: LocaleKey) -> dict[LabelledEnum, str]:
    """Each member's label in ``locale`` (its value where it has none), by member: what ``label`` reads, without
    the member's ``value`` property per look-up."""
    labels = _translated(enum_cls, locale)
    return {member: labels.get(member.value, member.value) for member in enum_cls}


def member_labels(*enum_classes: type[LabelledEnum]) -> dict[LabelledEnum | None, str]:
    """Every member's label of ``enum_classes`` in the current locale, in one dict by member, for a page that
    looks labels up per row (``labels[row.status]``), and ``None`` (a value not recorded) as blank: merged once
    per locale and set of classes, not per request. Shared between requests: read it, never change it."""
    return _merged_labels(enum_classes, locale_key())


@cache
def _merged_labels(enum_classes: tuple[type[LabelledEnum], ...], locale: LocaleKey) -> dict[LabelledEnum | None, str]:
    merged: dict[LabelledEnum, str] = {}
    for enum_cls in enum_classes:
        labels = _member_labels(enum_cls, locale)
        # A StrEnum member equals its value and hashes by its name: members of two classes with the same name
        # and value would be one key.
        if clash := merged.keys() & labels.keys():
            raise ValueError(f"{enum_cls.__name__} shares members with another class: {sorted(clash)}")
        merged.update(labels)
    labelled: dict[LabelledEnum | None, str] = {None: ""}
    labelled.update(merged.items())
    return labelled


class District(LabelledEnum):
    HUANGPU = "huangpu"
    XUHUI = "xuhui"
    CHANGNING = "changning"
    JINGAN = "jingan"
    PUTUO = "putuo"
    HONGKOU = "hongkou"
    YANGPU = "yangpu"
    MINHANG = "minhang"
    BAOSHAN = "baoshan"
    JIADING = "jiading"
    PUDONG = "pudong"
    JINSHAN = "jinshan"
    SONGJIANG = "songjiang"
    QINGPU = "qingpu"
    FENGXIAN = "fengxian"
    CHONGMING = "chongming"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {
            "huangpu": _l("黄浦区"), "xuhui": _l("徐汇区"), "changning": _l("长宁区"),
            "jingan": _l("静安区"), "putuo": _l("普陀区"), "hongkou": _l("虹口区"),
            "yangpu": _l("杨浦区"), "minhang": _l("闵行区"), "baoshan": _l("宝山区"),
            "jiading": _l("嘉定区"), "pudong": _l("浦东新区"), "jinshan": _l("金山区"),
            "songjiang": _l("松江区"), "qingpu": _l("青浦区"), "fengxian": _l("奉贤区"),
            "chongming": _l("崇明区"),
        }


class OrgKind(LabelledEnum):
    MUNICIPAL_BUREAU = "municipal_bureau"
    DISTRICT_BUREAU = "district_bureau"
    ENTERPRISE = "enterprise"
    TECHNICAL_SCHOOL = "technical_school"
    VOCATIONAL_COLLEGE = "vocational_college"
    UNIVERSITY = "university"
    TECHNICIAN_COLLEGE = "technician_college"
    TRAINING_INSTITUTION = "training_institution"
    ENTERPRISE_TRAINING_CENTRE = "enterprise_training_centre"
    ASSOCIATION = "association"
    TRAINING_BASE = "training_base"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {
            "municipal_bureau": _l("市人社局"), "district_bureau": _l("区人社局"),
            "enterprise": _l("企业"), "technical_school": _l("技工院校"),
            "vocational_college": _l("职业院校"), "university": _l("普通高校"),
            "technician_college": _l("新型技师学院"), "training_institution": _l("培训机构"),
            "enterprise_training_centre": _l("企业培训中心"), "association": _l("行业协会"),
            "training_base": _l("集训基地"),
        }

    @property
    def is_bureau(self) -> bool:
        return self in (OrgKind.MUNICIPAL_BUREAU, OrgKind.DISTRICT_BUREAU)

    @property
    def is_college(self) -> bool:
        return self in COLLEGE_KINDS


COLLEGE_KINDS = frozenset({
    OrgKind.TECHNICAL_SCHOOL, OrgKind.VOCATIONAL_COLLEGE, OrgKind.UNIVERSITY,
    OrgKind.TECHNICIAN_COLLEGE, OrgKind.TRAINING_INSTITUTION, OrgKind.ENTERPRISE_TRAINING_CENTRE,
})


class Role(LabelledEnum):
    OFFICIAL = "official"
    ORGANIZER = "organizer"
    ENTERPRISE_HR = "enterprise_hr"
    COLLEGE_STAFF = "college_staff"
    COACH = "coach"
    EXPERT = "expert"
    MENTOR = "mentor"
    PERSON = "person"
    FINANCE = "finance"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {
            "official": _l("人社工作人员"), "organizer": _l("赛事组织者"),
            "enterprise_hr": _l("企业人事"), "college_staff": _l("院校工作人员"),
            "coach": _l("教练"), "expert": _l("裁判专家"), "mentor": _l("导师"),
            "person": _l("个人（选手/学徒）"), "finance": _l("财务"),
        }


class SkillLevel(LabelledEnum):
    """The ladder of §二十八, low to high; the order of members is the order of the ladder."""

    APPRENTICE = "apprentice"
    LEVEL_5 = "level5"
    LEVEL_4 = "level4"
    LEVEL_3 = "level3"
    LEVEL_2 = "level2"
    LEVEL_1 = "level1"
    SPECIAL = "special"
    CHIEF = "chief"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {
            "apprentice": _l("学徒工"), "level5": _l("初级工（五级）"), "level4": _l("中级工（四级）"),
            "level3": _l("高级工（三级）"), "level2": _l("技师（二级）"), "level1": _l("高级技师（一级）"),
            "special": _l("特级技师"), "chief": _l("首席技师"),
        }

    @property
    def rank(self) -> int:
        return list(SkillLevel).index(self)


class DocType(LabelledEnum):
    RIC = "ric"
    PASSPORT = "passport"
    HK_MACAU_PERMIT = "hk_macau_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT = "foreign_permanent"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {
            "ric": _l("居民身份证"), "passport": _l("护照"), "hk_macau_permit": _l("港澳居民居住证"),
            "taiwan_permit": _l("台湾居民居住证"), "foreign_permanent": _l("外国人永久居留身份证"),
        }


class Sex(LabelledEnum):
    MALE = "M"
    FEMALE = "F"

    @classmethod
    def labels(cls) -> dict[str, object]:
        return {"M": _l("男"), "F": _l("女")}
