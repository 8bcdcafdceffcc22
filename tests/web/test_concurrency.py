"""Uniqueness holds in the database, not only in the service's pre-check."""

import threading

import pytest
import sqlalchemy as sa

from app.core import services
from app.core.enums import DocType
from app.core.models import Person, User
from app.errors import DomainError
from app.extensions import db
from app.people import services as people
from tests import factories


def test_two_simultaneous_registrations_of_one_person_leave_one_row(app, ctx, monkeypatch):
    official_id = factories.municipal_official().id
    number = factories.valid_ric()
    # Both submissions pass the pre-check at the same moment; the unique key must decide.
    monkeypatch.setattr(services, "find_person_by_id_number", lambda doc_type, number: None)
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list[str] = []

    def submit(name: str) -> None:
        with app.app_context():
            actor = db.session.get(User, official_id)
            data = services.PersonData(name=name, doc_type=DocType.RIC, id_number=number)
            barrier.wait()
            try:
                people.create_person(actor, data)
                outcomes.append("created")
            except DomainError as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == sorted(["created", "该证件号码已登记（每人只能登记一次）"])
    db.session.rollback()  # end this thread's read so the count sees both writers' outcome
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1


@pytest.mark.parametrize("doc_type", [DocType.RIC, DocType.PASSPORT])
def test_the_lookup_hash_is_keyed_by_document_type(app, ctx, doc_type):
    number = "E12345678" if doc_type is DocType.PASSPORT else factories.valid_ric()
    person = factories.person(doc_type=doc_type, id_number=number)
    assert services.find_person_by_id_number(doc_type, number).id == person.id
    other = DocType.HK_MACAU_PERMIT
    assert services.find_person_by_id_number(other, number) is None
