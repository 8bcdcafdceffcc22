"""The person's record is assembled from sections that each area registers (core knows no area).

An area adds ``@record.section`` functions returning a ``RecordSection`` (or None when it has nothing to show);
the person page renders them in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.models import Person, User


@dataclass
class RecordSection:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


SectionFn = Callable[[User, Person], RecordSection | None]
SECTIONS: list[SectionFn] = []


def section(fn: SectionFn) -> SectionFn:
    SECTIONS.append(fn)
    return fn


def sections_for(actor: User, person: Person) -> list[RecordSection]:
    return [s for s in (fn(actor, person) for fn in SECTIONS) if s is not None]
