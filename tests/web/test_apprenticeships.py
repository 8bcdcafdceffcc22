"""企业新型学徒制 through the Flask test client: enrolling, the rules an enrollment must meet, the lifecycle,
documents, who sees what, and list query counts."""

import re
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.apprenticeships import services
from app.apprenticeships.models import (
    DocumentKind,
    Enrollment,
    EnrollmentDocument,
    EnrollmentStatus,
    MentorAssignment,
)
from app.core.enums import District, OrgKind, Role, SkillLevel
from app.core.models import AuditEntry, Certificate
from app.errors import DomainError
from app.extensions import db
from tests import apprenticeship_factories as af
from tests import factories
from tests.conftest import count_queries


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture()
def cast(app, ctx):
    af.policies()
    return af.cast()


def _form(c, person, **fields):
    form = {"person_id": person.id, "hire_type": "new_hire", "institution_id": c.institution.id,
            "enterprise_mentor_id": c.enterprise_mentor.id, "institution_mentor_id": c.institution_mentor.id,
            "occupation_code": "6-18-01-01", "target_level": "level4", "contract_starts_on": "2026-01-01",
            "contract_ends_on": "2029-01-01", "starts_on": "2026-03-01", "ends_on": "2027-03-01",
            "extension_reason": "",
            "modules-0-name": "专业理论", "modules-0-kind": "classroom", "modules-0-hours": "200",
            "modules-1-name": "岗位实训", "modules-1-kind": "practical", "modules-1-hours": "500"}
    form.update(fields)
    return form


def _upload(web, e, kind="labour_contract", content=af.PDF, name="合同.pdf"):
    return web.post(f"/apprenticeships/{e.id}/documents",
                    {"doc-kind": kind, "doc-file": (BytesIO(content), name)}, content_type="multipart/form-data")


# ---------------------------------------------------------------- enrolling

def test_enterprise_enrolls_an_apprentice_as_a_draft_with_two_mentors_and_a_plan(cast, login_as):
    person = af.apprentice(cast)
    web = login_as(cast.hr)
    assert "孙师傅" in web.get("/apprenticeships/new").get_data(as_text=True)
    response = web.post("/apprenticeships/new", _form(cast, person))
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    e = db.session.scalar(sa.select(Enrollment))
    assert e.status is EnrollmentStatus.DRAFT and e.district is District.HUANGPU
    assert {m.kind.value: m.mentor_id for m in e.mentors} == {"enterprise": cast.enterprise_mentor.id,
                                                              "institution": cast.institution_mentor.id}
    assert [(m.name, m.planned_hours) for m in e.modules] == [("专业理论", 200), ("岗位实训", 500)]
    page = web.get(f"/apprenticeships/{e.id}").get_data(as_text=True)
    assert "孙师傅 · 技师（二级）" in page  # the enterprise mentor's level is shown
    assert "缺少文件：劳动合同" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"ends_on": "2028-09-01"}, "须说明延期原因"),
    ({"ends_on": "2029-09-01", "extension_reason": "特殊"}, "培训期限过长（最长 3 年）"),
    ({"ends_on": "2026-12-01"}, "培训期限过短（至少 1 年）"),
    ({"contract_ends_on": "2026-06-30"}, "劳动合同期限不足 1 年"),
    ({"modules-1-hours": "300"}, "培训计划学时不足（每年至少 600 学时）"),
    ({"modules-0-hours": "100", "modules-1-hours": "600"}, "课堂学时不足（每年至少 160 学时）"),
])
def test_an_enrollment_breaking_a_rule_is_refused_with_its_reason(cast, login_as, fields, message):
    person = af.apprentice(cast)
    response = login_as(cast.hr).post("/apprenticeships/new", _form(cast, person, **fields))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 0


def test_a_three_year_period_is_accepted_with_a_stated_reason(cast, login_as):
    person = af.apprentice(cast)
    response = login_as(cast.hr).post("/apprenticeships/new", _form(
        cast, person, ends_on="2029-03-01", extension_reason="技师培养周期长", **{"modules-1-hours": "1700",
                                                                           "modules-0-hours": "480"}))
    assert response.status_code == 303
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.person_id == person.id))
    assert enrollment.ends_on == date(2029, 3, 1) and enrollment.extension_reason == "技师培养周期长"


def test_the_target_level_must_be_above_the_apprentices_level(cast):
    person = af.apprentice(cast, level=SkillLevel.LEVEL_4)
    with pytest.raises(DomainError, match="目标等级须高于学徒现有等级"):
        af.enrollment(cast, person, target=SkillLevel.LEVEL_4)


def test_mentors_must_work_at_the_matching_organisation(cast, login_as):
    person = af.apprentice(cast)
    web = login_as(cast.hr)
    response = web.post("/apprenticeships/new", _form(cast, person, enterprise_mentor_id=cast.institution_mentor.id))
    assert response.status_code == 422
    assert "企业导师须为上海申港精密机械有限公司的职工" in response.get_data(as_text=True)
    other_college = factories.org(OrgKind.TECHNICAL_SCHOOL, District.YANGPU, name="另一所技校")
    stranger = factories.person("周老师", other_college, level=SkillLevel.LEVEL_2)
    response = web.post("/apprenticeships/new", _form(cast, person, institution_mentor_id=stranger.id))
    assert response.status_code == 422 and "院校导师须为上海申江技师学院的职工" in response.get_data(as_text=True)


def test_the_apprentice_must_be_an_employee_of_the_enterprise(cast):
    outsider = factories.person("外单位", factories.org())
    with pytest.raises(DomainError, match="学徒须为本企业职工"):
        af.enrollment(cast, outsider)


def test_a_policy_minimum_enterprise_mentor_level_is_enforced(cast):
    af.policy("apprenticeship.min_enterprise_mentor_grade", "2", since=date(2026, 1, 1))
    junior = factories.person("初级师傅", cast.enterprise, level=SkillLevel.LEVEL_3)
    with pytest.raises(DomainError, match="企业导师技能等级须不低于技师（二级）"):
        af.enrollment(cast, enterprise_mentor_id=junior.id)
    assert af.enrollment(cast).status is EnrollmentStatus.DRAFT  # the 技师 mentor qualifies


def test_a_mentor_takes_at_most_eight_concurrent_apprentices(cast):
    for i in range(8):
        af.enrollment(cast, af.apprentice(cast, f"学徒{i}"))
    with pytest.raises(DomainError, match="已同时带徒 8 人，达到上限"):
        af.enrollment(cast, af.apprentice(cast, "第九人"))
    first = db.session.scalar(sa.select(Enrollment).order_by(Enrollment.id))
    services.transition(cast.hr, first, "withdraw", today=af.TODAY, now=af.NOW, reason="离职")
    assert af.enrollment(cast, af.apprentice(cast, "补位")).status is EnrollmentStatus.DRAFT


def test_a_person_is_in_one_open_enrollment_at_a_time_also_in_the_database(cast):
    person = af.apprentice(cast)
    first = af.enrollment(cast, person)
    with pytest.raises(DomainError, match="已有一项未结束的学徒培训"):
        af.enrollment(cast, person)
    db.session.add(Enrollment(person_id=person.id, enterprise_id=first.enterprise_id,
                              institution_id=first.institution_id,
                              district=first.district, occupation_code="6-18-01-01", target_level=SkillLevel.LEVEL_4,
                              hire_type=first.hire_type, contract_starts_on=date(2026, 1, 1),
                              starts_on=date(2026, 3, 1), ends_on=date(2027, 3, 1), status=EnrollmentStatus.SUBMITTED))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    services.transition(cast.hr, first, "withdraw", today=af.TODAY, now=af.NOW, reason="转岗")
    assert af.enrollment(cast, person).status is EnrollmentStatus.DRAFT  # after withdrawing, again


# ---------------------------------------------------------------- lifecycle

def test_submission_and_approval_need_both_mentors_and_every_document(cast, login_as):
    e = af.enrollment(cast)
    web = login_as(cast.hr)
    response = web.post(f"/apprenticeships/{e.id}/transition", {"action": "submit"})
    assert response.status_code == 422
    assert "缺少文件：学徒培训合同（企业与学徒）" in response.get_data(as_text=True)
    af.documents(e)
    assert web.post(f"/apprenticeships/{e.id}/transition", {"action": "submit"}).status_code == 303
    # A mentor link lost after submission (e.g. removed by hand) blocks the approval.
    db.session.execute(sa.delete(MentorAssignment).where(MentorAssignment.enrollment_id == e.id,
                                                         MentorAssignment.kind == "institution"))
    db.session.commit()
    response = login_as(cast.official).post(f"/apprenticeships/{e.id}/transition", {"action": "approve"})
    assert response.status_code == 422 and "缺少院校导师" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Enrollment, e.id).status is EnrollmentStatus.SUBMITTED


def test_only_the_district_of_the_enterprise_approves(cast, login_as):
    e = af.enrollment(cast)
    af.documents(e)
    services.transition(cast.hr, e, "submit", today=af.TODAY, now=af.NOW)
    other = factories.district_official(District.PUDONG)
    assert login_as(other).post(f"/apprenticeships/{e.id}/transition", {"action": "approve"}).status_code in (403, 404)
    assert login_as(cast.hr).post(f"/apprenticeships/{e.id}/transition", {"action": "approve"}).status_code == 403
    assert login_as(cast.official).post(f"/apprenticeships/{e.id}/transition", {"action": "approve"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Enrollment, e.id).status is EnrollmentStatus.APPROVED


def test_the_whole_lifecycle_is_audited_and_shown_as_a_timeline(cast, login_as):
    e = af.approved(cast)
    college = login_as(cast.college)
    assert college.post(f"/apprenticeships/{e.id}/transition", {"action": "start"}).status_code == 303
    response = college.post(f"/apprenticeships/{e.id}/transition", {
        "action": "assess", "passed": "yes", "assessed_on": "2026-11-20", "certificate_level": "level4",
        "certificate_number": "S3100002026000123"})
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    assert login_as(cast.official).post(f"/apprenticeships/{e.id}/transition",
                                        {"action": "complete"}).status_code == 303
    db.session.expire_all()
    e = db.session.get(Enrollment, e.id)
    assert e.status is EnrollmentStatus.COMPLETED and e.person.current_level is SkillLevel.LEVEL_4
    assert db.session.scalar(sa.select(Certificate.number).where(Certificate.person_id == e.person_id,
                                                                 Certificate.level == SkillLevel.LEVEL_4))
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity_type == "enrollments",
                                                                    AuditEntry.entity_id == str(e.id))
                                 .order_by(AuditEntry.id)).all()
    assert actions[-6:] == ["submit", "approve", "start", "assess", "complete"][-6:] or actions[-5:] == [
        "submit", "approve", "start", "assess", "complete"]
    page = login_as(cast.hr).get(f"/apprenticeships/{e.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):]
    for label in ("新增", "提交备案", "审核通过", "开始培训", "记录认定结果", "结业"):
        assert label in timeline
    assert timeline.index("提交备案") < timeline.index("结业")


def test_a_transition_not_in_the_table_is_refused(cast, login_as):
    e = af.enrollment(cast)
    response = login_as(cast.college).post(f"/apprenticeships/{e.id}/transition", {"action": "start"})
    assert response.status_code == 422 and "当前为「草稿」，不能开始培训" in response.get_data(as_text=True)


def test_withdrawal_needs_a_reason_and_records_the_date(cast, login_as, fixed_clock):
    fixed_clock(af.NOW)  # the day the enrollment's dates are made around: withdrawn on it
    e = af.approved(cast)
    web = login_as(cast.hr)
    response = web.post(f"/apprenticeships/{e.id}/transition", {"action": "withdraw", "reason": ""})
    assert response.status_code == 422 and "请填写原因" in response.get_data(as_text=True)
    assert web.post(f"/apprenticeships/{e.id}/transition", {"action": "withdraw", "reason": "个人原因离职"}
                    ).status_code == 303
    db.session.expire_all()
    e = db.session.get(Enrollment, e.id)
    assert e.status is EnrollmentStatus.WITHDRAWN and e.withdrawn_on == af.TODAY and e.reason == "个人原因离职"


def test_a_class_is_approved_at_once_or_not_at_all(cast, login_as):
    klass = af.klass(cast)
    ready = af.enrollment(cast, class_id=klass.id)
    af.documents(ready)
    services.transition(cast.hr, ready, "submit", today=af.TODAY, now=af.NOW)
    unready = af.enrollment(cast, af.apprentice(cast, "李缺件"), class_id=klass.id)
    web = login_as(cast.hr)
    response = web.post(f"/apprenticeships/classes/{klass.id}/transition", {"action": "submit"})
    assert response.status_code == 422 and "李缺件" in response.get_data(as_text=True)
    af.documents(unready)
    assert web.post(f"/apprenticeships/classes/{klass.id}/transition", {"action": "submit"}).status_code == 303
    response = login_as(cast.official).post(f"/apprenticeships/classes/{klass.id}/transition", {"action": "approve"})
    assert response.status_code == 303
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(sa.select(Enrollment))} == {EnrollmentStatus.APPROVED}


# ---------------------------------------------------------------- documents

def test_a_pdf_or_image_is_stored_outside_the_database_and_sniffed_by_content(cast, login_as, app):
    e = af.enrollment(cast)
    web = login_as(cast.hr)
    assert _upload(web, e).status_code == 303
    assert _upload(web, e, "training_plan", af.PNG, "计划.png").status_code == 303
    response = _upload(web, e, "apprentice_agreement", b"<html><script>alert(1)</script>", "协议.pdf")
    assert response.status_code == 422 and "只接受 PDF、PNG 或 JPEG 文件" in response.get_data(as_text=True)
    response = _upload(web, e, "apprentice_agreement", af.PDF, "协议.exe")
    assert response.status_code == 422
    docs = db.session.scalars(sa.select(EnrollmentDocument).order_by(EnrollmentDocument.id)).all()
    assert [(d.kind, d.content_type) for d in docs] == [(DocumentKind.LABOUR_CONTRACT, "application/pdf"),
                                                        (DocumentKind.TRAINING_PLAN, "image/png")]
    from pathlib import Path

    stored = Path(app.config["UPLOAD_FOLDER"]) / docs[0].stored_name
    assert stored.read_bytes() == af.PDF and oct(stored.stat().st_mode & 0o777) == "0o600"


def test_an_upload_over_the_size_limit_is_refused(cast, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1000)
    e = af.enrollment(cast)
    response = _upload(login_as(cast.hr), e, content=af.PDF + b"0" * 2000)
    assert response.status_code == 422 and "文件过大" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EnrollmentDocument)) == 0


def test_a_document_downloads_only_for_those_who_may_see_the_enrollment(cast, login_as):
    e = af.enrollment(cast)
    assert _upload(login_as(cast.hr), e).status_code == 303
    doc = db.session.scalar(sa.select(EnrollmentDocument))
    url = f"/apprenticeships/documents/{doc.id}"
    mentor_user = factories.user(cast.enterprise, Role.MENTOR, person_id=cast.enterprise_mentor.id)
    apprentice_user = factories.user(cast.enterprise, Role.PERSON, person_id=e.person_id)
    for allowed in (cast.hr, cast.college, cast.official, mentor_user, apprentice_user):
        response = login_as(allowed).get(url)
        assert response.status_code == 200 and response.data == af.PDF, allowed
        assert response.mimetype == "application/pdf" and "attachment" in response.headers["Content-Disposition"]
    other = af.cast(District.XUHUI, prefix="另")
    stranger_person = factories.user(cast.enterprise, Role.PERSON,
                                     person_id=factories.person("同事", cast.enterprise).id)
    for refused in (other.hr, other.college, other.official, stranger_person):
        assert login_as(refused).get(url).status_code == 403


# ---------------------------------------------------------------- who sees what

def test_each_role_sees_only_its_enrollments(cast, login_as):
    mine = af.enrollment(cast, af.apprentice(cast, "本企业学徒"))
    other = af.cast(District.XUHUI, prefix="另")
    theirs = af.enrollment(other, factories.person("外企学徒", other.enterprise, level=SkillLevel.LEVEL_5))
    mentor_user = factories.user(cast.enterprise, Role.MENTOR, person_id=cast.enterprise_mentor.id)
    apprentice_user = factories.user(cast.enterprise, Role.PERSON, person_id=mine.person_id)
    municipal = factories.municipal_official()

    def names(user):
        html = login_as(user).get("/apprenticeships/").get_data(as_text=True)
        return {n for n in ("本企业学徒", "外企学徒") if n in html}

    assert names(cast.hr) == {"本企业学徒"}
    assert names(cast.college) == {"本企业学徒"}
    assert names(cast.official) == {"本企业学徒"}
    assert names(mentor_user) == {"本企业学徒"}
    assert names(apprentice_user) == {"本企业学徒"}
    assert names(other.hr) == {"外企学徒"}
    assert names(municipal) == {"本企业学徒", "外企学徒"}
    assert login_as(other.hr).get(f"/apprenticeships/{mine.id}").status_code == 403
    assert login_as(cast.hr).get(f"/apprenticeships/{theirs.id}").status_code == 403


def test_the_municipal_official_sees_progress_against_the_plan_target(cast, login_as):
    af.approved(cast)
    af.approved(cast, af.apprentice(cast, "往年学徒"), starts=date(2025, 3, 1), ends=date(2026, 3, 1))
    web = login_as(factories.municipal_official())
    assert 'hx-get="/apprenticeships/summary"' in web.get("/apprenticeships/").get_data(as_text=True)
    summary = web.get("/apprenticeships/summary").get_data(as_text=True)
    assert "2021–2025 规划目标：60,000 人次；已备案 1 人次（0.0%）" in summary  # the 2026 start is outside the plan
    assert "已备案 2" in summary
    assert "plan-progress" not in web.get("/apprenticeships/summary?district=huangpu").get_data(as_text=True)
    assert "plan-progress" not in login_as(cast.hr).get("/apprenticeships/summary").get_data(as_text=True)


def test_the_summary_counts_by_status_within_the_filter_and_the_users_scope(cast, login_as):
    af.enrollment(cast, af.apprentice(cast, "草稿甲"))
    af.approved(cast, af.apprentice(cast, "备案乙"))
    other = af.cast(District.XUHUI, prefix="另")
    af.enrollment(other, factories.person("徐汇丙", other.enterprise, level=SkillLevel.LEVEL_5))
    web = login_as(factories.municipal_official())
    counts = web.get("/apprenticeships/summary?district=huangpu").get_data(as_text=True)
    assert "草稿 1" in counts and "已备案 1" in counts
    assert "草稿 2" in web.get("/apprenticeships/summary").get_data(as_text=True)
    assert "草稿 1" in login_as(other.hr).get("/apprenticeships/summary").get_data(as_text=True)
    assert "已备案" not in login_as(other.hr).get("/apprenticeships/summary").get_data(as_text=True)


def test_the_list_filters_by_district_and_status(cast, login_as):
    af.enrollment(cast, af.apprentice(cast, "草稿甲"))
    af.approved(cast, af.apprentice(cast, "备案乙"))
    other = af.cast(District.XUHUI, prefix="另")
    af.enrollment(other, factories.person("徐汇丙", other.enterprise, level=SkillLevel.LEVEL_5))
    web = login_as(factories.municipal_official())
    html = web.get("/apprenticeships/?district=huangpu&status=approved").get_data(as_text=True)
    assert "备案乙" in html and "草稿甲" not in html and "徐汇丙" not in html
    html = web.get("/apprenticeships/?district=xuhui").get_data(as_text=True)
    assert "徐汇丙" in html and "备案乙" not in html


def test_the_enrollment_list_query_count_is_constant(cast, login_as, app):
    af.enrollment(cast)
    web = login_as(factories.municipal_official())
    with count_queries(app) as few:
        web.get("/apprenticeships/?district=huangpu")
    mentors = [factories.person(f"师傅{i}", cast.enterprise, level=SkillLevel.LEVEL_3) for i in range(3)]
    teachers = [factories.person(f"老师{i}", cast.institution, level=SkillLevel.LEVEL_2) for i in range(3)]
    for i in range(12):
        af.enrollment(cast, af.apprentice(cast, f"学徒{i}"), enterprise_mentor_id=mentors[i % 3].id,
                      institution_mentor_id=teachers[i % 3].id)
    with count_queries(app) as many:
        response = web.get("/apprenticeships/?district=huangpu")
    assert len(re.findall(r'id="enrollment-\d+"', response.get_data(as_text=True))) == 13
    assert len(many) == len(few)


def test_the_landing_page_replaces_the_coming_soon_stub(cast, login_as):
    html = login_as(cast.hr).get("/apprenticeships/").get_data(as_text=True)
    assert "coming-soon" not in html and "登记学徒" in html


def test_the_demo_seeds_classes_in_every_state_with_a_ledger_once(app, ctx, web):
    from app.apprenticeships import demo
    from app.apprenticeships.models import SubsidyLine
    from app.core import demo as core_demo

    core_demo.seed(people=10)
    first = demo.seed(date(2026, 11, 26))
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Enrollment, SubsidyLine)]
    assert "14 new enrollments" in first and counts[0] == 14
    assert demo.seed(date(2026, 11, 26)) == "demo apprenticeships ready (0 new enrollments)"
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Enrollment, SubsidyLine)] == counts
    statuses = set(db.session.scalars(sa.select(Enrollment.status)))
    assert statuses == set(EnrollmentStatus) - {EnrollmentStatus.APPROVED}
    from app.core.models import User

    web.login("official", core_demo.DEMO_PASSWORD)
    page = web.get("/apprenticeships/ledger?group=district").get_data(as_text=True)
    assert "浦东新区" in page and "闵行区" in page
    mentor = db.session.scalar(sa.select(User).where(User.username == "mentor"))
    assert mentor.person_id is not None


def test_classes_are_listed_for_their_enterprise_institution_and_district_only(cast, login_as):
    klass = af.klass(cast)
    other = af.cast(District.XUHUI, prefix="另")
    mentor_user = factories.user(cast.enterprise, Role.MENTOR, person_id=cast.enterprise_mentor.id)
    for user in (cast.hr, cast.college, cast.official, factories.municipal_official()):
        assert klass.name in login_as(user).get("/apprenticeships/classes").get_data(as_text=True)
    for user in (other.hr, other.official, mentor_user):
        assert klass.name not in login_as(user).get("/apprenticeships/classes").get_data(as_text=True)
    assert login_as(other.hr).get(f"/apprenticeships/classes/{klass.id}").status_code == 403


def test_two_classes_with_the_same_name_in_one_enterprise_are_refused(app, ctx, login_as):
    af.policies()
    c = af.cast()
    af.klass(c, name="2026级数控车工学徒班")
    web = login_as(c.hr)
    response = web.post("/apprenticeships/classes/new", {
        "name": " 2026级数控车工学徒班 ", "institution_id": c.institution.id, "occupation_code": "6-18-01-01",
        "target_level": "level4"})
    assert response.status_code == 422
    assert "本企业已有同名的学徒班：2026级数控车工学徒班" in response.get_data(as_text=True)
    other = af.cast(prefix="乙")
    assert af.klass(other, name="2026级数控车工学徒班").id  # another enterprise may use the name
