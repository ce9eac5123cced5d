"""VCCI's PCI workbook, any edition since 2005: the summary sheet with the composite, its rank
and the sub-indices, found by what its headers mean, never by cell position or sheet order.

Headers are read in Vietnamese or English ("Gia nhập thị trường" / "Entry Costs", "Xếp hạng" /
"Rank"), folded with ingest.text.fold. A composite named weighted ("PCI có trọng số (Điểm tối
đa =100)", "Weighted PCI") or not qualified ("PCI 2016") is the component 'total'; one named
unweighted ("PCI chưa có trọng số", "Unweighted PCI") is 'total_unweighted'. A header row holds
a composite and at least _MIN_SUBINDICES sub-indices (2005 had nine, later editions ten).

Two layouts are read: since 2006 each sub-index is its own separately sorted pair of columns
(province, score), so the provinces of a score column are in the column to its left; the
2005 tables give one province per row, its name in the province column ("Tỉnh", "Province").
Data rows run from the first row with a numeric composite to the first without one, so a
footer (a repeated header, the median province) is excluded. The tier is kept in its own
column (`Score.tier`, raw.index_scores.tier) on the 'total' row: it is a label, not a value.

A workbook may hold several summaries (2016: the Vietnamese one and an English one left from
2013): the one of the edition asked for, else of the latest edition, is read. The edition
year comes from the composite's header, else the sheet name, the title rows above the header
or the file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
from ingest.indices.periods import PeriodError
from ingest.indices.workbook import Row, sheets
from ingest.text import fold

READER = "pci_vcci_workbook"
INDEX_CODE = "PCI"
TOTAL_UNWEIGHTED = "total_unweighted"

# Words (folded) that name each sub-index in Vietnamese or English across editions; a header
# naming one of them is that sub-index. Checked in this order.
SUBINDEX_WORDS = {
    "entry_costs": ("gianhap", "entrycost", "marketentry"),
    "land_access": ("datdai", "landaccess", "accesstoland"),
    "transparency": ("minhbach", "transparen"),
    "time_costs": ("chiphithoigian", "timecost", "timerequirement"),
    "informal_charges": ("khongchinhthuc", "informal"),
    "equal_competition": ("canhtranhbinhdang", "binhdang", "uudai", "thienvi", "bias", "equalcompetition"),
    "proactivity": ("nangdong", "proactiv"),
    "business_support": ("hotro", "businesssupport", "supportservice"),
    "labour_training": ("daotao", "labortraining", "labourtraining"),
    "legal_institutions": ("phaply", "thietche", "legal", "lawandorder"),
}
_UNWEIGHTED = ("khongtrongso", "khongcotrongso", "chuatrongso", "chuacotrongso", "unweighted", "notweighted")
_COMPOSITE = ("pci", "composite", "tongdiem", "diemtong", "overall", "nanglucanhtranh")
_RANK = ("xephang", "rank", "thuhang")
_TIER = ("nhom", "tier", "group", "xeploai")
_PROVINCE = ("tinh", "tentinh", "province", "provinces", "provincename", "tinhthanh", "tinhthanhpho", "diaphuong")
_MIN_SUBINDICES = 5   # a header row names a composite and at least this many sub-indices
HEADER_SEARCH_ROWS = 30
LEADING_ROWS = 5      # rows under the header before the data (a second header row in English)
_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")

RANK, TIER, PROVINCE = "rank", "tier", "province"


def meaning(header: object) -> str | None:
    """What a header cell names: a sub-index, 'total', 'total_unweighted', 'rank', 'tier',
    'province', or None."""
    if not isinstance(header, str):
        return None
    key = fold(header)
    if not key or key.endswith("id"):   # 'PCI ID': an identifier column, not a score
        return None
    if any(word in key for word in _TIER):
        return TIER
    if any(word in key for word in _RANK):
        return RANK
    for component, words in SUBINDEX_WORDS.items():
        if any(word in key for word in words):
            return component
    if any(word in key for word in _UNWEIGHTED):
        return TOTAL_UNWEIGHTED
    if any(word in key for word in _COMPOSITE):
        return TOTAL
    if key in _PROVINCE or key.startswith("tinhthanh"):
        return PROVINCE
    return None


@dataclass(frozen=True)
class Layout:
    sheet: str
    header_row: int                 # index into the sheet's rows
    scores: dict[str, int]          # component -> score column
    names: dict[str, int]           # component -> column of its province names
    rank: int | None
    tier: int | None
    header_year: int | None         # the edition year the composite's header names

    @property
    def ranked(self) -> str:
        """The composite the rank belongs to and the data rows are counted by."""
        return TOTAL if TOTAL in self.scores else TOTAL_UNWEIGHTED


def _first_data_row(rows: list[Row], header: int, column: int) -> int | None:
    for index in range(header + 1, min(header + 1 + LEADING_ROWS, len(rows))):
        row = rows[index]
        if column < len(row) and as_number(row[column]) is not None:
            return index
    return None


def find_layout(sheet: str, rows: list[Row]) -> Layout | None:
    """The summary layout of a sheet, or None when it has none."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        meanings = [meaning(cell) for cell in row]
        scores: dict[str, int] = {}
        for column, found in enumerate(meanings):
            if found not in (None, RANK, TIER, PROVINCE):
                scores.setdefault(found, column)
        composites = [c for c in (TOTAL, TOTAL_UNWEIGHTED) if c in scores]
        if not composites or len(scores) - len(composites) < _MIN_SUBINDICES:
            continue
        ranked = composites[0]
        first = _first_data_row(rows, index, scores[ranked])
        if first is None:
            continue
        province = next((c for c, found in enumerate(meanings) if found == PROVINCE), None)
        names: dict[str, int] = {}
        for component, column in scores.items():
            left = column - 1
            data = rows[first]
            if left >= 0 and meanings[left] in (None, PROVINCE) and left < len(data) and isinstance(data[left], str):
                names[component] = left          # its own (province, score) pair
            elif province is not None:
                names[component] = province      # one province per row
        if ranked not in names:
            continue
        ranks = [c for c, found in enumerate(meanings) if found == RANK]
        tiers = [c for c, found in enumerate(meanings) if found == TIER]
        rank = next((c for c in ranks if c > scores[ranked]), ranks[0] if ranks else None)
        tier = next((c for c in tiers if c > scores[ranked]), tiers[0] if tiers else None)
        years = [int(m.group(0)) for c in composites if (m := _YEAR.search(str(row[scores[c]])))]
        return Layout(sheet, index, scores, names, rank, tier, years[0] if years else None)
    return None


def _stated_year(layout: Layout, rows: list[Row], path: Path) -> int | None:
    """The composite header's year, else the sheet name's, the title rows', the file name's."""
    if layout.header_year is not None:
        return layout.header_year
    titles = [str(cell) for row in rows[:layout.header_row] for cell in row if isinstance(cell, str)]
    for text in (layout.sheet, *titles, path.stem):
        found = _YEAR.search(text)
        if found:
            return int(found.group(0))
    return None


def _choose(found: list[tuple[Layout, list[Row]]], path: Path, edition_year: int | None) -> tuple[Layout, list[Row]]:
    """The summary of the edition asked for, else of the latest edition, else the fullest."""
    years = [_stated_year(layout, rows, path) for layout, rows in found]
    candidates = [i for i, year in enumerate(years) if edition_year is not None and year in (edition_year, None)]
    best = max(candidates or range(len(found)),
               key=lambda i: (years[i] or 0, len(found[i][0].scores), -i))
    return found[best]


def read(path: Path, edition_year: int | None = None) -> list[Edition]:
    """The PCI edition of a VCCI workbook."""
    found = [(layout, rows) for name, rows in sheets(path) if (layout := find_layout(name, rows)) is not None]
    if not found:
        raise LayoutNotFound(
            f"{path.name}: no sheet has a PCI summary header (a composite such as 'PCI 2016' or 'PCI có trọng "
            f"số' and at least {_MIN_SUBINDICES} sub-indices such as 'Gia nhập thị trường', 'Land Access')"
        )
    layout, rows = _choose(found, path, edition_year)
    year = edition_year if edition_year is not None else _stated_year(layout, rows, path)
    if year is None:
        raise PeriodError(f"{path.name}: no edition year in the composite header, sheet name, title or file name;"
                          " pass --edition")
    period = str(year)
    list_version = list_version_for(date(year, 12, 31))
    edition = Edition(INDEX_CODE, year, period, list_version, layout.sheet, methodology(INDEX_CODE, year))
    resolve = ProvinceResolver(list_version, period)
    first = _first_data_row(rows, layout.header_row, layout.scores[layout.ranked])
    for offset, row in enumerate(rows[first:], start=first + 1):
        def cell(column: int | None, row: Row = row) -> object:
            return row[column] if column is not None and column < len(row) else None

        if as_number(cell(layout.scores[layout.ranked])) is None:
            break  # the footer: repeated header, median province
        for component, column in layout.scores.items():
            name, value = cell(layout.names.get(component)), as_number(cell(column))
            if name is None or value is None:
                continue
            province = resolve(str(name), f"{layout.sheet}!row {offset}, {component}")
            if province is None:
                continue
            ranked = component == layout.ranked
            rank = as_number(cell(layout.rank)) if ranked else None
            tier = cell(layout.tier) if ranked else None
            edition.scores.append(Score(
                unit_name=str(name), province=province, component=component, value=value,
                rank_published=int(rank) if rank is not None else None,
                tier=str(tier) if tier is not None else None, source_row=offset,
            ))
    resolve.raise_if_any(path.name)
    return [edition]
