"""What the landing readers share: the formats by suffix, the record keys the readers add, and
the opened-file shape every reader returns (CSV, JSON, spreadsheets, archive members).

Kept apart from the readers so that spreadsheets and archives can use them without importing
the readers that dispatch to them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import FileRejected

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
ARCHIVE_SUFFIXES = {".zip"}
# Keys the readers add to a record. JSON object keys are always strings, so tuples cannot clash
# with anything delivered.
SHAPE_ERROR = ("parwh", "shape_error")    # why this record is not a record (wrong field count, bad JSON)
RAW_LINE = ("parwh", "line")              # the undecodable JSON line (the audit trail keeps its length and hash)
WHERE = ("parwh", "where")                # where a spreadsheet record sits: "sheet 'Data' row 14"
FIELD_SHIFT = ("parwh", "field_shift")    # a CSV row's field count minus the header's (when they differ)
SHAPE_CODE = ("parwh", "shape_code")      # the reason code of a SHAPE_ERROR, when not malformed_record
UNALIGNED = ("parwh", "unaligned")        # the fields may not sit under their headers: keep none in clear
NOT_OBJECT = ("parwh", "not_object")      # a JSON value that is not an object (kept hashed for the audit trail)
LINE_CHARS = ("parwh", "line_chars")      # the length of a JSON line too long to be read



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


def file_position(fh) -> Callable[[], int]:
    """Bytes of the file consumed so far; once the reader has closed it, the whole file."""
    size = os.fstat(fh.fileno()).st_size

    def position() -> int:
        try:
            return fh.tell() if hasattr(fh, "readinto") else fh.buffer.tell()
        except ValueError:  # closed: reading is over
            return size

    return position
