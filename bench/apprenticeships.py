"""Apprenticeship cases: the enrollment list over 60,000 enrollments with 120,000 mentor links (issue 8).

The enrollments are made on first use (copied in at once, idempotent), spread over the 16 districts and the seven
statuses. Apprentices and mentors are the bench's people: at a scale below 60,000 people a person is enrolled
again only after an earlier enrollment closed (completed or withdrawn), as the open-enrollment rule requires.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.apprenticeships.models import Enrollment, EnrollmentStatus, MentorKind
from app.core.enums import COLLEGE_KINDS, District
from app.core.models import Organisation, Person
from app.core.pagination import encode_cursor
from app.extensions import db
from bench.cases import BenchContext, page
from bench.database import bulk_insert, bulk_load, mark_loaded

ENROLLMENTS = 60_000
ROW = 'id="enrollment-'
CLOSED = (EnrollmentStatus.COMPLETED, EnrollmentStatus.WITHDRAWN)


def bench_enrollments(ctx: BenchContext) -> int:
    """How many enrollments the bench holds, making them the first time."""
    with ctx.app.app_context():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) or 0
        if have < ENROLLMENTS:
            _make(have)
        return db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) or 0


def _make(have: int) -> None:
    rng = random.Random(8)
    people = db.session.scalars(sa.select(Person.id).order_by(Person.id)).all()
    enterprises = db.session.execute(sa.select(Organisation.id, Organisation.district)
                                     .where(Organisation.kind == "enterprise", Organisation.district.is_not(None))
                                     ).all()
    colleges = db.session.scalars(sa.select(Organisation.id).where(Organisation.kind.in_(COLLEGE_KINDS))).all()
    if not people or not enterprises or not colleges:
        raise SystemExit("the bench needs people, enterprises and colleges first")
    statuses = list(EnrollmentStatus)
    now = datetime.now(UTC)
    next_id = (db.session.scalar(sa.select(sa.func.max(Enrollment.id))) or 0) + 1
    rows, links = [], []
    for i in range(have, ENROLLMENTS):
        enterprise_id, district = enterprises[i % len(enterprises)]
        # A person's later enrollments all follow closed ones, so one person holds at most one open enrollment.
        later_round = i + len(people) < ENROLLMENTS
        status = rng.choice(CLOSED) if later_round else rng.choice(statuses)
        starts = date(2021, 1, 1) + timedelta(days=rng.randrange(0, 365 * 5))
        enrollment_id = next_id + i - have
        approved = None if status in (EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED) else now
        rows.append((enrollment_id, people[i % len(people)], enterprise_id, colleges[i % len(colleges)],
                     district.value, "6-18-01-01", rng.choice(["level4", "level3"]), "new_hire", starts, None, starts,
                     starts + timedelta(days=365), "", status.value, "", "", now, approved))
        links.append((enrollment_id, people[(i * 7 + 1) % len(people)], MentorKind.ENTERPRISE.value, enterprise_id,
                      now))
        links.append((enrollment_id, people[(i * 13 + 3) % len(people)], MentorKind.INSTITUTION.value,
                      colleges[i % len(colleges)], now))
    with bulk_load("enrollments", "mentor_assignments"):
        bulk_insert("enrollments", ENROLLMENT_COLUMNS, rows)
        bulk_insert("mentor_assignments", LINK_COLUMNS, links)
    if db.engine.dialect.name == "postgresql":  # the ids were given: move the sequence past them
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('enrollments', 'id'), "
                                   "(SELECT max(id) FROM enrollments))"))
    db.session.commit()
    mark_loaded()


ENROLLMENT_COLUMNS = ("id", "person_id", "enterprise_id", "institution_id", "district", "occupation_code",
                      "target_level", "hire_type", "contract_starts_on", "contract_ends_on", "starts_on", "ends_on",
                      "extension_reason", "status", "reason", "certificate_number", "created_at", "approved_at")
LINK_COLUMNS = ("enrollment_id", "mentor_id", "kind", "organisation_id", "created_at")


def enrollments_url(ctx: BenchContext, **args: str) -> str:
    bench_enrollments(ctx)
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return "/apprenticeships/" + (f"?{query}" if query else "")


@page("enrollments_first_page", expect=ROW)
def enrollments_first_page(ctx: BenchContext) -> str:
    return enrollments_url(ctx)


@page("enrollments_district_status", expect=ROW, list_page=True)
def enrollments_district_status(ctx: BenchContext) -> str:
    """The issue's case: filtered by district and status."""
    return enrollments_url(ctx, district=District.PUDONG.value, status=EnrollmentStatus.IN_TRAINING.value)


@page("enrollments_district_status_deep", expect=ROW)
def enrollments_district_status_deep(ctx: BenchContext) -> str:
    """The same filter, a page 1,000 rows deep."""
    bench_enrollments(ctx)
    last = ctx.scalar("SELECT id FROM enrollments WHERE district = 'pudong' AND status = 'in_training' "
                      "ORDER BY id DESC LIMIT 1 OFFSET 999")
    return enrollments_url(ctx, district="pudong", status="in_training", after=encode_cursor([last]))


@page("enrollments_status_only", expect=ROW)
def enrollments_status_only(ctx: BenchContext) -> str:
    return enrollments_url(ctx, status=EnrollmentStatus.SUBMITTED.value)


@page("enrollments_summary_district", expect='id="status-counts"')
def enrollments_summary_district(ctx: BenchContext) -> str:
    """The counts by status for one district, loaded after the list (hx-trigger="load")."""
    bench_enrollments(ctx)
    return "/apprenticeships/summary?district=pudong&status=in_training"


@page("enrollments_summary_city", expect='id="plan-progress"')
def enrollments_summary_city(ctx: BenchContext) -> str:
    """The city's counts and its progress against the plan (the unfiltered list's summary)."""
    bench_enrollments(ctx)
    return "/apprenticeships/summary"
