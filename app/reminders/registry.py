"""The kinds of deadline that get reminders, and how other areas register theirs.

An area describes each of its deadlines once, at import time::

    from app.reminders.registry import DeadlineKind, register_kind

    register_kind(DeadlineKind(
        key="apprenticeship.midterm_review",          # stable: stored in reminder rows
        label=_l("学徒中期考核"),                         # shown in the inbox filter and the preferences
        recipients=midterm_reviewers,                  # (subject_key) -> users to remind NOW (see below)
        describe=midterm_subject,                      # (subject_key) -> Subject(title, link) or None if gone
    ))

``recipients`` runs when the reminder falls due, not when it is scheduled, so it must return only the
people who still have something to do (a unit that has finished its registrations gets nothing).
``describe`` returns the title ("2026年上海市技能大赛 · 数控车 报名截止") and a path of this site to link
back to (``url_for(..., _external=False)``; a request context is provided), or None when the subject no
longer exists (the reminder is then cancelled).

Then, in the same transaction as the write that sets, moves or removes the deadline, the area's service
calls ``app.reminders.services.schedule_deadline(kind, subject_key, due_at, now=now)`` or
``cancel_deadline(kind, subject_key)``; both only add to the session, the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.models import User


@dataclass(frozen=True)
class Subject:
    title: str
    link: str


@dataclass(frozen=True)
class DeadlineKind:
    key: str
    label: object
    recipients: Callable[[str], Sequence[User]]
    describe: Callable[[str], Subject | None]
    #: Days before the deadline, used when the policy table has no ``reminder.offset_days`` rows.
    default_offsets: tuple[int, ...] = (7, 1)
    #: False for a notice sent at once (a class reminded by its enterprise): it has no deadline, and its e-mail,
    #: inbox item and outbox row show none (its ``due_at`` only bounds how late it may still go out).
    has_deadline: bool = True


KINDS: dict[str, DeadlineKind] = {}


def register_kind(kind: DeadlineKind) -> DeadlineKind:
    """Add (or replace, for tests) a kind of deadline."""
    KINDS[kind.key] = kind
    return kind


def get_kind(key: str) -> DeadlineKind:
    if key not in KINDS:
        raise KeyError(f"unknown reminder kind {key!r}")
    return KINDS[key]


def kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else key


def has_deadline(key: str) -> bool:
    kind = KINDS.get(key)
    return kind.has_deadline if kind else True
