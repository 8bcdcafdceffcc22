"""Supervision cases (issue 11): every dashboard tab, city-wide and for one district, and a person's record.

Made on first use (idempotent), in SQL, proportional to the scale (at 1,000,000 people: 500,000 registrations):
80 competitions over the four levels in this year and last, 500 events, registrations spread over them
(``INSERT … SELECT`` over a number series: ``generate_series`` on PostgreSQL, a recursive CTE on SQLite); a tenth
of the events locked, with a contestant and a result per entrant (top three medalled, the next seven 优胜奖); the
registration and medal tallies rebuilt from them. The 60,000 enrollments are bench/apprenticeships.py's; each
approved one gets a subsidy advance and every completed one a balance. The busy training base is
bench/training_bases.py's.
Planner statistics afterwards, with the other areas' data (bench/runner.py's ``make_data``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionLevel, Event, JudgingState
from app.competitions.judging import tallies as medal_tallies
from app.core.models import Organisation, Person
from app.extensions import db
from app.supervision import tallies
from bench.apprenticeships import bench_enrollments
from bench.cases import BenchContext, page, timed
from bench.database import bulk_load, mark_loaded
from bench.training_bases import bench_base

COMPETITIONS_PER_YEAR = 40
EVENTS = 500
MARK = "基准测试：监管"


def _year() -> int:
    return datetime.now(UTC).year


def _series(n: int, dialect: str) -> str:
    """A FROM clause yielding g = 0 … n-1."""
    if dialect == "postgresql":
        return f"generate_series(0, {n - 1}) AS s(g)"
    return f"(WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {n - 1}) SELECT g FROM s) s"


def bench_supervision(ctx: BenchContext) -> None:
    """The competitions, registrations, results and subsidy lines the dashboards add up, made once."""
    bench_enrollments(ctx)
    bench_base(ctx)
    with ctx.app.app_context():
        if db.session.scalar(sa.select(Competition.id).where(Competition.name.like(f"{MARK}%")).limit(1)):
            return
        people = db.session.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
        started = datetime.now(UTC)
        with bulk_load("registrations", "contestants", "contestant_members", "results", "subsidy_lines",
                       "registration_tallies", "medal_tallies"):
            _make_competitions(people)
            _make_subsidies()
            # The registrations and results were written around the services: the tab reads the tallies.
            tallies.rebuild()
            medal_tallies.rebuild()
        db.session.commit()
        mark_loaded()
        print(f"supervision data made in {(datetime.now(UTC) - started).total_seconds():.1f}s", file=sys.stderr)


def _make_competitions(people: int) -> None:
    dialect = db.engine.dialect.name
    organiser = db.session.scalar(sa.select(Organisation.id).where(Organisation.kind == "municipal_bureau"))
    levels = list(CompetitionLevel)
    now = datetime.now(UTC)
    events_per = EVENTS // (2 * COMPETITIONS_PER_YEAR)
    for year in (_year() - 1, _year()):
        for i in range(COMPETITIONS_PER_YEAR):
            comp = Competition(name=f"{MARK}{year}第{i + 1}届", level=levels[i % len(levels)], organiser_id=organiser,
                               year=year)
            db.session.add(comp)
            for j in range(events_per):
                starts = date(year, 3 + (i % 9), 1 + j)
                db.session.add(Event(competition=comp, name=f"赛项{j + 1}", occupation_code="6-18-01-01",
                                     starts_on=starts, ends_on=starts + timedelta(days=2),
                                     registration_opens_at=now - timedelta(days=400),
                                     registration_closes_at=now - timedelta(days=300),
                                     judging_state=JudgingState.LOCKED if j == 0 else JudgingState.NOT_STARTED))
    db.session.flush()
    event_ids = db.session.scalars(sa.select(Event.id).join(Competition).where(Competition.name.like(f"{MARK}%"))
                                   .order_by(Event.id)).all()
    first_event, n_events = event_ids[0], len(event_ids)
    assert event_ids[-1] - first_event + 1 == n_events, "the bench's events must have consecutive ids"
    first_person = db.session.scalar(sa.select(sa.func.min(Person.id)))
    fallback_unit = organiser
    registrations = min(max(people // 2, n_events), people)
    # Entrant g: event g mod E; the person g · 999983 mod P — a different person for every entry while
    # g < P (999983 is prime, so the step is a permutation for any P it does not divide).
    db.session.execute(sa.text(f"""
        INSERT INTO registrations (event_id, person_id, unit_id, status, reason, created_at)
        SELECT :first_event + (g % :n_events), p.id, COALESCE(p.employer_id, :fallback),
               CASE WHEN g % 10 = 9 THEN 'submitted' ELSE 'approved' END, '', :now
        FROM {_series(registrations, dialect)}
        JOIN people p ON p.id = :first_person + ((CAST(g AS BIGINT) * 999983) % :people)
    """), {"first_event": first_event, "n_events": n_events, "fallback": fallback_unit, "now": now,
           "first_person": first_person, "people": people})
    locked = sa.select(Event.id).where(Event.id.in_(event_ids), Event.judging_state == JudgingState.LOCKED)
    locked_ids = ",".join(str(i) for i in db.session.scalars(locked))
    db.session.execute(sa.text(f"""
        INSERT INTO contestants (event_id, bib, name, unit_id)
        SELECT r.event_id, r.id, '选手', r.unit_id FROM registrations r
        WHERE r.event_id IN ({locked_ids}) AND r.status = 'approved'"""))
    db.session.execute(sa.text(f"""
        INSERT INTO contestant_members (contestant_id, person_id, registration_id)
        SELECT c.id, r.person_id, r.id FROM contestants c JOIN registrations r ON r.id = c.bib
        WHERE c.event_id IN ({locked_ids})"""))
    db.session.execute(sa.text(f"""
        INSERT INTO results (event_id, contestant_id, rank, total, medal, breakdown)
        SELECT event_id, id, rnk, 100 - rnk * 0.01,
               CASE WHEN rnk = 1 THEN 'gold' WHEN rnk = 2 THEN 'silver' WHEN rnk = 3 THEN 'bronze'
                    WHEN rnk <= 10 THEN 'merit' END, '{{}}'
        FROM (SELECT event_id, id, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY id) AS rnk
              FROM contestants WHERE event_id IN ({locked_ids})) ranked"""))


def _make_subsidies() -> None:
    """An advance for every approved enrollment, a balance for every completed one (the ledger's shape)."""
    year = "CAST(EXTRACT(YEAR FROM e.starts_on) AS INTEGER)" if db.engine.dialect.name == "postgresql" \
        else "CAST(strftime('%Y', e.starts_on) AS INTEGER)"
    now = datetime.now(UTC)
    for kind, where, status in (("advance", "e.approved_at IS NOT NULL",
                                 "CASE WHEN e.id % 3 = 0 THEN 'claimed' WHEN e.id % 3 = 1 THEN 'approved' "
                                 "ELSE 'paid' END"),
                                ("balance", "e.status = 'completed'", "'claimed'")):
        db.session.execute(sa.text(f"""
            INSERT INTO subsidy_lines (enrollment_id, enterprise_id, district, class_id, training_year, year, kind,
                                       amount, standard, months, status, claimed_at, note)
            SELECT e.id, e.enterprise_id, e.district, e.class_id, 1, {year}, '{kind}', 2500, 5000, 12, {status},
                   :now, ''
            FROM enrollments e
            WHERE {where} AND NOT EXISTS (SELECT 1 FROM subsidy_lines s WHERE s.enrollment_id = e.id
                                          AND s.training_year = 1 AND s.kind = '{kind}')"""), {"now": now})


def _dashboard(ctx: BenchContext, tab: str, district: str = "") -> str:
    bench_supervision(ctx)
    return f"/supervision/?tab={tab}&year={_year()}" + (f"&district={district}" if district else "")


@page("supervision_competitions_city", expect='id="pyramid-table"')
def supervision_competitions_city(ctx: BenchContext) -> str:
    return _dashboard(ctx, "competitions")


@page("supervision_competitions_district", expect='id="pyramid-table"')
def supervision_competitions_district(ctx: BenchContext) -> str:
    return _dashboard(ctx, "competitions", "pudong")


@page("supervision_training_bases_city", expect='id="base-utilisation"')
def supervision_training_bases_city(ctx: BenchContext) -> str:
    return _dashboard(ctx, "training_bases")


@page("supervision_apprenticeships_city", expect='id="apprentice-months"')
def supervision_apprenticeships_city(ctx: BenchContext) -> str:
    return _dashboard(ctx, "apprenticeships")


@page("supervision_apprenticeships_district", expect='id="apprentice-months"')
def supervision_apprenticeships_district(ctx: BenchContext) -> str:
    return _dashboard(ctx, "apprenticeships", "pudong")


@page("supervision_subsidies_city", expect='id="subsidy-districts"')
def supervision_subsidies_city(ctx: BenchContext) -> str:
    return _dashboard(ctx, "subsidies")


@page("supervision_subsidies_district", expect='id="subsidy-districts"')
def supervision_subsidies_district(ctx: BenchContext) -> str:
    return _dashboard(ctx, "subsidies", "pudong")


@page("supervision_record", expect="技能竞赛与集训")
def supervision_record(ctx: BenchContext) -> str:
    """The skills record of a person with entries, a result and an apprenticeship."""
    bench_supervision(ctx)
    person = ctx.scalar("SELECT m.person_id FROM contestant_members m JOIN enrollments e ON e.person_id = m.person_id "
                        "ORDER BY m.person_id LIMIT 1")
    return f"/supervision/people/{person}/record"


@page("supervision_risk_desk_district", expect='id="risk-desk"')
def supervision_risk_desk_district(ctx: BenchContext) -> str:
    """One district's open risk prompts (what the weekly summary counts). The prompts are stored (risk_prompts)
    and refreshed before the timing, so the rules do not run in it: see supervision_risks_refresh_city."""
    risks_refreshed(ctx)
    return "/supervision/risks?district=pudong"


#: The databases whose stored risk prompts this process refreshed (once is enough: nothing changes in between).
_refreshed: set[str] = set()


def risks_refreshed(ctx: BenchContext) -> None:
    """The stored risk prompts brought up to date with the bench data, once per database and process."""
    from app.core import risks

    bench_supervision(ctx)
    with ctx.app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        if url not in _refreshed:
            risks.refresh()
            _refreshed.add(url)


@page("supervision_risk_desk_district_page", expect='id="risk-desk"')
def supervision_risk_desk_district_page(ctx: BenchContext) -> str:
    """A page of one district's stored prompts, every status, with the counts per kind (refreshed before the
    timing: the rules never run in it)."""
    risks_refreshed(ctx)
    return "/supervision/risks?district=pudong&status=all"


@timed("supervision_risks_refresh_city", at_most=5, warmups=0)
def supervision_risks_refresh_city(ctx: BenchContext) -> Callable[[], object]:
    """What the scheduler's job does: every rule for the whole city, the table brought to what they found.
    Timed 5 times (~11 s each at a million rows on a quiet machine: 220 runs kept `make bench` going 40 minutes),
    with no warm-up of its own: the refresh just below, with the bench data's (once per process), was it."""
    from app.core import risks

    risks_refreshed(ctx)

    def refresh() -> object:
        with ctx.app.app_context():
            return risks.refresh()
    return refresh


@timed("supervision_risk_counts_district")
def supervision_risk_counts_district(ctx: BenchContext) -> Callable[[], object]:
    """The risk desk's counts by kind in one district, open and all, and the official's to-do count (issue 21
    growth): read from risk_prompt_tallies, at most one row per kind — the same cost at 100k and 1M people
    whatever the number of stored prompts (printed, so the two scales can be compared)."""
    from app.core import risks
    from app.core.enums import District
    from app.supervision import services

    risks_refreshed(ctx)
    prompts = ctx.scalar("SELECT count(*) FROM risk_prompts WHERE district = 'pudong'")
    print(f"supervision_risk_counts_district: {prompts} stored prompt rows in pudong", file=sys.stderr)
    scope = services.Scope(_year(), District.PUDONG)

    def counts() -> object:
        with ctx.app.app_context():
            return (services.risk_counts(scope, "open"), services.risk_counts(scope, "all"),
                    risks.open_count(District.PUDONG))
    return counts
