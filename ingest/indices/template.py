"""The long-format template for indices published only as PDF or infographics (PAR INDEX with
its 8 fields, SIPAS, ICT Index), typed in by hand as CSV (UTF-8, `,` or `;`) or as the first
sheet of an .xlsx / .xls with the same header:

    index, edition, province, component, value, rank, source_reference

One row per published number. `index` is an index code (PAR_INDEX, SIPAS, ICT_INDEX; the
others are accepted too); `edition` a year (or a 766-style period, see periods.py);
`province` the name as printed (resolved on the list in force at the edition's end);
`component` 'total' for the composite, else the field's name (turned into a code: lower case
ASCII with underscores); `rank` may be empty; `source_reference` says where the number is
printed (page, table, infographic URL). A file may hold several indices and editions: each
(index, edition) becomes one edition of the load. Header names are matched after folding
("Source reference", "source_reference" and "SOURCE-REFERENCE" are the same column).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.indices import periods
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
from ingest.indices.workbook import sheets
from ingest.text import fold

READER = "index_long_template"
COLUMNS = ("index", "edition", "province", "component", "value", "rank", "source_reference")
_REQUIRED = ("index", "edition", "province", "component", "value")
_TOTAL_NAMES = ("total", "tong", "tongdiem", "chiso", "composite")


@dataclass(frozen=True)
class TemplateScore(Score):
    """A typed-in value, with where in the publication it is printed."""

    source_reference: str | None = None


class TemplateRowsInvalid(ValueError):
    """Rows of the template that cannot be read (bad index, edition, value or rank); the load
    is rejected with every problem listed."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} template row(s) cannot be read:\n" +
                         "\n".join(f"  {p}" for p in problems))


def component_code(name: str) -> str:
    """'Total' -> 'total'; 'Cải cách TTHC' -> 'cai_cach_tthc'."""
    if fold(name) in _TOTAL_NAMES:
        return TOTAL
    ascii_text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in ascii_text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def _rows(path: Path) -> tuple[str, list[tuple[object, ...]]]:
    """(sheet name, rows) of the template; the CSV's 'sheet' is its file name."""
    if path.suffix.lower() in (".csv", ".txt"):
        text = path.read_text(encoding="utf-8-sig")
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
        except csv.Error:   # one column, or no delimiter it knows: not the template, as its header will show
            dialect = csv.excel
        return path.name, [tuple(cell.strip() or None for cell in row)
                           for row in csv.reader(io.StringIO(text), dialect)]
    for name, rows in sheets(path):
        if rows and header(rows[0]) is not None:
            return name, rows
    raise LayoutNotFound(f"{path.name}: no sheet starts with the template header {', '.join(COLUMNS)}")


def header(row: tuple[object, ...]) -> dict[str, int] | None:
    folded = {fold(str(cell)): i for i, cell in enumerate(row) if cell is not None}
    found = {column: folded[fold(column)] for column in COLUMNS if fold(column) in folded}
    return found if all(c in found for c in _REQUIRED) else None


def read(path: Path, edition: int | str | None = None) -> list[Edition]:
    """Every (index, edition) of the template (only `edition`'s when given)."""
    path = Path(path)
    sheet, rows = _rows(path)
    columns = header(rows[0]) if rows else None
    if columns is None:
        present = {fold(str(cell)) for cell in (rows[0] if rows else ()) if cell is not None}
        missing = ", ".join(c for c in _REQUIRED if fold(c) not in present)
        raise LayoutNotFound(f"{path.name}: the first row must name the columns {', '.join(COLUMNS)} "
                             f"(missing: {missing})")
    wanted = periods.parse(edition).label if edition is not None else None
    editions: dict[tuple[str, str], Edition] = {}
    resolvers: dict[str, ProvinceResolver] = {}
    problems: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        def cell(column: str, row: tuple[object, ...] = row) -> object:
            index = columns.get(column)
            return row[index] if index is not None and index < len(row) else None

        if all(cell(c) is None for c in _REQUIRED):
            continue  # blank line
        where = f"{sheet} row {number}"
        try:
            index_code = str(cell("index")).strip().upper().replace(" ", "_")
            period = periods.parse(str(cell("edition")).removesuffix(".0"))
            method = methodology(index_code, period.year)
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if wanted is not None and period.label != wanted:
            continue
        value, rank = as_number(cell("value")), as_number(cell("rank"))
        if cell("value") is not None and value is None:
            problems.append(f"{where}: value {cell('value')!r} is not a number")
            continue
        if cell("rank") is not None and (rank is None or rank != int(rank)):
            problems.append(f"{where}: rank {cell('rank')!r} is not a whole number")
            continue
        list_version = list_version_for(period.last_day)
        current = editions.setdefault((index_code, period.label), Edition(
            index_code, period.year, period.label, list_version, sheet, method))
        resolve = resolvers.setdefault(period.label, ProvinceResolver(list_version, period.label))
        province = resolve(str(cell("province")), where)
        if province is None:
            continue
        reference = cell("source_reference")
        current.scores.append(TemplateScore(
            unit_name=str(cell("province")), province=province, component=component_code(str(cell("component"))),
            value=value, rank_published=int(rank) if rank is not None else None, source_row=number,
            source_reference=str(reference) if reference is not None else None,
        ))
    if problems:
        raise TemplateRowsInvalid(path.name, problems)
    unresolved = [problem for resolve in resolvers.values() for problem in resolve.problems]
    if unresolved:
        raise UnresolvedProvinces(path.name, unresolved)
    if not editions:
        raise LayoutNotFound(f"{path.name}: the template has no rows" +
                             (f" for edition {wanted}" if wanted else ""))
    return list(editions.values())
