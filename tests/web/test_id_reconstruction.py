"""Issue 18.1: from everything a role without the reveal permission is shown, an ID number cannot be rebuilt.

For a sample of people, every page, export and record file such a role can open is read as that role; the
characters of the 身份证号 it shows (masks, tails), the birth date or year and the sex are gathered, and the
number of 18-character IDs consistent with all of it is counted — assuming, to be safe, that the attacker also
knows the person's six-digit area code exactly. Each page alone and all pages together must leave ≥ 1,000.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.core.enums import District, OrgKind, Role
from tests import apprenticeship_factories as af
from tests import competition_factories as cf
from tests import factories

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
MASK_RE = re.compile(r"(?<![0-9A-Za-z*])[0-9Xx*]{18}(?![0-9A-Za-z*])")
TAIL_RE = re.compile(r"…([0-9Xx]{2,6})")


def candidates(true_id: str, text: str) -> int:
    """How many IDs agree with the true area code and with everything ``text`` shows about ``true_id``."""
    if true_id in text:
        return 1
    known: dict[int, str] = {}
    for shown in MASK_RE.findall(text):
        shown = shown.upper()
        if all(c == "*" or c == t for c, t in zip(shown, true_id, strict=True)):
            known.update({i: c for i, c in enumerate(shown) if c != "*"})
    for tail in TAIL_RE.findall(text):
        if true_id.endswith(tail.upper()):
            known.update({18 - len(tail) + i: c for i, c in enumerate(tail.upper())})
    birth = date(int(true_id[6:10]), int(true_id[10:12]), int(true_id[12:14]))
    shown_dates = {birth.isoformat(), birth.strftime("%Y%m%d"), f"{birth.year}年{birth.month}月{birth.day}日"}
    return _count(true_id, tuple(sorted(known.items())), any(d in text for d in shown_dates))


@functools.cache
def _count(true_id: str, known_items: tuple[tuple[int, str], ...], date_shown: bool) -> int:
    known = dict(known_items)
    birth = date(int(true_id[6:10]), int(true_id[10:12]), int(true_id[12:14]))
    if date_shown:
        days = [birth]
    else:  # the year is always assumed known
        start = date(birth.year, 1, 1)
        days = [start + timedelta(n) for n in range(366 if calendar.isleap(birth.year) else 365)]
    male = int(true_id[16]) % 2  # the sex is always assumed known
    seqs = [sum(int(c) * w for c, w in zip(f"{n:03d}", WEIGHTS[14:], strict=True)) for n in range(1000)
            if n % 2 == male and all(known.get(14 + i, c) == c for i, c in enumerate(f"{n:03d}"))]
    area = true_id[:6]
    count = 0
    for day in days:
        head = area + day.strftime("%Y%m%d")
        if any(known.get(i, c) != c for i, c in enumerate(head)):
            continue
        partial = sum(int(c) * w for c, w in zip(head, WEIGHTS, strict=False))
        if 17 not in known:
            count += len(seqs)
            continue
        count += sum(1 for seq in seqs if CHECK[(partial + seq) % 11] == known[17])
    return count


def page_text(response) -> str:
    if response.mimetype.endswith("spreadsheetml.sheet"):
        wb = load_workbook(BytesIO(response.get_data()), read_only=True)
        cells = [c.isoformat() if isinstance(c, date) else str(c)
                 for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        return "\n".join(cells)
    return response.get_data(as_text=True)


@pytest.fixture()
def scene(app, ctx):
    """Three people of one enterprise, registered for a competition and enrolled as apprentices."""
    c = af.cast(District.HUANGPU)
    af.policies()
    births = [date(1999, 3, 8), date(2001, 12, 31), date(2004, 2, 29)]
    people = []
    for n, born in enumerate(births):
        number = factories.valid_ric(District.HUANGPU, born, male=n % 2 == 0)
        people.append(factories.person(f"样本{n}", c.enterprise, id_number=number))
    organiser = factories.org(OrgKind.ENTERPRISE, District.HUANGPU, name="大赛组委会单位")
    organizer = factories.user(organiser, Role.ORGANIZER)
    ev = cf.event(cf.competition(organiser))
    for p in people:
        cf.registration(ev, p, c.enterprise)
    klass = af.klass(c)
    enrollments = [af.enrollment(c, p, class_id=klass.id) for p in people]
    return c, people, organizer, ev, klass, enrollments


def test_no_page_export_or_record_file_lets_a_role_without_reveal_rebuild_an_id(app, ctx, scene, login_as):
    from app.core.crypto import cipher

    c, people, organizer, ev, klass, enrollments = scene
    numbers = {p.id: cipher().decrypt(p.id_number_encrypted) for p in people}
    per_person = ["/people/{p}", "/people/{p}/edit", "/supervision/people/{p}/record",
                  "/supervision/people/{p}/record.xlsx"]
    pages = {
        "hr": (c.hr, ["/people", "/people?q=样本", "/people/export.xlsx", f"/competitions/events/{ev.id}",
                      f"/competitions/events/{ev.id}/print", f"/competitions/events/{ev.id}/export.xlsx",
                      "/apprenticeships/", "/apprenticeships/export.xlsx", f"/apprenticeships/classes/{klass.id}",
                      *[f"/apprenticeships/{e.id}" for e in enrollments], *per_person]),
        "organizer": (organizer, [f"/competitions/events/{ev.id}", f"/competitions/events/{ev.id}/print",
                                  f"/competitions/events/{ev.id}/export.xlsx"]),
        "college": (c.college, ["/apprenticeships/", "/apprenticeships/export.xlsx",
                                f"/apprenticeships/classes/{klass.id}",
                                *[f"/apprenticeships/{e.id}" for e in enrollments]]),
    }
    seen_ok = 0
    for role, (user, urls) in pages.items():
        web = login_as(user)
        everything = {pid: "" for pid in numbers}
        for template in urls:
            targets = [template.format(p=pid) for pid in numbers] if "{p}" in template else [template]
            for url in targets:
                response = web.get(url)
                if response.status_code != 200:
                    continue
                seen_ok += 1
                text = page_text(response)
                for pid, number in numbers.items():
                    everything[pid] += "\n" + text
                    left = candidates(number, text)
                    assert left >= 1000, f"{role} {url}: only {left} IDs of person {pid} fit what it shows"
        for pid, number in numbers.items():
            left = candidates(number, everything[pid])
            assert left >= 1000, f"{role}: only {left} IDs fit all its pages together"
    # The pages were really read (not all refused): HR's own people pages at least.
    assert seen_ok >= 3 * len(per_person) + 3


def test_the_counter_sees_what_the_old_mask_and_full_birth_date_gave_away():
    number = "310104199803081234"
    fixed = number[:17] + CHECK[sum(int(c) * w for c, w in zip(number[:17], WEIGHTS, strict=True)) % 11]
    old_view = f"{fixed[:3]}***********{fixed[-4:]} 出生日期 1998-03-08"
    assert candidates(fixed, old_view) == 1
    assert candidates(fixed, f"{fixed[:3]}*************{fixed[-2:]} 1998") >= 1000
