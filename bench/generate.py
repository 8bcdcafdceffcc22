"""Fill the bench database with N people and about N/100 organisations, fast and idempotently.

The municipal bureau, the district bureaus, the occupations and the demo sign-ins come from the app's own
``seed()``; the enterprises and people are bulk-inserted here. People are made in worker processes (Fernet
encryption of two values per person is most of the cost, and it is done honestly, one token per value)
while the main process inserts the previous batch: Core ``executemany`` on SQLite, ``COPY`` on PostgreSQL (one
transaction, the secondary indexes built once at the end: ``bench.database.bulk_load``).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import time
from bisect import bisect
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.core import rules
from app.core.crypto import PersonalDataCipher, cipher
from app.core.demo import DISTRICT_NAMES, OCCUPATIONS, fake_uscc, seed
from app.core.enums import COLLEGE_KINDS, District, DocType, OrgKind
from app.core.models import Certificate, Organisation, Person
from app.extensions import db
from bench import fakes
from bench.database import bulk_insert, bulk_load, mark_loaded

BATCH = 20_000
PEOPLE_PER_ORGANISATION = 100
REGISTERED_FROM = datetime(2018, 1, 1, tzinfo=UTC)
SECONDS_BETWEEN_REGISTRATIONS = 180
ISSUERS = ["上海市职业技能鉴定中心", "上海市职业技能等级认定指导中心", "上海市职业技能鉴定中心（企业自主评价）"]

PEOPLE_COLUMNS = ("id", "name", "doc_type", "id_number_encrypted", "id_number_hash", "id_number_masked",
                  "id_tail", "birth_date", "sex", "phone_encrypted", "phone_masked", "employer_id",
                  "current_level", "created_at", "updated_at")
CERTIFICATE_COLUMNS = ("person_id", "level", "occupation_code", "issuer", "number", "issued_on", "created_at")

Row = tuple[Any, ...]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the whole fill

def fill(app: Flask, scale: int) -> None:
    """Make sure the database holds at least ``scale`` people; reuse what is already there."""
    if scale > fakes.ID_CAPACITY:
        raise SystemExit(f"--scale above {fakes.ID_CAPACITY} is not supported (unique ID numbers run out)")
    with app.app_context():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
        seed(people=0)  # bureaus, occupations, policy defaults, the demo sign-ins; idempotent
        if have >= scale:
            log(f"reusing the database: it already holds {have:,} people (>= {scale:,})")
            return
        started = time.perf_counter()
        ensure_enterprises(max(scale // PEOPLE_PER_ORGANISATION, 20))
        log(f"organisations ready in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        add_people(app, have, scale)
        seconds = time.perf_counter() - started
        log(f"generated {scale - have:,} people in {seconds:.1f}s ({(scale - have) / seconds:,.0f}/s)")
        move_sequences()
        mark_loaded()  # the statistics come with the rest of the bench data's (bench.runner.make_data)


# ---------------------------------------------------------------- organisations

def ensure_enterprises(target: int) -> None:
    """Add generated enterprises until there are ``target`` of them (names and USCCs stay unique)."""
    existing = db.session.execute(sa.select(Organisation.name, Organisation.uscc)).all()
    names = {name for name, _ in existing}
    usccs = {code for _, code in existing if code}
    have = db.session.scalar(sa.select(sa.func.count()).where(Organisation.kind == OrgKind.ENTERPRISE)) or 0
    rng = random.Random(2026 + have)
    rows = []
    for name in fakes.enterprise_names():
        if have + len(rows) >= target:
            break
        if name not in names:
            rows.append(enterprise_row(rng, name, usccs))
    if rows:
        db.session.execute(sa.insert(Organisation), rows)
        db.session.commit()
    log(f"enterprises: {have:,} existing, {len(rows):,} added")


def enterprise_row(rng: random.Random, name: str, usccs: set[str]) -> dict[str, Any]:
    district = fakes.DISTRICTS.draw(rng)
    code = fake_uscc(rng, district)
    while code in usccs:
        code = fake_uscc(rng, district)
    usccs.add(code)
    phone = fakes.mobile(rng)
    now = datetime.now(UTC)
    return {
        "name": name, "kind": OrgKind.ENTERPRISE, "uscc": code, "district": district,
        "address": f"上海市{DISTRICT_NAMES[district]}{rng.choice('东西南北中')}{rng.randrange(1, 99)}路"
                   f"{rng.randrange(1, 1999)}号",
        "contact_name": fakes.person_name(rng, rng.random() < 0.5, 1985),
        "contact_phone_masked": rules.mask_phone(phone), "contact_phone_encrypted": cipher().encrypt(phone),
        "active": True, "created_at": now, "updated_at": now,
    }


@dataclass(frozen=True)
class Employers:
    """Who can employ people, with a size weight each (a few big employers, many small ones)."""

    ids: list[int]
    districts: list[District]
    cumulative: list[float]


def load_employers() -> Employers:
    kinds = [OrgKind.ENTERPRISE, *COLLEGE_KINDS]
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.district, Organisation.kind)
        .where(Organisation.kind.in_(kinds), Organisation.district.is_not(None)).order_by(Organisation.id)
    ).all()
    total, cumulative = 0.0, []
    for org_id, _, kind in rows:
        size = random.Random(org_id).lognormvariate(0, 1.2)
        total += size * (0.3 if kind in COLLEGE_KINDS else 1.0)
        cumulative.append(total)
    return Employers([r[0] for r in rows], [r[1] for r in rows], cumulative)


# ---------------------------------------------------------------- people

def add_people(app: Flask, start: int, stop: int) -> None:
    """Insert people ``start`` … ``stop - 1`` (and a certificate for each one who holds a level)."""
    employers = load_employers()
    first_id = (db.session.scalar(sa.select(sa.func.max(Person.id))) or 0) + 1 - start
    keys = [k.strip() for k in app.config["PERSONAL_DATA_KEYS"].split(",") if k.strip()]
    init_args = (keys, app.config["PERSONAL_DATA_HASH_KEY"], employers, first_id)
    chunks = [(s, min(s + BATCH, stop)) for s in range(start, stop, BATCH)]
    postgres = db.engine.dialect.name == "postgresql"
    workers = max(1, min(os.cpu_count() or 1, len(chunks)))
    done = start
    db.session.commit()  # the workers fork with no transaction open
    with multiprocessing.get_context("fork").Pool(workers, _init_worker, init_args) as pool:
        # PostgreSQL: one transaction, COPY; into empty tables without their secondary indexes (built after).
        with bulk_load("people", "certificates") if postgres and start == 0 else nullcontext():
            for people, certificates in pool.imap(_make_chunk, chunks):
                if postgres:
                    bulk_insert("people", PEOPLE_COLUMNS, people)
                    bulk_insert("certificates", CERTIFICATE_COLUMNS, certificates)
                else:
                    executemany_batch(people, certificates)
                done += len(people)
                if done % 100_000 < BATCH or done == stop:
                    log(f"  {done:,} / {stop:,} people")
            if postgres and start == 0:
                log("  building the people's indexes")
        db.session.commit()


def executemany_batch(people: Sequence[Row], certificates: Sequence[Row]) -> None:
    with db.engine.begin() as conn:
        # For this loading connection only: no fsync per batch, and room for the indexes in memory.
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
        conn.execute(sa.insert(Person.__table__), [dict(zip(PEOPLE_COLUMNS, r, strict=True)) for r in people])
        conn.execute(sa.insert(Certificate.__table__),
                     [dict(zip(CERTIFICATE_COLUMNS, r, strict=True)) for r in certificates])


# Worker-process state, set once by _init_worker (the pool forks after the parent has its app).
_worker: dict[str, Any] = {}


def _init_worker(keys: list[str], hash_key: str, employers: Employers, first_id: int) -> None:
    _worker.update(cipher=PersonalDataCipher(keys, hash_key), employers=employers, first_id=first_id)


def _make_chunk(bounds: tuple[int, int]) -> tuple[list[Row], list[Row]]:
    start, stop = bounds
    rng = random.Random(20261125 * 1_000_003 + start)  # each chunk is the same whichever worker makes it
    people: list[Row] = []
    certificates: list[Row] = []
    for index in range(start, stop):
        person, certificate = make_person(rng, index)
        people.append(person)
        if certificate is not None:
            certificates.append(certificate)
    return people, certificates


def make_person(rng: random.Random, index: int) -> tuple[Row, Row | None]:
    personal: PersonalDataCipher = _worker["cipher"]
    employer_id, district = pick_employer(rng, _worker["employers"])
    number, birth, male = fakes.id_number(rng, index, district)
    phone = fakes.mobile(rng) if rng.random() < 0.9 else ""
    level = fakes.LEVELS.draw(rng)
    registered = REGISTERED_FROM + timedelta(seconds=index * SECONDS_BETWEEN_REGISTRATIONS + rng.randrange(60))
    person_id = _worker["first_id"] + index
    person = (
        person_id, fakes.person_name(rng, male, birth.year), DocType.RIC.value, personal.encrypt(number),
        personal.lookup_hash(DocType.RIC.value, number), rules.mask_id_number(number), rules.id_tail(number), birth,
        "M" if male else "F", personal.encrypt(phone) if phone else None,
        rules.mask_phone(phone) if phone else "", employer_id, level.value if level else None, registered,
        registered,
    )
    if level is None:
        return person, None
    issued = max(registered.date() - timedelta(days=rng.randrange(0, 1500)), _adult(birth))
    certificate = (
        person_id, level.value, OCCUPATIONS[rng.randrange(len(OCCUPATIONS))][0],
        ISSUERS[rng.randrange(len(ISSUERS))], f"{issued:%Y}31{person_id:011d}", issued, registered,
    )
    return person, certificate


def pick_employer(rng: random.Random, employers: Employers) -> tuple[int | None, District]:
    """An employer by size weight; about 3 % of people are registered without one (job seekers)."""
    if rng.random() < 0.03:
        return None, District.HUANGPU
    at = min(bisect(employers.cumulative, rng.random() * employers.cumulative[-1]), len(employers.ids) - 1)
    return employers.ids[at], employers.districts[at]


def _adult(birth: date) -> date:
    return date(birth.year + 18, birth.month, min(birth.day, 28))


# ---------------------------------------------------------------- after the load

def move_sequences() -> None:
    """Move PostgreSQL's id sequences past the explicit ids."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for table in ("people", "certificates", "organisations"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
