"""`python -m bench.certificates --count 500`: an organiser prints a whole event's certificates as one PDF.

One event with ``--count`` approved award lines, each with its certificate issued (``services.issue_for_event``,
timed once, on stderr); then ``--rounds`` times the PDF of all of them (``documents.render_pdf``: the template, a
QR code each, WeasyPrint with Debian's Noto CJK fonts). Prints
``certificates_batch p50_ms=<x> p95_ms=<y> n=<rounds> certificates=<count> cpu_p50_ms=<c> load=<l>``: on a shared
machine the wall time depends on the other processes (``load``, the 1-minute load average), the process's CPU time
does not. The target is 500
certificates in at most 10 s on the development machine. DATABASE_URL picks the database (default
instance/bench-certificates.sqlite3, made afresh each run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.certificates import documents, services
from app.certificates.models import IssuedCertificate
from app.competitions.awards.models import AwardBand, AwardLine, AwardLineStatus, AwardRule, RecipientKind
from app.competitions.events.models import Competition, CompetitionLevel, Event
from app.competitions.judging.models import Contestant, MedalKind, Result
from app.core.enums import OrgKind, Role
from app.core.models import Occupation, Organisation, Person, User, UserRole
from app.extensions import db
from bench.database import bench_app, create_database_if_missing, migrate

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超华"


def _event(count: int) -> tuple[Event, User]:
    if db.session.get(Occupation, "6-18-01-01") is None:
        db.session.add(Occupation(code="6-18-01-01", name="车工"))
    organiser = Organisation(name="上海市人力资源和社会保障局（基准）", kind=OrgKind.MUNICIPAL_BUREAU)
    user = User(username=f"bench-cert-{int(time.time())}", display_name="基准组织者", password_hash="-",
                organisation=organiser)
    user.role_rows = [UserRole(role=Role.ORGANIZER)]
    competition = Competition(name="2026年上海市职业技能大赛（基准）", level=CompetitionLevel.MUNICIPAL,
                              organiser=organiser, year=2026)
    event = Event(competition=competition, name="数控车", occupation_code="6-18-01-01", starts_on=date(2026, 10, 1),
                  ends_on=date(2026, 10, 3), registration_opens_at=datetime(2026, 9, 1, tzinfo=UTC),
                  registration_closes_at=datetime(2026, 9, 20, tzinfo=UTC))
    rule = AwardRule(name="优胜奖", level=CompetitionLevel.MUNICIPAL, band=AwardBand.TOP_N, top_n=count,
                     competitor_amount=Decimal("1000"), effective_from=date(2020, 1, 1))
    db.session.add_all([organiser, user, competition, event, rule])
    db.session.flush()
    medals = [MedalKind.GOLD, MedalKind.SILVER, MedalKind.BRONZE]
    for n in range(count):
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[n // len(SURNAMES) % len(GIVEN)] + GIVEN[n % len(GIVEN)]
        person = Person(name=name, id_number_encrypted="-", id_number_hash=f"bench-cert-{user.username}-{n}",
                        id_number_masked="-", id_tail="0000")
        contestant = Contestant(event_id=event.id, bib=n + 1, name=name, unit_id=organiser.id)
        db.session.add_all([person, contestant])
        db.session.flush()
        result = Result(event_id=event.id, contestant_id=contestant.id, rank=n + 1, total=Decimal(100 - n / 10),
                        medal=medals[n] if n < 3 else MedalKind.MERIT)
        db.session.add(result)
        db.session.flush()
        db.session.add(AwardLine(rule_id=rule.id, result_id=result.id, event_id=event.id,
                                 competition_id=competition.id, level=CompetitionLevel.MUNICIPAL,
                                 recipient_kind=RecipientKind.COMPETITOR, recipient_key=f"person:{person.id}",
                                 person_id=person.id, unit_id=organiser.id, amount=Decimal("1000"),
                                 status=AwardLineStatus.APPROVED))
    db.session.commit()
    return event, user


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from app.config import INSTANCE_DIR
    from bench.database import database_url

    url = database_url(0)
    if url.endswith("bench-0.sqlite3"):
        path = INSTANCE_DIR / "bench-certificates.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    create_database_if_missing(url)
    app = bench_app(url)
    migrate(app)
    timings: list[float] = []
    cpu: list[float] = []
    with app.test_request_context("/"):
        event, organiser = _event(args.count)
        started = time.perf_counter()
        issued = services.issue_for_event(organiser, event, date(2026, 12, 1), datetime.now(UTC))
        print(f"issued {issued} certificates in {(time.perf_counter() - started) * 1000:.0f} ms", file=sys.stderr)
        certificates = list(db.session.scalars(sa.select(IssuedCertificate).where(
            IssuedCertificate.event_id == event.id).order_by(IssuedCertificate.id)))
        documents.render_pdf(certificates[:5], "https://jinengtong.example")  # warm-up: fonts, templates
        for round_no in range(args.rounds):
            started, cpu_started = time.perf_counter(), time.process_time()
            pdf = documents.render_pdf(certificates, "https://jinengtong.example")
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            print(f"round {round_no}: {len(pdf) // 1024} KiB in {timings[-1]:.0f} ms ({cpu[-1]:.0f} ms of CPU)",
                  file=sys.stderr, flush=True)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    print(f"certificates_batch p50_ms={statistics.median(timings):.0f} p95_ms={p95:.0f} n={len(timings)} "
          f"certificates={len(certificates)} cpu_p50_ms={statistics.median(cpu):.0f} "
          f"load={os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
