"""Risk prompts (风险发现提示): each area registers rules that find suspicious records with grouped SQL; the
supervision desk lists them with their review status. Core knows no area.

A rule is ``fn(district) -> list[RiskPrompt]`` registered with ``@risks.rule(kind, label, text=...)``; the
prompt's ``subject_key`` identifies what it is about, so a review (reviewed, with a note) sticks to it. A prompt
holds the *facts* it found (a JSON-able dict: names, numbers, dates as strings), never its sentence: the kind's
``text(facts)`` renders title and detail in the reader's language when a page shows it.

A prompt concerns the districts in ``districts`` (a duplicate subsidy across three districts concerns all three);
run for the whole city (``district=None``) a rule applies each district's own policy values to that district's
prompts and names every district a prompt concerns; run for one district it returns the prompts of that district.

The desk does not run the rules on each view: ``refresh`` runs every rule for the whole city and brings the
``risk_prompts`` table to exactly what it found — one row per (prompt, district), the first district's row the
*lead* that the city's desk lists — in one transaction per kind (bulk statements), and with it the counts per
(district, kind) in ``risk_prompt_tallies`` (which a review moves), so the desk's counts never read the prompts.
``ensure_fresh`` refreshes only when the last refresh is older than ``RISK_PROMPTS_MAX_AGE_SECONDS``, and
``fresh_within`` does it for a page without holding the page more than RISK_PROMPTS_WAIT_SECONDS. The scheduler
process refreshes on an interval in a child process (app/reminders/scheduler.py), and ``flask risks refresh``
does it by hand.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.core.enums import District
from app.core.models import RiskPromptRow, RiskPromptTally, RiskRefresh, RiskReview
from app.core.statistics import MIN_CHANGED_ROWS, analyze
from app.core.types import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

#: The tally scope of the whole city (the other scopes are district values).
CITY = "city"


@dataclass(frozen=True)
class RiskPrompt:
    kind: str
    subject_key: str
    #: What the rule found, JSON-able (str, int, bool, None, lists): the kind's ``text`` renders it.
    facts: Mapping[str, Any]
    link: str | None
    #: Every district the prompt concerns, the one it is listed under first (empty: no district).
    districts: tuple[District, ...] = ()
    found_on: date | None = None
    #: Per district, facts that differ from ``facts`` there (e.g. that district's own limit).
    district_facts: Mapping[District, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def district(self) -> District | None:
        return self.districts[0] if self.districts else None

    @property
    def title(self) -> str:
        return text(self.kind, self.facts)[0]

    @property
    def detail(self) -> str:
        return text(self.kind, self.facts)[1]

    def facts_in(self, district: District | None) -> Mapping[str, Any]:
        extra = self.district_facts.get(district) if district is not None else None
        return {**self.facts, **extra} if extra else self.facts


RuleFn = Callable[[District | None], list[RiskPrompt]]
TextFn = Callable[[Mapping[str, Any]], tuple[str, str]]
RULES: dict[str, tuple[object, RuleFn]] = {}
#: Each kind's title and detail from its facts, in the current language.
TEXTS: dict[str, TextFn] = {}


def rule(kind: str, label: object, text: TextFn | None = None) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        RULES[kind] = (label, fn)
        if text is not None:
            TEXTS[kind] = text
        return fn
    return register


def text(kind: str, facts: Mapping[str, Any]) -> tuple[str, str]:
    """The prompt's title and detail in the current language (a kind no longer registered: its label-less
    facts, so a page never fails on an old row)."""
    render = TEXTS.get(kind)
    if render is None:
        return kind, ", ".join(f"{k}={v}" for k, v in sorted(facts.items()))
    return render(facts)


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
    return utcnow()


def _found(fn: RuleFn) -> list[RiskPrompt]:
    """The rule's prompts for the whole city, found as the scheduler would: in a request context of its own
    (links are paths under APP_BASE_URL). Nothing in them depends on the language."""
    with current_app.test_request_context("/", base_url=current_app.config["APP_BASE_URL"]):
        return fn(None)


def _rows(p: RiskPrompt) -> dict[District | None, dict[str, object]]:
    """The stored rows of one prompt, by district: one per district it concerns (the first one the lead, which
    the city's desk lists), or one without a district."""
    districts: list[District | None] = list(dict.fromkeys(p.districts)) or [None]
    return {d: {"facts": dict(p.facts_in(d)), "link": p.link, "lead": i == 0, "found_on": p.found_on}
            for i, d in enumerate(districts)}


def refresh_kind(kind: str, now: datetime | None = None, commit: bool = True) -> tuple[int, int, int]:
    """Bring ``risk_prompts`` of one kind to exactly what its rule finds now, in one transaction: insert the
    new, update the changed, delete the vanished (bulk statements), and count them again per district
    (``risk_prompt_tallies``). Returns (inserted, updated, deleted) rows.

    ``commit=False``: in a savepoint of the caller's transaction, committed with it (the scheduler's tick
    must not commit its claimed reminders half way)."""
    now = now or _now()
    if not commit:
        with db.session.begin_nested():
            return _apply(kind, now)
    done = _apply(kind, now)
    db.session.commit()
    return done


def _apply(kind: str, now: datetime) -> tuple[int, int, int]:
    _label, fn = RULES[kind]
    found: dict[tuple[str, District | None], dict[str, object]] = {}
    subjects = set()
    for p in _found(fn):
        if p.subject_key in subjects:  # a rule naming a subject twice: the last one stands
            for stale in [k for k in found if k[0] == p.subject_key]:
                del found[stale]
        subjects.add(p.subject_key)
        for district, values in _rows(p).items():
            found[(p.subject_key, district)] = values
    table = RiskPromptRow.__table__
    stored: dict[tuple[str, District | None], Any] = {}
    gone: list[int] = []
    for r in db.session.execute(
            sa.select(table.c.id, table.c.subject_key, table.c.district, table.c.facts, table.c.link,
                      table.c.lead, table.c.found_on).where(table.c.kind == kind).order_by(table.c.id)):
        if (r.subject_key, r.district) in stored:
            gone.append(r.id)  # a second row (two refreshes inserting a district-less prompt at once)
        else:
            stored[(r.subject_key, r.district)] = r
    inserts, updates = [], []
    for (key, district), values in found.items():
        old = stored.get((key, district))
        if old is None:
            inserts.append({"kind": kind, "subject_key": key, "district": district, "refreshed_at": now, **values})
        elif any(getattr(old, name) != value for name, value in values.items()):
            updates.append({"id": old.id, "refreshed_at": now, **values})
    gone += [old.id for key, old in stored.items() if key not in found]
    if inserts:
        db.session.execute(sa.insert(RiskPromptRow), inserts)
    if updates:
        db.session.execute(sa.update(RiskPromptRow), updates)  # bulk UPDATE by primary key
    for start in range(0, len(gone), _CHUNK):
        db.session.execute(sa.delete(table).where(table.c.id.in_(gone[start:start + _CHUNK])))
    _recount(kind)
    mark = db.session.get(RiskRefresh, kind)
    if mark is None:
        db.session.add(RiskRefresh(kind=kind, refreshed_at=now, prompts=len(subjects)))
    else:
        mark.refreshed_at, mark.prompts = now, len(subjects)
    db.session.flush()
    return len(inserts), len(updates), len(gone)


def _recount(kind: str) -> None:
    """Count the stored prompts of one kind again, per district and for the city, open and reviewed.

    The kind's tallies are zeroed first: that UPDATE takes their row locks, so a review counting itself at the
    same moment either committed before the count below (which then sees it) or waits and moves the new
    counts after this transaction commits (PostgreSQL; SQLite writes one at a time)."""
    db.session.execute(sa.update(RiskPromptTally).where(RiskPromptTally.kind == kind)
                       .values(open=0, reviewed=0).execution_options(synchronize_session=False))
    reviewed = sa.case((RiskReview.id.is_not(None), 1), else_=0)
    counted: dict[str, list[int]] = {}
    for district, lead, n, done in db.session.execute(
            sa.select(RiskPromptRow.district, RiskPromptRow.lead, sa.func.count(), sa.func.sum(reviewed))
            .outerjoin(RiskReview, sa.and_(RiskReview.kind == RiskPromptRow.kind,
                                           RiskReview.subject_key == RiskPromptRow.subject_key))
            .where(RiskPromptRow.kind == kind).group_by(RiskPromptRow.district, RiskPromptRow.lead)):
        scopes = ([District(district).value] if district is not None else []) + ([CITY] if lead else [])
        for scope in scopes:
            tally = counted.setdefault(scope, [0, 0])
            tally[0] += n - int(done or 0)
            tally[1] += int(done or 0)
    existing = set(db.session.scalars(sa.select(RiskPromptTally.scope).where(RiskPromptTally.kind == kind)))
    rows = [{"scope": scope, "kind": kind, "open": o, "reviewed": r} for scope, (o, r) in counted.items()]
    if new := [row for row in rows if row["scope"] not in existing]:
        db.session.execute(sa.insert(RiskPromptTally), new)
    if old := [row for row in rows if row["scope"] in existing]:
        db.session.execute(sa.update(RiskPromptTally), old)


def count_review(kind: str, districts: Iterable[District | None]) -> None:
    """A prompt concerning ``districts`` was reviewed: one fewer open and one more reviewed there and in the
    city (in the caller's transaction)."""
    scopes = [District(d).value for d in districts if d is not None] + [CITY]
    db.session.execute(sa.update(RiskPromptTally)
                       .where(RiskPromptTally.kind == kind, RiskPromptTally.scope.in_(scopes))
                       .values(open=RiskPromptTally.open - 1, reviewed=RiskPromptTally.reviewed + 1)
                       .execution_options(synchronize_session=False))


def tallies(district: District | None) -> dict[str, tuple[int, int]]:
    """(open, reviewed) stored prompts per registered kind in a district or the city: one indexed read of at
    most one row per kind, however many prompts there are."""
    scope = district.value if district is not None else CITY
    return {kind: (o, r) for kind, o, r in db.session.execute(
        sa.select(RiskPromptTally.kind, RiskPromptTally.open, RiskPromptTally.reviewed)
        .where(RiskPromptTally.scope == scope)) if kind in RULES}


def refresh(kinds: Iterable[str] | None = None, now: datetime | None = None,
            commit: bool = True) -> dict[str, tuple[int, int, int]]:
    """Refresh the given kinds (default: every registered rule), one transaction each. A kind another process
    refreshed at the same moment (a unique key taken under us) is left as that one wrote it."""
    done: dict[str, tuple[int, int, int]] = {}
    if kinds is None:  # prompts of a rule no longer registered go with it
        db.session.execute(sa.delete(RiskPromptRow).where(RiskPromptRow.kind.not_in(list(RULES))))
        db.session.execute(sa.delete(RiskPromptTally).where(RiskPromptTally.kind.not_in(list(RULES))))
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
    changed = sum(sum(counts) for counts in done.values())
    if commit and changed >= MIN_CHANGED_ROWS:
        analyze("risk_prompts")  # the desk's plans follow the table's new shape at once
    return done


def _marks() -> dict[str, datetime]:
    """When each registered kind was last refreshed."""
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


def open_count(district: District | None) -> int:
    """Open stored prompts of the registered kinds in a district or the city: one SUM over the tallies."""
    scope = district.value if district is not None else CITY
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(RiskPromptTally.open), 0))
                                 .where(RiskPromptTally.scope == scope, RiskPromptTally.kind.in_(list(RULES)))) or 0)
