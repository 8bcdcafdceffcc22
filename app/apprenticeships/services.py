"""Use cases of 企业新型学徒制: classes, enrollments, documents, the lifecycle and the subsidy ledger.

Each function checks permission at its boundary, owns its transaction and records audit rows. Functions that
depend on the clock take ``today`` (a date in Shanghai) and/or ``now`` (an aware datetime).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.apprenticeships import rules, uploads
from app.apprenticeships.models import (
    OPEN_STATUSES,
    ApprenticeClass,
    DocumentKind,
    Enrollment,
    EnrollmentDocument,
    EnrollmentStatus,
    HireType,
    MentorAssignment,
    MentorKind,
    ModuleKind,
    PlanModule,
    SubsidyKind,
    SubsidyLine,
    SubsidyStatus,
)
from app.apprenticeships.reminders import CLASS_NOTICE, after_transition, claimed
from app.auth.apprenticeships import enrollment_scope, may_remind_class
from app.auth.permissions import STAFF_ROLES, can, deny, is_municipal_official, official_district, require
from app.core import audit, clock
from app.core.enums import COLLEGE_KINDS, District, OrgKind, SkillLevel
from app.core.models import AuditEntry, Certificate, Occupation, Organisation, Person, User
from app.core.pagination import KeysetPage, keyset_page
from app.core.policy import value_in_force
from app.core.services import lock_row, raise_not_found, unique_or_domain_error
from app.errors import DomainError
from app.extensions import db
from app.reminders.services import remind_now

ENROLLMENT_FIELDS = ["person_id", "class_id", "enterprise_id", "institution_id", "occupation_code", "target_level",
                     "hire_type", "contract_starts_on", "contract_ends_on", "starts_on", "ends_on",
                     "extension_reason", "status", "reason", "withdrawn_on", "assessed_on", "assessment_passed",
                     "certificate_number", "certificate_level"]
CLASS_FIELDS = ["name", "enterprise_id", "institution_id", "occupation_code", "target_level", "district"]
LINE_FIELDS = ["enrollment_id", "training_year", "kind", "amount", "status"]

#: The municipal plan's target: 6万人次 apprentice trainings in 2021–2025.
PLAN_YEARS = (2021, 2025)


def problem_message(code: str) -> str:
    if code.startswith("document:"):
        return str(_("缺少文件：%(kind)s", kind=DocumentKind(code.split(":", 1)[1]).label))
    messages = {
        "enterprise_mentor": lambda: _("缺少企业导师"),
        "institution_mentor": lambda: _("缺少院校导师"),
        "plan_empty": lambda: _("培训计划没有模块"),
        "plan_hours": lambda: _("培训计划学时不足（每年至少 %(n)s 学时）", n=_policy_int(
            "apprenticeship.min_hours_per_year", clock.today())),
        "plan_classroom_hours": lambda: _("课堂学时不足（每年至少 %(n)s 学时）", n=_policy_int(
            "apprenticeship.min_classroom_hours_per_year", clock.today())),
        "period_order": lambda: _("结束日期须晚于开始日期"),
        "period_too_short": lambda: _("培训期限过短（至少 %(n)s 年）", n=_policy_int(
            "apprenticeship.min_period_years", clock.today())),
        "period_too_long": lambda: _("培训期限过长（最长 %(n)s 年）", n=_policy_int(
            "apprenticeship.max_period_years_special", clock.today())),
        "reason_required": lambda: _("培训期限超过 %(n)s 年，须说明延期原因", n=_policy_int(
            "apprenticeship.max_period_years", clock.today())),
        "contract_too_short": lambda: _("劳动合同期限不足 %(n)s 年", n=_policy_int(
            "apprenticeship.min_contract_years", clock.today())),
        "target_not_allowed": lambda: _("目标等级须为中级工、高级工、技师或高级技师"),
        "target_not_above": lambda: _("目标等级须高于学徒现有等级"),
    }
    return str(messages[code]())


def _policy(key: str, on: date, qualifier: str = "", district: District | None = None) -> Decimal | None:
    return value_in_force(key, on, qualifier, district)


def _policy_int(key: str, on: date, district: District | None = None) -> int:
    value = _policy(key, on, district=district)
    if value is None:
        raise DomainError(_("政策参数未设置：%(key)s", key=key))
    return int(value)


def period_policy(on: date) -> rules.PeriodPolicy:
    return rules.PeriodPolicy(_policy_int("apprenticeship.min_period_years", on),
                              _policy_int("apprenticeship.max_period_years", on),
                              _policy_int("apprenticeship.max_period_years_special", on))


def plan_policy(on: date) -> rules.PlanPolicy:
    return rules.PlanPolicy(_policy_int("apprenticeship.min_hours_per_year", on),
                            _policy_int("apprenticeship.min_classroom_hours_per_year", on))


# ---------------------------------------------------------------- classes

@dataclass
class ClassData:
    name: str
    institution_id: int
    occupation_code: str
    target_level: SkillLevel


def _institution(institution_id: int | None) -> Organisation:
    institution = db.session.get(Organisation, institution_id or 0)
    if institution is None or institution.kind not in COLLEGE_KINDS:
        raise DomainError(_("请选择培训机构（院校或培训中心）"), "institution_id")
    return institution


def _enterprise_of(actor: User) -> Organisation:
    if actor.organisation.kind is not OrgKind.ENTERPRISE or actor.organisation.district is None:
        raise DomainError(_("只有企业可以登记学徒"))
    return actor.organisation


def create_class(actor: User, data: ClassData) -> ApprenticeClass:
    require(actor, "apprenticeship.enroll")
    enterprise = _enterprise_of(actor)
    if not data.name.strip():
        raise DomainError(_("请填写班级名称"), "name")
    same = db.session.scalar(sa.select(ApprenticeClass.id).where(ApprenticeClass.enterprise_id == enterprise.id,
                                                                 ApprenticeClass.name == data.name.strip()))
    if same is not None:
        raise DomainError(_("本企业已有同名的学徒班：%(name)s", name=data.name.strip()), "name")
    institution = _institution(data.institution_id)
    if db.session.get(Occupation, data.occupation_code) is None:
        raise DomainError(_("职业编码不存在"), "occupation_code")
    if data.target_level not in rules.TARGET_LEVELS:
        raise DomainError(problem_message("target_not_allowed"), "target_level")
    klass = ApprenticeClass(name=data.name.strip(), enterprise_id=enterprise.id, institution_id=institution.id,
                            occupation_code=data.occupation_code, target_level=data.target_level,
                            district=enterprise.district, created_by_id=actor.id)
    db.session.add(klass)
    audit.record(actor, "create", klass, after=audit.snapshot(klass, CLASS_FIELDS), summary=klass.name)
    db.session.commit()
    return klass


def get_class(actor: User, class_id: int) -> ApprenticeClass:
    klass = db.session.get(ApprenticeClass, class_id)
    if klass is None:
        raise_not_found()
    require(actor, "apprenticeship.view", klass)
    return klass


def class_scope(actor: User) -> sa.ColumnElement[bool]:
    """Classes an official's district holds, or that the staff's own enterprise or institution runs."""
    if is_municipal_official(actor):
        return sa.true()
    clauses = []
    district = official_district(actor)
    if district is not None:
        clauses.append(ApprenticeClass.district == district)
    if actor.roles & STAFF_ROLES:
        clauses.append(ApprenticeClass.enterprise_id == actor.organisation_id)
        clauses.append(ApprenticeClass.institution_id == actor.organisation_id)
    return sa.or_(*clauses) if clauses else sa.false()


def list_classes(actor: User, limit: int = 200) -> list[tuple[ApprenticeClass, dict[EnrollmentStatus, int]]]:
    """Classes in scope, newest first, with their enrollments counted by status (two queries)."""
    require(actor, "apprenticeship.view")
    classes = list(db.session.scalars(sa.select(ApprenticeClass).where(class_scope(actor))
                                      .order_by(ApprenticeClass.id.desc()).limit(limit)))
    counts: dict[int, dict[EnrollmentStatus, int]] = {c.id: {} for c in classes}
    if classes:
        rows = db.session.execute(sa.select(Enrollment.class_id, Enrollment.status, sa.func.count())
                                  .where(Enrollment.class_id.in_(list(counts)))
                                  .group_by(Enrollment.class_id, Enrollment.status))
        for class_id, status, n in rows:
            counts[class_id][status] = n
    return [(c, counts[c.id]) for c in classes]


def institution_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Organisation.id, Organisation.name)
                              .where(Organisation.kind.in_(COLLEGE_KINDS), Organisation.active.is_(True))
                              .order_by(Organisation.name).limit(2000))
    return [(r.id, r.name) for r in rows]


def mentor_choices(organisation_id: int | None, limit: int = 500) -> list[tuple[int, str]]:
    """People employed by an organisation, with their level (shown beside the enterprise mentor)."""
    if not organisation_id:
        return []
    rows = db.session.execute(sa.select(Person.id, Person.name, Person.current_level, Person.id_number_masked)
                              .where(Person.employer_id == organisation_id)
                              .order_by(Person.name, Person.id).limit(limit))
    return [(r.id, f"{r.name}  {r.current_level.label if r.current_level else _('无等级')}  {r.id_number_masked}")
            for r in rows]


def institution_mentor_choices(limit: int = 2000) -> list[tuple[int, str]]:
    """People employed by training institutions, named with their institution."""
    rows = db.session.execute(sa.select(Person.id, Person.name, Organisation.name.label("org"))
                              .join(Organisation, Organisation.id == Person.employer_id)
                              .where(Organisation.kind.in_(COLLEGE_KINDS))
                              .order_by(Organisation.name, Person.name, Person.id).limit(limit))
    return [(r.id, f"{r.name} · {r.org}") for r in rows]


# ---------------------------------------------------------------- enrollments

@dataclass
class ModuleData:
    name: str
    kind: ModuleKind
    hours: int


@dataclass
class EnrollmentData:
    person_id: int
    institution_id: int
    enterprise_mentor_id: int | None
    institution_mentor_id: int | None
    occupation_code: str
    target_level: SkillLevel
    hire_type: HireType
    contract_starts_on: date
    contract_ends_on: date | None
    starts_on: date
    ends_on: date
    extension_reason: str = ""
    modules: list[ModuleData] = field(default_factory=list)
    class_id: int | None = None


def mentor_load(mentor_id: int, except_enrollment_id: int | None = None) -> int:
    """How many open enrollments a person mentors now."""
    stmt = (sa.select(sa.func.count()).select_from(MentorAssignment)
            .join(Enrollment, Enrollment.id == MentorAssignment.enrollment_id)
            .where(MentorAssignment.mentor_id == mentor_id, Enrollment.status.in_(OPEN_STATUSES)))
    if except_enrollment_id is not None:
        stmt = stmt.where(Enrollment.id != except_enrollment_id)
    return db.session.scalar(stmt) or 0


def _check_mentor(mentor_id: int | None, kind: MentorKind, organisation: Organisation, apprentice: Person,
                  on: date) -> Person:
    field_name = "enterprise_mentor_id" if kind is MentorKind.ENTERPRISE else "institution_mentor_id"
    mentor = db.session.get(Person, mentor_id or 0)
    if mentor is None:
        raise DomainError(_("请选择%(kind)s", kind=kind.label), field_name)
    if mentor.id == apprentice.id:
        raise DomainError(_("学徒不能做自己的导师"), field_name)
    if mentor.employer_id != organisation.id:
        raise DomainError(_("%(kind)s须为%(org)s的职工", kind=kind.label, org=organisation.name), field_name)
    if kind is MentorKind.ENTERPRISE:
        grade = _policy("apprenticeship.min_enterprise_mentor_grade", on)
        if not rules.mentor_level_ok(mentor.current_level, int(grade) if grade is not None else None):
            required = rules.level_of_grade(int(grade or 0))
            raise DomainError(_("企业导师技能等级须不低于%(level)s（%(name)s 现为%(has)s）",
                                level=required.label if required else "", name=mentor.name,
                                has=mentor.current_level.label if mentor.current_level else _("无等级")), field_name)
    maximum = _policy_int("mentor.max_concurrent_apprentices", on)
    # Serialise enrollments naming the same mentor while their apprentices are counted (a PostgreSQL row lock;
    # SQLite already serialises writers), so two at once cannot both take the last place.
    lock_row(mentor)
    if not rules.mentor_has_room(mentor_load(mentor.id), maximum):
        raise DomainError(_("导师 %(name)s 已同时带徒 %(n)d 人，达到上限", name=mentor.name, n=maximum), field_name)
    return mentor


def _has_open_enrollment(person_id: int) -> bool:
    return db.session.scalar(sa.select(Enrollment.id).where(Enrollment.person_id == person_id,
                                                            Enrollment.status.in_(OPEN_STATUSES)).limit(1)) is not None


def check_enrollment(actor: User, data: EnrollmentData, today: date) -> tuple[Organisation, Person, Organisation]:
    """Every rule an enrollment must meet when it is made; returns (enterprise, apprentice, institution)."""
    enterprise = _enterprise_of(actor)
    person = db.session.get(Person, data.person_id or 0)
    if person is None:
        raise DomainError(_("请选择学徒"), "person_id")
    if person.employer_id != enterprise.id:
        raise DomainError(_("学徒须为本企业职工"), "person_id")
    if _has_open_enrollment(person.id):
        raise DomainError(_("%(name)s 已有一项未结束的学徒培训", name=person.name), "person_id")
    institution = _institution(data.institution_id)
    if db.session.get(Occupation, data.occupation_code) is None:
        raise DomainError(_("职业编码不存在"), "occupation_code")
    for code in rules.target_level_problems(person.current_level, data.target_level):
        raise DomainError(problem_message(code), "target_level")
    for code in rules.period_problems(data.starts_on, data.ends_on, data.extension_reason, period_policy(today)):
        raise DomainError(problem_message(code), "extension_reason" if code == "reason_required" else "ends_on")
    for code in rules.contract_problems(data.contract_starts_on, data.contract_ends_on,
                                        _policy_int("apprenticeship.min_contract_years", today)):
        raise DomainError(problem_message(code), "contract_ends_on")
    modules = [(m.kind, m.hours) for m in data.modules]
    if any(m.hours <= 0 for m in data.modules) or any(not m.name.strip() for m in data.modules):
        raise DomainError(_("每个培训模块须有名称和正的学时"), "modules")
    for code in rules.plan_problems(modules, data.starts_on, data.ends_on, plan_policy(today)):
        raise DomainError(problem_message(code), "modules")
    _check_mentor(data.enterprise_mentor_id, MentorKind.ENTERPRISE, enterprise, person, today)
    _check_mentor(data.institution_mentor_id, MentorKind.INSTITUTION, institution, person, today)
    if data.enterprise_mentor_id == data.institution_mentor_id:
        raise DomainError(_("两位导师须为不同的人"), "institution_mentor_id")
    return enterprise, person, institution


def create_enrollment(actor: User, data: EnrollmentData, today: date, commit: bool = True) -> Enrollment:
    require(actor, "apprenticeship.enroll")
    if data.class_id is not None:
        klass = db.session.get(ApprenticeClass, data.class_id)
        if klass is None or not can(actor, "apprenticeship.enroll", klass):
            raise DomainError(_("班级不存在"), "class_id")
    enterprise, person, institution = check_enrollment(actor, data, today)
    enrollment = Enrollment(
        class_id=data.class_id, person_id=person.id, enterprise_id=enterprise.id, institution_id=institution.id,
        district=enterprise.district, occupation_code=data.occupation_code, level_at_start=person.current_level,
        target_level=data.target_level, hire_type=data.hire_type, contract_starts_on=data.contract_starts_on,
        contract_ends_on=data.contract_ends_on, starts_on=data.starts_on, ends_on=data.ends_on,
        extension_reason=data.extension_reason.strip(), status=EnrollmentStatus.DRAFT, created_by_id=actor.id)
    enrollment.mentors = [
        MentorAssignment(mentor_id=data.enterprise_mentor_id, kind=MentorKind.ENTERPRISE,
                         organisation_id=enterprise.id),
        MentorAssignment(mentor_id=data.institution_mentor_id, kind=MentorKind.INSTITUTION,
                         organisation_id=institution.id)]
    enrollment.modules = [PlanModule(position=n, name=m.name.strip(), kind=m.kind, planned_hours=m.hours)
                          for n, m in enumerate(data.modules)]
    with unique_or_domain_error(_("%(name)s 已有一项未结束的学徒培训", name=person.name), "person_id",
                                commit=commit):
        db.session.add(enrollment)
        db.session.flush()
        audit.record(actor, "create", enrollment, after=audit.snapshot(enrollment, ENROLLMENT_FIELDS),
                     summary=person.name)
    return enrollment


def get_enrollment(actor: User, enrollment_id: int) -> Enrollment:
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.id == enrollment_id)
        .options(selectinload(Enrollment.mentors), selectinload(Enrollment.modules),
                 selectinload(Enrollment.documents), selectinload(Enrollment.person),
                 selectinload(Enrollment.enterprise), selectinload(Enrollment.institution),
                 selectinload(Enrollment.occupation), selectinload(Enrollment.klass)))
    if enrollment is None:
        raise_not_found()
    require(actor, "apprenticeship.view", enrollment)
    return enrollment


@dataclass
class EnrollmentFilter:
    district: District | None = None
    status: EnrollmentStatus | None = None
    class_id: int | None = None
    q: str = ""

    def as_args(self) -> dict[str, str]:
        args = {"district": self.district.value if self.district else "",
                "status": self.status.value if self.status else "",
                "class_id": str(self.class_id) if self.class_id else "", "q": self.q}
        return {k: v for k, v in args.items() if v}


def _enrollments_query(actor: User, flt: EnrollmentFilter) -> tuple[sa.Select[Any], list[sa.ColumnElement[bool]]]:
    # The four many-to-one rows come in the page's own query (one round trip, not five).
    stmt = sa.select(Enrollment).where(enrollment_scope(actor, Enrollment, MentorAssignment)).options(
        joinedload(Enrollment.person, innerjoin=True), joinedload(Enrollment.enterprise, innerjoin=True),
        joinedload(Enrollment.institution, innerjoin=True), joinedload(Enrollment.occupation, innerjoin=True),
        selectinload(Enrollment.mentors))
    return stmt, _filters(flt)


def _filters(flt: EnrollmentFilter) -> list[sa.ColumnElement[bool]]:
    filters: list[sa.ColumnElement[bool]] = []
    if flt.district is not None:
        filters.append(Enrollment.district == flt.district)
    if flt.status is not None:
        filters.append(Enrollment.status == flt.status)
    if flt.class_id is not None:
        filters.append(Enrollment.class_id == flt.class_id)
    if flt.q:
        people = sa.select(Person.id).where(Person.name >= flt.q, Person.name < flt.q + "\U0010ffff")
        filters.append(Enrollment.person_id.in_(people.scalar_subquery()))
    return filters


#: The list page's joined rows, each under an alias of its own: a name filter's subquery on ``people`` (and a
#: scope's on ``mentor_assignments``) is then not correlated with the join.
_APPRENTICE = aliased(Person, name="apprentice")
_ENTERPRISE = aliased(Organisation, name="enterprise")
_INSTITUTION = aliased(Organisation, name="institution")
_OCCUPATION = aliased(Occupation, name="occupation")

#: What the enrollment list shows, as plain result rows (the four many-to-one rows joined by primary key, only the
#: columns shown): no ORM objects to make, track and fill for 50 enrollments, their apprentices, enterprises,
#: institutions and occupations. The list's template (apprenticeships/index.html) unpacks each row in this order.
LIST_PAGE_COLUMNS = (Enrollment.id, _APPRENTICE.name, _APPRENTICE.id_number_masked,
                     _ENTERPRISE.name.label("enterprise_name"), Enrollment.district,
                     _INSTITUTION.name.label("institution_name"), _OCCUPATION.name.label("occupation_name"),
                     Enrollment.target_level, Enrollment.starts_on, Enrollment.ends_on, Enrollment.status)

#: The list's columns and joins: the same for every page and every user (the scope and filters go in its WHERE).
_LIST_PAGE = (sa.select(*LIST_PAGE_COLUMNS).select_from(Enrollment)
              .join(_APPRENTICE, _APPRENTICE.id == Enrollment.person_id)
              .join(_ENTERPRISE, _ENTERPRISE.id == Enrollment.enterprise_id)
              .join(_INSTITUTION, _INSTITUTION.id == Enrollment.institution_id)
              .join(_OCCUPATION, _OCCUPATION.code == Enrollment.occupation_code))


def list_enrollments(actor: User, flt: EnrollmentFilter, after: str | None, per_page: int) -> KeysetPage[sa.Row[Any]]:
    """Enrollments in scope, newest first, a keyset page at a time (a constant number of queries): rows of
    ``LIST_PAGE_COLUMNS`` (id; the apprentice's name and masked ID; ``enterprise_name``, district,
    ``institution_name``, ``occupation_name``, target level, start and end, status)."""
    require(actor, "apprenticeship.view")
    stmt = _LIST_PAGE.where(enrollment_scope(actor, Enrollment, MentorAssignment))
    return keyset_page(stmt, [(Enrollment.id, True)], after, per_page, _filters(flt), rows=True)


@cache
def _mentor_names_statement() -> sa.Select[Any]:
    """The mentors of the enrollments bound as ``ids``: built once per process (an IN of fifty literals cost more
    Python to build than to run)."""
    return (sa.select(MentorAssignment.enrollment_id, MentorAssignment.kind, Person.name)
            .join(Person, Person.id == MentorAssignment.mentor_id)
            .where(MentorAssignment.enrollment_id.in_(sa.bindparam("ids", expanding=True)))
            .order_by(MentorAssignment.enrollment_id, MentorAssignment.kind))


def mentor_names(enrollment_ids: list[int]) -> dict[int, list[tuple[MentorKind, str]]]:
    """The two mentors' names of each listed enrollment, in one query of plain rows (a list page shows only
    names, so it builds no Person objects for them)."""
    names: dict[int, list[tuple[MentorKind, str]]] = {i: [] for i in enrollment_ids}
    if enrollment_ids:
        for enrollment_id, kind, name in db.session.execute(_mentor_names_statement(), {"ids": enrollment_ids}):
            names[enrollment_id].append((kind, name))
    return names


def enrollments_for_export(actor: User, flt: EnrollmentFilter, limit: int = 50_000) -> list[Enrollment]:
    require(actor, "apprenticeship.view")
    stmt, filters = _enrollments_query(actor, flt)
    return list(db.session.scalars(stmt.where(*filters).order_by(Enrollment.id).limit(limit)))


def status_counts(actor: User, flt: EnrollmentFilter) -> dict[EnrollmentStatus, int]:
    stmt = sa.select(Enrollment.status, sa.func.count()).where(enrollment_scope(actor, Enrollment, MentorAssignment))
    if flt.district is not None:
        stmt = stmt.where(Enrollment.district == flt.district)
    if flt.class_id is not None:
        stmt = stmt.where(Enrollment.class_id == flt.class_id)
    return dict(db.session.execute(stmt.group_by(Enrollment.status)).tuples().all())


def plan_progress(actor: User) -> tuple[int, int] | None:
    """For municipal officials: apprentice trainings approved in the plan years against the plan's target."""
    if not is_municipal_official(actor):
        return None
    # Every enrollment that was approved counts as one 人次 (a later withdrawal does not undo the training).
    done = db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment).where(
        Enrollment.approved_at.is_not(None), Enrollment.starts_on >= date(PLAN_YEARS[0], 1, 1),
        Enrollment.starts_on <= date(PLAN_YEARS[1], 12, 31))) or 0
    target = _policy("apprenticeship.plan_target", date(PLAN_YEARS[1], 12, 31))
    return done, int(target) if target is not None else 0


def timeline(enrollment: Enrollment) -> list[AuditEntry]:
    """The enrollment's audit trail, oldest first: who did what, when."""
    return list(reversed(audit.entries_for("enrollments", enrollment.id)))


# ---------------------------------------------------------------- documents

def attach_document(actor: User, enrollments: list[Enrollment], kind: DocumentKind, filename: str,
                    content: bytes, max_bytes: int) -> int:
    """Store one uploaded file and attach it to each given enrollment (all editable by the actor)."""
    if not enrollments:
        raise DomainError(_("没有可以上传文件的学徒（只有草稿和待审核的登记可以补充文件）"), "file")
    for enrollment in enrollments:
        if not can(actor, "apprenticeship.enroll", enrollment):
            raise DomainError(_("只能为本企业的学徒上传文件"), "file")
        if enrollment.status not in (EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED):
            raise DomainError(_("只有草稿和待审核的登记可以补充文件"), "file")
    if not content:
        raise DomainError(_("文件是空的"), "file")
    if len(content) > max_bytes:
        raise DomainError(_("文件过大（上限 %(mb)s MB）", mb=f"{max_bytes / 1024 / 1024:g}"), "file")
    kind_of = uploads.sniff(content)
    if kind_of is None:
        raise DomainError(_("只接受 PDF、PNG 或 JPEG 文件（按文件内容判断）"), "file")
    stored = uploads.store(content, *kind_of)
    try:
        for enrollment in enrollments:
            doc = EnrollmentDocument(enrollment_id=enrollment.id, kind=kind, filename=(filename or "file")[-200:],
                                     stored_name=stored.stored_name, content_type=stored.content_type,
                                     size=stored.size, sha256=stored.sha256, uploaded_by_id=actor.id)
            db.session.add(doc)
            audit.record(actor, "upload", enrollment, after={"document": str(kind.label), "filename": doc.filename},
                         summary=f"{kind.label} {doc.filename}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.remove(stored.stored_name)
        raise
    return len(enrollments)


def get_document(actor: User, document_id: int) -> EnrollmentDocument:
    doc = db.session.get(EnrollmentDocument, document_id)
    if doc is None:
        raise_not_found()
    require(actor, "apprenticeship.view", doc.enrollment)
    return doc


# ---------------------------------------------------------------- the lifecycle

#: Which permission each action needs (either one of the pair).
ACTION_PERMISSIONS = {
    "submit": ("apprenticeship.enroll",),
    "return": ("apprenticeship.review",),
    "approve": ("apprenticeship.review",),
    "start": ("apprenticeship.enroll", "apprenticeship.train"),
    "assess": ("apprenticeship.train",),
    "complete": ("apprenticeship.train", "apprenticeship.review"),
    "withdraw": ("apprenticeship.enroll", "apprenticeship.review"),
}


def action_label(action: str) -> str:
    labels = {"submit": _("提交备案"), "return": _("退回修改"), "approve": _("审核通过"), "start": _("开始培训"),
              "assess": _("记录认定结果"), "complete": _("结业"), "withdraw": _("退出")}
    return str(labels[action])


def may(actor: User, action: str, enrollment: Enrollment | ApprenticeClass) -> bool:
    return any(can(actor, p, enrollment) for p in ACTION_PERMISSIONS[action])


def readiness(enrollment: Enrollment, on: date) -> list[str]:
    facts = rules.Readiness(
        has_enterprise_mentor=enrollment.mentor(MentorKind.ENTERPRISE) is not None,
        has_institution_mentor=enrollment.mentor(MentorKind.INSTITUTION) is not None,
        documents=frozenset(d.kind for d in enrollment.documents),
        plan_problems=tuple(rules.plan_problems([(m.kind, m.planned_hours) for m in enrollment.modules],
                                                enrollment.starts_on, enrollment.ends_on, plan_policy(on))))
    return rules.readiness_problems(facts)


@dataclass
class Assessment:
    passed: bool
    assessed_on: date
    certificate_number: str = ""
    certificate_level: SkillLevel | None = None


def transition(actor: User, enrollment: Enrollment, action: str, *, today: date, now: datetime, reason: str = "",
               assessment: Assessment | None = None, commit: bool = True,
               withdrawn_on: date | None = None) -> Enrollment:
    """Move an enrollment along its lifecycle, after every check; audited, and visible in its timeline."""
    if action not in ACTION_PERMISSIONS:
        raise DomainError(_("未知的操作"))
    if not may(actor, action, enrollment):
        deny()
    target = rules.next_status(enrollment.status, action)
    name = enrollment.person.name
    if target is None:
        raise DomainError(_("%(name)s 当前为「%(status)s」，不能%(action)s", name=name,
                            status=enrollment.status.label, action=action_label(action)))
    if action in ("submit", "approve"):
        problems = readiness(enrollment, today)
        if problems:
            raise DomainError(_("%(name)s：", name=name) + "；".join(problem_message(p) for p in problems))
    if action in ("return", "withdraw") and not reason.strip():
        raise DomainError(_("请填写原因"), "reason")
    if action == "withdraw":
        withdrawn_on = withdrawn_on or today
        earliest, latest = min(enrollment.starts_on, today), min(today, enrollment.ends_on)
        if not earliest <= withdrawn_on <= latest:
            raise DomainError(_("退出日期须在 %(a)s 至 %(b)s 之间（培训期内，且不晚于今天）",
                                a=earliest.isoformat(), b=latest.isoformat()), "withdrawn_on")
    before = audit.snapshot(enrollment, ENROLLMENT_FIELDS)
    enrollment.status = target
    if action in ("return", "withdraw"):
        enrollment.reason = reason.strip()[:300]
    if action == "approve":
        enrollment.approved_at = now
    if action == "withdraw":
        enrollment.withdrawn_on = withdrawn_on
        _claw_back(actor, enrollment, now, _("学徒于 %(d)s 退出：%(r)s", d=withdrawn_on.isoformat(),  # type: ignore[union-attr]
                                             r=reason.strip()))
    if action == "assess":
        _record_assessment(actor, enrollment, assessment, today, now)
    after_transition(enrollment, action, now)  # the deadlines this sets or ends (reminders), same transaction
    audit.record(actor, "quit" if action == "withdraw" else action, enrollment, before=before,
                 after=audit.snapshot(enrollment, ENROLLMENT_FIELDS),
                 summary=f"{name} {reason.strip()}".strip())
    if commit:
        db.session.commit()
    return enrollment


def _record_assessment(actor: User, enrollment: Enrollment, assessment: Assessment | None, today: date,
                       now: datetime) -> None:
    if assessment is None:
        raise DomainError(_("请填写认定结果"))
    if assessment.assessed_on > today or assessment.assessed_on < enrollment.starts_on:
        raise DomainError(_("认定日期须在培训开始之后、今天之前"), "assessed_on")
    enrollment.assessed_on, enrollment.assessment_passed = assessment.assessed_on, assessment.passed
    if not assessment.passed:
        _claw_back(actor, enrollment, now, _("认定未通过"))
        return
    number = assessment.certificate_number.strip()
    level = assessment.certificate_level
    if not number:
        raise DomainError(_("通过认定须填写证书编号"), "certificate_number")
    if level is None:
        raise DomainError(_("通过认定须选择取得的等级"), "certificate_level")
    enrollment.certificate_number, enrollment.certificate_level = number, level
    person = enrollment.person
    issuer = enrollment.institution.name[:100]
    exists = db.session.scalar(sa.select(Certificate.id).where(Certificate.issuer == issuer,
                                                               Certificate.number == number))
    if exists is not None:
        raise DomainError(_("证书编号已被使用"), "certificate_number")
    db.session.add(Certificate(person_id=person.id, level=level, occupation_code=enrollment.occupation_code,
                               issuer=issuer, number=number, issued_on=assessment.assessed_on))
    if person.current_level is None or level.rank > person.current_level.rank:
        person.current_level = level


def transition_class(actor: User, klass: ApprenticeClass, action: str, *, today: date, now: datetime,
                     reason: str = "") -> int:
    """Apply one action to every enrollment of the class it applies to — all of them or none."""
    enrollments = class_enrollments(klass)
    due = [e for e in enrollments if rules.next_status(e.status, action) is not None]
    if not due:
        raise DomainError(_("班级中没有可以%(action)s的学徒", action=action_label(action)))
    problems = []
    for enrollment in due:
        try:
            transition(actor, enrollment, action, today=today, now=now, reason=reason, commit=False)
        except DomainError as exc:
            problems.append(exc.message)
    if problems:
        db.session.rollback()
        raise DomainError(_("未处理任何学徒：") + " / ".join(problems[:10]))
    db.session.commit()
    return len(due)


def class_enrollments(klass: ApprenticeClass) -> list[Enrollment]:
    return list(db.session.scalars(
        sa.select(Enrollment).where(Enrollment.class_id == klass.id)
        .options(selectinload(Enrollment.person), selectinload(Enrollment.mentors),
                 selectinload(Enrollment.documents), selectinload(Enrollment.modules))
        .order_by(Enrollment.id)))


# ---------------------------------------------------------------- subsidies (先支后补)

def standard(enrollment: Enrollment, on: date) -> Decimal:
    """The yearly standard in force on ``on`` for the enrollment's target level and district."""
    base = _policy("apprenticeship.subsidy_per_year", on, district=enrollment.district)
    if base is None:
        raise DomainError(_("政策参数未设置：%(key)s", key="apprenticeship.subsidy_per_year"))
    topup = _policy("apprenticeship.district_topup", on, enrollment.target_level.value, enrollment.district)
    return rules.yearly_standard(base, topup)


def _year(enrollment: Enrollment, number: int) -> rules.TrainingYear:
    years = rules.training_years(enrollment.starts_on, enrollment.ends_on)
    if not 1 <= number <= len(years):
        raise DomainError(_("该学徒没有第 %(n)d 个培训年度", n=number))
    return years[number - 1]


def _lines(enrollment_ids: list[int]) -> dict[tuple[int, int, SubsidyKind], SubsidyLine]:
    if not enrollment_ids:
        return {}
    rows = db.session.scalars(sa.select(SubsidyLine).where(SubsidyLine.enrollment_id.in_(enrollment_ids)))
    return {(r.enrollment_id, r.training_year, r.kind): r for r in rows}


def eligible_on(enrollment: Enrollment, kind: SubsidyKind, year: rules.TrainingYear) -> date | None:
    """When a subsidy became claimable: an advance once approved and the training year has begun; the balance
    once the apprentice passed the assessment."""
    if kind is SubsidyKind.ADVANCE:
        if enrollment.approved_at is None or enrollment.status is EnrollmentStatus.WITHDRAWN:
            return None
        if enrollment.assessment_passed is False:
            return None
        if enrollment.assessed_on is not None and year.starts_on >= enrollment.assessed_on:
            return None  # training ended (passed) before this year began: nothing to advance
        return max(enrollment.approved_at.date(), year.starts_on)
    if kind is SubsidyKind.BALANCE and enrollment.assessment_passed and enrollment.assessed_on:
        if year.starts_on >= enrollment.assessed_on:
            return None  # a training year that had not begun when the apprentice passed is never paid
        return enrollment.assessed_on
    return None


@dataclass
class ClaimResult:
    created: list[SubsidyLine]
    skipped: list[str]
    #: What an early pass pays and why (one sentence per apprentice whose balance is prorated).
    notes: list[str] = field(default_factory=list)
    #: Clawbacks of an advance larger than what the months trained earn (an early pass).
    clawed: list[SubsidyLine] = field(default_factory=list)


def claim(actor: User, klass: ApprenticeClass, kind: SubsidyKind, training_year: int, *, today: date,
          now: datetime) -> ClaimResult:
    """Claim the advance or the balance for one training year, for every eligible apprentice of a class."""
    require(actor, "subsidy.claim", klass)
    if kind is SubsidyKind.CLAWBACK:
        raise DomainError(_("追回由系统在学徒退出或认定未通过时生成"))
    window = _policy_int("apprenticeship.claim_window_months", today)
    ratio = _policy("apprenticeship.advance_ratio", today)
    if ratio is None:
        raise DomainError(_("政策参数未设置：%(key)s", key="apprenticeship.advance_ratio"))
    enrollments = class_enrollments(klass)
    existing = _lines([e.id for e in enrollments])
    result = ClaimResult([], [])
    for enrollment in enrollments:
        years = rules.training_years(enrollment.starts_on, enrollment.ends_on)
        if training_year > len(years):
            continue
        year = years[training_year - 1]
        if (enrollment.id, training_year, kind) in existing:
            continue
        since = eligible_on(enrollment, kind, year)
        state = rules.claim_window_state(since, today, window)
        name = enrollment.person.name
        if state == "not_yet":
            if kind is SubsidyKind.BALANCE and enrollment.assessment_passed and enrollment.assessed_on \
                    and year.starts_on >= enrollment.assessed_on:
                result.skipped.append(_(
                    "%(name)s：%(d)s 已通过认定，第%(y)d培训年度尚未开始，不支付该年度补贴",
                    name=enrollment.person.name, d=enrollment.assessed_on.isoformat(), y=training_year))
            continue
        if state == "closed":
            result.skipped.append(_("%(name)s：已超过申领期限（%(d)s）", name=name,
                                    d=rules.claim_deadline(since, window).isoformat()))  # type: ignore[arg-type]
            continue
        yearly = standard(enrollment, year.starts_on)
        amount = rules.prorated(yearly, year.months)
        advanced = rules.advance(amount, ratio)
        months, note = year.months, ""
        if kind is SubsidyKind.ADVANCE:
            value = advanced
        else:
            # The balance pays for the months actually trained (an early pass ends the training).
            months = rules.months_trained(year, enrollment.assessed_on)  # type: ignore[arg-type]
            amount = rules.prorated(yearly, months)
            previous = existing.get((enrollment.id, training_year, SubsidyKind.ADVANCE))
            paid = previous.amount if previous else Decimal(0)
            value = rules.balance(amount, paid)
            if months < year.months:
                note = _("提前通过认定（%(d)s）：第%(y)d培训年度实际培训 %(m)d 个月，按 %(m)d/12 计 %(a)s 元，"
                         "扣除已预支 %(p)s 元，尾款 %(v)s 元",
                         d=enrollment.assessed_on.isoformat(), y=training_year,  # type: ignore[union-attr]
                         m=months, a=f"{amount:,.2f}", p=f"{paid:,.2f}", v=f"{max(value, Decimal(0)):,.2f}")
                if value < 0:
                    note = _("提前通过认定（%(d)s）：第%(y)d培训年度实际培训 %(m)d 个月，按 %(m)d/12 计 %(a)s 元，"
                             "已预支 %(p)s 元，多预支的 %(v)s 元追回",
                             d=enrollment.assessed_on.isoformat(), y=training_year,  # type: ignore[union-attr]
                             m=months, a=f"{amount:,.2f}", p=f"{paid:,.2f}", v=f"{-value:,.2f}")
                (result.notes if value != 0 else result.skipped).append(f"{name}：{note}")
            if value < 0 and (enrollment.id, training_year, SubsidyKind.CLAWBACK) not in existing:
                # The advance paid for months never trained comes back.
                back = SubsidyLine(enrollment_id=enrollment.id, enterprise_id=enrollment.enterprise_id,
                                   district=enrollment.district, class_id=klass.id, training_year=training_year,
                                   year=year.starts_on.year, kind=SubsidyKind.CLAWBACK, amount=value,
                                   standard=yearly, months=months, status=SubsidyStatus.APPROVED, claimed_at=now,
                                   claimed_by_id=actor.id, decided_at=now, note=note[:200])
                db.session.add(back)
                audit.record(actor, "clawback", back, after=audit.snapshot(back, LINE_FIELDS), summary=name)
                result.clawed.append(back)
        if value <= 0:
            continue
        line = SubsidyLine(enrollment_id=enrollment.id, enterprise_id=enrollment.enterprise_id,
                           district=enrollment.district, class_id=klass.id, training_year=training_year,
                           year=year.starts_on.year, kind=kind, amount=value, standard=yearly, months=months,
                           status=SubsidyStatus.CLAIMED, claimed_at=now, claimed_by_id=actor.id, note=note[:200])
        db.session.add(line)
        audit.record(actor, "claim", line, after=audit.snapshot(line, LINE_FIELDS), summary=name)
        claimed(line)  # its claim window's reminders stop
        result.created.append(line)
    if not result.created and not result.clawed:
        db.session.rollback()
        message = _("没有可申领的学徒") if not result.skipped else "；".join(result.skipped)
        raise DomainError(message)
    # A concurrent claim for the same apprentice and year loses on the unique key, as the pre-check would.
    with unique_or_domain_error(_("该学徒本培训年度已申领过"), ""):
        db.session.flush()
    return result


def _claw_back(actor: User, enrollment: Enrollment, now: datetime, note: str) -> None:
    """Add a clawback line for every advance of the enrollment not yet clawed back."""
    lines = _lines([enrollment.id])
    for (_eid, year, kind), line in list(lines.items()):
        if kind is not SubsidyKind.ADVANCE or (enrollment.id, year, SubsidyKind.CLAWBACK) in lines:
            continue
        back = SubsidyLine(enrollment_id=enrollment.id, enterprise_id=enrollment.enterprise_id,
                           district=enrollment.district, class_id=enrollment.class_id, training_year=year,
                           year=line.year, kind=SubsidyKind.CLAWBACK, amount=rules.clawback(line.amount),
                           standard=line.standard, months=line.months, status=SubsidyStatus.APPROVED,
                           claimed_at=now, claimed_by_id=actor.id, decided_at=now, note=note[:200])
        db.session.add(back)
        audit.record(actor, "clawback", back, after=audit.snapshot(back, LINE_FIELDS), summary=enrollment.person.name)


LINE_DECISIONS = {"approve": (SubsidyStatus.CLAIMED, SubsidyStatus.APPROVED),
                  "pay": (SubsidyStatus.APPROVED, SubsidyStatus.PAID)}


def decide_lines(actor: User, line_ids: list[int], decision: str, now: datetime) -> int:
    """An official approves claimed lines, or records approved ones as paid (a clawback: as recovered)."""
    require(actor, "subsidy.review")
    if decision not in LINE_DECISIONS:
        raise DomainError(_("未知的操作"))
    if not line_ids:
        raise DomainError(_("请先选择补贴记录"))
    source, target = LINE_DECISIONS[decision]
    lines = list(db.session.scalars(sa.select(SubsidyLine).where(SubsidyLine.id.in_(line_ids))
                                    .options(selectinload(SubsidyLine.enrollment).selectinload(Enrollment.person))))
    if len(lines) != len(set(line_ids)):
        raise DomainError(_("部分补贴记录不存在"))
    for line in lines:
        if not can(actor, "subsidy.review", line.enrollment):
            deny()
        if line.status is not source:
            raise DomainError(_("%(name)s 的补贴记录当前为「%(s)s」，不能这样处理", name=line.enrollment.person.name,
                                s=line.status.label))
    for line in lines:
        before = audit.snapshot(line, LINE_FIELDS)
        line.status = target
        if decision == "approve":
            line.decided_at = now
        else:
            line.paid_at = now
        audit.record(actor, decision, line, before=before, after=audit.snapshot(line, LINE_FIELDS),
                     summary=line.enrollment.person.name)
    db.session.commit()
    return len(lines)


def line_scope(actor: User) -> sa.ColumnElement[bool]:
    if is_municipal_official(actor):
        return sa.true()
    district = official_district(actor)
    if district is not None:
        return SubsidyLine.district == district
    return SubsidyLine.enterprise_id == actor.organisation_id


@dataclass
class LedgerFilter:
    year: int | None = None
    district: District | None = None
    class_id: int | None = None
    kind: SubsidyKind | None = None
    status: SubsidyStatus | None = None

    def as_args(self) -> dict[str, str]:
        args = {"year": str(self.year or ""), "district": self.district.value if self.district else "",
                "class_id": str(self.class_id or ""), "kind": self.kind.value if self.kind else "",
                "status": self.status.value if self.status else ""}
        return {k: v for k, v in args.items() if v}


def _ledger_where(actor: User, flt: LedgerFilter) -> list[sa.ColumnElement[bool]]:
    where = [line_scope(actor)]
    if flt.year is not None:
        where.append(SubsidyLine.year == flt.year)
    if flt.district is not None:
        where.append(SubsidyLine.district == flt.district)
    if flt.class_id is not None:
        where.append(SubsidyLine.class_id == flt.class_id)
    if flt.kind is not None:
        where.append(SubsidyLine.kind == flt.kind)
    if flt.status is not None:
        where.append(SubsidyLine.status == flt.status)
    return where


def ledger_lines(actor: User, flt: LedgerFilter, after: str | None, per_page: int) -> KeysetPage[SubsidyLine]:
    require(actor, "subsidy.view")
    stmt = sa.select(SubsidyLine).options(selectinload(SubsidyLine.enrollment).selectinload(Enrollment.person),
                                          selectinload(SubsidyLine.enterprise))
    return keyset_page(stmt, [(SubsidyLine.id, True)], after, per_page, _ledger_where(actor, flt))


GROUPS = {"enterprise": SubsidyLine.enterprise_id, "district": SubsidyLine.district, "year": SubsidyLine.year}


def ledger_summary(actor: User, flt: LedgerFilter, group: str) -> tuple[list[tuple[str, rules.LedgerTotals]],
                                                                        rules.LedgerTotals]:
    """Totals per enterprise, district or year (claimed, approved, paid, clawed back), and the grand total,
    from one grouped query."""
    require(actor, "subsidy.view")
    column = GROUPS.get(group, SubsidyLine.year)
    rows = db.session.execute(
        sa.select(column, SubsidyLine.kind, SubsidyLine.status, sa.func.sum(SubsidyLine.amount), sa.func.count())
        .where(*_ledger_where(actor, flt)).group_by(column, SubsidyLine.kind, SubsidyLine.status)).all()
    grouped: dict[object, list[tuple[str, str, Decimal]]] = {}
    for key, kind, status, amount, _n in rows:
        grouped.setdefault(key, []).append((kind.value, status.value, Decimal(amount)))
    names: dict[object, str] = {}
    if group == "enterprise" and grouped:
        names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)
                                        .where(Organisation.id.in_(list(grouped)))).tuples().all())
    result = []
    for key in sorted(grouped, key=lambda k: str(names.get(k, k))):
        label = names.get(key) or (key.label if isinstance(key, District) else str(key))
        result.append((label, rules.ledger_totals(grouped[key])))
    total = rules.ledger_totals([line for lines in grouped.values() for line in lines])
    return result, total


def class_lines(klass: ApprenticeClass) -> list[SubsidyLine]:
    return list(db.session.scalars(sa.select(SubsidyLine).where(SubsidyLine.class_id == klass.id)
                                   .options(selectinload(SubsidyLine.enrollment).selectinload(Enrollment.person))
                                   .order_by(SubsidyLine.id)))


def enrollment_lines(enrollment: Enrollment) -> list[SubsidyLine]:
    return list(db.session.scalars(sa.select(SubsidyLine).where(SubsidyLine.enrollment_id == enrollment.id)
                                   .order_by(SubsidyLine.id)))


def remind_class(actor: User, klass: ApprenticeClass, now: datetime) -> None:
    """Remind the class's apprentices and mentors at once (in the app, and by e-mail where they want it)."""
    if not may_remind_class(actor, klass):
        deny()
    remind_now(CLASS_NOTICE, klass.id, now)
    audit.record(actor, "remind", klass, after={"kind": CLASS_NOTICE}, summary=klass.name)
    db.session.commit()
