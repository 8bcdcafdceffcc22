"""Use cases for organisations, users, people, certificates, policy values and the audit trail.

Each function checks permission at its boundary, owns its transaction and records an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from app.auth.permissions import (
    can,
    is_municipal_official,
    official_district,
    organisation_scope,
    people_scope,
    require,
    user_scope,
)
from app.core import audit, clock, rules
from app.core.crypto import cipher
from app.core.enums import District, DocType, OrgKind, Role, SkillLevel
from app.core.models import AuditEntry, Certificate, Occupation, Organisation, Person, PolicyValue, User
from app.core.pagination import KeysetPage, OrderColumn, keyset_page
from app.core.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from app.core.passwords import check_password
from app.core.policy import POLICY_KEYS
from app.core.services import (
    PERSON_FIELDS,
    USER_FIELDS,
    PersonData,
    apply_person_data,
    check_person_data,
    find_person_by_id_number,
    id_hash,
    lock_row,
    raise_not_found,
    rule_message,
    unique_or_domain_error,
)
from app.core.signals import organisation_changed
from app.errors import DomainError
from app.extensions import db

# ---------------------------------------------------------------- organisations

ORG_FIELDS = ["name", "kind", "uscc", "district", "address", "contact_name", "contact_phone_masked", "active"]


@dataclass
class OrganisationData:
    name: str
    kind: OrgKind
    uscc: str | None
    district: District | None
    address: str = ""
    contact_name: str = ""
    #: None keeps the stored number (an edit form cannot show it); "" clears it.
    contact_phone: str | None = ""
    active: bool = True


def list_organisations(actor: User, *, q: str = "", kind: OrgKind | None = None,
                       district: District | None = None, page: int = 1, per_page: int = 50
                       ) -> tuple[list[Organisation], int]:
    require(actor, "organisation.view")
    stmt = sa.select(Organisation).where(organisation_scope(actor))
    if q:
        stmt = stmt.where(sa.or_(Organisation.name.contains(q, autoescape=True), Organisation.uscc == q.upper()))
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    if district is not None:
        stmt = stmt.where(Organisation.district == district)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Organisation.kind, Organisation.name, Organisation.id)
        .offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def get_organisation(actor: User, org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise_not_found()
    require(actor, "organisation.view", org)
    return org


def _check_org_data(actor: User, data: OrganisationData) -> OrganisationData:
    if data.kind is OrgKind.ENTERPRISE and not data.uscc:
        raise DomainError(_("企业须填写统一社会信用代码"), "uscc")
    if data.uscc:
        try:
            data.uscc = rules.check_uscc(data.uscc)
        except rules.RuleError as exc:
            raise DomainError(rule_message(exc), "uscc") from exc
    if data.kind is OrgKind.MUNICIPAL_BUREAU:
        data.district = None
    elif data.district is None:
        raise DomainError(_("请选择所在区"), "district")
    district = official_district(actor)
    if district is not None and data.district != district:
        raise DomainError(_("区人社局只能管理本区的单位"), "district")
    if data.kind is OrgKind.MUNICIPAL_BUREAU and not is_municipal_official(actor):
        raise DomainError(_("只有市人社局可以设置市人社局"), "kind")
    if data.contact_phone:
        try:
            data.contact_phone = rules.check_mobile(data.contact_phone)
        except rules.RuleError as exc:
            raise DomainError(rule_message(exc), "contact_phone") from exc
    return data


def _apply_org(org: Organisation, data: OrganisationData) -> None:
    org.name, org.kind, org.uscc, org.district = data.name.strip(), data.kind, data.uscc or None, data.district
    org.address, org.contact_name, org.active = data.address.strip(), data.contact_name.strip(), data.active
    if data.contact_phone:
        org.contact_phone_encrypted = cipher().encrypt(data.contact_phone)
        org.contact_phone_masked = rules.mask_phone(data.contact_phone)
    elif data.contact_phone == "":
        org.contact_phone_encrypted, org.contact_phone_masked = None, ""


def _uscc_taken(uscc: str | None, except_id: int | None = None) -> bool:
    if not uscc:
        return False
    stmt = sa.select(Organisation.id).where(Organisation.uscc == uscc)
    if except_id is not None:
        stmt = stmt.where(Organisation.id != except_id)
    return db.session.scalar(stmt) is not None


def create_organisation(actor: User, data: OrganisationData) -> Organisation:
    require(actor, "organisation.manage")
    data = _check_org_data(actor, data)
    if _uscc_taken(data.uscc):
        raise DomainError(_("该统一社会信用代码已登记"), "uscc")
    org = Organisation()
    with unique_or_domain_error(_("该统一社会信用代码已登记"), "uscc"):
        _apply_org(org, data)
        db.session.add(org)
        audit.record(actor, "create", org, after=audit.snapshot(org, ORG_FIELDS), summary=org.name)
    return org


def update_organisation(actor: User, org: Organisation, data: OrganisationData) -> Organisation:
    require(actor, "organisation.manage", org)
    data = _check_org_data(actor, data)
    if _uscc_taken(data.uscc, org.id):
        raise DomainError(_("该统一社会信用代码已登记"), "uscc")
    # The row first, exclusively (PostgreSQL): writers that count under a unit's district or name read them under
    # a shared lock (the medal and registration tallies), so a concurrent one is seen whole, never half.
    lock_row(org, refresh=("district", "name"))
    before = audit.snapshot(org, ORG_FIELDS)
    district, name = org.district, org.name
    with unique_or_domain_error(_("该统一社会信用代码已登记"), "uscc"):
        _apply_org(org, data)
        if (org.district, org.name) != (district, name):  # summaries that keep a unit's district or name follow
            organisation_changed.send(org, district=district, name=name)
        audit.record(actor, "update", org, before=before, after=audit.snapshot(org, ORG_FIELDS), summary=org.name)
    return org


def organisation_choices(actor: User, kinds: set[OrgKind] | None = None) -> list[tuple[int, str]]:
    """(id, name) of organisations the actor may attach things to, e.g. employers or a user's unit."""
    stmt = sa.select(Organisation.id, Organisation.name).where(Organisation.active.is_(True))
    if can(actor, "organisation.view"):
        stmt = stmt.where(organisation_scope(actor))
    else:
        stmt = stmt.where(Organisation.id == actor.organisation_id)
    if kinds:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    return [(row.id, row.name) for row in db.session.execute(stmt.order_by(Organisation.name).limit(2000))]


@dataclass
class UserData:
    username: str
    display_name: str
    email: str
    organisation_id: int
    roles: set[Role]
    active: bool = True
    password: str = ""
    #: For the ``person`` role: the document number of the person this account belongs to.
    person_id_number: str = ""


def list_users(actor: User, *, q: str = "", role: Role | None = None, page: int = 1, per_page: int = 50
               ) -> tuple[list[User], int]:
    require(actor, "user.manage")
    stmt = sa.select(User).where(user_scope(actor))
    if q:
        stmt = stmt.where(sa.or_(User.username.contains(q, autoescape=True),
                                 User.display_name.contains(q, autoescape=True)))
    if role is not None:
        stmt = stmt.where(User.role_rows.any(role=role))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(User.username).offset((page - 1) * per_page).limit(per_page))
    return list(rows.unique()), total


def get_user(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise_not_found()
    require(actor, "user.manage", user)
    return user


def _check_user_data(actor: User, data: UserData, creating: bool) -> Organisation:
    org = db.session.get(Organisation, data.organisation_id)
    if org is None or not can(actor, "organisation.manage", org):
        raise DomainError(_("请选择您有权管理的单位"), "organisation_id")
    if not data.roles:
        raise DomainError(_("请至少选择一个角色"), "roles")
    if Role.OFFICIAL in data.roles and not org.kind.is_bureau:
        raise DomainError(_("人社工作人员角色只能授予人社局的用户"), "roles")
    if creating and len(data.password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("初始密码至少10位"), "password")
    if data.password:  # common, guessable or the account's own details: refused, with the reason
        check_password(data.password, username=data.username, display_name=data.display_name, email=data.email)
    return org


def _account_person(actor: User, data: UserData) -> int | None:
    """The person a ``person``-role account belongs to, found by document number within the actor's scope.

    The number goes through the same rule as every other entry point (normalised, then validated)."""
    number = rules.normalise_id_number(data.person_id_number)
    if not number:
        if Role.PERSON in data.roles:
            raise DomainError(_("个人角色须填写本人证件号码"), "person_id_number")
        return None
    person = None
    for doc in DocType:
        try:
            facts = rules.check_id_number(doc, number, today=clock.today())
        except rules.RuleError as exc:
            if doc is DocType.RIC and (number[:6].isdigit() and len(number) >= 15):
                raise DomainError(rule_message(exc), "person_id_number") from exc
            continue
        person = find_person_by_id_number(doc, facts.number)
        if person is not None:
            break
    if person is None or not can(actor, "person.view", person):
        raise DomainError(_("人员库中没有此证件号码，请先登记人员"), "person_id_number")
    return person.id


def create_user(actor: User, data: UserData) -> User:
    require(actor, "user.manage")
    _check_user_data(actor, data, creating=True)
    if db.session.scalar(sa.select(User.id).where(User.username == data.username)) is not None:
        raise DomainError(_("用户名已被使用"), "username")
    user = User(username=data.username.strip(), display_name=data.display_name.strip(), email=data.email.strip(),
                organisation_id=data.organisation_id, active=data.active, person_id=_account_person(actor, data))
    user.set_password(data.password)
    user.set_roles(data.roles)
    with unique_or_domain_error(_("用户名已被使用"), "username"):
        db.session.add(user)
        after = audit.snapshot(user, USER_FIELDS) | {"roles": sorted(r.value for r in data.roles)}
        audit.record(actor, "create", user, after=after, summary=user.username)
    return user


def update_user(actor: User, user: User, data: UserData) -> User:
    require(actor, "user.manage", user)
    _check_user_data(actor, data, creating=False)
    if user.id == actor.id and (Role.OFFICIAL not in data.roles or not data.active
                                or data.organisation_id != actor.organisation_id):
        # Nobody can then give it back: the last official of a bureau would lock everyone out.
        raise DomainError(_("不能停用自己的账号、取消自己的人社工作人员角色或更换自己的单位"), "roles")
    before = audit.snapshot(user, USER_FIELDS) | {"roles": sorted(r.value for r in user.roles)}
    user.display_name, user.email = data.display_name.strip(), data.email.strip()
    user.organisation_id, user.active = data.organisation_id, data.active
    if data.person_id_number or Role.PERSON in data.roles:
        user.person_id = _account_person(actor, data) if data.person_id_number else user.person_id
        if user.person_id is None:
            raise DomainError(_("个人角色须填写本人证件号码"), "person_id_number")
    user.set_roles(data.roles)
    if data.password:
        user.set_password(data.password)
    if data.password or (before["active"] and not data.active):
        user.end_sessions()  # a new password or a deactivation ends every session of the account
    after = audit.snapshot(user, USER_FIELDS) | {"roles": sorted(r.value for r in data.roles)}
    if data.password:
        after["password"] = "changed"
    audit.record(actor, "update", user, before=before, after=after, summary=user.username)
    db.session.commit()
    return user


def end_user_sessions(actor: User, user: User) -> None:
    """Sign ``user`` out everywhere (an official's action, audited)."""
    require(actor, "user.manage", user)
    user.end_sessions()
    audit.record(actor, "end_sessions", user, summary=user.username)
    db.session.commit()


@dataclass
class PeopleFilter:
    q: str = ""
    employer: str = ""
    level: SkillLevel | None = None

    def as_args(self) -> dict[str, str]:
        args = {"q": self.q, "employer": self.employer, "level": self.level.value if self.level else ""}
        return {k: v for k, v in args.items() if v}


#: The employer joined to the list page's rows (an alias: a scope or employer filter's subquery on organisations
#: must not be correlated with the join).
_EMPLOYER = aliased(Organisation, name="employer")
#: What the people list shows, as plain result rows (the employer's name joined by primary key): no ORM objects
#: to make, track and fill for 51 people and their employers (a third of the page's Python before). The list's
#: template (core/people.html) unpacks each row in this order.
LIST_PAGE_COLUMNS = (Person.id, Person.name, Person.id_number_masked, Person.sex, Person.birth_date,
                     Person.phone_masked, Person.current_level, _EMPLOYER.name.label("employer_name"))


def _people_query(actor: User, flt: PeopleFilter, stmt: sa.Select[Any] | None = None
                  ) -> tuple[sa.Select[Any], list[sa.ColumnElement[bool]], list[tuple[OrderColumn, bool]]]:
    """The people query (``stmt``, by default whole people with their employer), its filters and its keyset
    order (each filter combination has an index to walk)."""
    if stmt is None:
        stmt = sa.select(Person).options(selectinload(Person.employer))
    filters: list[sa.ColumnElement[bool]] = [people_scope(actor)]
    order: list[tuple[OrderColumn, bool]] = [(Person.id, True)]
    q = flt.q.strip()
    whole = _whole_number_hashes(q) if q else []
    if whole:
        filters.append(Person.id_number_hash.in_(whole))
    elif q and rules.looks_like_id_tail(q) and can(actor, "person.reveal_id"):
        filters.append(Person.id_tail == q.upper())
    elif q:
        # Name prefix: a range on a (…, name, id) index, walked in name order.
        filters += [Person.name >= q, Person.name < q + "\U0010ffff"]
        order = [(Person.name, False), (Person.id, False)]
    employer = flt.employer.strip()
    if employer:
        # Every organisation whose name starts so (no LIMIT: PostgreSQL would materialise and compare
        # the subquery row by row, and an arbitrary cut would silently drop people).
        employers = sa.select(Organisation.id).where(Organisation.name >= employer,
                                                     Organisation.name < employer + "\U0010ffff")
        filters.append(Person.employer_id.in_(employers.scalar_subquery()))
    if flt.level is not None:
        filters.append(Person.current_level == flt.level)
    return stmt, filters, order


def is_guessed_id_search(actor: User, q: str) -> bool:
    """Whether ``q`` tries a whole document number for a role that may not reveal IDs: such searches are rate
    limited per user (ID_SEARCH_RATE_LIMIT), so the candidates the mask leaves cannot be tried one by one."""
    return bool(q) and not can(actor, "person.reveal_id") and bool(_whole_number_hashes(q))


def _whole_number_hashes(q: str) -> list[str]:
    """The keyed hashes of ``q`` as the whole, valid number of each document type it could be.

    A search matches a document number only as a whole (by its keyed hash), never a fragment: otherwise a role
    that may not reveal IDs could learn the masked characters by trying fragments (``q=…34`` against the shown
    ``310*************34``). Only a role that may reveal IDs also finds people by the last four characters."""
    hashes = []
    for doc in DocType:
        try:
            facts = rules.check_id_number(doc, q)  # no age rule: a stored number stays findable as years pass
        except rules.RuleError:
            continue
        hashes.append(id_hash(doc, facts.number))
    return hashes


#: The list's rows: the people with their employer's name.
_LIST_PAGE = sa.select(*LIST_PAGE_COLUMNS).outerjoin(_EMPLOYER, Person.employer_id == _EMPLOYER.id)


def _list_page_rows(page: sa.Subquery) -> sa.Select[Any]:
    """The list's rows of the people whose keys ``page`` holds."""
    return _LIST_PAGE.join(page, Person.id == page.c.id)


def list_people(actor: User, flt: PeopleFilter, after: str | None, per_page: int) -> KeysetPage[sa.Row[Any]]:
    """A page of the people list: rows of ``LIST_PAGE_COLUMNS`` (id, name, masked ID and phone, sex, birth date,
    level and ``employer_name``).

    With an employer filter the page is found first from the sort keys alone (the (employer_id, id) and
    (employer_id, name, id) indexes cover them), then its rows are read and joined with their employer: the
    matched employers' people are not each read from the table and joined only to be sorted away, which made
    the page cost grow with the people those employers have."""
    require(actor, "person.view")
    if flt.employer.strip():
        keys, filters, order = _people_query(actor, flt, sa.select(Person.id))
        keys = keys.with_only_columns(*dict.fromkeys(col for col, _ in order))
        return keyset_page(keys, order, after, per_page, filters, rows=True, then=_list_page_rows)
    stmt, filters, order = _people_query(actor, flt, _LIST_PAGE)
    return keyset_page(stmt, order, after, per_page, filters, rows=True)


def find_people(actor: User, flt: PeopleFilter, per_page: int) -> list[Person]:
    """The first ``per_page`` people of the list's order, as whole objects (with their employer)."""
    require(actor, "person.view")
    stmt, filters, order = _people_query(actor, flt)
    return keyset_page(stmt, order, None, per_page, filters).items


def people_for_export(actor: User, flt: PeopleFilter, limit: int = 100_000) -> list[Person]:
    require(actor, "person.view")
    stmt, filters, order = _people_query(actor, flt)
    stmt = stmt.where(*filters).order_by(*[c.desc() if d else c.asc() for c, d in order]).limit(limit)
    return list(db.session.scalars(stmt))


def get_person(actor: User, person_id: int) -> Person:
    person = db.session.scalar(
        sa.select(Person).where(Person.id == person_id)
        .options(selectinload(Person.employer), selectinload(Person.certificates))
    )
    if person is None:
        raise_not_found()
    require(actor, "person.view", person)
    return person


def _check_employer(actor: User, employer_id: int | None) -> None:
    if employer_id is None:
        if not can(actor, "organisation.view"):
            raise DomainError(_("请选择工作单位"), "employer_id")
        return
    employer = db.session.get(Organisation, employer_id)
    if employer is None:
        raise DomainError(_("工作单位不存在"), "employer_id")
    if can(actor, "organisation.view"):
        if not can(actor, "organisation.view", employer):
            raise DomainError(_("只能选择您管辖范围内的单位"), "employer_id")
    elif employer_id != actor.organisation_id:
        raise DomainError(_("只能登记本单位的人员"), "employer_id")


def create_person(actor: User, data: PersonData) -> Person:
    require(actor, "person.edit")
    data = check_person_data(data)
    _check_employer(actor, data.employer_id)
    if find_person_by_id_number(data.doc_type, data.id_number) is not None:
        raise DomainError(_("该证件号码已登记（每人只能登记一次）"), "id_number")
    person = Person()
    with unique_or_domain_error(_("该证件号码已登记（每人只能登记一次）"), "id_number"):
        apply_person_data(person, data)
        db.session.add(person)
        audit.record(actor, "create", person, after=audit.snapshot(person, PERSON_FIELDS), summary=person.name)
    return person


def update_person(actor: User, person: Person, data: PersonData) -> Person:
    require(actor, "person.edit", person)
    if not data.id_number.strip() and data.doc_type is not person.doc_type:
        raise DomainError(_("更换证件类型时请填写新的证件号码"), "id_number")
    data = check_person_data(data, keep_number=True)
    _check_employer(actor, data.employer_id)
    other = find_person_by_id_number(data.doc_type, data.id_number) if data.id_number else None
    if other is not None and other.id != person.id:
        raise DomainError(_("该证件号码已登记（每人只能登记一次）"), "id_number")
    before = audit.snapshot(person, PERSON_FIELDS)
    with unique_or_domain_error(_("该证件号码已登记（每人只能登记一次）"), "id_number"):
        apply_person_data(person, data)
        audit.record(actor, "update", person, before=before, after=audit.snapshot(person, PERSON_FIELDS),
                     summary=person.name)
    return person


def reveal_id_number(actor: User, person: Person) -> str:
    """The full document number, for those allowed to see it; every reveal is audited."""
    require(actor, "person.reveal_id", person)
    audit.record(actor, "reveal_id_number", person, summary=person.id_number_masked)
    db.session.commit()
    return cipher().decrypt(person.id_number_encrypted)


@dataclass
class CertificateData:
    level: SkillLevel
    occupation_code: str
    issuer: str
    number: str
    issued_on: date


CERT_FIELDS = ["level", "occupation_code", "issuer", "number", "issued_on"]


def add_certificate(actor: User, person: Person, data: CertificateData, today: date) -> Certificate:
    require(actor, "person.edit", person)
    if db.session.get(Occupation, data.occupation_code) is None:
        raise DomainError(_("职业编码不存在"), "occupation_code")
    if data.issued_on > today:
        raise DomainError(_("发证日期不能晚于今天"), "issued_on")
    taken = db.session.scalar(sa.select(Certificate.id).where(
        Certificate.issuer == data.issuer.strip(), Certificate.number == data.number.strip()))
    if taken is not None:
        raise DomainError(_("该发证机构的证书编号已登记"), "number")
    cert = Certificate(person=person, level=data.level, occupation_code=data.occupation_code,
                       issuer=data.issuer.strip(), number=data.number.strip(), issued_on=data.issued_on)
    before_level = person.current_level
    with unique_or_domain_error(_("该发证机构的证书编号已登记"), "number"):
        db.session.add(cert)
        person.current_level = rules.highest_level([c.level for c in person.certificates] + [data.level])
        audit.record(actor, "create", cert, after=audit.snapshot(cert, CERT_FIELDS), summary=person.name)
        if person.current_level != before_level:
            audit.record(actor, "update", person,
                         before={"current_level": getattr(before_level, "value", None)},
                         after={"current_level": person.current_level.value if person.current_level else None},
                         summary=person.name)
    return cert


# ---------------------------------------------------------------- policy table

@dataclass
class PolicyData:
    key: str
    qualifier: str
    district: District | None
    effective_from: date
    value: Decimal
    note: str = ""


def list_policy_values(actor: User, key: str | None = None) -> list[PolicyValue]:
    require(actor, "policy.view")
    stmt = sa.select(PolicyValue)
    if key:
        stmt = stmt.where(PolicyValue.key == key)
    district = official_district(actor)
    if district is not None:
        stmt = stmt.where(sa.or_(PolicyValue.district.is_(None), PolicyValue.district == district))
    stmt = stmt.order_by(PolicyValue.key, PolicyValue.qualifier, PolicyValue.district.nulls_first(),
                         PolicyValue.effective_from.desc(), PolicyValue.id.desc())
    return list(db.session.scalars(stmt))


def add_policy_value(actor: User, data: PolicyData) -> PolicyValue:
    """Add a value with its effective-from date; earlier values stay as history."""
    require(actor, "policy.edit")
    spec = POLICY_KEYS.get(data.key)
    if spec is None:
        raise DomainError(_("未知的政策参数"), "key")
    if spec.qualifiers and data.qualifier not in spec.qualifiers:
        raise DomainError(_("请选择适用范围"), "qualifier")
    if not spec.qualifiers:
        data.qualifier = ""
    if data.value < 0:
        raise DomainError(_("数值不能为负"), "value")
    if spec.max_value is not None and data.value > spec.max_value:
        raise DomainError(_("数值不能大于 %(max)s", max=spec.max_value), "value")
    row = PolicyValue(key=data.key, qualifier=data.qualifier, district=data.district,
                      effective_from=data.effective_from, value=data.value, note=data.note.strip(),
                      created_by_id=actor.id)
    if not can(actor, "policy.edit", row):
        raise DomainError(_("区人社局只能设置本区的政策参数"), "district")
    duplicate = db.session.scalar(sa.select(PolicyValue.id).where(
        PolicyValue.key == row.key, PolicyValue.qualifier == row.qualifier,
        PolicyValue.district.is_(None) if row.district is None else PolicyValue.district == row.district,
        PolicyValue.effective_from == row.effective_from))
    if duplicate is not None:
        raise DomainError(_("同一生效日期已有取值，请选择新的生效日期"), "effective_from")
    db.session.add(row)
    audit.record(actor, "create", row, after=audit.snapshot(row, ["key", "qualifier", "district",
                                                                   "effective_from", "value", "note"]),
                 summary=data.key)
    db.session.commit()
    return row


# ---------------------------------------------------------------- audit trail

@dataclass
class AuditFilter:
    entity_type: str = ""
    entity_id: str = ""
    #: A username (exact), for "what did this user do".
    username: str = ""
    #: Inclusive dates in Beijing time.
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        args = {"entity_type": self.entity_type, "entity_id": self.entity_id, "user": self.username,
                "from": self.date_from.isoformat() if self.date_from else "",
                "to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in args.items() if v}


def _audit_query(actor: User, flt: AuditFilter, tz: ZoneInfo) -> sa.Select[Any]:
    require(actor, "audit.view")
    stmt = sa.select(AuditEntry)
    if flt.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == flt.entity_type)
    if flt.entity_id:
        stmt = stmt.where(AuditEntry.entity_id == flt.entity_id)
    if flt.username:
        actor_id = db.session.scalar(sa.select(User.id).where(User.username == flt.username))
        stmt = stmt.where(AuditEntry.actor_id == (actor_id or -1))
    if flt.date_from:
        start = datetime.combine(flt.date_from, datetime.min.time(), tz)
        first = db.session.scalar(sa.select(sa.func.min(AuditEntry.id)).where(AuditEntry.at >= start))
        stmt = stmt.where(AuditEntry.id >= (first if first is not None else 2**62))
    if flt.date_to:
        end = datetime.combine(flt.date_to + timedelta(days=1), datetime.min.time(), tz)
        last = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)).where(AuditEntry.at < end))
        stmt = stmt.where(AuditEntry.id <= (last if last is not None else -1))
    if not is_municipal_official(actor):
        stmt = stmt.where(AuditEntry.actor_id.in_(sa.select(User.id).where(user_scope(actor))))
    return stmt


def list_audit(actor: User, flt: AuditFilter, tz: ZoneInfo, after: str | None, per_page: int
               ) -> KeysetPage[AuditEntry]:
    """Newest first; a district official sees what users of their district's organisations did."""
    return keyset_page(_audit_query(actor, flt, tz), [(AuditEntry.id, True)], after, per_page)


AUDIT_EXPORT_LIMIT = 10_000


def audit_for_export(actor: User, flt: AuditFilter, tz: ZoneInfo) -> list[AuditEntry]:
    """The filtered trail, newest first, at most AUDIT_EXPORT_LIMIT rows (narrow the filter for more)."""
    rows = list(db.session.scalars(_audit_query(actor, flt, tz).order_by(AuditEntry.id.desc())
                                   .limit(AUDIT_EXPORT_LIMIT + 1)))
    if len(rows) > AUDIT_EXPORT_LIMIT:
        raise DomainError(_("记录超过 %(n)d 条，请缩小日期范围或增加条件后再导出", n=AUDIT_EXPORT_LIMIT))
    return rows

