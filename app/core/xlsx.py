"""Every .xlsx the app writes is made with ``export_workbook()``: a cell never becomes a live formula; every
uploaded .xlsx is opened with ``open_upload()``: a hostile archive is refused before it is parsed.

A value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR (a name such as ``=HYPERLINK("http://…","x")``
saved by a user) is written as a text cell, never as a formula; numbers, dates and other values are unchanged.

openpyxl is imported on first use, not with the app: only a download or an upload needs it, and it is ~15 MB
of every worker's memory otherwise (issue 21). The same goes for the areas' ``imports.py`` modules.

An upload is a zip archive: ``open_upload`` reads its directory (not its content) and refuses too many members,
members or a total that expand beyond the configured sizes, or a member that expands too many times (a 400 KB file
holding one 400 MB cell); then each sheet's declared size (``<dimension ref>``) beyond the configured row count.
Python's zip reader stops every member at its declared size, so the checked sizes are the sizes read. A sheet that
declares no size is still read row by row, and each import stops at its own row limit.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from functools import cache
from io import BytesIO
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _

from app.errors import DomainError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def needs_text(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def text_cell(sheet: Any, value: str) -> Any:
    """A cell holding ``value`` as text (openpyxl would otherwise store a leading "=" as a formula)."""
    # lazy: openpyxl (~8 MB) loads with the first Excel file, not in every worker (issue 21)
    from openpyxl.cell import Cell

    cell = Cell(sheet, row=1, column=1, value=value)  # append() moves it to its place
    cell.data_type = "s"
    return cell


class SafeSheet:
    """A worksheet whose ``append`` writes formula-like strings as text; everything else is the sheet's own."""

    def __init__(self, sheet: Any) -> None:
        object.__setattr__(self, "_sheet", sheet)

    def append(self, row: Iterable[Any]) -> None:
        sheet = self._sheet
        sheet.append([text_cell(sheet, v) if needs_text(v) else v for v in row])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sheet, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._sheet, name, value)

    def __getitem__(self, key: Any) -> Any:
        return self._sheet[key]


@cache
def _workbook_class() -> type:
    """openpyxl's Workbook whose sheets (``active``, ``create_sheet``) escape formula-like strings."""
    # lazy: openpyxl (~8 MB) loads with the first Excel file, not in every worker (issue 21)
    from openpyxl import Workbook

    class ExportWorkbook(Workbook):
        """openpyxl's Workbook whose sheets (``active``, ``create_sheet``) escape formula-like strings."""

        def create_sheet(self, title: str | None = None, index: int | None = None) -> Any:
            return SafeSheet(super().create_sheet(title, index))

        @property
        def active(self) -> Any:
            sheet = Workbook.active.fget(self)
            return SafeSheet(sheet) if sheet is not None else None

        @active.setter
        def active(self, value: Any) -> None:
            Workbook.active.fset(self, value._sheet if isinstance(value, SafeSheet) else value)

    return ExportWorkbook


def export_workbook(write_only: bool = False) -> Any:
    return _workbook_class()(write_only=write_only)


#: Members smaller than this are not held to the compression ratio (a short, repetitive XML part compresses well).
RATIO_EXEMPT_BYTES = 1024 * 1024


def _unreadable() -> DomainError:
    return DomainError(_("无法读取该文件，请使用下载的模板（.xlsx）"), "file")


def _too_large() -> DomainError:
    return DomainError(_("文件解压后过大或压缩比异常，已拒绝读取；请使用下载的模板，每次导入的行数不要超过限制"),
                       "file")


def check_archive(content: bytes) -> None:
    """Refuse an .xlsx whose zip directory announces too many members or too much (or too suspicious) content,
    or whose sheets hold more rows than allowed (counted while streaming, up to the limit)."""
    config = current_app.config
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > config["IMPORT_MAX_MEMBERS"]:
                raise _too_large()
            total = 0
            for member in members:
                total += member.file_size
                if member.file_size > config["IMPORT_MAX_MEMBER_BYTES"] \
                        or total > config["IMPORT_MAX_UNCOMPRESSED_BYTES"]:
                    raise _too_large()
                if member.file_size > RATIO_EXEMPT_BYTES and \
                        member.file_size > config["IMPORT_MAX_COMPRESSION_RATIO"] * max(member.compress_size, 1):
                    raise _too_large()
            for member in members:
                if _SHEET_PART.search(member.filename):
                    with archive.open(member) as part:
                        _count_rows(part, config["IMPORT_MAX_ROWS"])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise _unreadable() from exc


_SHEET_PART = re.compile(r"(^|/)worksheets/[^/]+\.xml$", re.IGNORECASE)
#: A row element's start tag (with an optional namespace prefix); never longer than ``_CARRY`` bytes.
_ROW_TAG = re.compile(rb"<(?:\w{1,8}:)?row[\s/>]")
_CARRY = 16


def _count_rows(part: IO[bytes], limit: int) -> None:
    """Count a sheet's ``<row>`` elements in 1 MB pieces of the unzipped part; refuse once past ``limit``
    (a sheet of a million blank rows, which openpyxl would walk to its end yielding nothing)."""
    rows, carry = 0, b""
    while True:
        chunk = part.read(1024 * 1024)
        buffer = carry + chunk
        cut = len(buffer) if not chunk else max(len(buffer) - _CARRY, 0)
        rows += sum(1 for match in _ROW_TAG.finditer(buffer) if match.start() < cut)
        if rows > limit:
            raise DomainError(_("工作表超过 %(n)d 行，已拒绝读取", n=limit), "file")
        if not chunk:
            return
        carry = buffer[cut:]


def open_upload(content: bytes) -> Any:
    """An uploaded .xlsx, checked (see the module's docstring), opened read-only for streaming its rows."""
    # lazy: openpyxl (~8 MB) loads on the first Excel download or upload, not in every worker (issue 21)
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_archive(content)
    try:
        wb = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError,
            SyntaxError) as exc:  # lxml/ElementTree parse errors are SyntaxError subclasses
        raise _unreadable() from exc
    limit = current_app.config["IMPORT_MAX_ROWS"]
    for sheet in wb.worksheets:
        max_row = getattr(sheet, "max_row", None)
        if isinstance(max_row, int) and max_row > limit:
            wb.close()
            raise DomainError(_("工作表有 %(rows)d 行，超过上限 %(n)d 行，已拒绝读取", rows=max_row, n=limit), "file")
    return wb


__all__ = ["export_workbook", "needs_text", "FORMULA_STARTS", "check_archive", "open_upload"]
