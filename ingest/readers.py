"""Readers turn a delivered file into a header list and a stream of records.

Records are streamed (CSV and JSON Lines never sit in memory whole; spreadsheets are read row
by row). A problem with the file as a whole raises FileRejected; problems with single records
are the loader's business: a record that cannot be read as a record carries SHAPE_ERROR.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import FileRejected
from ingest.intake import check_time, open_regular
from ingest.settings import InputLimits

if TYPE_CHECKING:
    from ingest.profiles import HeaderSignature

__all__ = ["FileRejected", "OpenedFile", "open_file", "file_format", "SHAPE_ERROR", "RAW_LINE", "WHERE"]

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
ARCHIVE_SUFFIXES = {".zip"}
SNIFF_BYTES = 64 * 1024
# Keys the readers add to a record. JSON object keys are always strings, so tuples cannot clash
# with anything delivered.
SHAPE_ERROR = ("parwh", "shape_error")    # why this record is not a record (wrong field count, bad JSON)
RAW_LINE = ("parwh", "line")              # the undecodable JSON line, kept for the audit trail
WHERE = ("parwh", "where")                # where a spreadsheet record sits: "sheet 'Data' row 14"
FIELD_SHIFT = ("parwh", "field_shift")    # a CSV row's field count minus the header's (when they differ)



@dataclass
class OpenedFile:
    format: str                                      # csv | json | xlsx
    headers: list[str]
    records: Iterator[tuple[int, dict[Any, Any]]]    # (1-based record number, record)
    detail: str = ""                                 # encoding, delimiter, layout: for the load's audit trail
    rows: Iterator[tuple[int, list[str]]] | None = None   # CSV: the same records as lists in header order
    position: Callable[[], int] = lambda: 0          # bytes of the file consumed so far (for progress)
    size: int = 0
    ignored: dict[str, int] = field(default_factory=dict)  # rows that are not data, by kind (spreadsheets)
    close: Callable[[], None] = lambda: None


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in SPREADSHEET_SUFFIXES:
        return "xlsx"
    raise FileRejected(
        "unsupported_format",
        f"{path.name}: unsupported file type {suffix or '(none)'}; expected one of "
        + ", ".join(sorted(CSV_SUFFIXES | JSON_SUFFIXES | SPREADSHEET_SUFFIXES | ARCHIVE_SUFFIXES)),
    )


def open_file(path: Path, signature: HeaderSignature | None = None) -> OpenedFile:
    """Open a delivered file. signature (spreadsheets only) says what a header row looks like;
    by default every spreadsheet profile's. The file must fit InputLimits (PARWH_MAX_*)."""
    limits = InputLimits.from_env()
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("empty_file", f"{path.name}: the file is empty (0 bytes)")
    fmt = file_format(path)
    if size > limits.max_file_bytes:
        raise FileRejected("file_too_large", f"{path.name}: {size:,} bytes, over PARWH_MAX_FILE_BYTES="
                                             f"{limits.max_file_bytes:,}; split the delivery")
    if fmt == "xlsx":
        from ingest import profiles, spreadsheets

        opened = spreadsheets.open_spreadsheet(path, signature or profiles.signature("xlsx"))
        opened.records = _at_most(opened.records, limits.max_rows, path.name)
    elif fmt == "csv":
        opened = _open_csv(path, limits)
    else:
        opened = _open_json(path, limits)
    if len(opened.headers) > limits.max_columns:
        opened.close()
        raise FileRejected("too_many_columns", f"{path.name}: {len(opened.headers):,} columns in the header, over "
                                               f"PARWH_MAX_COLUMNS={limits.max_columns:,}")
    opened.size = size
    return opened


def _too_many_rows(name: str, limit: int) -> FileRejected:
    return FileRejected("too_many_rows", f"{name}: more than PARWH_MAX_ROWS={limit:,} data rows; split the delivery")


def _at_most(records: Iterator[tuple[int, dict[Any, Any]]], limit: int,
             name: str) -> Iterator[tuple[int, dict[Any, Any]]]:
    for number, record in records:
        if number > limit:
            raise _too_many_rows(name, limit)
        yield number, record


def _reject_binary(path: Path, head: bytes, encoding: str) -> None:
    """A NUL byte in text that is not UTF-16 means a binary file (an image, a PDF) under a text name."""
    if encoding != "utf-16" and b"\x00" in head:
        raise FileRejected("binary_file", f"{path.name}: holds NUL bytes: binary data (or UTF-16 text without a "
                                          "byte order mark), not a text export; deliver the CSV / JSON as UTF-8")


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # A multi-byte character may be cut at the end of the sniffed block.
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) == SNIFF_BYTES:
            return "utf-8"
        return "cp1258"


def _csv_error(path: Path, where: str, exc: csv.Error, limits: InputLimits) -> FileRejected:
    if "field larger than field limit" in str(exc):
        return FileRejected("cell_too_large", f"{path.name}: {where}: a cell holds more than PARWH_MAX_CELL_CHARS="
                                              f"{limits.max_cell_chars:,} characters")
    return FileRejected("malformed_csv", f"{path.name}: {where}: {exc}")


def _open_csv(path: Path, limits: InputLimits) -> OpenedFile:
    with open_regular(path) as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = _detect_encoding(head)
    _reject_binary(path, head, encoding)
    csv.field_size_limit(limits.max_cell_chars)   # module-wide; set again for each file
    max_rows = limits.max_rows
    lines = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()
    first_line = lines[0] if lines else ""
    delimiter = max([",", ";", "\t"], key=first_line.count)
    fh = open_regular(path, "r", encoding=encoding, newline="", errors="strict")
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: no header row") from None
    except UnicodeDecodeError as exc:
        fh.close()
        raise FileRejected("bad_encoding", f"{path.name}: not readable as {encoding}: {exc.reason}") from None
    except csv.Error as exc:
        fh.close()
        raise _csv_error(path, "header row", exc, limits) from None
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    if not any(headers):
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: the first line (the header) is empty")

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = lines_read = 0
        try:
            for row in reader:
                lines_read += 1
                if not lines_read & 0x3FFF:
                    check_time(f"after data row {number}")
                # Blank lines (and lines of empty fields) are not records. The first field
                # usually settles it without looking at the rest.
                if not (row and row[0].strip()) and not "".join(row).strip():
                    continue
                number += 1
                if number > max_rows:
                    raise _too_many_rows(path.name, max_rows)
                yield number, row
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "bad_encoding",
                f"{path.name}: after data row {number} the bytes are not valid {encoding} ({exc.reason}); "
                "re-export the file in one encoding (UTF-8 preferred)",
            ) from None
        except csv.Error as exc:
            raise _csv_error(path, f"data row {number + 1}", exc, limits) from None
        finally:
            fh.close()

    row_stream = rows()

    def records() -> Iterator[tuple[int, dict[Any, Any]]]:
        for number, row in row_stream:
            yield number, row_as_record(headers, row)

    detail = f"encoding={encoding} delimiter={delimiter!r}"
    return OpenedFile("csv", headers, records(), detail, rows=row_stream, position=file_position(fh),
                      close=fh.close)


def file_position(fh) -> Callable[[], int]:
    """Bytes of the file consumed so far; once the reader has closed it, the whole file."""
    size = os.fstat(fh.fileno()).st_size

    def position() -> int:
        try:
            return fh.tell() if hasattr(fh, "readinto") else fh.buffer.tell()
        except ValueError:  # closed: reading is over
            return size

    return position


def row_as_record(headers: list[str], row: list[str]) -> dict[Any, Any]:
    """A CSV row as a record keyed by header; a row with the wrong field count says so."""
    if len(row) != len(headers):
        record: dict[Any, Any] = dict(zip(headers, row, strict=False))
        record[SHAPE_ERROR] = f"has {len(row)} fields, the header has {len(headers)}"
        record[FIELD_SHIFT] = len(row) - len(headers)
        return record
    return dict(zip(headers, row, strict=True))


def _open_json(path: Path, limits: InputLimits) -> OpenedFile:
    with open_regular(path) as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else _detect_encoding(head)
    _reject_binary(path, head, encoding)
    if encoding == "cp1258":
        raise FileRejected("bad_encoding", f"{path.name}: JSON must be UTF-8 (or UTF-16 with a byte order mark)")
    if head.decode(encoding, errors="replace").lstrip("\ufeff \r\n\t").startswith("["):
        return _open_json_array(path, encoding, limits)
    return _open_json_lines(path, encoding, limits)


def _open_json_array(path: Path, encoding: str, limits: InputLimits) -> OpenedFile:
    try:
        with open_regular(path, "r", encoding=encoding) as fh:
            data = json.loads(fh.read())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise FileRejected("malformed_json", f"{path.name}: not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise FileRejected("malformed_json", f"{path.name}: expected a JSON array of records")
    if not data:
        raise FileRejected("empty_file", f"{path.name}: the JSON array holds no records")
    if len(data) > limits.max_rows:
        raise _too_many_rows(path.name, limits.max_rows)
    headers = sorted({key for item in data[:100] if isinstance(item, dict) for key in item})
    size = path.stat().st_size
    consumed = [0]

    def records() -> Iterator[tuple[int, dict[Any, Any]]]:
        for number, item in enumerate(data, start=1):
            consumed[0] = size * number // len(data)
            yield number, item if isinstance(item, dict) else {SHAPE_ERROR: "is not a JSON object"}

    return OpenedFile("json", headers, records(), "layout=json-array", position=lambda: consumed[0])


def _parse_json_line(line: str, max_chars: int) -> dict[Any, Any]:
    if len(line) > max_chars:
        return {SHAPE_ERROR: f"is {len(line):,} characters long, over PARWH_MAX_CELL_CHARS={max_chars:,}",
                RAW_LINE: line[:2000]}
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {SHAPE_ERROR: f"is not valid JSON ({exc.msg} at column {exc.colno})", RAW_LINE: line}
    except (ValueError, RecursionError) as exc:  # e.g. an integer beyond Python's digit limit, deep nesting
        return {SHAPE_ERROR: f"is not valid JSON ({type(exc).__name__}: {str(exc)[:200]})", RAW_LINE: line}
    return item if isinstance(item, dict) else {SHAPE_ERROR: "is not a JSON object", RAW_LINE: line}


def _open_json_lines(path: Path, encoding: str, limits: InputLimits) -> OpenedFile:
    max_rows, max_chars = limits.max_rows, limits.max_cell_chars
    fh = open_regular(path, "r", encoding=encoding, errors="strict")
    first: dict[Any, Any] | None = None
    try:
        for line in fh:
            if line.strip():
                first = _parse_json_line(line, max_chars)
                break
    except UnicodeDecodeError as exc:
        fh.close()
        raise FileRejected("bad_encoding", f"{path.name}: not valid {encoding} ({exc.reason})") from None
    if first is None:
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: no JSON records")
    headers = sorted(k for k in first if isinstance(k, str))

    def records() -> Iterator[tuple[int, dict[Any, Any]]]:
        number = 1
        try:
            yield number, first
            for lines_read, line in enumerate(fh):
                if not lines_read & 0x3FFF:
                    check_time(f"after record {number}")
                if line.strip():
                    number += 1
                    if number > max_rows:
                        raise _too_many_rows(path.name, max_rows)
                    yield number, _parse_json_line(line, max_chars)
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "bad_encoding", f"{path.name}: after record {number} the bytes are not valid {encoding} "
                f"({exc.reason})"
            ) from None
        finally:
            fh.close()

    return OpenedFile("json", headers, records(), "layout=json-lines", position=file_position(fh),
                      close=fh.close)
