"""Hostile .xlsx uploads are refused before they are parsed, quickly and without the memory a parse would take
(issue 18: a 412 KB file holding one 400 MB cell took 20–73 s and ~919 MB; a 1,048,576-row sheet 17–44 s).

Every import (people, competition registrations, marking schemes, apprentice classes) opens its upload with
``app.core.xlsx.open_upload``; each is sent the hostile files here, built in the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import pytest

from app.apprenticeships.imports import HEADERS as CLASS_HEADERS
from app.competitions.judging.imports import HEADERS as SCHEME_HEADERS
from app.competitions.registration.imports import HEADERS as REGISTRATION_HEADERS
from app.core.enums import Role
from app.core.xlsx import check_archive, open_upload
from app.errors import DomainError
from app.people.imports import HEADERS as PEOPLE_HEADERS
from tests import apprenticeship_factories as af
from tests import competition_factories as cf
from tests import factories
from tests.conftest import TEST_KEYS
from tests.hostile_xlsx import EXCEL_ROWS, every_excel_row, one_huge_cell, only_the_last_row

TOO_LARGE = "文件解压后过大或压缩比异常"
TOO_MANY_ROWS = "工作表超过 10000 行"
DECLARED_TOO_MANY = f"工作表有 {EXCEL_ROWS} 行，超过上限 10000 行"
BUILD = {"huge-cell": lambda h: one_huge_cell(tuple(h)),
         "declared-rows": lambda h: every_excel_row(tuple(h)),
         "undeclared-rows": lambda h: every_excel_row(tuple(h), declared=False),
         "filled-rows": lambda h: every_excel_row(tuple(h), filled=True),
         "last-row-only": lambda h: only_the_last_row(tuple(h))}
EXPECTED = {"huge-cell": TOO_LARGE, "declared-rows": TOO_MANY_ROWS, "undeclared-rows": TOO_MANY_ROWS,
            "filled-rows": TOO_LARGE, "last-row-only": DECLARED_TOO_MANY}


def _post(client, url: str, field: str, content: bytes):
    started = time.perf_counter()
    response = client.post(url, data={field: (BytesIO(content), "hostile.xlsx")}, content_type="multipart/form-data")
    return response, time.perf_counter() - started


def _imports(login_as):
    """(client, url, file field, header row) of every import in the app."""
    official = login_as(factories.municipal_official())
    yield official, "/people/import", "file", PEOPLE_HEADERS
    hr_unit = factories.org()
    ev = cf.event()
    yield login_as(factories.user(hr_unit, Role.ENTERPRISE_HR)), f"/competitions/events/{ev.id}/import", \
        "import-file", REGISTRATION_HEADERS
    yield login_as(factories.user(ev.competition.organiser, Role.ORGANIZER)), \
        f"/competitions/events/{ev.id}/scheme", "scheme-file", SCHEME_HEADERS
    af.policies()
    cast = af.cast(prefix="h")
    klass = af.klass(cast)
    yield login_as(cast.hr), f"/apprenticeships/classes/{klass.id}/import", "import-file", CLASS_HEADERS


@pytest.mark.parametrize("kind", sorted(BUILD))
def test_every_import_refuses_a_hostile_sheet_quickly_next_to_the_field(app, ctx, login_as, kind):
    for client, url, field, header in _imports(login_as):
        response, seconds = _post(client, url, field, BUILD[kind](header))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (url, response.status_code)
        assert EXPECTED[kind] in html, url
        assert 'class="invalid-feedback' in html or "is-invalid" in html, url
        assert seconds < 2, (url, seconds)


def test_the_limits_are_configuration(app, ctx, monkeypatch):
    """(monkeypatch: the app is the session's; its configuration is restored after the test)"""
    huge = one_huge_cell(megabytes=2)
    with app.test_request_context():
        with pytest.raises(DomainError, match=TOO_LARGE):
            check_archive(huge)
        monkeypatch.setitem(app.config, "IMPORT_MAX_COMPRESSION_RATIO", 10_000)
        check_archive(huge)  # 2 MB expanding ~1000 times is within a ratio of 10,000 and every size
        monkeypatch.setitem(app.config, "IMPORT_MAX_MEMBER_BYTES", 1024 * 1024)
        with pytest.raises(DomainError, match=TOO_LARGE):
            check_archive(huge)
        monkeypatch.setitem(app.config, "IMPORT_MAX_MEMBER_BYTES", 25 * 1024 * 1024)
        monkeypatch.setitem(app.config, "IMPORT_MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
        with pytest.raises(DomainError, match=TOO_LARGE):
            check_archive(huge)
        monkeypatch.setitem(app.config, "IMPORT_MAX_UNCOMPRESSED_BYTES", 40 * 1024 * 1024)
        monkeypatch.setitem(app.config, "IMPORT_MAX_MEMBERS", 4)
        with pytest.raises(DomainError, match=TOO_LARGE):
            check_archive(huge)  # it has 5 members
        monkeypatch.setitem(app.config, "IMPORT_MAX_MEMBERS", 100)
        monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
        small = factories.xlsx(PEOPLE_HEADERS, [["甲"], ["乙"], ["丙"]])
        with pytest.raises(DomainError, match="工作表超过 3 行"):
            open_upload(small)
        monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 4)
        assert open_upload(small).worksheets[0].max_row == 4


def test_every_template_passes_the_checks(app, ctx):
    """The templates carry thousands of text-formatted blank rows: the limits must leave room for them."""
    from app.apprenticeships.imports import template as class_template
    from app.competitions.judging.imports import export_scheme
    from app.competitions.registration.imports import template as registration_template
    from app.people.imports import people_template

    with app.test_request_context():
        for content in (people_template(), class_template(), registration_template(), export_scheme([])):
            assert open_upload(content).worksheets


#: Loads the app once, then measures each sheet in a child forked for it: its own resident-size high-water mark
#: (a child's starts from the loaded app and openpyxl, so what it adds is the refusal's), its own CPU seconds and
#: allocations.
_MEASURE = """
import json, os, resource, sys, time, tracemalloc
from app import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", **json.loads(sys.argv[1])})
from app.people import imports
from app.errors import DomainError
import openpyxl  # a worker loads it on its first import (once, not per sheet): not part of a refusal's cost

def measure(path):
    content = open(path, "rb").read()
    with app.test_request_context():
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.process_time()  # CPU seconds: what the refusal costs, whatever else the machine is doing
        try:
            imports._parse(None, content)  # the people import's reading of a sheet, up to the point it is refused
            outcome = "accepted"
        except DomainError as exc:
            outcome = exc.message
        seconds = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
        extra_rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) * 1024
    return {"outcome": outcome, "seconds": seconds, "peak": peak, "extra_rss": extra_rss}

figures = {}
for kind, path in json.loads(sys.argv[2]).items():
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        with os.fdopen(write, "w") as out:
            out.write(json.dumps(measure(path)))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        figures[kind] = json.loads(answer.read() or "null")
    os.waitpid(child, 0)
print(json.dumps(figures))
"""


def test_every_hostile_sheet_is_refused_in_under_2_s_and_200_mb(tmp_path: Path):
    """Measured away from the test process, each sheet in a fresh child of a process that has loaded the app: the
    CPU seconds (not wall time, which a loaded machine stretches), the peak resident size, and Python's own
    allocations, while refusing. (One loaded app for all the sheets: loading it was most of this test's CPU.)"""
    paths = {}
    for kind, build in BUILD.items():
        paths[kind] = tmp_path / f"{kind}.xlsx"
        paths[kind].write_bytes(build(PEOPLE_HEADERS))
    done = subprocess.run([sys.executable, "-c", _MEASURE, json.dumps(TEST_KEYS),
                           json.dumps({kind: str(path) for kind, path in paths.items()})],
                          capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2],
                          env={**os.environ, "APP_ENV": "development"})
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    failed = {kind: got for kind, got in figures.items()
              if got is None or not got["outcome"].startswith(EXPECTED[kind]) or got["seconds"] >= 2
              or got["peak"] >= 200 * 1024 * 1024 or got["extra_rss"] >= 200 * 1024 * 1024}
    assert sorted(figures) == sorted(BUILD) and failed == {}, figures
