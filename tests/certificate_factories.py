"""Factories for certificates (in an app context): events with approved awards, a passed apprentice."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import sqlalchemy as sa
from pypdf import PdfReader

from app.competitions.awards import services as awards
from app.competitions.events.models import AwardRuleKind, Event
from app.competitions.judging import services as judging
from app.competitions.judging.models import Contestant, Result
from app.competitions.registration.models import RegistrationStatus, Team
from app.core.enums import Role
from app.core.models import User
from app.core.types import utcnow
from app.extensions import db
from tests import competition_factories as cf
from tests import factories

#: Results are locked and the 公示 published on Monday 2026-11-23; approval on 2026-12-01 (after five working days).
APPROVED_ON = date(2026, 12, 1)


def medal_rules() -> None:
    cf.award_rule(band="gold", competitor_amount="10000", expert_team_amount="5000", name="市赛金牌")
    cf.award_rule(band="silver", competitor_amount="6000", name="市赛银牌")
    cf.award_rule(band="top_n", top_n=1, honour_title="上海市技术能手", honour_level="市级", name="技术能手")


def approve_all(ev: Event, official: User) -> None:
    awards.generate(official, ev)
    awards.publish_notice(official, ev, "公示", date(2026, 11, 23), utcnow())
    awards.approve(official, ev, today=APPROVED_ON, now=utcnow())


def individual_event(n: int = 3, names: tuple[str, ...] = ("张三华", "李四", "王五")) -> tuple[Event, User, User]:
    """A municipal event whose results are locked (bib 1 wins) and whose awards are approved; (event, organiser,
    official)."""
    ev, aspects, panel, organiser = cf.judged_event(n=n, aspects=[("A", "M", "100")], experts=1)
    cf.score_all(ev, aspects, panel, {b: [str(95 - 5 * b)] for b in range(1, n + 1)})
    judging.lock_results(organiser, ev, utcnow())
    for result, name in zip(judging.results(ev), names, strict=False):  # rank order
        result.contestant.members[0].person.name = name
    db.session.commit()
    medal_rules()
    official = factories.municipal_official()
    approve_all(ev, official)
    return ev, organiser, official


def team_event() -> tuple[Event, User, User]:
    """A two-person team event: team 申港一队 (赵一, 钱二) wins gold over a second team."""
    ev = cf.event(team_size=2, name="工业机器人")
    ev.award_rule = AwardRuleKind.NATIONAL
    db.session.commit()
    aspect_rows = cf.scheme(ev, [("A", "M", "100")])
    for team_name, members in (("申港一队", ("赵一", "钱二")), ("临江二队", ("孙三", "周四"))):
        unit = factories.org()
        team = Team(event_id=ev.id, unit_id=unit.id, name=team_name)
        db.session.add(team)
        db.session.commit()
        for member in members:
            cf.registration(ev, factories.person(member, employer=unit), unit, team_id=team.id,
                            status=RegistrationStatus.APPROVED)
    panel = [cf.expert(ev, name="专家1")]
    organiser = factories.user(ev.competition.organiser, Role.ORGANIZER)
    judging.open_scoring(organiser, ev, utcnow())
    by_name = {c.name: c.bib for c in db.session.scalars(sa.select(Contestant).where(Contestant.event_id == ev.id))}
    cf.score_all(ev, aspect_rows, panel, {by_name["申港一队"]: ["90"], by_name["临江二队"]: ["80"]})
    judging.lock_results(organiser, ev, utcnow())
    medal_rules()
    official = factories.municipal_official()
    approve_all(ev, official)
    return ev, organiser, official


def result_of(ev: Event, rank: int) -> Result:
    return next(r for r in judging.results(ev) if r.rank == rank)


def pdf_text(data: bytes) -> list[str]:
    """The text of each page, as a PDF reader extracts it."""
    return [page.extract_text().replace("\n", "") for page in PdfReader(BytesIO(data)).pages]


def scanned_codes(data: bytes) -> list[str]:
    """What a phone's camera reads from the QR codes of a PDF (zxing-cpp on the images its pages embed; WeasyPrint
    may share one set of image resources between pages, so they are read page by page and may repeat)."""
    import zxingcpp

    found: list[str] = []
    for image in (img for page in PdfReader(BytesIO(data)).pages for img in page.images):
        found += [barcode.text for barcode in zxingcpp.read_barcodes(image.image.convert("L"))]
    return found


def card(prefix: str = "62220212345678901") -> str:
    """A card number with a correct Luhn check digit."""
    from stdnum import luhn

    return prefix + luhn.calc_check_digit(prefix)


def account(person=None, organisation=None, number: str | None = None, holder: str = "户名"):
    """A prize-money account stored as the service stores it."""
    from app.competitions.awards.models import PayeeAccount
    from app.core import rules
    from app.core.crypto import cipher

    digits = number or card()
    row = PayeeAccount(person_id=person.id if person else None,
                       organisation_id=organisation.id if organisation else None, holder=holder, bank="中国工商银行",
                       branch="上海浦东支行", number_encrypted=cipher().encrypt(digits),
                       number_masked=rules.mask_card_number(digits))
    db.session.add(row)
    db.session.commit()
    return row


def cipher_number(row) -> str:
    from app.core.crypto import cipher

    return cipher().decrypt(row.number_encrypted)
