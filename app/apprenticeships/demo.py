"""Demo 企业新型学徒制: three classes in three districts, enrollments in every state, documents and a subsidy
ledger with advances, balances and a clawback. Idempotent: a class is found by name before it is made.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.apprenticeships import rules, uploads
from app.apprenticeships.models import (
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
from app.core import rules as core_rules
from app.core.crypto import cipher
from app.core.demo import fake_name, fake_ric
from app.core.enums import District, DocType, SkillLevel
from app.core.models import Organisation, Person, PolicyValue, User
from app.core.services import id_hash
from app.extensions import db

POLICY_DEFAULTS = [
    ("apprenticeship.min_period_years", "", None, date(2021, 10, 1), "1", "培训期限1–2年"),
    ("apprenticeship.min_contract_years", "", None, date(2021, 10, 1), "1", "劳动合同期限不少于1年"),
    ("apprenticeship.plan_target", "", None, date(2021, 1, 1), "60000", "“十四五”规划：企业新型学徒6万人次"),
    ("apprenticeship.district_topup", "level2", District.HUANGPU, date(2025, 9, 1), "4000", "黄浦区加码（高级及以上，演示）"),
    ("apprenticeship.district_topup", "level1", District.HUANGPU, date(2025, 9, 1), "4000", "黄浦区加码（高级及以上，演示）"),
    ("apprenticeship.district_topup", "level2", District.HUANGPU, date(2028, 9, 1), "0", "黄浦区加码期满"),
    ("apprenticeship.district_topup", "level1", District.HUANGPU, date(2028, 9, 1), "0", "黄浦区加码期满"),
]

#: (class name, enterprise, institution, occupation, target, statuses of its apprentices, months since start)
CLASSES = [
    ("2025级数控车工学徒班", "上海申港精密机械有限公司", "上海申江技师学院", "6-18-01-01", SkillLevel.LEVEL_4,
     ["in_training", "in_training", "in_training", "in_training", "withdrawn", "assessed"], 9),
    ("2026级中式烹调师学徒班", "上海云栖餐饮管理有限公司", "上海沪西职业技术学院", "4-03-02-01", SkillLevel.LEVEL_3,
     ["submitted", "submitted", "submitted", "submitted", "draft"], 0),
    ("2024级工业机器人运维学徒班", "上海临江智能装备股份有限公司", "闵行区启航职业技能培训中心", "6-31-01-10",
     SkillLevel.LEVEL_4, ["completed", "completed", "completed"], 13),
]
PLAN = [("安全生产与职业素养", ModuleKind.CLASSROOM, 60), ("专业理论", ModuleKind.CLASSROOM, 140),
        ("岗位技能实训", ModuleKind.PRACTICAL, 360), ("企业导师带教", ModuleKind.PRACTICAL, 120)]
DEMO_PDF = b"%PDF-1.4\n% demo document\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _policies() -> None:
    for key, qualifier, district, since, value, note in POLICY_DEFAULTS:
        exists = db.session.scalar(sa.select(PolicyValue.id).where(
            PolicyValue.key == key, PolicyValue.qualifier == qualifier, PolicyValue.effective_from == since,
            PolicyValue.district.is_(None) if district is None else PolicyValue.district == district))
        if exists is None:
            db.session.add(PolicyValue(key=key, qualifier=qualifier, district=district, effective_from=since,
                                       value=Decimal(value), note=note))


def _person(rng: random.Random, employer: Organisation, level: SkillLevel | None, born: date,
            name: str | None = None) -> Person:
    number = fake_ric(rng, employer.district or District.HUANGPU, born, rng.random() < 0.7)
    person = Person(name=name or fake_name(rng), doc_type=DocType.RIC, id_number_encrypted=cipher().encrypt(number),
                    id_number_hash=id_hash(DocType.RIC, number), id_number_masked=core_rules.mask_id_number(number),
                    id_tail=number[-4:], birth_date=born, sex=core_rules.check_id_number(DocType.RIC, number).sex,
                    employer_id=employer.id, current_level=level)
    db.session.add(person)
    db.session.flush()
    return person


def seed(today: date) -> str:
    _policies()
    rng = random.Random(20261126)
    made = 0
    stored = None
    for name, enterprise_name, institution_name, occupation, target, statuses, months_ago in CLASSES:
        enterprise = db.session.scalar(sa.select(Organisation).where(Organisation.name == enterprise_name))
        institution = db.session.scalar(sa.select(Organisation).where(Organisation.name == institution_name))
        if enterprise is None or institution is None or enterprise.district is None:
            continue
        if db.session.scalar(sa.select(ApprenticeClass.id).where(ApprenticeClass.name == name)) is not None:
            continue
        if stored is None:
            stored = uploads.store(DEMO_PDF, "application/pdf", "pdf")
        klass = ApprenticeClass(name=name, enterprise_id=enterprise.id, institution_id=institution.id,
                                occupation_code=occupation, target_level=target, district=enterprise.district)
        db.session.add(klass)
        db.session.flush()
        enterprise_mentor = _person(rng, enterprise, SkillLevel.LEVEL_2, date(1978, 5, 12))
        institution_mentor = _person(rng, institution, SkillLevel.LEVEL_1, date(1975, 9, 3))
        if enterprise_name == "上海申港精密机械有限公司":
            mentor_user = db.session.scalar(sa.select(User).where(User.username == "mentor"))
            if mentor_user is not None and mentor_user.person_id is None:
                enterprise_mentor.name = mentor_user.display_name
                mentor_user.person_id = enterprise_mentor.id
        starts = rules.add_months(date(today.year, today.month, 1), -months_ago)
        for status in statuses:
            _enrollment(rng, klass, enterprise, institution, enterprise_mentor, institution_mentor,
                        EnrollmentStatus(status), starts, today, stored)
            made += 1
    db.session.commit()
    return f"demo apprenticeships ready ({made} new enrollments)"


def _enrollment(rng: random.Random, klass: ApprenticeClass, enterprise: Organisation, institution: Organisation,
                enterprise_mentor: Person, institution_mentor: Person, status: EnrollmentStatus, starts: date,
                today: date, stored: uploads.StoredFile | None) -> None:
    born = date(1998, 1, 1) + timedelta(days=rng.randrange(0, 365 * 7))
    apprentice = _person(rng, enterprise, rng.choice([None, SkillLevel.LEVEL_5]), born)
    ends = rules.add_years(starts, 1)
    approved = status not in (EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED)
    e = Enrollment(class_id=klass.id, person_id=apprentice.id, enterprise_id=enterprise.id,
                   institution_id=institution.id, district=klass.district, occupation_code=klass.occupation_code,
                   level_at_start=apprentice.current_level, target_level=klass.target_level,
                   hire_type=rng.choice(list(HireType)), contract_starts_on=starts - timedelta(days=30),
                   contract_ends_on=rules.add_years(starts, 3), starts_on=starts, ends_on=ends, status=status,
                   approved_at=datetime(starts.year, starts.month, starts.day, 2, tzinfo=UTC) if approved else None)
    e.mentors = [MentorAssignment(mentor_id=enterprise_mentor.id, kind=MentorKind.ENTERPRISE,
                                  organisation_id=enterprise.id),
                 MentorAssignment(mentor_id=institution_mentor.id, kind=MentorKind.INSTITUTION,
                                  organisation_id=institution.id)]
    e.modules = [PlanModule(position=n, name=m, kind=k, planned_hours=h) for n, (m, k, h) in enumerate(PLAN)]
    if status is EnrollmentStatus.WITHDRAWN:
        e.withdrawn_on, e.reason = min(today, starts + timedelta(days=120)), "个人原因离职"
    if status in (EnrollmentStatus.ASSESSED, EnrollmentStatus.COMPLETED):
        e.assessed_on = min(today, ends)
        e.assessment_passed, e.certificate_level = True, klass.target_level
        e.certificate_number = f"Y{apprentice.id_tail}{rng.randrange(10**8):08d}"
    db.session.add(e)
    db.session.flush()
    if stored is not None and status is not EnrollmentStatus.DRAFT:
        for kind in DocumentKind:
            db.session.add(EnrollmentDocument(enrollment_id=e.id, kind=kind, filename=f"{kind.label}.pdf",
                                              stored_name=stored.stored_name, content_type=stored.content_type,
                                              size=stored.size, sha256=stored.sha256))
    if approved:
        _lines(e, status)


def _lines(e: Enrollment, status: EnrollmentStatus) -> None:
    """The ledger a real claim would have made: the advance (paid), then a clawback or the balance."""
    year = rules.training_years(e.starts_on, e.ends_on)[0]
    base = db.session.scalar(sa.select(PolicyValue.value).where(
        PolicyValue.key == "apprenticeship.subsidy_per_year", PolicyValue.district.is_(None),
        PolicyValue.effective_from <= year.starts_on).order_by(PolicyValue.effective_from.desc())) or Decimal(5000)
    topup = db.session.scalar(sa.select(PolicyValue.value).where(
        PolicyValue.key == "apprenticeship.district_topup", PolicyValue.qualifier == e.target_level.value,
        PolicyValue.district == e.district, PolicyValue.effective_from <= year.starts_on)
        .order_by(PolicyValue.effective_from.desc()))
    standard = rules.yearly_standard(base, topup)
    amount = rules.prorated(standard, year.months)
    advanced = rules.advance(amount, Decimal("0.5"))
    common = {"enrollment_id": e.id, "enterprise_id": e.enterprise_id, "district": e.district,
              "class_id": e.class_id, "training_year": 1, "year": year.starts_on.year, "standard": standard,
              "months": year.months}
    db.session.add(SubsidyLine(**common, kind=SubsidyKind.ADVANCE, amount=advanced, status=SubsidyStatus.PAID))
    if status is EnrollmentStatus.WITHDRAWN:
        db.session.add(SubsidyLine(**common, kind=SubsidyKind.CLAWBACK, amount=rules.clawback(advanced),
                                   status=SubsidyStatus.APPROVED, note="学徒退出：个人原因离职"))
    elif status is EnrollmentStatus.ASSESSED:
        db.session.add(SubsidyLine(**common, kind=SubsidyKind.BALANCE, amount=rules.balance(amount, advanced),
                                   status=SubsidyStatus.CLAIMED))
    elif status is EnrollmentStatus.COMPLETED:
        db.session.add(SubsidyLine(**common, kind=SubsidyKind.BALANCE, amount=rules.balance(amount, advanced),
                                   status=SubsidyStatus.PAID))
