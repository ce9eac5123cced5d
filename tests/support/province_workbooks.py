"""Province names as published in the real workbooks of ingest/indices/publications/.

PCI_2016.xlsx, sheet Summary_VN: VCCI lists each sub-index as its own sorted (province,
score) column pair, then the composite; data rows have their rank (1-63) in column A, and
the footer (a repeated header, the median province, a rank row) does not.
PAPI_2011-2016.xlsx: one sheet per year with the GSO code `tinhid` and the names
`tentinh_eng` / `tentinh_vie`; two header rows and a max-score row coded 999 are not provinces.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from tests.support.paths import REAL_FIXTURES

PCI_WORKBOOK = REAL_FIXTURES / "PCI_2016.xlsx"
PAPI_WORKBOOK = REAL_FIXTURES / "PAPI_2011-2016.xlsx"
PCI_SHEET = "Summary_VN"
PCI_EDITION_YEAR = 2016
PCI_PROVINCE_COUNT = 63
PAPI_MAX_SCORE_CODE = 999


@dataclass(frozen=True)
class PapiRow:
    edition_year: int
    gso_code: str
    name_english: str
    name_vietnamese: str


@functools.cache
def _rows(path: Path, sheet: str | None = None) -> dict[str, list[tuple]]:
    # openpyxl warns about workbook extensions it drops while reading; they hold no cell values.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = [workbook[sheet]] if sheet else workbook.worksheets
            return {ws.title: list(ws.iter_rows(values_only=True)) for ws in sheets}
        finally:
            workbook.close()


def pci_name_columns() -> dict[str, list[str]]:
    """Sub-index header (the composite's is 'PCI 2016') -> the 63 province names of its column."""
    rows = _rows(PCI_WORKBOOK, PCI_SHEET)[PCI_SHEET]
    header = rows[0]
    data = [row for row in rows[1:] if isinstance(row[0], int) and 1 <= row[0] <= PCI_PROVINCE_COUNT]
    columns: dict[str, list[str]] = {}
    # Each column pair is (province, score) with its header on the score column; the last
    # pair is the composite ("PCI 2016"), followed by rank and tier columns.
    composite_score_at = header.index(f"PCI {PCI_EDITION_YEAR}")
    for name_at in range(1, composite_score_at, 2):
        columns[" ".join(str(header[name_at + 1]).split())] = [row[name_at] for row in data]
    return columns


def papi_rows() -> list[PapiRow]:
    """Every province row of every yearly PAPI sheet (header rows and the 999 row left out)."""
    result: list[PapiRow] = []
    for title, rows in _rows(PAPI_WORKBOOK).items():
        year = int(title.split("_")[0])
        header = list(rows[0])
        code_at, english_at, vietnamese_at = (header.index(c) for c in ("tinhid", "tentinh_eng", "tentinh_vie"))
        for row in rows:
            code = row[code_at]
            if not isinstance(code, int | float) or code == PAPI_MAX_SCORE_CODE:
                continue
            result.append(PapiRow(year, f"{int(code):02d}", row[english_at], row[vietnamese_at]))
    return result


def all_names() -> list[str]:
    """Every distinct province name in both workbooks (PCI Summary_VN and PAPI, both languages)."""
    names = {name for column in pci_name_columns().values() for name in column}
    names |= {row.name_english for row in papi_rows()} | {row.name_vietnamese for row in papi_rows()}
    return sorted(names)
