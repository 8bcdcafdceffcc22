"""The first account of a new installation: an official of the municipal bureau (``flask users create-official``).

Nothing else can create the first user (accounts are made by officials in the app, and ``flask seed-demo`` refuses
production), so this is the one way in, for the sysadmin, from the server's terminal.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.core import audit
from app.core.enums import OrgKind, Role
from app.core.models import Organisation, User
from app.core.passwords import MIN_LENGTH, check_password
from app.core.services import USER_FIELDS
from app.errors import DomainError
from app.extensions import db

MUNICIPAL_BUREAU_NAME = "上海市人力资源和社会保障局"
MIN_PASSWORD_LENGTH = MIN_LENGTH


def create_official(username: str, display_name: str, password: str, email: str = "",
                    organisation_name: str = MUNICIPAL_BUREAU_NAME) -> tuple[User, bool]:
    """Create an official of the municipal bureau (made first if there is none); return (user, bureau_created)."""
    username, display_name = username.strip(), display_name.strip()
    if not username or not display_name:
        raise DomainError("username and name are required")
    check_password(password, username=username, display_name=display_name, email=email)
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise DomainError(f"the username {username!r} is taken")
    bureau = db.session.scalar(sa.select(Organisation).where(Organisation.kind == OrgKind.MUNICIPAL_BUREAU)
                               .order_by(Organisation.id).limit(1))
    created = bureau is None
    if bureau is None:
        bureau = Organisation(name=organisation_name.strip() or MUNICIPAL_BUREAU_NAME, kind=OrgKind.MUNICIPAL_BUREAU,
                              district=None)
        db.session.add(bureau)
        db.session.flush()
        audit.record(None, "create", bureau, after=audit.snapshot(bureau, ["name", "kind"]),
                     summary=f"{bureau.name} (flask users create-official)")
    user = User(username=username, display_name=display_name, email=email.strip(), organisation=bureau)
    user.set_password(password)
    user.set_roles({Role.OFFICIAL})
    db.session.add(user)
    audit.record(None, "create", user, after=audit.snapshot(user, USER_FIELDS) | {"roles": [Role.OFFICIAL.value]},
                 summary=f"{username} (flask users create-official)")
    db.session.commit()
    return user, created
