"""Issue 23: 获奖证书 and 学徒培训合格证明 as PDF, their public verification, revocation and re-issue, the skills
record's list, and the rate limit on look-ups."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.apprenticeships.enums import EnrollmentStatus
from app.certificates import services as certificates
from app.certificates.models import IssuedCertificate
from app.competitions.awards import services as awards
from app.competitions.awards.models import AwardLine, RecipientKind
from app.competitions.judging import services as judging
from app.core.enums import Role
from app.core.models import AuditEntry, Person
from app.core.types import utcnow
from app.extensions import db, limiter
from tests import apprenticeship_factories as af
from tests import certificate_factories as certf
from tests import competition_factories as cf
from tests import factories
from tests.conftest import WebClient


def anonymous(app) -> WebClient:
    return WebClient(app.test_client())


URL_RE = re.compile(r"https?://[^/\s]+/verify/([A-Z2-7]{16})")


@pytest.fixture(autouse=True)
def _monday_23_november(fixed_clock):
    fixed_clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


def issue_and_print(client, ev) -> list[str]:
    assert client.post(f"/certificates/events/{ev.id}/issue").status_code == 303
    response = client.get(f"/certificates/events/{ev.id}/certificates.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return certf.pdf_text(response.data)


def code_in(page: str) -> str:
    match = URL_RE.search(page)
    assert match, page
    return match.group(1)


def test_the_organiser_prints_a_medal_certificate_that_anyone_can_verify(app, ctx, login_as, fixed_clock):
    ev, organiser, _official = certf.individual_event()
    fixed_clock(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    pages = issue_and_print(login_as(organiser), ev)
    champion = next(p for p in pages if "张三华" in p and "上海市技术能手" not in p)
    for text in ("获奖证书", "测试大赛", "市级技能大赛", "数控车", "金牌", "第 1 名", "上海市人力资源和社会保障局",
                 "2026年12月2日", "HJ2026"):
        assert text in champion, text
    assert any("上海市技术能手" in p and "张三华" in p for p in pages)  # the honour line's own certificate
    page = anonymous(app).get(f"/verify/{code_in(champion)}")  # nobody signed in
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "有效" in html and "张*华" in html and "张三华" not in html
    assert "金牌" in html and "数控车" in html and "2026-12-02" in html
    person = db.session.scalar(sa.select(Person).where(Person.name == "张三华"))
    assert person.id_number_masked not in html and str(person.birth_date) not in html


def test_a_large_print_is_laid_out_in_parallel_and_joined_in_order(app, ctx, login_as, monkeypatch):
    """Above PARALLEL_FROM pages the print is cut into one run per process; the joined PDF keeps every page once,
    in the order a single process would print them."""
    from app.certificates import documents

    ev, organiser, _official = certf.individual_event()
    single = issue_and_print(login_as(organiser), ev)
    monkeypatch.setattr(documents, "PARALLEL_FROM", 1)
    app.config["CERTIFICATE_PDF_PROCESSES"] = 2
    assert len(single) >= 2
    response = login_as(organiser).get(f"/certificates/events/{ev.id}/certificates.pdf")
    assert response.status_code == 200 and certf.pdf_text(response.data) == single


def test_each_member_of_a_team_gets_a_certificate_naming_the_team(app, ctx, login_as):
    ev, organiser, _official = certf.team_event()
    pages = issue_and_print(login_as(organiser), ev)
    gold = [p for p in pages if "金牌" in p and "上海市技术能手" not in p]
    assert {name for name in ("赵一", "钱二") if any(name in p for p in gold)} == {"赵一", "钱二"}
    assert all("申港一队" in p for p in gold) and len(gold) == 2


def test_an_apprentice_who_passed_gets_a_certificate_of_training(app, ctx, login_as):
    af.policies()
    c = af.cast()
    e = af.approved(c, af.apprentice(c, name="刘小红"))
    e.status, e.assessed_on, e.assessment_passed = EnrollmentStatus.ASSESSED, date(2026, 11, 20), True
    db.session.commit()
    college = login_as(c.college)
    refused = login_as(c.hr).post(f"/certificates/enrollments/{e.id}/issue")
    assert refused.status_code == 403
    assert college.post(f"/certificates/enrollments/{e.id}/issue").status_code == 303
    certificate = db.session.scalar(sa.select(IssuedCertificate))
    apprentice = factories.user(c.enterprise, Role.PERSON, person_id=e.person_id)
    response = login_as(apprentice).get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (text,) = certf.pdf_text(response.data)
    for part in ("学徒培训合格证明", "刘小红", "上海申港精密机械有限公司", "上海申江技师学院", "孙师傅", "钱老师",
                 "车工", "中级工", "2026-03-01", "2027-03-01", "XT2026"):
        assert part in text, part
    page = anonymous(app).get(f"/verify/{code_in(text)}").get_data(as_text=True)
    assert "有效" in page and "刘*红" in page and "车工" in page


def test_revoked_reissued_and_unknown_codes_without_sign_in(app, ctx, login_as):
    ev, organiser, _official = certf.individual_event()
    client = login_as(organiser)
    pages = issue_and_print(client, ev)
    old_code = code_in(pages[0])
    first = db.session.scalar(sa.select(IssuedCertificate).order_by(IssuedCertificate.id))
    assert client.post(f"/certificates/{first.id}/revoke", data={"revoke-reason": ""}).status_code == 303
    assert db.session.get(IssuedCertificate, first.id).revoked_at is None  # a reason is required
    client.post(f"/certificates/{first.id}/revoke", data={"revoke-reason": "姓名有误"})
    public = anonymous(app)
    revoked = public.get(f"/verify/{old_code}").get_data(as_text=True)
    assert "已作废" in revoked and "已重新签发" not in revoked
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "revoke_certificate")).after[
        "reason"] == "姓名有误"
    assert client.post(f"/certificates/{first.id}/reissue").status_code == 303
    db.session.expire_all()
    new = db.session.get(IssuedCertificate, db.session.get(IssuedCertificate, first.id).replaced_by_id)
    assert new.number != first.number and new.code_hash != first.code_hash
    assert "已作废，已重新签发" in public.get(f"/verify/{old_code}").get_data(as_text=True)
    assert "有效" in public.get(f"/verify/{certificates.code_of(new)}").get_data(as_text=True)
    unknown = public.get("/verify/AAAAAAAAAAAAAAAA")
    shape = re.compile(r"<dt>[^<]*</dt>")
    assert unknown.status_code == 200 and "无效" in unknown.get_data(as_text=True)
    assert shape.findall(unknown.get_data(as_text=True)) == shape.findall(revoked)
    assert public.get("/verify/not-a-code").status_code == 200


def test_an_unknown_code_takes_as_long_as_a_revoked_one(app, ctx, login_as):
    ev, organiser, _official = certf.individual_event()
    code = code_in(issue_and_print(login_as(organiser), ev)[0])
    first = db.session.scalar(sa.select(IssuedCertificate).order_by(IssuedCertificate.id))
    certificates.revoke(organiser, first.id, "姓名有误", utcnow())
    public = anonymous(app)

    def median(path: str) -> float:
        times = []
        for _ in range(9):
            start = time.perf_counter()
            public.get(path)
            times.append(time.perf_counter() - start)
        return sorted(times)[4]

    revoked, unknown = median(f"/verify/{code}"), median("/verify/ZZZZZZZZZZZZZZZZ")
    floor = app.config["VERIFY_MIN_SECONDS"]
    assert floor >= 0.05 and revoked >= floor and unknown >= floor
    assert 0.6 < unknown / revoked < 1.6  # the same work and the same floor either way


def test_verification_is_rate_limited(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "5 per minute")
    limiter.reset()
    public = anonymous(app)
    statuses = [public.get(f"/verify/ABCDEFGHIJKLMNO{n % 8 + 2}").status_code for n in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    limiter.reset()


def test_the_verification_page_speaks_english_with_lang_en(app, ctx, login_as):
    ev, organiser, _official = certf.individual_event()
    code = code_in(issue_and_print(login_as(organiser), ev)[0])
    html = anonymous(app).get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "Certificate verification" in html and "Valid" in html and "Gold" in html


def test_a_changed_result_after_unlock_revokes_its_certificates(app, ctx, login_as, fixed_clock):
    ev, organiser, official = certf.individual_event()
    issue_and_print(login_as(organiser), ev)
    judging.unlock_results(official, ev, "复核第1、2名", utcnow())
    judging.lock_results(organiser, ev, utcnow())  # unchanged: nothing revoked
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssuedCertificate).where(
        IssuedCertificate.revoked_at.is_not(None))) == 0
    judging.unlock_results(official, ev, "复核第1、2名", utcnow())
    winner, runner_up = certf.result_of(ev, 1), certf.result_of(ev, 2)
    cf.score_all(ev, list(db.session.scalars(sa.select(judging.Aspect).where(judging.Aspect.event_id == ev.id))),
                 [u for u in [db.session.scalar(sa.select(judging.EventExpert)).user]],
                 {winner.contestant.bib: ["50"]})
    judging.lock_results(organiser, ev, utcnow())
    revoked = db.session.scalars(sa.select(IssuedCertificate).where(IssuedCertificate.revoked_at.is_not(None))).all()
    assert revoked and {c.holder_name for c in revoked} >= {"张三华", "李四"}
    assert all("成绩解锁后更改" in c.revoke_reason for c in revoked)
    assert runner_up.id  # placings moved: the runner-up's certificate went too


def test_a_withdrawn_award_revokes_its_certificate(app, ctx, login_as):
    ev, organiser, official = certf.individual_event()
    issue_and_print(login_as(organiser), ev)
    line = db.session.scalar(sa.select(AwardLine).where(AwardLine.recipient_kind == RecipientKind.COMPETITOR,
                                                        AwardLine.honour_title == "上海市技术能手"))
    awards.withdraw(official, line.id, "赛后发现违规", utcnow())
    certificate = db.session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.award_line_id == line.id))
    assert certificate.revoked_at is not None and "赛后发现违规" in certificate.revoke_reason
    with pytest.raises(Exception, match="已撤销"):
        certificates.reissue(organiser, certificate.id, date(2026, 12, 2), utcnow())


def test_only_the_organiser_issues_and_prints(app, ctx, login_as):
    ev, _organiser, _official = certf.individual_event()
    outsider = factories.user(factories.org(), Role.ORGANIZER)
    client = login_as(outsider)
    assert client.post(f"/certificates/events/{ev.id}/issue").status_code == 403
    assert client.get(f"/certificates/events/{ev.id}/certificates.pdf").status_code == 403


def test_the_skills_record_lists_certificates_with_their_status_and_the_holder_downloads(app, ctx, login_as):
    ev, organiser, _official = certf.individual_event()
    issue_and_print(login_as(organiser), ev)
    champion = db.session.scalar(sa.select(Person).where(Person.name == "张三华"))
    first = db.session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.person_id == champion.id)
                              .order_by(IssuedCertificate.id))
    certificates.revoke(organiser, first.id, "姓名有误", utcnow())
    athlete = login_as(factories.user(champion.employer, Role.PERSON, person_id=champion.id))
    page = athlete.get(f"/supervision/people/{champion.id}/record").get_data(as_text=True)
    assert "获奖证书与学徒合格证明" in page and "已作废" in page and "有效" in page
    valid = db.session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.person_id == champion.id,
                                                                 IssuedCertificate.revoked_at.is_(None)))
    assert f"/certificates/{valid.id}.pdf" in page and f"/certificates/{first.id}.pdf" not in page
    assert athlete.get(f"/certificates/{valid.id}.pdf").mimetype == "application/pdf"
    other = db.session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.person_id != champion.id))
    assert athlete.get(f"/certificates/{other.id}.pdf").status_code == 403


def test_codes_are_80_random_bits_not_derived_from_ids_and_stored_hashed(app, ctx, login_as):
    ev, organiser, _official = certf.individual_event()
    pages = issue_and_print(login_as(organiser), ev)
    codes = [code_in(p) for p in pages]
    rows = db.session.scalars(sa.select(IssuedCertificate)).all()
    assert len(set(codes)) == len(codes) == len(rows)
    stored = " ".join(f"{r.code_hash} {r.code_encrypted} {r.number}" for r in rows)
    assert not any(code in stored for code in codes)


def test_an_official_withdraws_an_approved_award_with_a_reason_from_the_awards_page(app, ctx, login_as):
    ev, organiser, official = certf.individual_event()
    issue_and_print(login_as(organiser), ev)
    line = db.session.scalar(sa.select(AwardLine).where(AwardLine.amount == 6000))
    client = login_as(official)
    assert f"/competitions/awards/lines/{line.id}/withdraw" in client.get(
        f"/competitions/events/{ev.id}/awards").get_data(as_text=True)
    refused = client.post(f"/competitions/awards/lines/{line.id}/withdraw", data={"hold-reason": " "})
    assert refused.status_code == 422 and "请填写撤销原因" in refused.get_data(as_text=True)
    assert client.post(f"/competitions/awards/lines/{line.id}/withdraw",
                       data={"hold-reason": "冒名顶替"}).status_code == 303
    certificate = db.session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.award_line_id == line.id))
    assert certificate.revoked_at is not None and "冒名顶替" in certificate.revoke_reason
    assert login_as(organiser).post(f"/competitions/awards/lines/{line.id}/withdraw",
                                    data={"hold-reason": "x"}).status_code == 403
