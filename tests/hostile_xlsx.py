"""Hostile .xlsx files built in the test (nothing large is stored in the repository): a zip bomb holding one huge
cell, and a sheet of Excel's full 1,048,576 rows."""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache, wraps
from io import BytesIO
from itertools import chain
from pathlib import Path
from xml.sax.saxutils import escape

EXCEL_ROWS = 1_048_576

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')
_SHEET_OPEN = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


_SOURCE = Path(__file__).read_bytes()


def _kept_on_disk(build: Callable[..., bytes]) -> Callable[..., bytes]:
    """Keep what ``build`` makes in the temporary directory, keyed by this module's source and the arguments: the
    suite's runs (SQLite, PostgreSQL, the shifted clock) and their workers build the same sheets, a few seconds of
    CPU each (compressing 400 MB), so the first to need one builds it and the others read it."""

    @cache
    @wraps(build)
    def kept(*args: object, **kwargs: object) -> bytes:
        key = hashlib.sha256(_SOURCE + repr((build.__name__, args, sorted(kwargs.items()))).encode()).hexdigest()
        path = Path(tempfile.gettempdir()) / f"jt-hostile-{key[:24]}.xlsx"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            content = build(*args, **kwargs)
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(content)
            partial.replace(path)  # atomic: a reader sees the whole file or none
            return content

    return kept


def _package(write_sheet, level: int = 9) -> bytes:  # noqa: ANN001
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            write_sheet(sheet)
    return buf.getvalue()


def _header_row(header: tuple[str, ...]) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
                    for i, text in enumerate(header))
    return f'<row r="1">{cells}</row>'


@_kept_on_disk
def one_huge_cell(header: tuple[str, ...] = (), megabytes: int = 400) -> bytes:
    """About 400 KB on disk: the ``header`` row, then one inline-string cell of ``megabytes`` MB once unzipped
    (written in 1 MB chunks, so the test never holds it)."""

    def write(sheet) -> None:  # noqa: ANN001
        sheet.write((_SHEET_OPEN + "<sheetData>" + _header_row(header)
                     + '<row r="2"><c r="A2" t="inlineStr"><is><t>').encode())
        chunk = b"A" * (1024 * 1024)
        for _ in range(megabytes):
            sheet.write(chunk)
        sheet.write(b"</t></is></c></row></sheetData></worksheet>")

    return _package(write)


@_kept_on_disk
def every_excel_row(header: tuple[str, ...] = (), declared: bool = True, filled: bool = False) -> bytes:
    """A sheet with all 1,048,576 rows, the first one ``header``, the others blank (17 MB unzipped) or ``filled``
    with a number each (51 MB); ``declared``: with its ``<dimension ref>``, as Excel and openpyxl write it."""
    row = '<row r="%d"><c r="A%d"><v>1</v></c></row>' if filled else '<row r="%d"/>'

    def write(sheet) -> None:  # noqa: ANN001
        head = _SHEET_OPEN + (f'<dimension ref="A1:A{EXCEL_ROWS}"/>' if declared else "") + "<sheetData>"
        sheet.write((head + _header_row(header)).encode())
        for start in range(2, EXCEL_ROWS + 1, 65536):
            numbers = range(start, min(start + 65536, EXCEL_ROWS + 1))
            # One %-format of the whole block (a Python-level loop per row took seconds a sheet).
            values = tuple(chain.from_iterable(zip(numbers, numbers, strict=True))) if filled else tuple(numbers)
            sheet.write(((row * len(numbers)) % values).encode())
        sheet.write(b"</sheetData></worksheet>")

    return _package(write, level=1)


@_kept_on_disk
def only_the_last_row(header: tuple[str, ...] = ()) -> bytes:
    """A tiny sheet declaring A1:A1048576 whose only other row is Excel's last one (a reader fills the gap)."""

    def write(sheet) -> None:  # noqa: ANN001
        sheet.write((_SHEET_OPEN + f'<dimension ref="A1:A{EXCEL_ROWS}"/><sheetData>' + _header_row(header)
                     + f'<row r="{EXCEL_ROWS}"><c r="A{EXCEL_ROWS}"><v>1</v></c></row></sheetData></worksheet>'
                     ).encode())

    return _package(write)
