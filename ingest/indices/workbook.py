"""Sheets of a published workbook as rows of cell values: .xlsx via openpyxl, .xls (Excel
97–2003, the older editions) via xlrd. Text is NFC-normalised so composed and decomposed
Unicode read the same. A file that is not a readable workbook is rejected (FileRejected
'unreadable_spreadsheet', one line), never a library's traceback."""

from __future__ import annotations

import unicodedata
import warnings
from pathlib import Path

from ingest.errors import FileRejected

Row = tuple[object, ...]


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    return value


def sheets(path: Path) -> list[tuple[str, list[Row]]]:
    """(sheet name, rows) of every sheet, in workbook order."""
    suffix = path.suffix.lower()
    if suffix not in (".xls", ".xlsx", ".xlsm"):
        raise FileRejected("not_a_workbook", f"{path.name}: not an Excel workbook (.xlsx or .xls)")
    try:
        return _xls(path) if suffix == ".xls" else _xlsx(path)
    except FileRejected:
        raise
    except Exception as exc:  # xlrd and openpyxl raise many kinds of errors on damaged files
        raise FileRejected("unreadable_spreadsheet", f"{path.name}: not a readable {suffix[1:].upper()} workbook "
                                                     f"({type(exc).__name__}: {exc})") from None


def _xls(path: Path) -> list[tuple[str, list[Row]]]:
    import xlrd

    book = xlrd.open_workbook(str(path))
    return [(sheet.name, [tuple(_clean(v) for v in sheet.row_values(r)) for r in range(sheet.nrows)])
            for sheet in book.sheets()]


def _xlsx(path: Path) -> list[tuple[str, list[Row]]]:
    import openpyxl

    with warnings.catch_warnings():
        # VCCI's workbooks carry extensions openpyxl does not read; the values are unaffected.
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [(sheet.title, [tuple(_clean(v) for v in row) for row in sheet.iter_rows(values_only=True)])
                    for sheet in book.worksheets]
        finally:
            book.close()
