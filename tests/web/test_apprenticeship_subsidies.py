"""Training subsidies (先支后补) and the class import: advance after approval, balance after a pass, clawback on
withdrawal or failure, the claim window, one subsidy per apprentice and training year, the ledger and its export."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError

from app.apprenticeships import services
from app.apprenticeships.imports import HEADERS, PLAN_HEADERS, PLAN_SHEET
from app.apprenticeships.models import Enrollment, EnrollmentStatus, SubsidyKind, SubsidyLine
from app.apprenticeships.rules import add_years
from app.core.crypto import cipher
from app.core.enums import District, SkillLevel
from app.core.models import Person
from app.core.views import today_in_shanghai
from app.errors import DomainError
from app.extensions import db
from tests import apprenticeship_factories as af
from tests import factories


@pytest.fixture()
def cast(app, ctx):
    af.policies()
    return af.cast()


def _lines() -> list[tuple[str, str, Decimal]]:
    db.session.expire_all()
    return [(line.enrollment.person.name, line.kind.value, line.amount)
            for line in db.session.scalars(sa.select(SubsidyLine).order_by(SubsidyLine.id))]


def _claim(c, klass, kind, year=1, today=af.TODAY):
    return services.claim(c.hr, klass, kind, year, today=today, now=af.NOW)


def _assess(c, e, passed, today=af.TODAY, number="S31000001"):
    services.transition(c.college, e, "start", today=today, now=af.NOW)
    services.transition(c.college, e, "assess", today=today, now=af.NOW, assessment=services.Assessment(
        passed, today, number if passed else "", SkillLevel.LEVEL_4 if passed else None))


def test_advance_after_approval_then_balance_after_pass_and_clawback_on_withdrawal(cast, login_as, fixed_clock):
    fixed_clock(datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
    klass = af.klass(cast)
    today = today_in_shanghai()  # the training began ten days ago
    starts = today - timedelta(days=10)
    period = {"starts": starts, "ends": add_years(starts, 1)}
    passes = af.approved(cast, af.apprentice(cast, "通过者"), klass.id, **period)
    leaves = af.approved(cast, af.apprentice(cast, "退出者"), klass.id, **period)
    web = login_as(cast.hr)
    response = web.post(f"/apprenticeships/classes/{klass.id}/claim", {"kind": "advance", "training_year": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    # 黄浦区 中级工: (5,000 + 3,000) × 12/12, half in advance.
    assert _lines() == [("通过者", "advance", Decimal("4000.00")), ("退出者", "advance", Decimal("4000.00"))]
    response = web.post(f"/apprenticeships/classes/{klass.id}/claim", {"kind": "advance", "training_year": "1"})
    assert response.status_code == 422 and "没有可申领的学徒" in response.get_data(as_text=True)

    services.transition(cast.hr, leaves, "withdraw", today=today, now=af.NOW, reason="离职")
    fixed_clock(datetime(2027, 3, 5, 2, 0, tzinfo=UTC))  # the passer is assessed at the end of the year
    _assess(cast, passes, True, today=today_in_shanghai())
    web = login_as(cast.hr)  # a year on: yesterday's session has long expired
    assert web.post(f"/apprenticeships/classes/{klass.id}/claim", {"kind": "balance", "training_year": "1"}
                    ).status_code == 303
    assert _lines()[2:] == [("退出者", "clawback", Decimal("-4000.00")), ("通过者", "balance", Decimal("4000.00"))]
    page = web.get(f"/apprenticeships/classes/{klass.id}").get_data(as_text=True)
    assert "-4,000.00" in page and "尾款" in page


def test_a_failed_assessment_claws_back_the_advance_and_pays_no_balance(cast):
    klass = af.klass(cast)
    e = af.approved(cast, class_id=klass.id)
    _claim(cast, klass, SubsidyKind.ADVANCE)
    _assess(cast, e, False)
    assert [k for _, k, _ in _lines()] == ["advance", "clawback"]
    with pytest.raises(DomainError, match="没有可申领的学徒"):
        _claim(cast, klass, SubsidyKind.BALANCE)


def test_a_withdrawal_before_any_advance_leaves_no_line(cast):
    klass = af.klass(cast)
    e = af.approved(cast, class_id=klass.id)
    services.transition(cast.hr, e, "withdraw", today=af.TODAY, now=af.NOW, reason="离职")
    assert _lines() == []


def test_a_partial_second_year_is_prorated_and_claimable_once_it_begins(cast):
    klass = af.klass(cast)
    e = af.approved(cast, class_id=klass.id, ends_on=date(2027, 9, 1),
                    modules=af.modules(classroom=300, practical=700))
    with pytest.raises(DomainError, match="没有可申领的学徒"):
        _claim(cast, klass, SubsidyKind.ADVANCE, year=2)  # year 2 has not begun
    _claim(cast, klass, SubsidyKind.ADVANCE, year=2, today=date(2027, 3, 5))
    line = db.session.scalar(sa.select(SubsidyLine))
    assert (line.training_year, line.months, line.standard, line.amount, line.year) == (
        2, 6, Decimal("8000.00"), Decimal("2000.00"), 2027)
    assert e.id == line.enrollment_id


def test_the_city_standard_applies_outside_a_topping_up_district_and_before_the_top_up_began(app, ctx):
    af.policies()
    xuhui = af.cast(District.XUHUI)
    klass = af.klass(xuhui)
    af.approved(xuhui, class_id=klass.id)
    _claim(xuhui, klass, SubsidyKind.ADVANCE)
    assert _lines()[0][2] == Decimal("2500.00")
    huangpu = af.cast(District.HUANGPU, prefix="早")
    early = af.klass(huangpu)
    af.approved(huangpu, class_id=early.id, starts_on=date(2025, 3, 1), ends_on=date(2026, 3, 1))
    _claim(huangpu, early, SubsidyKind.ADVANCE)  # approved now, for a training year that began in March 2025
    assert _lines()[1][2] == Decimal("2500.00")  # 黄浦's top-up starts 2025-09-01


def test_a_claim_after_the_window_is_refused(cast):
    klass = af.klass(cast)
    af.approved(cast, class_id=klass.id)
    with pytest.raises(DomainError, match="已超过申领期限"):
        _claim(cast, klass, SubsidyKind.ADVANCE, today=af.TODAY + timedelta(days=200))
    assert _lines() == []


def test_one_subsidy_per_apprentice_and_training_year_is_a_database_constraint(cast):
    klass = af.klass(cast)
    af.approved(cast, class_id=klass.id)
    line = _claim(cast, klass, SubsidyKind.ADVANCE).created[0]
    db.session.add(SubsidyLine(enrollment_id=line.enrollment_id, enterprise_id=line.enterprise_id,
                               district=line.district, training_year=1, year=2026, kind=SubsidyKind.ADVANCE,
                               amount=Decimal("1.00"), standard=Decimal("1.00"), months=12))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_officials_approve_and_pay_and_the_ledger_adds_up_per_enterprise_district_and_year(cast, login_as):
    klass = af.klass(cast)
    a = af.approved(cast, af.apprentice(cast, "甲"), klass.id)
    af.approved(cast, af.apprentice(cast, "乙"), klass.id)
    _claim(cast, klass, SubsidyKind.ADVANCE)
    services.transition(cast.hr, a, "withdraw", today=af.TODAY, now=af.NOW, reason="离职")
    other = af.cast(District.XUHUI, prefix="另")
    other_class = af.klass(other)
    af.approved(other, factories.person("丙", other.enterprise, level=SkillLevel.LEVEL_5), other_class.id)
    _claim(other, other_class, SubsidyKind.ADVANCE)
    ids = db.session.scalars(sa.select(SubsidyLine.id).where(SubsidyLine.district == District.HUANGPU,
                                                             SubsidyLine.kind == SubsidyKind.ADVANCE)).all()
    official = login_as(cast.official)
    assert official.post("/apprenticeships/ledger/decide", {"line_id": ids, "decision": "pay"}).status_code == 422
    assert official.post("/apprenticeships/ledger/decide", {"line_id": ids, "decision": "approve"}).status_code == 200
    assert official.post("/apprenticeships/ledger/decide", {"line_id": ids[:1], "decision": "pay"}
                         ).status_code == 200
    xuhui_line = db.session.scalar(sa.select(SubsidyLine.id).where(SubsidyLine.district == District.XUHUI))
    assert official.post("/apprenticeships/ledger/decide", {"line_id": [xuhui_line], "decision": "approve"}
                         ).status_code == 403
    assert login_as(cast.hr).post("/apprenticeships/ledger/decide", {"line_id": ids, "decision": "pay"}
                                  ).status_code == 403

    municipal = factories.municipal_official()
    summary, total = services.ledger_summary(municipal, services.LedgerFilter(), "district")
    by = {label: t for label, t in summary}
    assert (by["黄浦区"].claimed, by["黄浦区"].approved, by["黄浦区"].paid, by["黄浦区"].clawed_back) == (
        Decimal("8000.00"), Decimal("8000.00"), Decimal("4000.00"), Decimal("-4000.00"))
    assert by["徐汇区"].claimed == Decimal("2500.00")
    assert total.claimed == Decimal("10500.00") and total.net == Decimal("0.00")
    by_year = services.ledger_summary(municipal, services.LedgerFilter(), "year")[0]
    assert [(label, t.claimed) for label, t in by_year] == [("2026", Decimal("10500.00"))]
    by_enterprise = dict(services.ledger_summary(municipal, services.LedgerFilter(), "enterprise")[0])
    assert by_enterprise["上海申港精密机械有限公司"].claimed == Decimal("8000.00")

    # The district official's page only holds the district; the totals in the page match the sums.
    html = official.get("/apprenticeships/ledger?group=district").get_data(as_text=True)
    table = html[html.index('id="ledger-summary"'):]
    assert "黄浦区" in table and "徐汇区" not in table
    footer = html[html.index('id="ledger-total"'):]
    assert "8,000.00" in footer and "4,000.00" in footer and "-4,000.00" in footer
    export = login_as(municipal).get("/apprenticeships/ledger/export.xlsx?group=district")
    workbook = load_workbook(BytesIO(export.data))
    rows = list(workbook["汇总"].iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][1])) == Decimal("10500")
    assert len(list(workbook["明细"].iter_rows(values_only=True))) == 1 + 4


def test_the_enterprise_sees_only_its_own_ledger(cast, login_as):
    klass = af.klass(cast)
    af.approved(cast, class_id=klass.id)
    _claim(cast, klass, SubsidyKind.ADVANCE)
    other = af.cast(District.XUHUI, prefix="另")
    html = login_as(other.hr).get("/apprenticeships/ledger").get_data(as_text=True)
    assert "4,000.00" not in html
    assert "4,000.00" in login_as(cast.hr).get("/apprenticeships/ledger").get_data(as_text=True)
    assert login_as(cast.college).get("/apprenticeships/ledger").status_code == 403


# ---------------------------------------------------------------- the class import

def _sheet(rows, plan=(("安全生产", "课堂", 200), ("岗位实训", "岗位实践", 500))) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    sheet = wb.create_sheet(PLAN_SHEET)
    sheet.append(PLAN_HEADERS)
    for row in plan:
        sheet.append(list(row))
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(name, number, mentor="孙师傅", start="2026-03-01", end="2027-03-01"):
    return [name, "", number, "新招用", "2026-01-01", "2029-01-01", mentor, "钱老师", start, end, ""]


def _import(web, klass, content):
    return web.post(f"/apprenticeships/classes/{klass.id}/import",
                    {"import-file": (BytesIO(content), "class.xlsx")}, content_type="multipart/form-data")


def test_a_class_sheet_with_one_bad_row_writes_nothing_and_the_fixed_sheet_enrolls_everyone(cast, login_as):
    klass = af.klass(cast)
    known = af.apprentice(cast, "老员工")
    numbers = [factories.valid_ric(birth=date(2003, 4, 1 + i)) for i in range(2)]
    web = login_as(cast.hr)
    rows = [_row("老员工", cipher().decrypt(known.id_number_encrypted)), _row("新学徒甲", numbers[0]),
            _row("新学徒乙", numbers[1], mentor="不存在的师傅")]
    response = _import(web, klass, _sheet(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "文件有误，未导入任何数据" in html
    assert "企业导师「不存在的师傅」不是该单位职工" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 0
    assert db.session.scalar(sa.select(Person).where(Person.name == "新学徒甲")) is None

    rows[2] = _row("新学徒乙", numbers[1])
    response = _import(web, klass, _sheet(rows))
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    enrolled = db.session.scalars(sa.select(Enrollment).order_by(Enrollment.id)).all()
    assert [e.person.name for e in enrolled] == ["老员工", "新学徒甲", "新学徒乙"]
    assert {e.class_id for e in enrolled} == {klass.id} and {e.status for e in enrolled} == {EnrollmentStatus.DRAFT}
    assert [m.planned_hours for m in enrolled[0].modules] == [200, 500]
    assert db.session.scalar(sa.select(Person).where(Person.name == "新学徒甲")).employer_id == cast.enterprise.id


def test_a_class_sheet_reports_every_row_problem(cast, login_as):
    klass = af.klass(cast)
    outsider = factories.person("外企员工", factories.org())
    rows = [_row("外企员工", cipher().decrypt(outsider.id_number_encrypted)),
            _row("日期错", factories.valid_ric(birth=date(2003, 5, 1)), end="明年"),
            _row("太短", factories.valid_ric(birth=date(2003, 5, 2)), end="2026-09-01")]
    html = _import(login_as(cast.hr), klass, _sheet(rows)).get_data(as_text=True)
    assert "学徒须为本企业职工" in html and "培训结束日期格式应为 YYYY-MM-DD" in html and "培训期限过短" in html
    assert "外企员工" in html  # the name the enterprise typed, never the stored one


def test_a_class_sheet_without_a_valid_plan_is_refused(cast, login_as):
    klass = af.klass(cast)
    content = _sheet([_row("甲", factories.valid_ric(birth=date(2003, 6, 1)))], plan=[("理论", "其他", 100)])
    response = _import(login_as(cast.hr), klass, content)
    assert response.status_code == 422 and "「培训计划」第 2 行有误" in response.get_data(as_text=True)


def test_the_class_template_has_the_columns_and_a_plan_sheet(cast, login_as):
    wb = load_workbook(BytesIO(login_as(cast.hr).get("/apprenticeships/template.xlsx").data))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert [c.value for c in wb[PLAN_SHEET][1]] == PLAN_HEADERS


def test_another_enterprise_cannot_import_into_the_class(cast, login_as):
    klass = af.klass(cast)
    other = af.cast(District.XUHUI, prefix="另")
    response = _import(login_as(other.hr), klass, _sheet([]))
    assert response.status_code == 403


def test_the_class_export_lists_its_apprentices(cast, login_as):
    klass = af.klass(cast)
    af.enrollment(cast, class_id=klass.id)
    wb = load_workbook(BytesIO(login_as(cast.official).get(f"/apprenticeships/classes/{klass.id}/export.xlsx").data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][1] == "王小明" and rows[1][7] == "孙师傅" and "*" in rows[1][2]



def test_the_ledger_page_query_count_is_constant(cast, login_as, app):
    from tests.conftest import count_queries

    klass = af.klass(cast)
    af.approved(cast, class_id=klass.id)
    _claim(cast, klass, SubsidyKind.ADVANCE)
    web = login_as(factories.municipal_official())
    with count_queries(app) as few:
        web.get("/apprenticeships/ledger")
    teachers = [factories.person(f"老师{i}", cast.institution, level=SkillLevel.LEVEL_2) for i in range(2)]
    more = af.klass(cast, name="第二班")
    for i in range(10):
        af.approved(cast, af.apprentice(cast, f"学徒{i}"), more.id, institution_mentor_id=teachers[i % 2].id,
                    enterprise_mentor_id=factories.person(f"师傅{i}", cast.enterprise, level=SkillLevel.LEVEL_3).id)
    _claim(cast, more, SubsidyKind.ADVANCE)
    with count_queries(app) as many:
        html = web.get("/apprenticeships/ledger").get_data(as_text=True)
    assert html.count('class="line-advance"') == 11
    assert len(many) == len(few)


# ---------------------------------------------------------------- the worked example (issue 19)

def _two_year(cast, klass, name):
    """A 2-year enrollment from 2026-03-01 (standard 5,000.00 元 per person-year in 徐汇, no top-up)."""
    return af.approved(cast, af.apprentice(cast, name), klass.id, starts=date(2026, 3, 1), ends=date(2028, 3, 1),
                       modules=af.modules(classroom=400, practical=900))


def test_worked_example_advance_clawback_in_month_seven_and_balances_for_the_years_trained(app, ctx, login_as):
    af.policies()
    c = af.cast(District.XUHUI)
    klass = af.klass(c)
    leaves, passes = _two_year(c, klass, "退出者"), _two_year(c, klass, "通过者")
    _claim(c, klass, SubsidyKind.ADVANCE)  # 50 % of year 1 after approval
    assert _lines() == [("退出者", "advance", Decimal("2500.00")), ("通过者", "advance", Decimal("2500.00"))]

    # The withdrawal is dated by the user: month 7 (recorded a few days later).
    web = login_as(c.hr)
    services.transition(c.college, leaves, "start", today=af.TODAY, now=af.NOW)
    with_clock = web.post(f"/apprenticeships/{leaves.id}/transition",
                          {"action": "withdraw", "reason": "离职", "withdrawn_on": "2099-01-01"})
    assert with_clock.status_code == 422 and "退出日期须在" in with_clock.get_data(as_text=True)
    services.transition(c.hr, leaves, "withdraw", today=date(2026, 9, 20), now=af.NOW, reason="离职",
                        withdrawn_on=date(2026, 9, 15))
    assert leaves.withdrawn_on == date(2026, 9, 15)
    assert _lines()[2] == ("退出者", "clawback", Decimal("-2500.00"))
    assert "2026-09-15" in db.session.scalars(sa.select(SubsidyLine.note)).all()[2]

    # The other passes at the end: year 2's advance, then both balances.
    _claim(c, klass, SubsidyKind.ADVANCE, year=2, today=date(2027, 3, 5))
    _assess(c, passes, True, today=date(2028, 2, 26))
    _claim(c, klass, SubsidyKind.BALANCE, year=1, today=date(2028, 2, 27))
    _claim(c, klass, SubsidyKind.BALANCE, year=2, today=date(2028, 2, 27))
    paid = [a for n, _k, a in _lines() if n == "通过者"]
    assert paid == [Decimal("2500.00")] * 4 and sum(paid) == Decimal("10000.00")  # 5,000 × 2 years trained
    assert sum(a for n, _k, a in _lines() if n == "退出者") == 0


def test_a_pass_three_days_in_pays_only_for_the_time_trained_and_says_why(app, ctx):
    af.policies()
    c = af.cast(District.XUHUI)
    klass = af.klass(c)
    e = _two_year(c, klass, "早通过")
    _claim(c, klass, SubsidyKind.ADVANCE)
    with pytest.raises(DomainError, match="没有可申领的学徒"):
        _claim(c, klass, SubsidyKind.ADVANCE, year=2)  # year 2 has not begun
    _assess(c, e, True, today=date(2026, 3, 4))  # 3 days into the 2-year enrollment
    result = _claim(c, klass, SubsidyKind.BALANCE, year=1)
    assert not result.created
    assert "实际培训 0 个月" in result.notes[0] and "多预支的 2,500.00 元追回" in result.notes[0]
    with pytest.raises(DomainError, match="第2培训年度尚未开始，不支付该年度补贴"):
        _claim(c, klass, SubsidyKind.BALANCE, year=2, today=date(2027, 3, 5))
    with pytest.raises(DomainError, match="没有可申领的学徒"):
        _claim(c, klass, SubsidyKind.ADVANCE, year=2, today=date(2027, 3, 5))  # training ended before year 2
    assert _lines() == [("早通过", "advance", Decimal("2500.00")), ("早通过", "clawback", Decimal("-2500.00"))]


def test_an_early_pass_after_three_months_pays_three_twelfths(app, ctx):
    af.policies()
    c = af.cast(District.XUHUI)
    klass = af.klass(c)
    e = _two_year(c, klass, "三个月")
    _assess(c, e, True, today=date(2026, 6, 5))
    result = _claim(c, klass, SubsidyKind.BALANCE, year=1, today=date(2026, 6, 6))
    assert [(line.amount, line.months) for line in result.created] == [(Decimal("1250.00"), 3)]
    assert "按 3/12 计 1,250.00 元" in result.notes[0]
