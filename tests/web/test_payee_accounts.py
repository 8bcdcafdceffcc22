"""Issue 23.3: prize-money accounts (Luhn-checked, encrypted, masked everywhere) and the finance payment file
(代发: full numbers, money amounts, count and total in the header, audited, finance only)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.competitions.awards import services as awards
from app.competitions.awards.models import AwardLine, PayeeAccount, PaymentBatch
from app.core.enums import District, Role
from app.core.models import AuditEntry, Person
from app.core.types import utcnow
from app.extensions import db
from tests import certificate_factories as certf
from tests import factories


@pytest.fixture(autouse=True)
def _monday_23_november(fixed_clock):
    fixed_clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


def champion_of(ev) -> Person:
    return certf.result_of(ev, 1).contestant.members[0].person


def finance_user(organisation=None):
    return factories.user(organisation or factories.municipal_bureau(), Role.FINANCE)


def test_a_winner_enters_a_luhn_checked_card_stored_encrypted_and_shown_masked(app, ctx, login_as):
    ev, _organiser, _official = certf.individual_event()
    champion = champion_of(ev)
    athlete = login_as(factories.user(champion.employer, Role.PERSON, person_id=champion.id))
    url = f"/competitions/awards/payees/people/{champion.id}/account"
    form = {"account-holder": "张三华", "account-bank": "中国工商银行", "account-branch": "张江支行"}
    bad = athlete.post(url, data=form | {"account-number": "6222021234567890123"})
    assert bad.status_code == 422 and "校验位不正确" in bad.get_data(as_text=True)
    short = athlete.post(url, data=form | {"account-number": "62220"})
    assert short.status_code == 422 and "12 到 19 位" in short.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PayeeAccount)) == 0  # nothing half-written
    number = certf.card()
    assert athlete.post(url, data=form | {"account-number": " ".join([number[:4], number[4:]])}).status_code == 303
    stored = db.session.scalar(sa.select(PayeeAccount))
    assert number not in stored.number_encrypted and stored.number_masked == f"6222 **** **** {number[-4:]}"
    page = athlete.get(url).get_data(as_text=True)
    assert stored.number_masked in page and number not in page
    audit_rows = " ".join(str(e.after) for e in db.session.scalars(sa.select(AuditEntry)))
    assert number not in audit_rows and stored.number_masked in audit_rows


def test_hr_enters_the_account_of_their_own_people_only(app, ctx, login_as):
    ev, _organiser, _official = certf.individual_event()
    champion = champion_of(ev)
    hr = login_as(factories.user(champion.employer, Role.ENTERPRISE_HR))
    listing = hr.get("/competitions/awards/payees").get_data(as_text=True)
    assert champion.name in listing and "未填写" in listing
    data = {"account-holder": champion.name, "account-bank": "中国银行", "account-number": certf.card()}
    assert hr.post(f"/competitions/awards/payees/people/{champion.id}/account", data=data).status_code == 303
    other_hr = login_as(factories.user(factories.org(), Role.ENTERPRISE_HR))
    assert other_hr.post(f"/competitions/awards/payees/people/{champion.id}/account",
                         data=data).status_code == 403
    assert "**** ****" in hr.get("/competitions/awards/payees").get_data(as_text=True)


def test_lines_without_an_account_are_listed_and_kept_out_of_the_batch(app, ctx, login_as):
    ev, _organiser, official = certf.individual_event()
    champion = champion_of(ev)
    certf.account(person=champion)
    client = login_as(official)
    ledger = client.get("/competitions/awards/ledger").get_data(as_text=True)
    assert 'id="missing-accounts"' in ledger
    missing_section = ledger.split('id="missing-accounts"')[1].split("</div>")[0]
    assert champion.name not in missing_section and "李四" in missing_section  # the silver medallist
    assert client.post("/competitions/awards/payments").status_code == 303
    batch = db.session.scalar(sa.select(PaymentBatch))
    assert batch.line_count == 1 and batch.total == Decimal("10000")  # the champion's prize only
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardLine).where(
        AwardLine.batch_id.is_(None), AwardLine.amount > 0)) == 2


def test_finance_exports_full_numbers_with_count_and_total_and_every_export_is_audited(app, ctx, login_as):
    ev, _organiser, official = certf.individual_event()
    numbers = {}
    for line in db.session.scalars(sa.select(AwardLine).where(AwardLine.amount > 0)):
        acc = certf.account(person=line.person, holder=line.person.name) if line.person else \
            certf.account(organisation=line.unit, holder=line.unit.name, number=certf.card("62170012345678"))
        numbers[acc.holder] = certf.cipher_number(acc)
    awards.create_batch(official, utcnow())
    batch = db.session.scalar(sa.select(PaymentBatch))
    finance = login_as(finance_user())
    assert f"/competitions/finance/payments/{batch.id}.xlsx" in finance.get("/competitions/finance/payments"
                                                                           ).get_data(as_text=True)
    response = finance.get(f"/competitions/finance/payments/{batch.id}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    assert sheet["D1"].value == 3 and Decimal(str(sheet["F1"].value)) == Decimal("21000")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert {r[1]: r[2] for r in rows} == numbers  # full numbers, as text
    assert all(sheet.cell(row=n, column=3).number_format == "@" for n in range(5, 8))
    assert sheet.cell(row=5, column=6).number_format == "#,##0.00"
    assert sum(Decimal(str(r[5])) for r in rows) == Decimal("21000")
    finance.get(f"/competitions/finance/payments/{batch.id}.xlsx")
    exports = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export_payment_file")).all()
    assert len(exports) == 2 and exports[0].actor_id is not None
    # Everyone else sees masked numbers only: the officials' batch file and ledger.
    official_client = login_as(official)
    official_file = official_client.get(f"/competitions/awards/payments/{batch.id}.xlsx").data
    official_rows = [[c.value for c in row] for row in load_workbook(BytesIO(official_file)).active.iter_rows()]
    flat = " ".join(str(v) for row in official_rows for v in row)
    assert "**** ****" in flat and not any(n in flat for n in numbers.values())


@pytest.mark.parametrize("who", ["official", "organizer", "hr", "person", "district_finance"])
def test_the_payment_file_is_refused_to_everyone_but_the_bureaus_finance(app, ctx, login_as, who):
    ev, organiser, official = certf.individual_event()
    for line in db.session.scalars(sa.select(AwardLine).where(AwardLine.amount > 0)):
        certf.account(person=line.person) if line.person else certf.account(organisation=line.unit)
    awards.create_batch(official, utcnow())
    batch = db.session.scalar(sa.select(PaymentBatch))
    champion = champion_of(ev)
    user = {"official": lambda: official, "organizer": lambda: organiser,
            "hr": lambda: factories.user(champion.employer, Role.ENTERPRISE_HR),
            "person": lambda: factories.user(champion.employer, Role.PERSON, person_id=champion.id),
            "district_finance": lambda: finance_user(factories.district_bureau(District.PUDONG))}[who]()
    response = login_as(user).get(f"/competitions/finance/payments/{batch.id}.xlsx")
    # a district bureau's finance may export its own bureau's batches only: this one is not found there
    assert response.status_code == (404 if who == "district_finance" else 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "export_payment_file")) == 0


def test_a_finance_user_with_an_enterprise_is_refused(app, ctx, login_as):
    client = login_as(factories.user(factories.org(), Role.FINANCE))
    assert client.get("/competitions/finance/payments").status_code == 403
