"""合并重复人员 in the browser: from the person's page, pick the other record, compare, keep one, merge."""

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.competitions.registration.models import Registration
from app.core.enums import District
from app.core.models import Person
from app.extensions import db
from tests import competition_factories as cf
from tests import factories
from tests.browser.conftest import screenshot, signed_in_as

pytestmark = pytest.mark.browser


def test_official_merges_a_duplicate_person_from_the_persons_page(app, ctx, page):
    factories.municipal_official(username="chen")
    unit = factories.org(name="上海申港精密机械有限公司")
    first = factories.person("张伟", unit, factories.valid_ric(District.XUHUI, date(1996, 2, 3)), phone=None)
    second = factories.person("张伟", unit, factories.valid_ric(District.XUHUI, date(1996, 2, 4)), phone="13987654321")
    cf.registration(cf.event(name="数控车"), second, unit)
    first_id, second_id = first.id, second.id
    signed_in_as(page, "chen")
    page.goto(f"/people/{first_id}")
    page.get_by_role("link", name="合并重复人员").click()
    page.locator("#merge-candidates").get_by_role("link", name="选择并对比").click()
    expect(page.locator("#merge-other")).to_contain_text("赛项报名：1")
    expect(page.locator("#merge-this")).to_contain_text("无")
    screenshot(page, "person-merge-compare")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "person-merge-compare-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("张伟（本记录", exact=False).check()
    page.get_by_role("button", name="合并为一条记录").click()
    expect(page.locator(".alert-success, .toast, [role=status]").first).to_contain_text("已合并")
    assert page.url.endswith(f"/people/{first_id}")
    expect(page.locator("dl.facts")).to_contain_text("139****4321")
    db.session.expire_all()
    assert db.session.get(Person, second_id) is None
    assert db.session.scalar(sa.select(Registration.person_id)) == first_id
