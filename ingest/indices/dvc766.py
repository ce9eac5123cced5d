"""Rows of the national public service portal's Decision 766 dashboard (its JSON API, one
period's view, or an Excel file exported from it with the same column names): `ID, TEN (or
TEN_COQUAN), MA_COQUAN, LOAI_COQUAN, CKMB, TDGQ, CLGQ, TTTT, MDSH, MDHL, TONG_SCORE, ROW_STT`.

Provincial People's Committees (LOAI_COQUAN = 1) become province scores. The province is
resolved from the unit name after dropping "UBND" / "Ủy ban nhân dân" ("UBND tỉnh Bắc Ninh",
"UBND Thành phố Huế"), never from MA_COQUAN, which is the agency's electronic identifier, not a
GSO code (H01 is An Giang). Departments (2) and communes (3) become agency scores, placed in the
province whose People's Committee code is one of the parts of their own code (H01.13 -> H01);
other unit types are not read. The six group scores map to components through the
`source_column` of index_components.csv; TONG_SCORE is the total and ROW_STT its published rank.

An Excel export holds one table per sheet: 'Điểm năm' (the year to date), 'Điểm tháng' (the
month), 'Sở Ban' (departments), 'Xã Phường' (communes), and trend sheets. A sheet whose name says
'tháng' is the month of the edition, one that says 'năm' (or 'lũy kế') the year to date through
that month; any other sheet carries the period as given. Trend sheets and sheets without the
dashboard's columns are skipped, each with its reason.

The period comes from the caller ('2025-Q3', '2025-10', '2025-YTD-10', or a year) or from the
file name (`dvc766_2025-Q3.json`, `T10_2025.xlsx`); the province list is the one in force on
its last day.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.indices import periods, workbook
from ingest.indices.model import (
    COMPONENTS_FILE,
    TOTAL,
    AgencyScore,
    Edition,
    Editions,
    LayoutNotFound,
    ProvinceResolver,
    Score,
    SkippedSheet,
    as_number,
    list_version_for,
    methodology,
)
from ingest.reference.provinces import Province
from ingest.text import fold

READER = "dvc766_dashboard_json"
INDEX_CODE = "DVC766"
PROVINCIAL_PEOPLES_COMMITTEE = 1
UNIT_LEVELS = {2: "department", 3: "commune"}
_NAME_COLUMNS = ("TEN", "TEN_COQUAN")
_PEOPLES_COMMITTEE = re.compile(r"^\s*(UBND|Ủy\s+ban\s+nhân\s+dân|Uỷ\s+ban\s+nhân\s+dân)\b[\s.:-]*", re.IGNORECASE)
JSON_SHEET = "rows"
# Words of a sheet name (folded) that say which view of the edition the sheet is.
_MONTH_WORDS = {"thang"}
_YEAR_WORDS = {"nam", "luy"}
_TREND_WORDS = ({"xu", "huong"}, {"bieu", "do"}, {"trend"})
# A column that dates each row: the sheet is a series over periods, not one period's table.
_PERIOD_COLUMNS = {"thang", "nam", "ky", "thoigian", "period"}


def province_name(unit_name: str) -> str:
    """'UBND tỉnh Bắc Ninh' -> 'tỉnh Bắc Ninh' (the resolver drops 'tỉnh' / 'Thành phố')."""
    return _PEOPLES_COMMITTEE.sub("", unit_name).strip()


_EXPORT_HEADER = {"LOAI_COQUAN", "TONG_SCORE"}
HEADER_SEARCH_ROWS = 15


@dataclass
class _Table:
    """One sheet's rows below the dashboard's header: (row number in the sheet, record)."""

    sheet: str
    records: list[tuple[int, dict]]


@dataclass
class _AgencyRow:
    table: _Table
    number: int
    record: dict
    edition: Edition


def _sheet_table(name: str, rows: list) -> _Table | SkippedSheet:
    words = {fold(word) for word in name.split()}
    if any(trend <= words for trend in _TREND_WORDS):
        return SkippedSheet(name, "a trend sheet (its name says so): units over several periods, not one period's "
                                  "scores")
    for at, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [str(v).strip().upper() if v is not None else None for v in row]
        if not _EXPORT_HEADER <= set(names):
            continue
        dated = [n for n in names if n and fold(n) in _PERIOD_COLUMNS]
        if dated:
            return SkippedSheet(name, f"column {dated[0]} dates each row: a series over periods, not one period's "
                                      "scores")
        records = []
        for number, values in enumerate(rows[at + 1:], start=at + 2):
            if all(v is None for v in values):
                break
            records.append((number, {n: value for n, value in zip(names, values, strict=False) if n}))
        return _Table(name, records)
    return SkippedSheet(name, f"no row naming the dashboard's columns (LOAI_COQUAN, TONG_SCORE) in its first "
                              f"{HEADER_SEARCH_ROWS} rows: not a table of unit scores")


def _tables(path: Path) -> tuple[list[_Table], list[SkippedSheet]]:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        tables, skipped = [], []
        for name, rows in workbook.sheets(path):
            found = _sheet_table(name, rows)
            (tables if isinstance(found, _Table) else skipped).append(found)
        if not tables:
            raise LayoutNotFound(f"{path.name}: no sheet with the dashboard's columns (LOAI_COQUAN, TONG_SCORE, "
                                 f"TEN) in its first {HEADER_SEARCH_ROWS} rows")
        return tables, skipped
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if isinstance(data, dict):
        # The API wraps its rows ({"data": [...]}); take the one list of objects it holds.
        lists = [v for v in data.values() if isinstance(v, list) and all(isinstance(r, dict) for r in v)]
        if len(lists) != 1:
            raise LayoutNotFound(f"{path.name}: a JSON object without exactly one list of rows")
        data = lists[0]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise LayoutNotFound(f"{path.name}: not a JSON array of dashboard rows")
    return [_Table(JSON_SHEET, list(enumerate(data, start=1)))], []


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
        raise periods.PeriodError(f"{path.name}: no period in the file name (e.g. dvc766_2025-Q3.json or "
                                  "T10_2025.xlsx); pass the period")
    return found


def _sheet_period(sheet: str, given: periods.Period, path: Path) -> periods.Period:
    """The period of one sheet: the month or the year to date of the edition's month when its
    name says which, else the period as given."""
    words = {fold(word) for word in sheet.split()}
    view = "month" if words & _MONTH_WORDS else "year" if words & _YEAR_WORDS else None
    if view is None or sheet == JSON_SHEET:
        return given
    monthly = re.fullmatch(r"[0-9]{4}-(?:YTD-)?[0-9]{2}", given.label)
    if monthly:
        month = given.last_day.month
        return periods.parse(f"{given.year}-{month:02d}" if view == "month" else f"{given.year}-YTD-{month:02d}")
    if view == "year" and given.label == str(given.year):
        return given
    what = "one month" if view == "month" else "the year to date through a month"
    raise periods.PeriodError(f"{path.name}: sheet {sheet!r} is {what}; give the month (e.g. 2025-10 or "
                              f"2025-YTD-10, or T10_2025 in the file name), not {given.label}")


def _read_table(table: _Table, edition: Edition, resolve: ProvinceResolver,
                committees: dict[tuple[str, str], Province], agencies: list[_AgencyRow]) -> None:
    """Province rows into the edition, their codes into `committees`; department and commune rows
    set aside until every People's Committee code of the file is known."""
    columns = dashboard_columns(edition.methodology.methodology_version)
    for number, record in table.records:
        kind = as_number(record.get("LOAI_COQUAN"))
        if kind in UNIT_LEVELS:
            agencies.append(_AgencyRow(table, number, record, edition))
        if kind != PROVINCIAL_PEOPLES_COMMITTEE:
            continue
        unit_name = _unit_name(record)
        province = resolve(province_name(unit_name), _where(table, number, record))
        if province is None:
            continue
        committees.setdefault((_code(record.get("MA_COQUAN")), edition.list_version), province)
        scores = _component_scores(record, columns)
        edition.scores.extend(Score(unit_name, province, component, value,
                                    rank_published=rank if component == TOTAL else None, source_row=number)
                              for component, value, rank in scores)


def _unit_name(record: dict) -> str:
    return str(next((record[c] for c in _NAME_COLUMNS if record.get(c) is not None), ""))


def _where(table: _Table, number: int, record: dict) -> str:
    place = f"row {number}" if table.sheet == JSON_SHEET else f"sheet {table.sheet!r} row {number}"
    return f"{place} (ID {record.get('ID')})" if "MA_COQUAN" not in record else \
        f"{place} (MA_COQUAN {record.get('MA_COQUAN')})"


def _component_scores(record: dict, columns: dict[str, str]) -> list[tuple[str, float | None, int | None]]:
    rank = as_number(record.get("ROW_STT"))
    scores = [(TOTAL, as_number(record.get("TONG_SCORE")), int(rank) if rank is not None else None)]
    # A view without one of the groups (an older dashboard): nothing published, nothing stored.
    scores += [(component, as_number(record.get(column)), None) for column, component in columns.items()
               if column in record]
    return scores


def _code(value: object) -> str:
    return str(value).strip().upper() if value is not None else ""


def _place_agencies(agencies: list[_AgencyRow], committees: dict[tuple[str, str], Province],
                    resolvers: dict[str, ProvinceResolver]) -> None:
    """Each department or commune row into its edition, in the province whose People's Committee
    code is one part of its own code."""
    for row in agencies:
        edition, record = row.edition, row.record
        code = _code(record.get("MA_COQUAN"))
        found = {committees[(part, edition.list_version)] for part in code.split(".")
                 if (part, edition.list_version) in committees}
        if len(found) != 1:
            parts = " or ".join(code.split(".")) or "(no MA_COQUAN)"
            resolvers[edition.list_version].problems.append((
                _where(row.table, row.number, record),
                f"{_unit_name(record)!r}: no single People's Committee row (LOAI_COQUAN 1) of the file has the "
                f"code {parts}, so its province is unknown"))
            continue
        [province] = found
        level = UNIT_LEVELS[int(as_number(record["LOAI_COQUAN"]))]
        columns = dashboard_columns(edition.methodology.methodology_version)
        edition.agency_scores.extend(
            AgencyScore(level, str(record["MA_COQUAN"]).strip(), _unit_name(record), province, component, value,
                        rank, row.table.sheet, row.number)
            for component, value, rank in _component_scores(record, columns))


def _check_columns(path: Path, tables: list[_Table]) -> None:
    for table in tables:
        if not table.records:
            continue
        first = table.records[0][1]
        missing = [c for c in ("LOAI_COQUAN", "TONG_SCORE") if c not in first]
        if missing or not any(c in first for c in _NAME_COLUMNS):
            raise LayoutNotFound(f"{path.name}: rows lack {', '.join(missing) or 'TEN / TEN_COQUAN'}; "
                                 "not the 766 dashboard's rows")


def read(path: Path, edition: int | str | None = None) -> Editions:
    """Every period of a 766 dashboard JSON file or Excel export (one per sheet view), with the
    sheets skipped and why."""
    path = Path(path)
    tables, skipped = _tables(path)
    _check_columns(path, tables)
    given = _period(path, edition)
    editions: dict[str, Edition] = {}
    resolvers: dict[str, ProvinceResolver] = {}
    committees: dict[tuple[str, str], Province] = {}
    agencies: list[_AgencyRow] = []
    # Sheets with People's Committee rows first, so an edition names the sheet of its provinces.
    ordered = sorted(tables, key=lambda t: not any(as_number(r.get("LOAI_COQUAN")) == PROVINCIAL_PEOPLES_COMMITTEE
                                                     for _, r in t.records))
    for table in ordered:
        period = _sheet_period(table.sheet, given, path)
        if period.label not in editions:
            method = methodology(INDEX_CODE, period.year)
            list_version = list_version_for(period.last_day)
            editions[period.label] = Edition(INDEX_CODE, period.year, period.label, list_version, table.sheet, method)
        current = editions[period.label]
        resolve = resolvers.setdefault(current.list_version, ProvinceResolver(current.list_version))
        _read_table(table, current, resolve, committees, agencies)
    _place_agencies(agencies, committees, resolvers)
    for resolve in resolvers.values():
        resolve.raise_if_any(path.name)
    return Editions(list(editions.values()), skipped)
