"""Prize-money accounts (收款账户) and the finance payment file (代发).

A competitor line is paid into the winner's account, a unit or expert-team line into the unit's. Card numbers are
stored encrypted and shown masked everywhere; only a bureau's finance staff get them in full, in the payment file,
and every such export is audited. Lines whose payee has no account are listed as missing and kept out of a new
batch (never exported with blank columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.certificates import (
    finance_sees_every_batch,
    may_edit_person_account,
    may_edit_unit_account,
    require_finance,
)
from app.auth.permissions import STAFF_ROLES, deny
from app.competitions.awards.models import AwardLine, AwardLineStatus, PayeeAccount, PaymentBatch, RecipientKind
from app.core import audit
from app.core import rules as core_rules
from app.core.crypto import cipher
from app.core.models import Organisation, Person, User
from app.core.services import raise_not_found
from app.errors import DomainError
from app.extensions import db

ACCOUNT_FIELDS = ["holder", "bank", "branch", "number_masked"]


@dataclass
class AccountData:
    holder: str
    bank: str
    branch: str
    number: str


def payee_key(line: AwardLine) -> tuple[str, int]:
    """Whose account a line is paid into: ("person", id) for a competitor, ("unit", id) otherwise."""
    if line.recipient_kind is RecipientKind.COMPETITOR and line.person_id is not None:
        return "person", line.person_id
    return "unit", line.unit_id


def accounts_for(lines: list[AwardLine]) -> dict[tuple[str, int], PayeeAccount]:
    """The accounts of the lines' payees, in two queries whatever the number of lines."""
    person_ids = {k[1] for k in map(payee_key, lines) if k[0] == "person"}
    unit_ids = {k[1] for k in map(payee_key, lines) if k[0] == "unit"}
    found: dict[tuple[str, int], PayeeAccount] = {}
    if person_ids:
        for acc in db.session.scalars(sa.select(PayeeAccount).where(PayeeAccount.person_id.in_(person_ids))):
            found["person", acc.person_id] = acc  # type: ignore[index]
    if unit_ids:
        for acc in db.session.scalars(sa.select(PayeeAccount).where(PayeeAccount.organisation_id.in_(unit_ids))):
            found["unit", acc.organisation_id] = acc  # type: ignore[index]
    return found


def missing_accounts(lines: list[AwardLine]) -> list[AwardLine]:
    accounts = accounts_for(lines)
    return [ln for ln in lines if payee_key(ln) not in accounts]


# ---------------------------------------------------------------- entering an account

def person_account(actor: User, person: Person) -> PayeeAccount | None:
    if not may_edit_person_account(actor, person):
        deny()
    return db.session.scalar(sa.select(PayeeAccount).where(PayeeAccount.person_id == person.id))


def unit_account(actor: User, organisation: Organisation) -> PayeeAccount | None:
    if not may_edit_unit_account(actor, organisation):
        deny()
    return db.session.scalar(sa.select(PayeeAccount).where(PayeeAccount.organisation_id == organisation.id))


def _checked(data: AccountData) -> tuple[str, str, str, str]:
    holder, bank, branch = data.holder.strip(), data.bank.strip(), data.branch.strip()
    if not holder:
        raise DomainError(_("请填写户名"), "holder")
    if not bank:
        raise DomainError(_("请填写开户银行"), "bank")
    try:
        digits = core_rules.check_card_number(data.number)
    except core_rules.CardNumberError as exc:
        message = {"digits": _("银行卡号只能由数字组成"), "length": _("银行卡号应为 12 到 19 位数字"),
                   "check": _("银行卡号校验位不正确，请核对")}[exc.reason]
        raise DomainError(message, "number") from exc
    return holder[:100], bank[:100], branch[:100], digits


def save_person_account(actor: User, person: Person, data: AccountData) -> PayeeAccount:
    account = person_account(actor, person)
    return _save(actor, account or PayeeAccount(person_id=person.id), data, person.name)


def save_unit_account(actor: User, organisation: Organisation, data: AccountData) -> PayeeAccount:
    account = unit_account(actor, organisation)
    return _save(actor, account or PayeeAccount(organisation_id=organisation.id), data, organisation.name)


def _save(actor: User, account: PayeeAccount, data: AccountData, who: str) -> PayeeAccount:
    holder, bank, branch, digits = _checked(data)
    before = audit.snapshot(account, ACCOUNT_FIELDS) if account.id else None
    account.holder, account.bank, account.branch = holder, bank, branch
    account.number_encrypted = cipher().encrypt(digits)
    account.number_masked = core_rules.mask_card_number(digits)
    account.updated_by_id = actor.id
    db.session.add(account)
    audit.record(actor, "update" if before else "create", account, before=before,
                 after=audit.snapshot(account, ACCOUNT_FIELDS), summary=who)
    db.session.commit()
    return account


# ---------------------------------------------------------------- finance: the payment file

def finance_batches(actor: User) -> list[PaymentBatch]:
    require_finance(actor)
    return list(db.session.scalars(_finance_batches(actor).order_by(PaymentBatch.id.desc()).limit(100)))


def _finance_batches(actor: User) -> sa.Select:
    stmt = sa.select(PaymentBatch)
    if not finance_sees_every_batch(actor):
        stmt = stmt.where(PaymentBatch.created_by_id.in_(
            sa.select(User.id).where(User.organisation_id == actor.organisation_id)))
    return stmt


def finance_batch(actor: User, batch_id: int) -> PaymentBatch:
    require_finance(actor)
    batch = db.session.scalar(_finance_batches(actor).where(PaymentBatch.id == batch_id))
    if batch is None:
        raise_not_found()
    return batch


@dataclass
class PaymentRow:
    line: AwardLine
    holder: str
    number: str
    bank: str
    branch: str
    amount: Decimal


def payment_rows(actor: User, batch: PaymentBatch) -> list[PaymentRow]:
    """Every line of the batch with its payee's full account number; refused (with the names) while any payee
    has no account. The export is audited."""
    require_finance(actor)
    lines = list(db.session.scalars(sa.select(AwardLine).where(AwardLine.batch_id == batch.id)
                                    .order_by(AwardLine.id)
                                    .options(selectinload(AwardLine.person), selectinload(AwardLine.unit),
                                             selectinload(AwardLine.event))))
    accounts = accounts_for(lines)
    missing = [ln for ln in lines if payee_key(ln) not in accounts]
    if missing:
        names = "、".join(sorted({ln.person.name if ln.person else ln.unit.name for ln in missing}))
        raise DomainError(_("以下收款人还没有收款账户，不能导出：%(names)s", names=names))
    rows = []
    for line in lines:
        account = accounts[payee_key(line)]
        rows.append(PaymentRow(line, account.holder, cipher().decrypt(account.number_encrypted), account.bank,
                               account.branch, Decimal(line.amount)))
    audit.record(actor, "export_payment_file", batch, after={"lines": len(rows), "total": str(batch.total)},
                 summary=f"#{batch.id}")
    db.session.commit()
    return rows


# ---------------------------------------------------------------- who needs an account

@dataclass
class Payee:
    person: Person
    account: PayeeAccount | None
    amount: Decimal


def unit_payees(actor: User) -> tuple[list[Payee], PayeeAccount | None]:
    """For a unit's staff: the unit's people with prize money (under notice, approved or paid) and their accounts,
    and the unit's own account (unit and expert-team lines)."""
    if not (actor.roles & STAFF_ROLES):
        deny()
    rows = db.session.execute(
        sa.select(Person, sa.func.sum(AwardLine.amount)).join(AwardLine, AwardLine.person_id == Person.id)
        .where(Person.employer_id == actor.organisation_id, AwardLine.amount > 0,
               AwardLine.status.in_([AwardLineStatus.NOTICE, AwardLineStatus.APPROVED, AwardLineStatus.PAID]))
        .group_by(Person.id).order_by(Person.name, Person.id)).all()
    accounts = {a.person_id: a for a in db.session.scalars(sa.select(PayeeAccount).where(
        PayeeAccount.person_id.in_([p.id for p, _total in rows])))} if rows else {}
    own = db.session.scalar(sa.select(PayeeAccount).where(PayeeAccount.organisation_id == actor.organisation_id))
    return [Payee(p, accounts.get(p.id), Decimal(total or 0)) for p, total in rows], own
