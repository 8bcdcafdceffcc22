from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.core.enums import District, OrgKind, Role
from app.core.models import AuditEntry, PolicyValue
from app.core.policy import value_in_force
from app.extensions import db
from tests import factories
from tests.conftest import count_queries


def _add(web, **fields):
    form = {"key": "apprenticeship.subsidy_per_year", "qualifier": "", "district": "", "effective_from": "2021-10-01",
            "value": "5000", "note": "国家指导标准", **fields}
    return web.post("/policies", form)


def test_official_adds_values_over_time_and_history_is_kept(app, ctx, login_as, fixed_clock):
    fixed_clock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))  # the 2027 value is not yet in force (未生效)
    web = login_as(factories.municipal_official())
    assert _add(web).status_code == 303
    assert _add(web, effective_from="2027-01-01", value="6000", note="新标准").status_code == 303
    rows = db.session.scalars(sa.select(PolicyValue).order_by(PolicyValue.effective_from)).all()
    assert [r.value for r in rows] == [Decimal("5000.00"), Decimal("6000.00")]
    assert value_in_force("apprenticeship.subsidy_per_year", date(2026, 11, 25)) == Decimal("5000.00")
    assert value_in_force("apprenticeship.subsidy_per_year", date(2027, 1, 1)) == Decimal("6000.00")
    assert value_in_force("apprenticeship.subsidy_per_year", date(2020, 1, 1)) is None
    page = web.get("/policies").get_data(as_text=True)
    assert "6,000.00" in page and "5,000.00" in page and "未生效" in page


def test_a_district_value_wins_in_its_district_only(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    _add(web, key="apprenticeship.district_topup", qualifier="level4", district="huangpu", effective_from="2025-09-01",
         value="3000")
    _add(web, key="apprenticeship.district_topup", qualifier="level4", effective_from="2025-01-01", value="1000")
    on = date(2026, 1, 1)
    assert value_in_force("apprenticeship.district_topup", on, "level4", District.HUANGPU) == Decimal("3000.00")
    assert value_in_force("apprenticeship.district_topup", on, "level4", District.XUHUI) == Decimal("1000.00")
    assert value_in_force("apprenticeship.district_topup", on, "level3", District.HUANGPU) is None


def test_bad_policy_input_gets_422_by_the_field(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    assert _add(web).status_code == 303
    response = _add(web, value="7000")
    assert response.status_code == 422 and "同一生效日期已有取值" in response.get_data(as_text=True)
    response = _add(web, value="-1", effective_from="2030-01-01")
    assert response.status_code == 422 and "数值不能为负" in response.get_data(as_text=True)
    response = _add(web, key="reminder.offset_days", qualifier="nonsense", effective_from="2030-01-01")
    assert response.status_code == 422 and "请选择适用范围" in response.get_data(as_text=True)
    response = _add(web, value="abc", effective_from="2031-01-01")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyValue)) == 1


def test_district_official_sets_only_their_district_values(app, ctx, login_as):
    web = login_as(factories.district_official(District.HUANGPU))
    response = _add(web)
    assert response.status_code == 422 and "区人社局只能设置本区的政策参数" in response.get_data(as_text=True)
    assert _add(web, district="huangpu").status_code == 303
    assert _add(web, district="xuhui", effective_from="2022-01-01").status_code == 422


def test_policy_values_are_for_officials_only(app, ctx, login_as):
    web = login_as(factories.user(factories.org(), Role.ENTERPRISE_HR))
    assert web.get("/policies").status_code == 403
    assert _add(web).status_code == 403


def test_audit_page_shows_who_changed_what_for_a_record(app, ctx, login_as):
    official = factories.municipal_official(display_name="审计员")
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="审计对象公司")
    web = login_as(official)
    web.post(f"/organisations/{org.id}/edit", {"name": "审计对象公司二", "kind": "enterprise", "uscc": org.uscc,
                                              "district": "pudong", "active": "y"})
    page = web.get(f"/audit?entity_type=organisations&entity_id={org.id}").get_data(as_text=True)
    assert "审计员" in page and "审计对象公司二" in page and "修改" in page and "名称/姓名" in page


def test_district_official_sees_audit_of_their_district_only(app, ctx, login_as):
    pudong_hr = factories.user(factories.org(OrgKind.ENTERPRISE, District.PUDONG), Role.ENTERPRISE_HR,
                               display_name="浦东人事")
    xuhui_hr = factories.user(factories.org(OrgKind.ENTERPRISE, District.XUHUI), Role.ENTERPRISE_HR,
                              display_name="徐汇人事")
    login_as(pudong_hr)
    login_as(xuhui_hr)
    web = login_as(factories.district_official(District.PUDONG))
    page = web.get("/audit").get_data(as_text=True)
    assert "浦东人事" in page and "徐汇人事" not in page


def test_audit_list_query_count_does_not_grow_with_rows(app, ctx, login_as):
    official = factories.municipal_official()
    web = login_as(official)
    with count_queries(app) as few:
        web.get("/audit")
    for _ in range(15):
        login_as(factories.municipal_official())
    with count_queries(app) as many:
        web.get("/audit")
    assert len(many) == len(few)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 16


def test_audit_values_read_as_labels_not_codes(app, ctx, login_as):
    org = factories.org(OrgKind.ENTERPRISE, District.PUDONG, name="标签公司")
    web = login_as(factories.municipal_official())
    web.post(f"/organisations/{org.id}/edit", {"name": "标签公司", "kind": "enterprise", "uscc": org.uscc,
                                              "district": "jingan", "active": ""})
    page = web.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "浦东新区" in page and "静安区" in page and ">jingan<" not in page
    assert "<b>启用</b>: 否" in page


def test_the_database_refuses_a_second_city_wide_value_for_the_same_date(app, ctx):
    import pytest
    from sqlalchemy.exc import IntegrityError

    for _ in range(2):
        db.session.add(PolicyValue(key="mentor.max_concurrent_apprentices", qualifier="", district=None,
                                   effective_from=date(2026, 1, 1), value=Decimal("8")))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_ratio_above_one_is_refused(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    response = _add(web, key="apprenticeship.advance_ratio", value="5")
    assert response.status_code == 422 and "数值不能大于 1" in response.get_data(as_text=True)
    assert _add(web, key="apprenticeship.advance_ratio", value="0.5").status_code == 303


def test_audit_trail_filters_by_user_and_date_range_and_exports(app, ctx, login_as):
    from datetime import UTC, datetime
    from io import BytesIO

    from openpyxl import load_workbook

    auditor = factories.municipal_official(display_name="审计员", username="auditor")
    other = factories.municipal_official(display_name="另一位", username="other")
    login_as(other)  # a sign-in is audited
    web = login_as(auditor)
    old = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.actor_id == other.id))
    old.at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 Beijing time on 5 January
    db.session.commit()
    mine = web.get("/audit?user=auditor").get_data(as_text=True)
    assert "<td>审计员</td>" in mine and "<td>另一位</td>" not in mine
    january = web.get("/audit?from=2026-01-05&to=2026-01-05").get_data(as_text=True)
    assert "<td>另一位</td>" in january and "<td>审计员</td>" not in january
    assert "暂无记录" in web.get("/audit?user=nobody").get_data(as_text=True)
    assert "暂无记录" in web.get("/audit?from=2026-01-06&to=2026-01-06").get_data(as_text=True)
    sheet = load_workbook(BytesIO(web.get("/audit.xlsx?from=2026-01-01&to=2026-01-31").data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows == [["2026-01-05 10:00:00", "另一位", "other", "登录", "用户", str(other.id), "other", None, None]]
