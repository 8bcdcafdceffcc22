"""What every area's services share about people (the identity checks, the document-number hash, the person
fields), and the helpers of any service: not found, a unique key lost to a concurrent writer. No permission
checks: the use cases on organisations, users and people are in app/people/services.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from app.core import clock, rules
from app.core.crypto import cipher
from app.core.enums import DocType, Sex
from app.core.models import Occupation, Person
from app.errors import DomainError
from app.extensions import db

RULE_MESSAGES = {
    "id_required": lambda: _("请填写证件号码"),
    "id_length": lambda: _("身份证号应为18位"),
    "id_checksum": lambda: _("身份证号校验位不正确"),
    "id_invalid": lambda: _("身份证号格式不正确（出生日期或地区码无效）"),
    "id_15_digits": lambda: _("这是15位旧身份证号，请填写18位身份证号"),
    "id_format": lambda: _("身份证号前17位应为数字，最后一位为数字或X"),
    "id_date": lambda: _("身份证号中的出生日期不是真实日期"),
    "id_region": lambda: _("身份证号前6位不是有效的地区码"),
    "id_birth_future": lambda: _("身份证号中的出生日期晚于今天"),
    "id_age": lambda: _("按身份证号中的出生日期，年龄不在16–100周岁之间"),
    "doc_invalid": lambda: _("证件号码应为5–20位字母或数字"),
    "uscc_length": lambda: _("统一社会信用代码应为18位"),
    "uscc_checksum": lambda: _("统一社会信用代码校验位不正确"),
    "uscc_invalid": lambda: _("统一社会信用代码格式不正确"),
    "phone_invalid": lambda: _("请输入11位中国大陆手机号"),
}


def rule_message(exc: rules.RuleError) -> str:
    return str(RULE_MESSAGES[exc.code]())


# ---------------------------------------------------------------- users

USER_FIELDS = ["username", "display_name", "email", "organisation_id", "person_id", "active"]


# ---------------------------------------------------------------- people

PERSON_FIELDS = ["name", "doc_type", "id_number_masked", "birth_date", "sex", "phone_masked", "employer_id",
                 "current_level"]


@dataclass
class PersonData:
    name: str
    doc_type: DocType
    id_number: str
    #: None keeps the stored phone (an edit form cannot show it); "" clears it.
    phone: str | None = ""
    employer_id: int | None = None
    birth_date: date | None = None
    sex: Sex | None = None


def id_hash(doc_type: DocType, number: str) -> str:
    """The blind index of a document number: always of its normal form, so 全角 and ASCII digits meet."""
    return cipher().lookup_hash(doc_type.value, rules.normalise_id_number(number))


def find_person_by_id_number(doc_type: DocType, number: str) -> Person | None:
    return db.session.scalar(sa.select(Person).where(Person.id_number_hash == id_hash(doc_type, number)))


def check_person_data(data: PersonData, keep_number: bool = False) -> PersonData:
    """Validate and normalise; derive birth date and sex from a 身份证号. Raises DomainError(field).

    With ``keep_number`` (an edit that left the number blank) the stored number is not checked again.
    """
    data.name = data.name.strip()
    if not data.name:
        raise DomainError(_("请填写姓名"), "name")
    if len(data.name) > 50:
        raise DomainError(_("姓名过长"), "name")
    if keep_number and not data.id_number.strip():
        data.id_number = ""
    else:
        _check_number(data)
    if data.phone:
        try:
            data.phone = rules.check_mobile(data.phone)
        except rules.RuleError as exc:
            raise DomainError(rule_message(exc), "phone") from exc
    return data


def _check_number(data: PersonData) -> None:
    try:
        facts = rules.check_id_number(data.doc_type, data.id_number, today=clock.today())
    except rules.RuleError as exc:
        raise DomainError(rule_message(exc), "id_number") from exc
    data.id_number = facts.number
    if facts.birth_date is not None:
        data.birth_date, data.sex = facts.birth_date, facts.sex


def apply_person_data(person: Person, data: PersonData) -> None:
    """Write the form's values; a blank number or a phone of None keeps what is stored."""
    person.name = data.name
    if data.id_number:
        person.doc_type = data.doc_type
        person.id_number_encrypted = cipher().encrypt(data.id_number)
        person.id_number_hash = id_hash(data.doc_type, data.id_number)
        person.id_number_masked = rules.mask_id_number(data.id_number)
        person.id_tail = rules.id_tail(data.id_number)
    if data.id_number and data.doc_type is DocType.RIC or person.doc_type is not DocType.RIC:
        person.birth_date, person.sex = data.birth_date, data.sex
    if data.phone is not None:
        person.phone_encrypted = cipher().encrypt(data.phone) if data.phone else None
        person.phone_masked = rules.mask_phone(data.phone) if data.phone else ""
    person.employer_id = data.employer_id


def occupation_choices() -> list[tuple[str, str]]:
    return [(o.code, f"{o.code} {o.name}") for o in db.session.scalars(sa.select(Occupation).order_by(Occupation.code))]


# ---------------------------------------------------------------- helpers

def lock_row(obj: Any, *, read: bool = False, refresh: tuple[str, ...] = ()) -> None:
    """Row-lock a mapped object's row for the rest of the transaction (PostgreSQL: ``FOR UPDATE``, or ``FOR
    SHARE`` with ``read``; SQLite already serialises writers), then read ``refresh`` again: what a writer that held
    the row committed meanwhile."""
    mapper = sa.inspect(obj).mapper
    key = mapper.primary_key[0]
    db.session.execute(sa.select(key).where(key == getattr(obj, key.key)).with_for_update(read=read))
    if refresh:
        db.session.refresh(obj, list(refresh))


def raise_not_found() -> NoReturn:
    raise NotFound()


@contextmanager
def unique_or_domain_error(message: str, field: str, commit: bool = True) -> Iterator[None]:
    """Run a write and commit it (or only flush it, inside a larger transaction); a unique key lost to a
    concurrent writer (at flush or at commit) becomes the same DomainError as the service's own pre-check."""
    try:
        yield
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise DomainError(message, field) from exc
