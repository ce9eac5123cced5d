"""Spreadsheet reports (.xlsx streamed with openpyxl's read-only mode; legacy .xls through xlrd).

Provincial report exports are made for printing, not for loading, so the reader finds the data:

- **Header row.** Within the first 30 rows of each sheet, the row (or pair of rows) that some
  candidate profile recognises, by its required columns, is the header; title rows above it
  are skipped. A header over two rows (a group title merged across sub-columns, "Ngày" over
  "Tiếp nhận" / "Hẹn trả") is read column by column as upper + lower text, using the sheet's
  merged ranges (or, when the file records none, the group title to the left); each column keeps
  the first of "upper lower", "lower", "upper" that a profile knows.
- **Sheets.** Every sheet with such a header is read, in workbook order; record numbers continue
  across sheets and each record remembers its sheet and row for rejection reasons. Sheets
  without one (notes, charts) are skipped and named in the load's detail.
- **Rows that are not records** are counted in `ignored`, never rejected: empty rows, a repeat of
  the header, the row of column numbers "(1) (2) (3)" right under the header, and footer rows.
  A footer row is one whose first non-empty cell reads like a total or a signature ("Tổng cộng",
  "Tổng số", "Cộng", "Total", "Người lập biểu", "Thủ trưởng đơn vị", "Giám đốc", "Xác nhận",
  "(Ký, ghi rõ họ tên)", "Hà Nội, ngày 05 tháng 03 năm 2025"), or one that follows such a row and
  lacks a value in a required column (the names and titles of the signature block). Every other
  row is a record: a row without a dossier code before the footer is rejected
  (missing_dossier_code), as in any other format.
- **Cells** become text: dates and times "YYYY-MM-DD HH:MM:SS" (rounded to the second), whole
  numbers without ".0", other numbers as Python writes them (so an Excel serial date stored as a
  plain number reaches the profile's "excel_serial" format), text as is.
- **Bounded work.** A row is as wide as its last cell holding a value, never wider than
  PARWH_MAX_COLUMNS: a value beyond it rejects the file (`too_many_columns`, naming sheet, row and
  column), empty formatted cells there are ignored; rows absent from the sheet XML are not made
  up. Merged ranges are used only within the header search rows and the first PARWH_MAX_COLUMNS
  columns; a sheet with more than MAX_MERGED_RANGES of them, or whose ranges cover those header
  cells many times over, is rejected (`too_many_merged_ranges`). Reading checks the file's time
  budget (ingest.intake).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any

from ingest.errors import FileRejected
from ingest.intake import check_time, open_regular
from ingest.landing import archives
from ingest.landing.formats import WHERE, OpenedFile, file_position
from ingest.landing.profiles import HeaderSignature
from ingest.settings import InputLimits
from ingest.text import fold

HEADER_SEARCH_ROWS = 30
MAX_MERGED_RANGES = 100_000   # per sheet; report layouts merge a few cells per row at most
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})"')
_FOOTER_START = re.compile(
    r"^\(?\s*(tổng cộng|tổng số|tổng|cộng|total|tong cong|tong so|người lập|nguoi lap|người ký|người duyệt|"
    r"thủ trưởng|thu truong|lãnh đạo|giám đốc|phó giám đốc|chủ tịch|trưởng phòng|xác nhận|kế toán|ký tên|"
    r"ký,|ký và|nơi nhận)(?![\w])",
)
_PLACE_AND_DATE = re.compile(r"ngày\s*\d{0,2}\s*tháng\s*\d{0,2}\s*năm\s*\d{0,4}|ngay\s*\d{1,2}\s*thang\s*\d{1,2}")
_COLUMN_NUMBER = re.compile(r"^\(?\s*\d{1,3}\s*\)?$")

Merges = dict[tuple[int, int], tuple[int, int, int, int]]   # (row, col) -> its merged range (r0, c0, r1, c1)


@dataclass
class _Sheet:
    name: str
    rows: Callable[[], Iterator[tuple[int, list[Any]]]]   # a fresh pass: (sheet row number, cell values)
    merges: Callable[[], Merges]                           # merged ranges touching the header search rows


@dataclass
class _Header:
    names: list[str]
    data_from: int          # first sheet row after the header
    score: int
    rows: str               # "4" or "4-5", for the detail


# ---- cells ---------------------------------------------------------------------------------
def cell_text(value: Any) -> str | None:
    """A cell as the text a CSV export of it would hold (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        try:
            value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        except OverflowError:
            value = value.replace(microsecond=0)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d") + " 00:00:00"
    if isinstance(value, time):
        return value.replace(microsecond=0).strftime("%H:%M:%S")
    return str(value)


def _label(value: Any) -> str:
    """Header cell text: wrapped lines and runs of spaces collapsed."""
    return " ".join((cell_text(value) or "").split())


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ch - 64)
    return index - 1


# ---- workbooks -----------------------------------------------------------------------------
def _too_many_merges(sheet_name: str) -> FileRejected:
    return FileRejected("too_many_merged_ranges",
                        f"sheet {sheet_name!r} has more than {MAX_MERGED_RANGES:,} merged ranges, or ranges that cover "
                        "its header rows many times over; a report has far fewer: re-export it without merged cells")


def _paint_merges(ranges: Iterator[tuple[int, int, int, int]], max_columns: int, sheet_name: str) -> Merges:
    """Each header-search cell covered by a merged range -> that range (r0, c0, r1, c1), 1-based rows and
    0-based columns (the first range wins where ranges overlap). Only the header search rows and the
    first max_columns columns are painted, and ranges that paint them over and over again (no real
    report does) reject the sheet, so the work stays small whatever the file claims."""
    merges: Merges = {}
    last_row = HEADER_SEARCH_ROWS + 2
    work_left = 4 * last_row * max_columns
    for count, (r0, c0, r1, c1) in enumerate(ranges, start=1):
        if count > MAX_MERGED_RANGES:
            raise _too_many_merges(sheet_name)
        if r0 > last_row or c0 >= max_columns or r1 < r0 or c1 < c0:
            continue
        rows, cols = range(r0, min(r1, last_row) + 1), range(c0, min(c1, max_columns - 1) + 1)
        work_left -= len(rows) * len(cols)
        if work_left < 0:
            raise _too_many_merges(sheet_name)
        for row in rows:
            for col in cols:
                merges.setdefault((row, col), (r0, c0, r1, c1))
    return merges


def _xlsx_merge_ranges(archive, sheet_path: str) -> Iterator[tuple[int, int, int, int]]:
    """(c0, r0, c1, r1) of the merged ranges in the sheet XML (read-only mode does not expose them;
    they sit after the data)."""
    tail = b""
    with archive.open(sheet_path) as source:
        while chunk := source.read(1 << 20):
            check_time("merged ranges")
            text = tail + chunk
            end = 0
            for match in _MERGE_REF.finditer(text):
                end = match.end()
                yield _column_index(match[1]), int(match[2]), _column_index(match[3]), int(match[4])
            tail = text[max(end, len(text) - 200):]


def _xlsx_merges(archive, sheet_path: str, max_columns: int, sheet_name: str) -> Merges:
    return _paint_merges(((r0, c0, r1, c1) for c0, r0, c1, r1 in _xlsx_merge_ranges(archive, sheet_path)),
                         max_columns, sheet_name)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx_rows(ws, name: str, max_columns: int) -> Iterator[tuple[int, list[Any]]]:
    """(sheet row number, values) of every row the sheet XML holds, each as wide as its last value
    (openpyxl pads every row to the widest one: one cell in column XFD made every row 16,384 wide)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    book = ws.parent
    with ws._get_source() as source:
        parser = WorkSheetParser(source, ws._shared_strings, data_only=book.data_only, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for count, (number, cells) in enumerate(parser.parse(), start=1):
            if not count & 0x3FF:
                check_time(f"sheet {ws.title!r} row {number}")
            width = 0
            for cell in cells:
                if _empty(cell["value"]):
                    continue
                if cell["column"] > max_columns:
                    raise FileRejected(
                        "too_many_columns",
                        f"{name}: sheet {ws.title!r} row {number} has a value in column "
                        f"{_column_letter(cell['column'] - 1)}, beyond PARWH_MAX_COLUMNS={max_columns:,}")
                width = max(width, cell["column"])
            values: list[Any] = [None] * width
            for cell in cells:
                if cell["column"] <= width:
                    values[cell["column"] - 1] = cell["value"]
            yield number, values


def _open_xlsx(path: Path) -> tuple[list[_Sheet], Callable[[], int], Callable[[], None]]:
    import openpyxl

    archives.check_container(path)
    max_columns = InputLimits.from_env().max_columns
    handle = open_regular(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged files
        handle.close()
        raise FileRejected("unreadable_spreadsheet",
                           f"{path.name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None

    def sheet(ws) -> _Sheet:
        # The sheet's recorded size is not used: some writers record a wrong one, and a hostile
        # one claims 16,384 columns. Rows are as wide as what they hold.
        def rows() -> Iterator[tuple[int, list[Any]]]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield from _xlsx_rows(ws, path.name, max_columns)

        sheet_path = getattr(ws, "_worksheet_path", None)
        return _Sheet(ws.title, rows,
                      lambda: _xlsx_merges(book._archive, sheet_path, max_columns, ws.title) if sheet_path else {})

    sheets = [sheet(ws) for ws in book.worksheets if hasattr(ws, "iter_rows")]

    def close() -> None:
        book.close()
        handle.close()

    return sheets, file_position(handle), close


def _open_xls(path: Path) -> tuple[list[_Sheet], Callable[[], int], Callable[[], None]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct errors, ... on damaged files
        raise FileRejected("unreadable_spreadsheet",
                           f"{path.name}: not a readable XLS workbook ({type(exc).__name__}: {exc})") from None

    def value(cell) -> Any:
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate_as_datetime(cell.value, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return cell.value
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "#ERROR")
        return cell.value

    def sheet(index: int) -> _Sheet:
        ws = book.sheet_by_index(index)

        def rows() -> Iterator[tuple[int, list[Any]]]:
            for r in range(ws.nrows):
                if not r & 0x3FF:
                    check_time(f"sheet {ws.name!r} row {r + 1}")
                yield r + 1, [value(c) for c in ws.row(r)]

        def merges() -> Merges:
            # xlrd: 0-based, end-exclusive
            return _paint_merges(((rlo + 1, clo, rhi, chi - 1) for rlo, rhi, clo, chi in ws.merged_cells),
                                 InputLimits.from_env().max_columns, ws.name)

        return _Sheet(ws.name, rows, merges)

    try:
        sheets = [sheet(i) for i in range(book.nsheets)]
    except Exception as exc:
        raise FileRejected("unreadable_spreadsheet", f"{path.name}: a sheet cannot be read: {exc}") from None
    return sheets, lambda: 0, book.release_resources


# ---- the header ----------------------------------------------------------------------------
def _two_row_labels(upper_row: int, upper: list[Any], lower: list[Any], merges: Merges,
                    known: frozenset[str]) -> list[str]:
    width = max(len(upper), len(lower))
    uppers = [_label(upper[c]) if c < len(upper) else "" for c in range(width)]
    lowers = [_label(lower[c]) if c < len(lower) else "" for c in range(width)]
    if merges:
        for c in range(width):
            span = merges.get((upper_row, c))
            if span and not uppers[c] and span[0] == upper_row and span[1] < c:
                uppers[c] = uppers[span[1]] if span[1] < width else ""
            below = merges.get((upper_row + 1, c))
            if below and below[0] <= upper_row:
                lowers[c] = ""          # the upper cell is merged down over this one
            elif below and not lowers[c] and below[1] < c:
                lowers[c] = lowers[below[1]]
    else:
        # No merge records: an empty upper cell over a sub-header belongs to the group title to its left.
        for c in range(1, width):
            if not uppers[c] and lowers[c] and lowers[c - 1] and uppers[c - 1]:
                uppers[c] = uppers[c - 1]
    labels = []
    for up, low in zip(uppers, lowers, strict=True):
        options = [t for t in (f"{up} {low}".strip(), low, up) if t]
        chosen = next((t for t in options if fold(t) in known), options[0] if options else "")
        labels.append(chosen)
    return labels


def _named(labels: list[str]) -> list[str]:
    """Header names: empty cells named by their column letter, repeats numbered, so no value is lost."""
    names, seen = [], {}
    for index, label in enumerate(labels):
        name = label or f"(column {_column_letter(index)})"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} [{seen[name]}]")
    return names


def _find_header(head: list[tuple[int, list[Any]]], merges: Merges, signature: HeaderSignature) -> _Header | None:
    known = signature.known
    best: _Header | None = None
    for i, (number, cells) in enumerate(head):
        if number > HEADER_SEARCH_ROWS:
            break
        readings = [(_named([_label(c) for c in cells]), number + 1, str(number))]
        if i + 1 < len(head) and head[i + 1][0] == number + 1:
            pair = _two_row_labels(number, cells, head[i + 1][1], merges, known)
            readings.append((_named(pair), number + 2, f"{number}-{number + 1}"))
        for names, data_from, rows in readings:
            score = signature.score(names)
            # The fuller reading wins; on a tie the one whose data starts first (a one-row header
            # read together with the first data row scores no better than the header alone).
            if score and (best is None or (score, -data_from) > (best.score, -best.data_from)):
                best = _Header(names, data_from, score, rows)
    return best


def _closest_row(head: list[tuple[int, list[Any]]], known: frozenset[str]) -> list[str]:
    """The row with most recognisable labels, for the 'no profile fits' message."""
    rows = [[_label(c) for c in cells] for _, cells in head[:HEADER_SEARCH_ROWS]]
    return max(rows, key=lambda labels: sum(fold(t) in known for t in labels if t), default=[])


# ---- rows that are not records -------------------------------------------------------------
def _first_text(cells: list[Any]) -> str:
    for value in cells:
        text = cell_text(value)
        if text and text.strip():
            return " ".join(unicodedata.normalize("NFC", text).lower().split())
    return ""


def _is_footer_start(cells: list[Any]) -> bool:
    first = _first_text(cells)
    return bool(first) and bool(_FOOTER_START.match(first) or _PLACE_AND_DATE.search(first))


def _is_column_numbers(texts: list[str | None]) -> bool:
    numbers = [t.strip() for t in texts if t and t.strip()]
    if len(numbers) < 3 or not all(_COLUMN_NUMBER.match(t) for t in numbers):
        return False
    values = [int(t.strip("() ")) for t in numbers]
    return values == sorted(values) and len(set(values)) == len(values)


def _sheet_records(sheet: _Sheet, header: _Header, signature: HeaderSignature, ignored: dict[str, int],
                   counter: list[int]) -> Iterator[tuple[int, dict[Any, Any]]]:
    names = header.names
    width = len(names)
    required = signature.required_positions(names)
    in_footer = after_repeat = False
    first_data_row = True

    def ignore(kind: str) -> None:
        ignored[kind] = ignored.get(kind, 0) + 1

    for number, cells in sheet.rows():
        if number < header.data_from:
            continue
        texts = [cell_text(v) for v in cells]
        if not any(t and t.strip() for t in texts):
            continue
        if first_data_row:
            first_data_row = False
            if _is_column_numbers(texts):
                ignore("column_numbers")
                continue
        has_required = all(p < len(texts) and texts[p] and texts[p].strip() for p in required)
        if _is_footer_start(cells):
            in_footer = True
            ignore("footer")
            continue
        if in_footer and not has_required:
            ignore("footer")
            continue
        in_footer = False
        # A header repeated further down (exports made for printing repeat it on every page);
        # the row under a repeated two-row header has no required values.
        if required and all(p < len(texts) and _label(texts[p]) == names[p] for p in required):
            after_repeat = True
            ignore("repeated_header")
            continue
        if after_repeat and not has_required:
            after_repeat = False
            ignore("repeated_header")
            continue
        after_repeat = False
        # Every header is a key, present even where the writer stopped the row early (.xls rows
        # end at their last written cell), so both generations of a report give the same record.
        record: dict[Any, Any] = {names[p]: texts[p] if p < len(texts) else None for p in range(width)}
        for p in range(width, len(texts)):
            if texts[p] is not None and texts[p].strip():
                record[f"(column {_column_letter(p)})"] = texts[p]
        record[WHERE] = f"sheet {sheet.name!r} row {number}"
        counter[0] += 1
        yield counter[0], record


def _align_sheets(located: list[tuple[_Sheet, _Header]], signature: HeaderSignature) -> None:
    """Name each later sheet's columns as the first sheet names them (the loader maps by those names),
    where a candidate profile reads both as the same canonical column ("Số hồ sơ" / "Mã hồ sơ")."""
    first = located[0][1].names
    for _, header in located[1:]:
        for profile in signature.profiles:
            ours, theirs = profile.header_map(header.names), profile.header_map(first)
            if profile.missing_required(ours) or profile.missing_required(theirs):
                continue
            renames = {ours[c]: theirs[c] for c in ours.keys() & theirs.keys() if ours[c] != theirs[c]}
            taken = set(header.names)
            header.names = [renames[n] if n in renames and renames[n] not in taken else n for n in header.names]
            break


# ---- open ----------------------------------------------------------------------------------
def open_spreadsheet(path: Path, signature: HeaderSignature) -> OpenedFile:
    opener = _open_xls if path.suffix.lower() == ".xls" else _open_xlsx
    sheets, position, close = opener(path)
    try:
        located: list[tuple[_Sheet, _Header]] = []
        skipped: list[str] = []
        closest: list[str] = []
        for sheet in sheets:
            head = list(takewhile(lambda row: row[0] <= HEADER_SEARCH_ROWS + 1, sheet.rows()))
            header = _find_header(head, sheet.merges() if head else {}, signature)
            if header is None:
                skipped.append(sheet.name)
                if not closest:
                    closest = _closest_row(head, signature.known)
                continue
            located.append((sheet, header))
    except FileRejected:
        close()
        raise
    except Exception as exc:  # a damaged sheet part: openpyxl / xlrd / XML errors
        close()
        raise FileRejected("unreadable_spreadsheet",
                           f"{path.name}: a sheet cannot be read ({type(exc).__name__}: {exc})") from None
    if not located:
        close()
        raise FileRejected(
            "unknown_layout",
            f"{path.name}: no sheet has a header row within its first {HEADER_SEARCH_ROWS} rows "
            f"(sheets: {', '.join(repr(s.name) for s in sheets) or 'none'}). Closest row: "
            + signature.explain([c for c in closest if c]),
        )
    _align_sheets(located, signature)
    ignored: dict[str, int] = {}

    def records() -> Iterator[tuple[int, dict[Any, Any]]]:
        counter = [0]
        try:
            for sheet, header in located:
                yield from _sheet_records(sheet, header, signature, ignored, counter)
        except FileRejected:
            raise
        except Exception as exc:
            raise FileRejected(
                "unreadable_spreadsheet",
                f"{path.name}: reading stopped after record {counter[0]} ({type(exc).__name__}: {exc})",
            ) from None

    detail = "; ".join(
        [f"sheet {s.name!r}: header row {h.rows}" for s, h in located]
        + [f"sheet {name!r}: no header, skipped" for name in skipped]
    )
    return OpenedFile("xlsx", located[0][1].names, records(), detail, position=position, ignored=ignored,
                      close=close)
