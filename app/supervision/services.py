"""Use cases of supervision: the person's skills record (培训电子档案)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.auth.permissions import require
from app.core import record
from app.core.models import Certificate, Person, User
from app.core.services import raise_not_found
from app.extensions import db


@dataclass
class SkillsRecord:
    person: Person
    sections: list[record.RecordSection]
    timeline: list[record.TimelineItem]


def skills_record(actor: User, person_id: int) -> SkillsRecord:
    """The whole record of one person: the person themselves, their unit's staff, officials in scope."""
    person = db.session.scalar(sa.select(Person).where(Person.id == person_id).options(
        selectinload(Person.employer), selectinload(Person.certificates).selectinload(Certificate.occupation)))
    if person is None:
        raise_not_found()
    require(actor, "record.view", person)
    return SkillsRecord(person, record.sections_for(actor, person), record.timeline_for(person))
