"""Factories for 企业新型学徒制 (in an app context): policy defaults, a cast of units and people, enrollments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from app.apprenticeships import services
from app.apprenticeships.models import (
    ApprenticeClass,
    DocumentKind,
    Enrollment,
    EnrollmentDocument,
    HireType,
    ModuleKind,
)
from app.core.enums import District, OrgKind, Role, SkillLevel
from app.core.models import Organisation, Person, PolicyValue, User
from app.extensions import db
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

DEFAULTS = [
    ("apprenticeship.subsidy_per_year", "", None, date(2021, 10, 1), "5000"),
    ("apprenticeship.district_topup", "level5", District.HUANGPU, date(2025, 9, 1), "2000"),
    ("apprenticeship.district_topup", "level4", District.HUANGPU, date(2025, 9, 1), "3000"),
    ("apprenticeship.district_topup", "level3", District.HUANGPU, date(2025, 9, 1), "4000"),
    ("apprenticeship.advance_ratio", "", None, date(2021, 10, 1), "0.50"),
    ("apprenticeship.claim_window_months", "", None, date(2021, 10, 1), "6"),
    ("apprenticeship.min_hours_per_year", "", None, date(2021, 10, 1), "600"),
    ("apprenticeship.min_classroom_hours_per_year", "", None, date(2021, 10, 1), "160"),
    ("apprenticeship.min_period_years", "", None, date(2021, 10, 1), "1"),
    ("apprenticeship.max_period_years", "", None, date(2021, 10, 1), "2"),
    ("apprenticeship.max_period_years_special", "", None, date(2021, 10, 1), "3"),
    ("apprenticeship.min_contract_years", "", None, date(2021, 10, 1), "1"),
    ("apprenticeship.plan_target", "", None, date(2021, 1, 1), "60000"),
    ("mentor.max_concurrent_apprentices", "", None, date(2021, 10, 1), "8"),
]


def policies() -> None:
    for key, qualifier, district, since, value in DEFAULTS:
        db.session.add(PolicyValue(key=key, qualifier=qualifier, district=district, effective_from=since,
                                   value=Decimal(value)))
    db.session.commit()


def policy(key: str, value: str, since: date = date(2021, 10, 1), qualifier: str = "",
           district: District | None = None) -> None:
    db.session.add(PolicyValue(key=key, qualifier=qualifier, district=district, effective_from=since,
                               value=Decimal(value)))
    db.session.commit()


@dataclass
class Cast:
    enterprise: Organisation
    institution: Organisation
    hr: User
    college: User
    official: User
    enterprise_mentor: Person
    institution_mentor: Person


def cast(district: District = District.HUANGPU, prefix: str = "") -> Cast:
    """An enterprise (with HR and a 高级工 mentor), an institution (with staff and a mentor), the district official."""
    enterprise = factories.org(OrgKind.ENTERPRISE, district, name=f"{prefix}上海申港精密机械有限公司")
    institution = factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG, name=f"{prefix}上海申江技师学院")
    factories.occupation()
    return Cast(
        enterprise=enterprise, institution=institution,
        hr=factories.user(enterprise, Role.ENTERPRISE_HR, display_name="许人事"),
        college=factories.user(institution, Role.COLLEGE_STAFF, display_name="赵老师"),
        official=factories.district_official(district, display_name="区人社局 李科长"),
        enterprise_mentor=factories.person(f"{prefix}孙师傅", enterprise, level=SkillLevel.LEVEL_2),
        institution_mentor=factories.person(f"{prefix}钱老师", institution, level=SkillLevel.LEVEL_1),
    )


def modules(classroom: int = 200, practical: int = 500) -> list[services.ModuleData]:
    return [services.ModuleData("专业理论", ModuleKind.CLASSROOM, classroom),
            services.ModuleData("岗位实训", ModuleKind.PRACTICAL, practical)]


def data(c: Cast, person: Person, starts: date = date(2026, 3, 1), ends: date = date(2027, 3, 1),
         target: SkillLevel = SkillLevel.LEVEL_4, **overrides) -> services.EnrollmentData:
    values = dict(person_id=person.id, institution_id=c.institution.id, enterprise_mentor_id=c.enterprise_mentor.id,
                  institution_mentor_id=c.institution_mentor.id, occupation_code="6-18-01-01", target_level=target,
                  hire_type=HireType.NEW_HIRE, contract_starts_on=date(2026, 1, 1), contract_ends_on=date(2029, 1, 1),
                  starts_on=starts, ends_on=ends, modules=modules())
    values.update(overrides)
    return services.EnrollmentData(**values)


def apprentice(c: Cast, name: str = "王小明", level: SkillLevel | None = SkillLevel.LEVEL_5) -> Person:
    return factories.person(name, c.enterprise, level=level)


def klass(c: Cast, name: str = "2026级数控车工学徒班", target: SkillLevel = SkillLevel.LEVEL_4) -> ApprenticeClass:
    return services.create_class(c.hr, services.ClassData(name, c.institution.id, "6-18-01-01", target))


def enrollment(c: Cast, person: Person | None = None, class_id: int | None = None, **overrides) -> Enrollment:
    return services.create_enrollment(c.hr, data(c, person or apprentice(c), class_id=class_id, **overrides), TODAY)


def documents(e: Enrollment) -> None:
    """Every required document, as rows pointing at one stored name (tests that download store a real file)."""
    for kind in DocumentKind:
        db.session.add(EnrollmentDocument(enrollment_id=e.id, kind=kind, filename=f"{kind.value}.pdf",
                                          stored_name="missing.pdf", content_type="application/pdf", size=len(PDF),
                                          sha256="0" * 64))
    db.session.commit()
    db.session.refresh(e)


def approved(c: Cast, person: Person | None = None, class_id: int | None = None, **overrides) -> Enrollment:
    e = enrollment(c, person, class_id, **overrides)
    documents(e)
    services.transition(c.hr, e, "submit", today=TODAY, now=NOW)
    services.transition(c.official, e, "approve", today=TODAY, now=NOW)
    return e
