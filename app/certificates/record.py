"""The certificates part of a person's skills record (培训电子档案): each certificate with its verification
status, and a download link for the holder (and whoever may see the record)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.certificates import services
from app.core import record
from app.core.models import Person, User


@record.section
def certificates_section(actor: User, person: Person) -> record.RecordSection | None:
    certificates = services.person_certificates(person.id)
    if not certificates:
        return None
    return record.RecordSection(_("获奖证书与学徒合格证明"), "certificates/_record.html",
                                {"certificates": certificates})
