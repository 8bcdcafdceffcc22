"""People, organisations, users, occupations, certificates, the audit trail and the policy table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import clock
from app.core.enums import District, DocType, OrgKind, Role, Sex, SkillLevel
from app.core.types import UTCDateTime, enum_type, utcnow
from app.extensions import db

# In PostgreSQL, compare names byte-wise ("C") so a prefix search can use the b-tree index and
# ordering matches SQLite's; SQLite has no "C" collation and already compares byte-wise.
NAME = sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME, index=True)
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind), index=True)
    #: 统一社会信用代码 (18 chars, GB 32100); required for enterprises, optional otherwise.
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    #: The district the organisation is registered in; NULL only for the municipal bureau.
    district: Mapped[District | None] = mapped_column(enum_type(District), index=True)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_phone_masked: Mapped[str] = mapped_column(sa.String(20), default="")
    contact_phone_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.Index("ix_organisations_district_kind", "district", "kind"),)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(50), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(50))
    email: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: The person this account belongs to, for the ``person`` role (an athlete or apprentice).
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Sessions and remember cookies carry the epoch they were signed in under; moving it on (sign-out, a new
    #: password, deactivation, "sign out everywhere") ends every one of them on the server side.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def set_roles(self, roles: set[Role]) -> None:
        keep = [r for r in self.role_rows if r.role in roles]
        have = {r.role for r in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(roles - have)]

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    #: The token this user's session was loaded with (see app/auth/sessions.py); None before sign-in.
    session_token = None  # str | None, set per request; not a column

    def get_id(self) -> str:  # Flask-Login: what the session and the remember cookie hold
        if self.session_token is None:
            self.session_token = self.new_session_token()
        return self.session_token

    def new_session_token(self) -> str:
        """The token a new session carries: id, session epoch and the instant of sign-in (app/auth/sessions.py
        checks all three on every request)."""
        return f"{self.id}.{self.session_epoch or 0}.{int(clock.now().timestamp())}"

    def end_sessions(self) -> None:
        """End every session and remember cookie of this user (they carry the old epoch)."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_type(Role), primary_key=True)


class Occupation(db.Model):
    """An occupation of 《中华人民共和国职业分类大典》, e.g. 6-18-01-01 车工."""

    __tablename__ = "occupations"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))


class Person(db.Model):
    """One row per real person (实名制). The document number is stored encrypted, with a keyed hash."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    doc_type: Mapped[DocType] = mapped_column(enum_type(DocType), default=DocType.RIC)
    #: Fernet token of the document number; the key lives in configuration, never in the database.
    id_number_encrypted: Mapped[str] = mapped_column(sa.Text)
    #: HMAC-SHA256 of (doc_type, normalised number): uniqueness and exact look-up without decrypting.
    id_number_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: e.g. 310***********1234, computed at write time so lists never decrypt.
    id_number_masked: Mapped[str] = mapped_column(sa.String(40))
    #: Last four characters of the number, for "search by ID tail".
    id_tail: Mapped[str] = mapped_column(sa.String(4))
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    sex: Mapped[Sex | None] = mapped_column(enum_type(Sex, 1))
    phone_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    phone_masked: Mapped[str] = mapped_column(sa.String(20), default="")
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    #: Highest level among the person's certificates (kept in step by the service).
    current_level: Mapped[SkillLevel | None] = mapped_column(enum_type(SkillLevel))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    employer: Mapped[Organisation | None] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Certificate.issued_on.desc()"
    )

    __table_args__ = (
        # Keyset pagination and each filter walk one of these indexes newest-first.
        sa.Index("ix_people_name_id", "name", "id"),
        sa.Index("ix_people_id_tail_id", "id_tail", "id"),
        sa.Index("ix_people_employer_id_id", "employer_id", "id"),
        sa.Index("ix_people_current_level_id", "current_level", "id"),
        # Name prefix combined with a level or an employer filter (see bench/README.md, findings 2–3).
        sa.Index("ix_people_current_level_name_id", "current_level", "name", "id"),
        sa.Index("ix_people_employer_id_name_id", "employer_id", "name", "id"),
    )

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


class Certificate(db.Model):
    """职业技能等级证书 (or a 职业资格证书) held by a person."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    level: Mapped[SkillLevel] = mapped_column(enum_type(SkillLevel))
    occupation_code: Mapped[str] = mapped_column(sa.ForeignKey("occupations.code"))
    issuer: Mapped[str] = mapped_column(sa.String(100))
    number: Mapped[str] = mapped_column(sa.String(50))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="certificates")
    occupation: Mapped[Occupation] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("issuer", "number", name="uq_certificates_issuer_number"),)


class AuditEntry(db.Model):
    """Who did what, when, to which record, with the values before and after (personal data masked)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str] = mapped_column(sa.String(40))
    summary: Mapped[str] = mapped_column(sa.String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.Index("ix_audit_entries_entity", "entity_type", "entity_id", "id"),
        sa.Index("ix_audit_entries_actor_id", "actor_id", "id"),
        # Date ranges become id ranges through this index (ids grow with time).
        sa.Index("ix_audit_entries_at", "at"),
    )


class PolicyValue(db.Model):
    """One effective-dated value of a configurable policy number (see app/core/policy.py for the keys).

    Rows are never edited in place: a change is a new row with a later ``effective_from``,
    so the value in force on any past date can be read back.
    """

    __tablename__ = "policy_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60))
    #: Narrows the key, e.g. "world/gold" for prize money; "" when the key has no qualifier.
    qualifier: Mapped[str] = mapped_column(sa.String(60), default="")
    #: NULL for the city-wide value; a district's row overrides (or adds to) it in that district.
    district: Mapped[District | None] = mapped_column(enum_type(District))
    effective_from: Mapped[date] = mapped_column(sa.Date)
    value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.Index("ix_policy_values_lookup", "key", "qualifier", "district", "effective_from"),
        # One value per key, qualifier, district and date — the city-wide row (NULL district) included,
        # which a plain unique constraint would let through (NULLs are distinct).
        sa.Index("uq_policy_values_key_from", "key", "qualifier", sa.func.coalesce(sa.column("district"), ""),
                 "effective_from", unique=True),
    )


class RiskReview(db.Model):
    """An official's review of one risk prompt (kind + subject), with a note; the prompt leaves the open list."""

    __tablename__ = "risk_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject_key: Mapped[str] = mapped_column(sa.String(80))
    note: Mapped[str] = mapped_column(sa.String(500))
    reviewed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewed_by: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("kind", "subject_key", name="uq_risk_reviews_kind_subject"),)


class RiskPromptRow(db.Model):
    """A risk prompt as last found for the whole city (materialised by ``app.core.risks.refresh``): the desk
    pages through these rows instead of running every rule on every view. One row per district the prompt
    concerns (the first one the *lead*, which the city's desk lists); ``facts`` is what the rule found, rendered
    in the reader's language by the kind's text (``app.core.risks.text``); a review sticks to (kind, subject_key),
    as before."""

    __tablename__ = "risk_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject_key: Mapped[str] = mapped_column(sa.String(80))
    #: A district the prompt concerns (None: a prompt of no district, on the city's desk only).
    district: Mapped[District | None] = mapped_column(enum_type(District))
    #: The prompt's first row: the one the city's desk lists.
    lead: Mapped[bool] = mapped_column(default=True)
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    link: Mapped[str | None] = mapped_column(sa.Text)
    found_on: Mapped[date | None] = mapped_column(sa.Date)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("kind", "subject_key", "district", name="uq_risk_prompts_kind_subject_district"),
        # The desk's filters, each a range ordered by id (keyset pages): district + kind, district, city + kind
        # (kind, lead filtered), city.
        sa.Index("ix_risk_prompts_district_kind_id", "district", "kind", "id"),
        sa.Index("ix_risk_prompts_district_id", "district", "id"),
        sa.Index("ix_risk_prompts_kind_id", "kind", "id"),
        sa.Index("ix_risk_prompts_lead_id", "lead", "id"),
    )


class RiskPromptTally(db.Model):
    """How many stored prompts of a kind are open and reviewed in a district (``scope`` its value) or the city
    (``scope`` "city"): counted again by each refresh of the kind and moved by each review, so the desk's counts
    read at most one row per kind however many prompts there are."""

    __tablename__ = "risk_prompt_tallies"

    scope: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    open: Mapped[int] = mapped_column(default=0)
    reviewed: Mapped[int] = mapped_column(default=0)


class RiskRefresh(db.Model):
    """When each kind of risk prompt was last brought up to date in ``risk_prompts`` (one row per kind)."""

    __tablename__ = "risk_refreshes"

    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prompts: Mapped[int] = mapped_column(default=0)
