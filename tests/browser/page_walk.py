"""Every page of the app, as every demo role sees it: the URLs, the demo data behind them, and axe-core.

The URLs are app.url_map's GET routes: those without arguments, plus those with ids filled from the demo
data (one representative row per kind, chosen so that the role that works on it can open it). Downloads
(Excel, iCalendar, JSON) and redirects-only routes are left out: they are not pages.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from app.extensions import db

#: The demo accounts, one per kind of user (see app/core/demo.py and the areas' demo modules).
ROLES = ("official", "pudong", "hr", "college", "organizer", "expert", "mentor", "athlete", "apprentice")
AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.1 A and AA (GB/T 37668-2019 follows it).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NOT_PAGES = (".xlsx", ".ics", ".json")
#: Endpoints that are not pages: a download, a redirect to what a delivery points at, a badge fragment.
#: apprenticeships.summary is the status counts an htmx request loads into the apprenticeships page;
#: mentor_hours.log_modules the chosen apprentice's modules that the quick log loads into its select.
SKIP_ENDPOINTS = {"static", "apprenticeships.document", "apprenticeships.summary", "reminders.open",
                  "reminders.unread_badge", "auth.logout", "mentor_hours.log_modules"}
#: Pages that differ by the state of their event: the others are walked with the first sample event only.
EVENT_STATE_PAGES = ("/results", "/awards", "/register", "/judging")


def seed_demo(today: date, now: datetime) -> None:
    """The whole demo (as `flask seed-demo` loads it), with fewer people, on the given day."""
    from app.demo import seed_all

    for _loaded in seed_all(today, now, people=60):
        pass


def _first(stmt: sa.Select) -> object | None:
    return db.session.scalar(stmt.limit(1))


def sample_arguments(today: date) -> dict[str, list[object]]:
    """For each URL argument, the demo rows a walk opens (several where one page differs by state)."""
    from app.apprenticeships.models import ApprenticeClass, Enrollment, MentorAssignment
    from app.competitions.awards.models import AwardNotice
    from app.competitions.events.models import Competition, Event, JudgingState
    from app.competitions.squads.models import Squad, SquadStage
    from app.core.models import Organisation, User
    from app.mentor_hours.models import HourEntry, HourMonth
    from app.training_bases.models import TrainingBase, TrainingCamp, TrainingSession

    def user(name: str) -> User:
        found = db.session.scalar(sa.select(User).where(User.username == name))
        assert found is not None, f"demo user {name} missing"
        return found

    apprentice, athlete, mentor = user("apprentice"), user("athlete"), user("mentor")
    assignment = _first(sa.select(MentorAssignment).join(Enrollment, Enrollment.id == MentorAssignment.enrollment_id)
                        .where(Enrollment.person_id == apprentice.person_id,
                               MentorAssignment.mentor_id == mentor.person_id))
    assert assignment is not None
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    events = [
        _first(sa.select(Event.id).where(Event.judging_state == JudgingState.SCORING).order_by(Event.id)),
        _first(sa.select(Event.id).where(Event.judging_state == JudgingState.LOCKED).order_by(Event.id)),
        _first(sa.select(Event.id).where(Event.judging_state == JudgingState.NOT_STARTED).order_by(Event.id)),
    ]
    samples: dict[str, list[object]] = {
        "org_id": [user("hr").organisation_id],
        "user_id": [mentor.id],
        "person_id": [athlete.person_id],
        "event_id": [e for e in events if e is not None],
        "competition_id": [_first(sa.select(Competition.id).order_by(Competition.id))],
        "notice_id": [_first(sa.select(AwardNotice.id).order_by(AwardNotice.id))],
        "squad_id": [_first(sa.select(Squad.id).order_by(Squad.id))],
        "stage_id": [_first(sa.select(SquadStage.id).order_by(SquadStage.id))],
        "base_id": [_first(sa.select(TrainingBase.id).order_by(TrainingBase.id))],
        "camp_id": [_first(sa.select(TrainingCamp.id).order_by(TrainingCamp.id))],
        "session_id": [_first(sa.select(TrainingSession.id).order_by(TrainingSession.id))],
        "class_id": [_first(sa.select(ApprenticeClass.id).order_by(ApprenticeClass.id))],
        "enrollment_id": [assignment.enrollment_id],
        "assignment_id": [assignment.id],
        "ym": [last_month.strftime("%Y-%m")],
        "sheet_id": [_first(sa.select(HourMonth.id).where(HourMonth.assignment_id == assignment.id)
                            .order_by(HourMonth.month.desc()))],
        "entry_id": [_first(sa.select(HourEntry.id).where(HourEntry.assignment_id == assignment.id)
                            .order_by(HourEntry.worked_on.desc()))],
        "mentor_id": [mentor.person_id],
        "enterprise_id": [_first(sa.select(Organisation.id).where(Organisation.id == mentor.organisation_id))],
    }
    return {name: [v for v in values if v is not None] for name, values in samples.items()}


def page_urls(app: Flask, samples: dict[str, list[object]]) -> list[str]:
    """Every GET page: routes without arguments, and each route with arguments once per sample row."""
    urls: list[str] = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or rule.endpoint in SKIP_ENDPOINTS or rule.rule.endswith(NOT_PAGES):
                continue
            args = sorted(rule.arguments)
            if any(not samples.get(a) for a in args):
                continue
            # Vary one argument over its samples (the others take their first): a few pages per route.
            combos = [{a: samples[a][0] for a in args}]
            for a in args:
                if a != "event_id" or rule.rule.endswith(EVENT_STATE_PAGES):
                    combos += [{**combos[0], a: v} for v in samples[a][1:]]
            for combo in combos:
                url = url_for(rule.endpoint, **combo)
                if url not in urls:
                    urls.append(url)
    return urls


def axe_violations(page, axe_source: str) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now.

    axe is evaluated through the DevTools protocol (the page's CSP forbids inline scripts, rightly).
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}))"
        ".violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.any.concat(n.all)"
        ".map(c => c.data && c.data.contrastRatio ? c.data.fgColor + '/' + c.data.bgColor + '=' + c.data.contrastRatio"
        " : '').join(''))).join(' | ') + (v.nodes.length > 3 ? ' (+' + (v.nodes.length - 3) + ')' : ''))",
        AXE_TAGS)
    return list(found)


#: The page's shape: elements with their classes, roles, types and ARIA attributes, whether they hold text of their
#: own, and runs of identically shaped siblings (table rows, list items) counted once. Two pages of the same shape
#: get the same axe-core verdict (colours come from classes, names from the text and ARIA attributes), so a walk
#: checks each shape once: a role's rows differ from another's, its buttons and header do not.
SHAPE_JS = """() => {
  const attrs = ["class", "role", "type", "tabindex", "for", "id", "href", "alt", "title", "lang", "scope", "hidden",
                 "disabled", "aria-label", "aria-labelledby", "aria-describedby", "aria-hidden", "aria-expanded",
                 "aria-controls", "aria-live", "aria-current", "aria-pressed"];
  const shape = (el) => {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim() !== "");
    const marks = attrs.filter(a => el.hasAttribute(a)).map(a => a === "class" ? "." + el.className : a).join(" ");
    const kids = []; let last = null;
    for (const child of el.children) { const s = shape(child); if (s !== last) kids.push(s); last = s; }
    return el.tagName + "[" + marks + (own ? " t" : "") + "](" + kids.join(",") + ")";
  };
  const text = shape(document.documentElement);
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) { hash ^= text.charCodeAt(i); hash = Math.imul(hash, 16777619); }
  return (hash >>> 0).toString(16) + ":" + text.length;
}"""


def page_shape(page) -> str:
    return page.evaluate(SHAPE_JS)


def page_overflow(page) -> int:
    """How many pixels the page is wider than the window, once the layout has caught up with a resize (charts
    redraw on the window's resize event, a frame after the viewport changes)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
