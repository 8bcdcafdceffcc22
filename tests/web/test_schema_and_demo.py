import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.core.demo import DEMO_PASSWORD, seed
from app.core.models import Organisation, Person, PolicyValue, User
from app.extensions import db


def test_migrations_make_exactly_the_schema_the_models_describe(app, ctx):
    import warnings

    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect the expression index on policy values (its test is below, on both databases).
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
    assert diff == []


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Organisation, User, Person, PolicyValue))


def test_demo_data_loads_twice_without_duplicates(app, ctx, web):
    seed(people=30)
    first = _counts()
    seed(people=30)
    assert _counts() == first
    assert first[0] >= 17 + 10 and first[2] == 30
    web.login("official", DEMO_PASSWORD)
    page = web.get("/people").get_data(as_text=True)
    assert "上海申港精密机械有限公司" in page or "上海申江技师学院" in page


def test_foreign_keys_are_enforced_on_every_database(app, ctx):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from tests import factories

    person = factories.person()
    person.employer_id = 987654
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
