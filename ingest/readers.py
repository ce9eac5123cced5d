"""Readers turn a delivered file into a header list and a stream of records.

Records are streamed (CSV and JSON Lines never sit in memory whole). A problem with the file
as a whole raises FileRejected; problems with single records are the loader's business.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SNIFF_BYTES = 64 * 1024

csv.field_size_limit(16 * 1024 * 1024)


class FileRejected(Exception):
    """The whole file cannot be loaded; reason_code is stable, message says what and where."""

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass
class OpenedFile:
    format: str                       # csv | json
    headers: list[str]
    records: Iterator[tuple[int, dict[str, Any]]]   # (1-based record number, record)
    detail: str = ""                  # encoding, delimiter, layout: for the load's audit trail


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in JSON_SUFFIXES:
        return "json"
    raise FileRejected(
        "unsupported_format",
        f"{path.name}: unsupported file type {suffix or '(none)'}; expected one of "
        + ", ".join(sorted(CSV_SUFFIXES | JSON_SUFFIXES)),
    )


def open_file(path: Path) -> OpenedFile:
    if path.stat().st_size == 0:
        raise FileRejected("empty_file", f"{path.name}: the file is empty (0 bytes)")
    fmt = file_format(path)
    return _open_csv(path) if fmt == "csv" else _open_json(path)


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
        if exc.start >= len(head) - 3:
            return "utf-8"
        return "cp1258"


def _open_csv(path: Path) -> OpenedFile:
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = _detect_encoding(head)
    first_line = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0] if head else ""
    delimiter = max([",", ";", "\t"], key=first_line.count)
    fh = path.open("r", encoding=encoding, newline="", errors="strict")
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: no header row") from None
    except UnicodeDecodeError as exc:
        fh.close()
        raise FileRejected("bad_encoding", f"{path.name}: not readable as {encoding}: {exc.reason}") from None
    headers = [h.strip().lstrip("\ufeff") for h in headers]

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                number += 1
                if len(row) != len(headers):
                    record: dict[str, Any] = dict(zip(headers, row, strict=False))
                    record["__shape_error__"] = f"has {len(row)} fields, the header has {len(headers)}"
                else:
                    record = dict(zip(headers, row, strict=True))
                yield number, record
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "bad_encoding",
                f"{path.name}: after data row {number} the bytes are not valid {encoding} ({exc.reason}); "
                "re-export the file in one encoding (UTF-8 preferred)",
            ) from None
        except csv.Error as exc:
            raise FileRejected("malformed_csv", f"{path.name}: data row {number + 1}: {exc}") from None
        finally:
            fh.close()

    detail = f"encoding={encoding} delimiter={delimiter!r}"
    return OpenedFile("csv", headers, records(), detail)


def _open_json(path: Path) -> OpenedFile:
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else _detect_encoding(head)
    if encoding == "cp1258":
        raise FileRejected("bad_encoding", f"{path.name}: JSON must be UTF-8")
    if head.decode(encoding, errors="replace").lstrip("\ufeff \r\n\t").startswith("["):
        return _open_json_array(path, encoding)
    return _open_json_lines(path, encoding)


def _open_json_array(path: Path, encoding: str) -> OpenedFile:
    try:
        data = json.loads(path.read_text(encoding=encoding))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileRejected("malformed_json", f"{path.name}: not valid JSON: {exc}") from None
    if not data:
        raise FileRejected("empty_file", f"{path.name}: the JSON array holds no records")
    headers = sorted({key for item in data[:100] if isinstance(item, dict) for key in item})

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, item in enumerate(data, start=1):
            yield number, item if isinstance(item, dict) else {"__shape_error__": "is not a JSON object"}

    return OpenedFile("json", headers, records(), "layout=json-array")


def _open_json_lines(path: Path, encoding: str) -> OpenedFile:
    fh = open(path, encoding=encoding, errors="strict")
    first: tuple[int, dict[str, Any]] | None = None
    line_number = 0

    def parse(line: str, number: int) -> dict[str, Any]:
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            return {"__shape_error__": f"is not valid JSON ({exc.msg} at column {exc.colno})", "__line__": line}
        return item if isinstance(item, dict) else {"__shape_error__": "is not a JSON object"}

    try:
        for line in fh:
            line_number += 1
            if line.strip():
                first = (line_number, parse(line, line_number))
                break
    except UnicodeDecodeError as exc:
        fh.close()
        raise FileRejected("bad_encoding", f"{path.name}: not valid UTF-8 ({exc.reason})") from None
    if first is None:
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: no JSON records")
    headers = sorted(k for k in first[1] if not k.startswith("__"))

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 1
        yield number, first[1]
        try:
            for line in fh:
                if line.strip():
                    number += 1
                    yield number, parse(line, number)
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "bad_encoding", f"{path.name}: after record {number} the bytes are not valid UTF-8 ({exc.reason})"
            ) from None
        finally:
            fh.close()

    return OpenedFile("json", headers, records(), "layout=json-lines")
