"""Merging two records of one real person (实名制 duplicates): every reference moves, nothing is lost, audited.

The references are found from the schema itself (every foreign key to ``people.id`` in the metadata), so a
table added later is moved too without anyone remembering to list it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.auth.permissions import require
from app.core import audit
from app.core.models import Person, User
from app.errors import DomainError
from app.extensions import db

#: What a reference means to an official; a table not named here shows its table name.
TABLE_LABELS = {
    "certificates": _l("职业技能等级证书"), "users": _l("用户账号"), "base_members": _l("培训基地成员"),
    "enrollments": _l("学徒培训"), "mentor_assignments": _l("学徒导师"), "mentor_hour_entries": _l("带教学时"),
    "mentor_hour_months": _l("带教月报"), "registrations": _l("赛项报名"), "camp_athletes": _l("集训营选手"),
    "contestant_members": _l("参赛选手（成绩）"), "squad_members": _l("集训队"), "award_lines": _l("奖励"),
    "training_sessions": _l("训练课（教练）"), "honours": _l("荣誉"), "session_athletes": _l("训练课选手"),
    "session_attendance": _l("训练出勤"), "session_scores": _l("训练评分"),
}

MERGE_FIELDS = ["name", "doc_type", "id_number_masked", "birth_date", "sex", "phone_masked", "employer_id",
                "current_level"]


def references() -> list[sa.Column]:
    """Every column in the schema that refers to a person."""
    return [column for table in db.metadata.sorted_tables for column in table.columns
            if any(fk.column.table.name == "people" for fk in column.foreign_keys)]


def label(column: sa.Column) -> str:
    return str(TABLE_LABELS.get(column.table.name, column.table.name))


@dataclass
class Holding:
    label: str
    count: int


def holdings(person: Person) -> list[Holding]:
    """What this record holds: the number of rows of each kind that refer to it (kinds with none left out)."""
    counts: dict[str, int] = {}
    for column in references():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == person.id)) or 0
        if n:
            counts[label(column)] = counts.get(label(column), 0) + n
    return [Holding(k, v) for k, v in counts.items()]


def merge_people(actor: User, keep: Person, drop: Person) -> Person:
    """Move everything that refers to ``drop`` onto ``keep``, fill what ``keep`` lacks from ``drop``, remove
    ``drop``; one audit row on ``keep`` holds both records as they were and what moved. All or nothing."""
    require(actor, "person.merge", keep)
    require(actor, "person.merge", drop)
    if keep.id == drop.id:
        raise DomainError(_("请选择两条不同的人员记录"), "drop_id")
    before = {"kept": audit.snapshot(keep, MERGE_FIELDS), "merged": audit.snapshot(drop, MERGE_FIELDS)}
    before["merged"]["id"] = drop.id
    # What the kept record lacks, the other one may know.
    if not keep.phone_encrypted and drop.phone_encrypted:
        keep.phone_encrypted, keep.phone_masked = drop.phone_encrypted, drop.phone_masked
    if keep.employer_id is None:
        keep.employer_id = drop.employer_id
    if keep.birth_date is None:
        keep.birth_date = drop.birth_date
    if keep.sex is None:
        keep.sex = drop.sex
    if drop.current_level is not None and (keep.current_level is None
                                           or drop.current_level.rank > keep.current_level.rank):
        keep.current_level = drop.current_level
    db.session.flush()
    moved: dict[str, int] = {}
    for column in references():
        try:
            with db.session.begin_nested():
                result = db.session.execute(sa.update(column.table).where(column == drop.id)
                                            .values({column.name: keep.id}))
        except IntegrityError as exc:
            db.session.rollback()
            raise DomainError(_("两条记录在「%(what)s」中有同一事项的记录（例如同一赛项都已报名），"
                                "请先撤销其中一条再合并", what=label(column)), "drop_id") from exc
        rowcount = cast("sa.CursorResult[Any]", result).rowcount  # an UPDATE's result
        if rowcount:
            moved[label(column)] = moved.get(label(column), 0) + rowcount
    db.session.expire_all()  # relationships loaded before the move point at the old rows
    db.session.execute(sa.delete(Person).where(Person.id == drop.id))
    keep = db.session.get_one(Person, keep.id)
    audit.record(actor, "merge", keep, before=None, after={**before, "result": audit.snapshot(keep, MERGE_FIELDS),
                                                           "moved": moved},
                 summary=_("合并重复人员：%(drop)s（#%(id)d）并入本记录", drop=before["merged"]["name"], id=drop.id))
    db.session.commit()
    return keep
