"""Stored document numbers in their one normal form (NFKC, no spaces, upper case), hashed as such

A number typed with full-width digits was stored (and hashed) as typed, so the same number in ASCII did not
find it. Each such row is rewritten in the normal form; a row whose normal form already belongs to another
person is left as it is (a duplicate for an official to merge on 人员 → 合并重复人员).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 23:55:00

"""
import unicodedata
import re

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def _normal(raw):
    return re.sub(r"[\s\-\u2010-\u2015\u2212]", "", unicodedata.normalize("NFKC", raw or "")).upper()


def _mask(number):
    if len(number) == 18:
        return number[:3] + "*" * 11 + number[-4:]
    if len(number) <= 3:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 3) + number[-2:]


def upgrade():
    conn = op.get_bind()
    persons = sa.table('people', sa.column('id', sa.Integer), sa.column('doc_type', sa.String),
                       sa.column('id_number_encrypted', sa.Text), sa.column('id_number_hash', sa.String),
                       sa.column('id_number_masked', sa.String), sa.column('id_tail', sa.String))
    if conn.execute(sa.select(sa.func.count()).select_from(persons)).scalar() == 0:
        return
    from app.core.crypto import cipher  # needs the app's keys: runs under `flask db upgrade`
    from app.core.enums import DocType
    box = cipher()
    hashes = set(conn.execute(sa.select(persons.c.id_number_hash)).scalars())
    rows = conn.execute(sa.select(persons.c.id, persons.c.doc_type, persons.c.id_number_encrypted)).all()
    for row in rows:
        number = box.decrypt(row.id_number_encrypted)
        normal = _normal(number)
        if normal == number:
            continue
        doc = DocType[row.doc_type] if row.doc_type in DocType.__members__ else DocType(row.doc_type)
        new_hash = box.lookup_hash(doc.value, normal)
        if new_hash in hashes:
            continue  # a duplicate person: merged by an official, not here
        hashes.add(new_hash)
        conn.execute(persons.update().where(persons.c.id == row.id).values(
            id_number_encrypted=box.encrypt(normal), id_number_hash=new_hash,
            id_number_masked=_mask(normal), id_tail=normal[-4:]))


def downgrade():
    pass  # the normal form is the same number
