"""Rows of the national public service portal's Decision 766 dashboard (its JSON API, one
period's view, or an Excel file exported from it with the same column names): `ID, TEN (or
TEN_COQUAN), MA_COQUAN, LOAI_COQUAN, CKMB, TDGQ, CLGQ, TTTT, MDSH, MDHL, TONG_SCORE, ROW_STT`.

Only provincial People's Committees (LOAI_COQUAN = 1) become province scores; departments (2)
and communes (3) are not provinces and are skipped. The province is resolved from the unit
name after dropping "UBND" / "Ủy ban nhân dân" ("UBND tỉnh Bắc Ninh", "UBND Thành phố Huế"),
never from MA_COQUAN, which is the agency's electronic identifier, not a GSO code (H01 is An
Giang). The six group scores map to components through the `source_column` of
index_components.csv; TONG_SCORE is the total and ROW_STT its published rank.

The period comes from the caller ('2025-Q3', '2025-10', '2025-YTD-10', or a year) or from the
file name (`dvc766_2025-Q3.json`); the province list is the one in force on its last day.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from pathlib import Path

from ingest.indices import periods, workbook
from ingest.indices.model import (
    COMPONENTS_FILE,
    TOTAL,
    Edition,
    LayoutNotFound,
    ProvinceResolver,
    Score,
    as_number,
    list_version_for,
    methodology,
)

READER = "dvc766_dashboard_json"
INDEX_CODE = "DVC766"
PROVINCIAL_PEOPLES_COMMITTEE = 1
_NAME_COLUMNS = ("TEN", "TEN_COQUAN")
_PEOPLES_COMMITTEE = re.compile(r"^\s*(UBND|Ủy\s+ban\s+nhân\s+dân|Uỷ\s+ban\s+nhân\s+dân)\b[\s.:-]*", re.IGNORECASE)


def province_name(unit_name: str) -> str:
    """'UBND tỉnh Bắc Ninh' -> 'tỉnh Bắc Ninh' (the resolver drops 'tỉnh' / 'Thành phố')."""
    return _PEOPLES_COMMITTEE.sub("", unit_name).strip()


_EXPORT_HEADER = {"LOAI_COQUAN", "TONG_SCORE"}
HEADER_SEARCH_ROWS = 15


def _export_records(path: Path) -> list[dict]:
    """An Excel export: the first sheet with a row naming the dashboard's columns (title rows
    above it are skipped); the rows below it up to the first empty one."""
    for _, rows in workbook.sheets(path):
        for at, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            names = [str(v).strip().upper() if v is not None else None for v in row]
            if not _EXPORT_HEADER <= set(names):
                continue
            records = []
            for values in rows[at + 1:]:
                if all(v is None for v in values):
                    break
                records.append({name: value for name, value in zip(names, values, strict=False) if name})
            return records
    raise LayoutNotFound(f"{path.name}: no sheet with the dashboard's columns (LOAI_COQUAN, TONG_SCORE, TEN) "
                         f"in its first {HEADER_SEARCH_ROWS} rows")


def _records(path: Path) -> list[dict]:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _export_records(path)
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if isinstance(data, dict):
        # The API wraps its rows ({"data": [...]}); take the one list of objects it holds.
        lists = [v for v in data.values() if isinstance(v, list) and all(isinstance(r, dict) for r in v)]
        if len(lists) != 1:
            raise LayoutNotFound(f"{path.name}: a JSON object without exactly one list of rows")
        data = lists[0]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise LayoutNotFound(f"{path.name}: not a JSON array of dashboard rows")
    return data


@functools.cache
def dashboard_columns(methodology_version: str) -> dict[str, str]:
    """Dashboard column -> component ('CKMB' -> 'transparency'), from index_components.csv."""
    with COMPONENTS_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["source_column"]: row["component"] for row in csv.DictReader(handle)
                if row["index_code"] == INDEX_CODE and row["methodology_version"] == methodology_version
                and row["source_column"]}


def _period(path: Path, edition: int | str | None) -> periods.Period:
    if edition is not None:
        return periods.parse(edition)
    found = periods.in_name(path.stem)
    if found is None:
        raise periods.PeriodError(f"{path.name}: no period in the file name (e.g. dvc766_2025-Q3.json); "
                                  "pass the period")
    return found


def read(path: Path, edition: int | str | None = None) -> list[Edition]:
    """The one period's edition of a 766 dashboard JSON file or Excel export."""
    path = Path(path)
    records = _records(path)
    if records:
        missing = [c for c in ("LOAI_COQUAN", "TONG_SCORE") if c not in records[0]]
        if missing or not any(c in records[0] for c in _NAME_COLUMNS):
            raise LayoutNotFound(f"{path.name}: rows lack {', '.join(missing) or 'TEN / TEN_COQUAN'}; "
                                 "not the 766 dashboard's rows")
    period = _period(path, edition)
    method = methodology(INDEX_CODE, period.year)
    columns = dashboard_columns(method.methodology_version)
    list_version = list_version_for(period.last_day)
    result = Edition(INDEX_CODE, period.year, period.label, list_version, "rows", method)
    resolve = ProvinceResolver(list_version)
    for number, record in enumerate(records, start=1):
        if as_number(record.get("LOAI_COQUAN")) != PROVINCIAL_PEOPLES_COMMITTEE:
            continue
        unit_name = str(next(record[c] for c in _NAME_COLUMNS if record.get(c) is not None))
        province = resolve(province_name(unit_name), f"row {number} (ID {record.get('ID')})")
        if province is None:
            continue
        rank = as_number(record.get("ROW_STT"))
        result.scores.append(Score(unit_name, province, TOTAL, as_number(record.get("TONG_SCORE")),
                                   rank_published=int(rank) if rank is not None else None, source_row=number))
        for column, component in columns.items():
            if column not in record:
                continue  # a view without this group (an older dashboard): nothing published, nothing stored
            result.scores.append(Score(unit_name, province, component, as_number(record.get(column)),
                                       source_row=number))
    resolve.raise_if_any(path.name)
    return [result]

