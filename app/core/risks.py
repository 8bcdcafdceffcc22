"""Risk prompts (风险发现提示): each area registers rules that find suspicious records with grouped SQL; the
supervision desk lists them with their review status. Core knows no area.

A rule is ``fn(district) -> list[RiskPrompt]`` registered with ``@risks.rule(kind, label)``; the prompt's
``subject_key`` identifies what it is about, so a review (reviewed, with a note) sticks to it.

The desk does not run the rules on each view: ``refresh`` runs every rule for the whole city and brings the
``risk_prompts`` table to exactly what it found (one transaction per kind, bulk statements); ``ensure_fresh``
refreshes only when the last refresh is older than ``RISK_PROMPTS_MAX_AGE_SECONDS``, and ``fresh_within`` does
it for a page without holding the page more than RISK_PROMPTS_WAIT_SECONDS. The scheduler process refreshes
on an interval in a child process (app/reminders/scheduler.py), and ``flask risks refresh`` does it by hand.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.core.enums import District

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskPrompt:
    kind: str
    subject_key: str
    title: str
    detail: str
    link: str | None
    district: District | None
    found_on: date | None = None
    #: A second district the prompt concerns (an overlap or a duplicate across two districts): stored beside
    #: ``district`` so the desk of either district lists it, as the rule run for that district would.
    also: District | None = None


RuleFn = Callable[[District | None], list[RiskPrompt]]
RULES: dict[str, tuple[object, RuleFn]] = {}


def rule(kind: str, label: object) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        RULES[kind] = (label, fn)
        return fn
    return register


def prompts(district: District | None, kind: str | None = None) -> list[RiskPrompt]:
    found: list[RiskPrompt] = []
    for name, (_label, fn) in RULES.items():
        if kind is None or kind == name:
            found.extend(fn(district))
    return found


def labels() -> dict[str, object]:
    return {name: label for name, (label, _fn) in RULES.items()}


# ---------------------------------------------------------------- the materialised table

#: How many subject keys one DELETE names.
_CHUNK = 500


def _now() -> datetime:
    from app.core.types import utcnow

    return utcnow()


def _found(fn: RuleFn) -> list[RiskPrompt]:
    """The rule's prompts for the whole city, rendered as the scheduler would: in a request context of its
    own (links are paths under APP_BASE_URL) and in the default language."""
    from flask_babel import force_locale

    with current_app.test_request_context("/", base_url=current_app.config["APP_BASE_URL"]), \
            force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return fn(None)


def _row(p: RiskPrompt) -> dict[str, object]:
    also = p.also if p.also != p.district else None
    return {"title": str(p.title), "detail": str(p.detail), "link": p.link, "district": p.district,
            "also_district": also, "found_on": p.found_on}


def refresh_kind(kind: str, now: datetime | None = None, commit: bool = True) -> tuple[int, int, int]:
    """Bring ``risk_prompts`` of one kind to exactly what its rule finds now, in one transaction: insert the
    new, update the changed, delete the vanished (bulk statements). Returns (inserted, updated, deleted).

    ``commit=False``: in a savepoint of the caller's transaction, committed with it (the scheduler's tick
    must not commit its claimed reminders half way)."""
    from app.extensions import db

    now = now or _now()
    if not commit:
        with db.session.begin_nested():
            return _apply(kind, now)
    done = _apply(kind, now)
    db.session.commit()
    return done


def _apply(kind: str, now: datetime) -> tuple[int, int, int]:
    from app.core.models import RiskPromptRow, RiskRefresh
    from app.extensions import db

    _label, fn = RULES[kind]
    found: dict[str, dict[str, object]] = {}
    for p in _found(fn):
        found[p.subject_key] = _row(p)  # a rule naming a subject twice: the last one stands
    table = RiskPromptRow.__table__
    stored = {r.subject_key: r for r in db.session.execute(
        sa.select(table.c.id, table.c.subject_key, table.c.title, table.c.detail, table.c.link, table.c.district,
                  table.c.also_district, table.c.found_on).where(table.c.kind == kind))}
    inserts, updates = [], []
    for key, values in found.items():
        old = stored.get(key)
        if old is None:
            inserts.append({"kind": kind, "subject_key": key, "refreshed_at": now, **values})
        elif any(getattr(old, name) != value for name, value in values.items()):
            updates.append({"id": old.id, "refreshed_at": now, **values})
    gone = [key for key in stored if key not in found]
    if inserts:
        db.session.execute(sa.insert(RiskPromptRow), inserts)
    if updates:
        db.session.execute(sa.update(RiskPromptRow), updates)  # bulk UPDATE by primary key
    for start in range(0, len(gone), _CHUNK):
        db.session.execute(sa.delete(table).where(table.c.kind == kind,
                                                  table.c.subject_key.in_(gone[start:start + _CHUNK])))
    mark = db.session.get(RiskRefresh, kind)
    if mark is None:
        db.session.add(RiskRefresh(kind=kind, refreshed_at=now, prompts=len(found)))
    else:
        mark.refreshed_at, mark.prompts = now, len(found)
    db.session.flush()
    return len(inserts), len(updates), len(gone)


def refresh(kinds: Iterable[str] | None = None, now: datetime | None = None,
            commit: bool = True) -> dict[str, tuple[int, int, int]]:
    """Refresh the given kinds (default: every registered rule), one transaction each. A kind another process
    refreshed at the same moment (a unique key taken under us) is left as that one wrote it."""
    from app.extensions import db

    done: dict[str, tuple[int, int, int]] = {}
    if kinds is None:  # prompts of a rule no longer registered go with it
        from app.core.models import RiskPromptRow

        db.session.execute(sa.delete(RiskPromptRow).where(RiskPromptRow.kind.not_in(list(RULES))))
        if commit:
            db.session.commit()
    for kind in list(kinds) if kinds is not None else list(RULES):
        if kind not in RULES:
            continue
        try:
            done[kind] = refresh_kind(kind, now, commit)
        except sa.exc.IntegrityError:
            if commit:
                db.session.rollback()  # (without commit the savepoint was rolled back)
            log.info("risk prompts of %s refreshed concurrently; left as the other refresh wrote them", kind)
    from app.core.statistics import MIN_CHANGED_ROWS, analyze

    changed = sum(sum(counts) for counts in done.values())
    if commit and changed >= MIN_CHANGED_ROWS:
        analyze("risk_prompts")  # the desk's plans follow the table's new shape at once
    return done


def _marks() -> dict[str, datetime]:
    """When each registered kind was last refreshed."""
    from app.core.models import RiskRefresh
    from app.extensions import db

    return dict(db.session.execute(sa.select(RiskRefresh.kind, RiskRefresh.refreshed_at)
                                   .where(RiskRefresh.kind.in_(list(RULES)))).tuples().all())


def last_refreshed() -> datetime | None:
    """When the stalest registered kind was last refreshed (None: some kind never was)."""
    marks = _marks()
    if any(kind not in marks for kind in RULES):
        return None
    return min(marks.values(), default=None)


def stale_kinds(now: datetime | None = None) -> list[str]:
    """The kinds whose stored prompts are older than RISK_PROMPTS_MAX_AGE_SECONDS (or were never found)."""
    now = now or _now()
    limit = now - timedelta(seconds=float(current_app.config["RISK_PROMPTS_MAX_AGE_SECONDS"]))
    marks = _marks()
    return [kind for kind in RULES if kind not in marks or marks[kind] <= limit]


def ensure_fresh(now: datetime | None = None, commit: bool = True) -> None:
    """Refresh (synchronously) the kinds that are stale; with max age 0 that is every kind, every time."""
    stale = stale_kinds(now)
    if stale:
        refresh(stale, now, commit)


#: The one refresh a web process runs in the background at a time (see fresh_within).
_background: threading.Thread | None = None
_background_lock = threading.Lock()


def fresh_within(seconds: float, now: datetime | None = None) -> bool:
    """Refresh the stale kinds on a thread of this process and wait for it at most ``seconds``: the desk
    never holds a page longer for a refresh; one that takes longer goes on behind the page (which shows the
    stored prompts and when they were found). One background refresh per process at a time; one that began
    before this call may have missed the caller's own writes, so another follows it. Returns whether the
    stored prompts are fresh now."""
    global _background
    if not stale_kinds(now):
        return True
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    asked = time.monotonic()
    deadline = asked + seconds
    while True:
        with _background_lock:
            if _background is None or not _background.is_alive():
                _background = threading.Thread(target=_refresh_stale, args=(app, now), daemon=True,
                                               name="risk-refresh-background")
                _background.started_at = time.monotonic()  # type: ignore[attr-defined]
                _background.start()
            thread = _background
        thread.join(timeout=max(deadline - time.monotonic(), 0))
        if thread.is_alive():
            return False
        if thread.started_at >= asked:  # type: ignore[attr-defined]
            return True
        if time.monotonic() >= deadline:
            return False


def _refresh_stale(app: object, now: datetime | None) -> None:
    from app.extensions import db

    with app.app_context():  # type: ignore[attr-defined]
        try:
            ensure_fresh(now)
        except Exception:
            log.exception("risk prompts: background refresh failed")
        finally:
            db.session.remove()


risks_cli = AppGroup("risks", help="Risk prompts (风险发现提示) of the supervision desk.")


@risks_cli.command("refresh")
@click.option("--kind", "kinds", multiple=True, help="Only this kind (repeatable).")
def refresh_command(kinds: tuple[str, ...]) -> None:
    """Run every risk rule for the whole city and bring the stored prompts up to date."""
    unknown = [k for k in kinds if k not in RULES]
    if unknown:
        raise click.BadParameter(", ".join(unknown), param_hint="--kind")
    for kind, (inserted, updated, deleted) in refresh(kinds or None).items():
        click.echo(f"{kind}: +{inserted} ~{updated} -{deleted}")
