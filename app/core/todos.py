"""我的待办: what waits for the signed-in user, shown on the home page with a count and a link to the action.

Each area registers its own kinds of to-do when it is imported (core knows none of them)::

    from app.core.todos import Todo, todo_provider

    @todo_provider("mentor_hours.confirm", roles={Role.PERSON}, order=10)
    def months_to_confirm(user: User, today: date) -> list[Todo]:
        rows = ...   # ONE bounded query (a LIMIT, or grouped by what the user owns)
        return [Todo(_("带徒学时待确认"), count, url_for(...))]

A provider returns one Todo per place the user acts in (one per apprentice, per event…) or none at all, and
it runs only for users holding one of its roles. Its count must be exactly the number of rows the link shows
as waiting (tests compare them), and it makes one query however much there is to do (tests count them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from app.core.enums import Role
from app.core.models import User


@dataclass(frozen=True)
class Todo:
    label: str
    count: int
    url: str
    #: A line under the label (the event's or apprentice's name, a date).
    detail: str = ""


ProviderFn = Callable[[User, date], Iterable[Todo]]


@dataclass(frozen=True)
class TodoProvider:
    key: str
    roles: frozenset[Role]
    build: ProviderFn
    order: int = 100


PROVIDERS: dict[str, TodoProvider] = {}


def todo_provider(key: str, roles: Iterable[Role], order: int = 100) -> Callable[[ProviderFn], ProviderFn]:
    """Register a kind of to-do for users with any of ``roles`` (a second registration of a key replaces it)."""
    def register(fn: ProviderFn) -> ProviderFn:
        PROVIDERS[key] = TodoProvider(key, frozenset(roles), fn, order)
        return fn
    return register


def providers_for(user: User) -> list[TodoProvider]:
    return sorted((p for p in PROVIDERS.values() if any(user.has_role(r) for r in p.roles)),
                  key=lambda p: (p.order, p.key))


def todos_for(user: User, today: date) -> list[Todo]:
    """The user's to-dos, in the providers' order, without the ones at zero."""
    found: list[Todo] = []
    for provider in providers_for(user):
        found += [t for t in provider.build(user, today) if t.count > 0]
    return found
