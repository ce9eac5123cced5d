"""VCCI's PCI workbook: the summary sheet in which every sub-index is its own separately sorted
pair of columns (province, score), followed by the composite's pair, its rank and tier.

The layout is found by header text (folded with ingest.text.fold), never by cell position:
a column whose header names a sub-index holds its scores and the column just left of it the
provinces of that ranking. Data rows run from the header to the first row without a numeric
composite score, so the footer (a repeated header, the median province) is excluded.
The tier is kept in its own column (`Score.tier`, raw.index_scores.tier) on the 'total' row:
it is a label, not a value on the index's scale.
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
    as_number,
    list_version_for,
    methodology,
)
from ingest.indices.workbook import Row, sheets
from ingest.text import fold

READER = "pci_vcci_workbook"
INDEX_CODE = "PCI"

# Folded header texts of each sub-index, Vietnamese and English, across editions.
SUBINDEX_HEADERS = {
    "entry_costs": ("gianhapthitruong", "chiphigianhapthitruong", "entrycosts", "entrycost", "marketentry"),
    "land_access": ("tiepcandatdai", "landaccess", "landaccessandsecurityoftenure"),
    "transparency": ("tinhminhbach", "minhbach", "transparency", "tinhminhbachvatiepcanthongtin"),
    "time_costs": ("chiphithoigian", "timecosts", "timecostsofregulatorycompliance"),
    "informal_charges": ("chiphikhongchinhthuc", "informalcharges"),
    "equal_competition": ("canhtranhbinhdang", "policybias", "equalcompetition"),
    "proactivity": ("tinhnangdong", "proactivity", "proactivityofprovincialleadership"),
    "business_support": ("hotrodoanhnghiep", "dichvuhotrodoanhnghiep", "dichvuhotrodn", "businesssupport",
                         "businesssupportservices"),
    "labour_training": ("daotaolaodong", "labortraining", "labourtraining", "laborpolicy"),
    "legal_institutions": ("thietchephaply", "legalinstitutions", "phaply"),
}
_COMPOSITE = re.compile(r"^(chiso)?pci((19|20)\d\d)?$|^(pci)?(tongdiem|diemtong|compositescore|weightedpci)")
_RANK = ("xephang", "rank", "thuhang", "hang")
_TIER = ("nhomxephang", "nhom", "tier", "xeploai", "group")
_MIN_SUBINDICES = 5  # a header row names at least this many sub-indices


def _component_of(header: object) -> str | None:
    if not isinstance(header, str):
        return None
    key = fold(header)
    if _COMPOSITE.match(key):
        return TOTAL
    for component, aliases in SUBINDEX_HEADERS.items():
        if key in aliases:
            return component
    return None


def _find_layout(rows: list[Row]) -> tuple[int, dict[str, int], int | None, int | None] | None:
    """(header row index, component -> score column, rank column, tier column), or None."""
    for index, row in enumerate(rows[:30]):
        columns: dict[str, int] = {}
        for column, cell in enumerate(row):
            component = _component_of(cell)
            if component and component not in columns and column > 0:
                columns[component] = column
        if TOTAL in columns and len(columns) - 1 >= _MIN_SUBINDICES:
            after = [(c, fold(v)) for c, v in enumerate(row) if isinstance(v, str) and c > columns[TOTAL]]
            rank = next((c for c, key in after if key in _RANK), None)
            tier = next((c for c, key in after if key in _TIER), None)
            return index, columns, rank, tier
    return None


def _edition_year(header: object, path: Path, given: int | None) -> int:
    if given is not None:
        return given
    for text in (fold(str(header)), path.stem):
        found = re.search(r"(19|20)\d\d", text)
        if found:
            return int(found.group(0))
    raise ValueError(f"{path.name}: no edition year in the composite header or the file name; pass --edition")


def read(path: Path, edition_year: int | None = None) -> list[Edition]:
    """The PCI edition of a VCCI workbook (the first sheet with a summary layout)."""
    for sheet_name, rows in sheets(path):
        layout = _find_layout(rows)
        if layout is None:
            continue
        header_index, columns, rank_column, tier_column = layout
        year = _edition_year(rows[header_index][columns[TOTAL]], path, edition_year)
        list_version = list_version_for(date(year, 12, 31))
        edition = Edition(INDEX_CODE, year, str(year), list_version, sheet_name, methodology(INDEX_CODE, year))
        resolve = ProvinceResolver(list_version)
        for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
            def cell(column: int | None, row: Row = row) -> object:
                return row[column] if column is not None and column < len(row) else None

            if as_number(cell(columns[TOTAL])) is None:
                break  # the footer: repeated header, median province
            for component, column in columns.items():
                name, value = cell(column - 1), as_number(cell(column))
                if name is None or value is None:
                    continue
                where = f"{sheet_name}!row {offset}, {component}"
                province = resolve(str(name), where)
                if province is None:
                    continue
                is_total = component == TOTAL
                rank = as_number(cell(rank_column)) if is_total else None
                edition.scores.append(Score(
                    unit_name=str(name), province=province, component=component, value=value,
                    rank_published=int(rank) if rank is not None else None,
                    tier=str(cell(tier_column)) if is_total and cell(tier_column) is not None else None,
                    source_row=offset,
                ))
        resolve.raise_if_any(path.name)
        return [edition]
    raise LayoutNotFound(
        f"{path.name}: no sheet has a PCI summary header (a composite 'PCI <year>' column and at least "
        f"{_MIN_SUBINDICES} sub-index columns such as 'Gia nhập thị trường', 'Tiếp cận đất đai')"
    )
