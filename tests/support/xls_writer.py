"""Write an Excel 97–2003 (.xls) copy of an .xlsx workbook with xlwt, as older exports and
editions come: values, date cells with a date format, merged ranges; a mutation hook may
rewrite any cell on the way (older spellings, other headers)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl

Mutation = Callable[[str, int, int, object], object]


def unchanged(sheet: str, row: int, column: int, value: object) -> object:
    return value


def write_xls(source: Path, target: Path, mutate: Mutation = unchanged) -> Path:
    import xlwt

    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY HH:MM:SS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # Not read-only: merged ranges are only known to a fully loaded sheet.
        book = openpyxl.load_workbook(source, data_only=True)
    out = xlwt.Workbook(encoding="utf-8")
    for sheet in book.worksheets:
        written = out.add_sheet(sheet.title[:31])
        merged_away = set()
        for span in sheet.merged_cells.ranges:
            r0, c0, r1, c1 = span.min_row - 1, span.min_col - 1, span.max_row - 1, span.max_col - 1
            value = mutate(sheet.title, r0, c0, sheet.cell(span.min_row, span.min_col).value)
            written.write_merge(r0, r1, c0, c1, value)
            merged_away |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r, row in enumerate(sheet.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if (r, c) in merged_away:
                    continue
                value = mutate(sheet.title, r, c, value)
                if isinstance(value, datetime | date):
                    written.write(r, c, value, date_style)
                elif value is not None:
                    written.write(r, c, value)
    out.save(str(target))
    return target
