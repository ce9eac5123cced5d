"""UNDP/CECODES's PAPI workbook: one sheet per year, the GSO code in `tinhid`, one column per
dimension (each followed by its sub-dimensions) and the unweighted composite.

Columns are found by header text (folded), in English or Vietnamese, in any order; a second
header row (the Vietnamese labels under the English ones) is skipped. The max-score row
(code 999, "Highest") and empty rows are excluded. Each province's name must resolve to the
same province as its code, otherwise the load is rejected. Only dimensions and the composite
are read: sub-dimensions are on other scales and are not part of the published ranking.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ingest.indices.model import (
    TOTAL,
    Edition,
    LayoutNotFound,
    ProvinceResolver,
    Score,
    UnresolvedProvinces,
    as_number,
    list_version_for,
    methodology,
)
from ingest.indices.workbook import Row, sheets
from ingest.text import fold

READER = "papi_undp_workbook"
INDEX_CODE = "PAPI"
MAX_SCORE_CODE = 999

DIMENSION_HEADERS = {
    "participation": ("participationatlocallevels", "participation", "thamgiacuanguoidanocapcoso"),
    "transparency": ("transparency", "congkhaiminhbach"),
    "vertical_accountability": ("verticalaccountability", "trachnhiemgiaitrinhvoinguoidan"),
    "control_of_corruption": ("controlofcorruption", "controlofcorruptioninthepublicsector",
                              "kiemsoatthamnhungtrongkhuvuccong"),
    "administrative_procedures": ("publicadministrativeprocedures", "thutuchanhchinhcong"),
    "public_service_delivery": ("publicservicedelivery", "cungungdichvucong"),
    "environmental_governance": ("environmentalgovernance", "quantrimoitruong"),
    "e_governance": ("egovernance", "quantridientu"),
}
_TOTAL = re.compile(r"^(unweighted|khongtrongso|chisopapi|papi)|papi(khongcotrongso)?$")
_CODE = ("tinhid", "matinh", "provinceid", "id")
_NAMES = ("tentinhvie", "tentinh", "tinh", "province", "tentinheng")


def _columns(row: Row) -> tuple[int, int, dict[str, int]] | None:
    keys = [fold(v) if isinstance(v, str) else "" for v in row]
    code = next((i for i, k in enumerate(keys) if k in _CODE), None)
    name = next((keys.index(n) for n in _NAMES if n in keys), None)
    if code is None or name is None:
        return None
    components: dict[str, int] = {}
    for column, key in enumerate(keys):
        for dimension, aliases in DIMENSION_HEADERS.items():
            if key in aliases:
                components.setdefault(dimension, column)
        if key and _TOTAL.search(key):
            components.setdefault(TOTAL, column)
    return code, name, components


def _edition_year(sheet_name: str) -> int | None:
    found = re.search(r"(19|20)\d\d", sheet_name)
    return int(found.group(0)) if found else None


def find_header(sheet_name: str, rows: list[Row]) -> tuple[int, int, tuple[int, int, dict[str, int]]] | None:
    """(edition year, header row index, (code column, name column, component columns)) of a
    yearly PAPI sheet, or None when the sheet is not one."""
    year = _edition_year(sheet_name)
    header = next(((i, c) for i, row in enumerate(rows[:10]) if (c := _columns(row))), None)
    return None if year is None or header is None else (year, *header)


def read(path: Path, edition_year: int | None = None) -> list[Edition]:
    """Every year's edition in the workbook (only `edition_year`'s when given)."""
    editions: list[Edition] = []
    problems: list[tuple[str, str]] = []
    for sheet_name, rows in sheets(path):
        found = find_header(sheet_name, rows)
        if found is None or (edition_year is not None and found[0] != edition_year):
            continue
        year, header_index, (code_column, name_column, components) = found
        if TOTAL not in components or len(components) < 2:
            raise LayoutNotFound(f"{path.name}!{sheet_name}: no PAPI dimension or composite columns in the header")
        list_version = list_version_for(date(year, 12, 31))
        edition = Edition(INDEX_CODE, year, str(year), list_version, sheet_name, methodology(INDEX_CODE, year))
        resolve = ProvinceResolver(list_version, str(year))
        for row_number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
            code = as_number(row[code_column]) if code_column < len(row) else None
            if code is None or code == MAX_SCORE_CODE:
                continue  # empty rows, the second header row, the max-score row
            gso_code = f"{int(code):02d}"
            where = f"{sheet_name}!row {row_number}"
            province = resolve(str(row[name_column]), where, gso_code=gso_code)
            if province is None:
                continue
            values = {c: as_number(row[column]) if column < len(row) else None for c, column in components.items()}
            if all(v is None for c, v in values.items() if c != TOTAL):
                # A province listed without dimension scores was not scored that year (2014: Bắc
                # Giang, Đồng Tháp, composite written as 0): kept, so it counts in the universe,
                # with no value rather than an invented 0.
                values = dict.fromkeys(values)
            for component, value in values.items():
                edition.scores.append(Score(str(row[name_column]), province, component, value,
                                            source_row=row_number))
        problems.extend(resolve.problems)
        editions.append(edition)
    if problems:
        raise UnresolvedProvinces(path.name, problems)
    if not editions:
        raise LayoutNotFound(f"{path.name}: no sheet named with a year and a header with 'tinhid' and PAPI dimensions")
    return editions
