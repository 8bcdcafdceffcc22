"""Plain functions that build rows for tests (inside an app context). Each returns the committed object."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from werkzeug.security import generate_password_hash

from app.core import rules
from app.core.crypto import cipher
from app.core.demo import fake_ric, fake_uscc
from app.core.enums import District, DocType, OrgKind, Role, Sex, SkillLevel
from app.core.models import Occupation, Organisation, Person, User
from app.core.services import id_hash
from app.extensions import db

PASSWORD = "correct-horse-battery"
# The app hashes with scrypt (slow on purpose); test users get a cheap hash of the same password.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_counter = itertools.count(1)
_rng = random.Random(7)


_issued: set[str] = set()
#: The order codes not yet tried, per district, birth date and sex: handed out in turn (random picks collided more
#: and more often as a run went on, and each try costs a validity check).
_order_codes: dict[tuple[District, date, bool], Iterator[int]] = {}


def valid_ric(district: District = District.XUHUI, birth: date = date(1998, 5, 17), male: bool = True) -> str:
    """A check-digit-correct 身份证号 not handed out before in this test run (same birth date and sex;
    when one district's order codes run out, the next district's area code)."""
    districts = list(District)
    for k in range(len(districts)):
        area = districts[(districts.index(district) + k) % len(districts)]
        digits = (1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8)
        codes = _order_codes.setdefault((area, birth, male), iter([n * 10 + d for n in range(99) for d in digits]))
        for seq in codes:
            number = fake_ric(_rng, area, birth, male, seq=seq)
            if number not in _issued:
                _issued.add(number)
                return number
    raise RuntimeError(f"no unused ID number left for {birth}")


def org(kind: OrgKind = OrgKind.ENTERPRISE, district: District | None = District.XUHUI, name: str | None = None,
        **fields) -> Organisation:
    n = next(_counter)
    row = Organisation(
        name=name or f"测试单位{n:04d}", kind=kind,
        district=None if kind is OrgKind.MUNICIPAL_BUREAU else district,
        uscc=fake_uscc(_rng, district or District.HUANGPU) if kind is OrgKind.ENTERPRISE else None, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def municipal_bureau() -> Organisation:
    return org(OrgKind.MUNICIPAL_BUREAU, None, name=f"上海市人力资源和社会保障局{next(_counter)}")


def district_bureau(district: District) -> Organisation:
    return org(OrgKind.DISTRICT_BUREAU, district, name=f"区人社局{district.value}{next(_counter)}")


def user(organisation: Organisation, *roles: Role, username: str | None = None, **fields) -> User:
    row = User(username=username or f"user{next(_counter)}", display_name=fields.pop("display_name", "测试用户"),
               organisation=organisation, **fields)
    row.password_hash = PASSWORD_HASH
    row.set_roles(set(roles) or {Role.PERSON})
    db.session.add(row)
    db.session.commit()
    return row


def municipal_official(**fields) -> User:
    return user(municipal_bureau(), Role.OFFICIAL, **fields)


def district_official(district: District, **fields) -> User:
    return user(district_bureau(district), Role.OFFICIAL, **fields)


def person(name: str = "张三", employer: Organisation | None = None, id_number: str | None = None,
           phone: str | None = "13812345678", level: SkillLevel | None = None,
           doc_type: DocType = DocType.RIC) -> Person:
    number = id_number or valid_ric()
    facts = rules.check_id_number(doc_type, number) if doc_type is DocType.RIC else None
    row = Person(
        name=name, doc_type=doc_type, id_number_encrypted=cipher().encrypt(number),
        id_number_hash=id_hash(doc_type, number), id_number_masked=rules.mask_id_number(number),
        id_tail=number[-4:], birth_date=facts.birth_date if facts else None,
        sex=facts.sex if facts else Sex.MALE,
        phone_encrypted=cipher().encrypt(phone) if phone else None,
        phone_masked=rules.mask_phone(phone) if phone else "",
        employer=employer, current_level=level)
    db.session.add(row)
    db.session.commit()
    return row


def occupation(code: str = "6-18-01-01", name: str = "车工") -> Occupation:
    row = db.session.get(Occupation, code)
    if row is None:
        row = Occupation(code=code, name=name)
        db.session.add(row)
        db.session.commit()
    return row


def xlsx(headers: list[str], rows: list[list[object]]) -> bytes:
    """An .xlsx workbook with a header row and the given rows, as a person would fill one in."""
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
