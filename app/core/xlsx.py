"""Every .xlsx the app writes is made with ``export_workbook()``: a cell never becomes a live formula.

A value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR (a name such as ``=HYPERLINK("http://…","x")``
saved by a user) is written as a text cell, never as a formula; numbers, dates and other values are unchanged.

openpyxl is imported on first use, not with the app: only a download or an upload needs it, and it is ~15 MB
of every worker's memory otherwise (issue 21). The same goes for the areas' ``imports.py`` modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def needs_text(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def text_cell(sheet: Any, value: str) -> Any:
    """A cell holding ``value`` as text (openpyxl would otherwise store a leading "=" as a formula)."""
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


__all__ = ["export_workbook", "needs_text", "FORMULA_STARTS"]
