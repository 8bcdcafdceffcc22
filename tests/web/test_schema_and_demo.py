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


def test_the_prize_money_keys_award_rules_superseded_are_retired_with_their_values(app, ctx):
    from datetime import date
    from decimal import Decimal

    from flask_migrate import downgrade, upgrade

    from app.core.policy import POLICY_KEYS

    assert not {"competition.prize_money", "competition.prize_money_topup"} & set(POLICY_KEYS)
    downgrade(revision="0016")
    db.session.add_all([
        PolicyValue(key="competition.prize_money", qualifier="world/gold", effective_from=date(2017, 10, 1),
                    value=Decimal("300000")),
        PolicyValue(key="competition.prize_money_topup", qualifier="world/gold", effective_from=date(2017, 10, 1),
                    value=Decimal("500000")),
        PolicyValue(key="reminder.send_hour", effective_from=date(2017, 10, 1), value=Decimal("9")),
    ])
    db.session.commit()
    upgrade()
    keys = set(db.session.scalars(sa.select(PolicyValue.key)))
    assert keys == {"reminder.send_hour"}
    db.session.execute(sa.delete(PolicyValue))
    db.session.commit()
