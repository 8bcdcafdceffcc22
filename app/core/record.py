"""The person's record is assembled from sections that each area registers (core knows no area).

An area adds ``@record.section`` functions returning a ``RecordSection`` (or None when it has nothing to show);
the person page renders them in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

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


@dataclass(frozen=True)
class TimelineItem:
    """One dated entry of a person's skills record (培训电子档案)."""

    on: date
    kind: str
    title: str
    detail: str = ""
    link: str | None = None


TimelineFn = Callable[[Person], list[TimelineItem]]
TIMELINES: list[TimelineFn] = []


def timeline(fn: TimelineFn) -> TimelineFn:
    TIMELINES.append(fn)
    return fn


def timeline_for(person: Person) -> list[TimelineItem]:
    """Every area's dated entries for the person, newest first."""
    items = [item for fn in TIMELINES for item in fn(person)]
    return sorted(items, key=lambda item: item.on, reverse=True)


@timeline
def certificate_items(person: Person) -> list[TimelineItem]:
    return [TimelineItem(c.issued_on, _("证书"), _("取得%(level)s证书", level=c.level.label),
                         f"{c.occupation.name} · {c.issuer} · {c.number}") for c in person.certificates]
