"""Sheets of a published workbook as rows of cell values: .xlsx via openpyxl, .xls (Excel
97–2003, the older editions) via xlrd. Text is NFC-normalised so composed and decomposed
Unicode read the same."""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Iterator
from pathlib import Path

Row = tuple[object, ...]


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    return value


def sheets(path: Path) -> Iterator[tuple[str, list[Row]]]:
    """(sheet name, rows) of every sheet, in workbook order."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path))
        for sheet in book.sheets():
            yield sheet.name, [tuple(_clean(v) for v in sheet.row_values(r)) for r in range(sheet.nrows)]
        return
    if suffix not in (".xlsx", ".xlsm"):
        raise ValueError(f"{path.name}: not an Excel workbook (.xlsx or .xls)")
    import openpyxl

    with warnings.catch_warnings():
        # VCCI's workbooks carry extensions openpyxl does not read; the values are unaffected.
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            read = [(sheet.title, [tuple(_clean(v) for v in row) for row in sheet.iter_rows(values_only=True)])
                    for sheet in book.worksheets]
        finally:
            book.close()
    yield from read
