"""Readers turn a delivered file into a header list and a stream of records.

Records are streamed (CSV and JSON Lines never sit in memory whole; spreadsheets are read row
by row). A problem with the file as a whole raises FileRejected; problems with single records
are the loader's business: a record that cannot be read as a record carries SHAPE_ERROR.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import FileRejected
from ingest.intake import check_time, open_regular
from ingest.landing import profiles, spreadsheets
from ingest.landing.formats import (
    FIELD_SHIFT,
    LINE_CHARS,
    NOT_OBJECT,
    RAW_LINE,
    SHAPE_CODE,
    SHAPE_ERROR,
    UNALIGNED,
    WHERE,
    OpenedFile,
    file_format,
    file_position,
)
from ingest.settings import InputLimits

if TYPE_CHECKING:
    from ingest.landing.profiles import HeaderSignature

SNIFF_BYTES = 64 * 1024

__all__ = ["FileRejected", "OpenedFile", "open_file", "file_format", "SHAPE_ERROR", "SHAPE_CODE", "RAW_LINE",
           "WHERE", "BrokenRow"]


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


class BrokenRow(list):
    """A CSV record the reader could not read as a record: the reason code and why. Its fields, if
    any, may not sit under their headers (a quote left open, a record too large to split)."""

    __slots__ = ("reason_code", "problem", "aligned")

    def __init__(self, fields: list[str], reason_code: str, problem: str, aligned: bool = False):
        super().__init__(fields)
        self.reason_code = reason_code
        self.problem = problem
        self.aligned = aligned    # each field sits under its header (else none is kept in clear)


class _RecordTooLarge(Exception):
    def __init__(self, too_many_delimiters: bool, problem: str, swallowed: int):
        super().__init__(problem)
        self.too_many_delimiters = too_many_delimiters
        self.problem = problem
        self.swallowed = swallowed    # later lines of the record that hold a whole record each


def _bounded_lines(fh, delimiter: str, limits: InputLimits, lines: list[int]) -> Iterator[str]:
    """The physical lines of a CSV file for csv.reader, each record held to the limits before
    csv.reader splits it into fields: a line of many short fields takes some 24 times its size as a
    list of strings. lines = [lines of the record being read (the caller sets it to 0 after each
    record), delimiters a whole record holds (the header's)]. A record over a limit raises
    _RecordTooLarge once its physical line is skipped (read in bounded chunks, never whole); the
    caller then reads on with a new csv.reader."""
    readline = fh.readline
    max_chars, max_delimiters = limits.max_line_chars, limits.max_record_delimiters
    chars = delimiters = whole_lines = 0     # of the record being read
    while line := readline(max_chars + 1):
        count = line.count(delimiter)
        if lines[0]:    # a later line of a record (inside a quoted cell)
            chars += len(line)
            delimiters += count
            whole_lines += count >= lines[1]
        else:
            chars, delimiters, whole_lines = len(line), count, 0
        lines[0] += 1
        if chars > max_chars or delimiters > max_delimiters:
            while line[-1] not in "\r\n" and (line := readline(1 << 20)):
                chars += len(line)
            raise _RecordTooLarge(delimiters > max_delimiters, (
                f"holds more than {max_delimiters:,} delimiters (4 x PARWH_MAX_COLUMNS={limits.max_columns:,})"
                if delimiters > max_delimiters else
                f"runs to {chars:,} characters, over PARWH_MAX_LINE_CHARS={max_chars:,}"
            ) + "; it was not split into fields", whole_lines)
        yield line


def _swallowed_records(row: list[str], headers: list[str], delimiter: str,
                       first_number: int) -> list[BrokenRow] | None:
    """A record over several lines whose later lines each hold a whole record (as many delimiters as
    the header) is a quote left open that swallowed those records: the record and each swallowed
    line become rows to reject. None for an ordinary quoted line break."""
    width = len(headers)
    lines = delimiter.join(row).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    groups = [[lines[0]]]
    for line in lines[1:]:
        if line.count(delimiter) >= width - 1:
            groups.append([line])
        else:
            groups[-1].append(line)
    if len(groups) == 1:
        return None
    opened_at = next(i for i, cell in enumerate(row) if "\n" in cell or "\r" in cell)
    column = headers[opened_at] if opened_at < width else f"#{opened_at + 1}"
    last = first_number + len(groups) - 1
    fix = "close the quote and deliver the file again"
    swallowed = f"row {last}" if last == first_number + 1 else f"rows {first_number + 1}-{last}"
    problems = [f"opens a quote in column {column} that runs on over {len(lines) - 1} more line(s), "
                f"{len(groups) - 1} of them holding a whole record each ({swallowed}, rejected with it); {fix}"]
    problems += [f"was swallowed by the quote left open in row {first_number} (column {column}); {fix}"] \
        * (len(groups) - 1)
    # A rebuilt line is the physical line without its quotes, so splitting it finds every delimiter,
    # quoted ones too: a single line that splits into exactly the header's fields had none quoted,
    # and its fields sit under their headers.
    return [BrokenRow(fields, "unclosed_quote", problem, aligned=len(group) == 1 and len(fields) == width)
            for group, problem in zip(groups, problems, strict=True)
            for fields in ["\n".join(group).split(delimiter)]]


def _too_large(exc: _RecordTooLarge, first_number: int) -> list[BrokenRow]:
    """The rows to reject for a record too large to split: itself, and the records its later lines
    hold, if a quote left open swallowed them (so every one is counted)."""
    if not exc.swallowed:
        return [BrokenRow([], "record_too_large", exc.problem)]
    last = first_number + exc.swallowed
    swallowed = f"row {last}" if last == first_number + 1 else f"rows {first_number + 1}-{last}"
    return [BrokenRow([], "record_too_large", f"{exc.problem}; {exc.swallowed} of its lines hold a whole record "
                                              f"each ({swallowed}, rejected with it): a quote left open?")] + \
        [BrokenRow([], "record_too_large", f"was swallowed by row {first_number}, too large to split")] * exc.swallowed


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
    lines_read = [0, 1 << 62]   # see _bounded_lines; the header's width is not known yet

    def new_reader():
        return csv.reader(_bounded_lines(fh, delimiter, limits, lines_read), delimiter=delimiter)

    reader = new_reader()
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
    except _RecordTooLarge as exc:
        fh.close()
        if exc.too_many_delimiters:
            raise FileRejected("too_many_columns", f"{path.name}: the header {exc.problem}, over "
                                                   f"PARWH_MAX_COLUMNS={limits.max_columns:,} columns") from None
        raise FileRejected("record_too_large", f"{path.name}: the header line {exc.problem}") from None
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    if not any(headers):
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: the first line (the header) is empty")
    lines_read[1] = len(headers) - 1

    def rows() -> Iterator[tuple[int, list[str]]]:
        nonlocal reader
        number = 0
        try:
            while True:
                try:
                    lines_read[0] = 0
                    for row in reader:
                        lines = lines_read[0]
                        lines_read[0] = 0
                        # Blank lines (and lines of empty fields) are not records. The first field
                        # usually settles it without looking at the rest.
                        if not (row and row[0].strip()) and not "".join(row).strip():
                            continue
                        if lines > 1 and (broken := _swallowed_records(row, headers, delimiter, number + 1)):
                            for record in broken:
                                number += 1
                                if number > max_rows:
                                    raise _too_many_rows(path.name, max_rows)
                                yield number, record
                            continue
                        number += 1
                        if number > max_rows:
                            raise _too_many_rows(path.name, max_rows)
                        if not number & 0x3FFF:
                            check_time(f"after data row {number}")
                        yield number, row
                    return
                except _RecordTooLarge as exc:   # the rest of the file is read by a new csv.reader
                    for record in _too_large(exc, number + 1):
                        number += 1
                        if number > max_rows:
                            raise _too_many_rows(path.name, max_rows) from None
                        yield number, record
                    reader = new_reader()
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


def row_as_record(headers: list[str], row: list[str]) -> dict[Any, Any]:
    """A CSV row as a record keyed by header; a row with the wrong field count says so."""
    if type(row) is BrokenRow:
        record = dict(zip(headers, row, strict=False))
        record.update({SHAPE_ERROR: row.problem, SHAPE_CODE: row.reason_code})
        if not row.aligned:
            record[UNALIGNED] = True
        return record
    if len(row) != len(headers):
        record: dict[Any, Any] = dict(zip(headers, row, strict=False))
        record[SHAPE_ERROR] = f"has {len(row)} fields, the header has {len(headers)}"
        record[FIELD_SHIFT] = len(row) - len(headers)
        return record
    return dict(zip(headers, row, strict=True))


JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}
HEADER_SEARCH_RECORDS = 20    # JSON Lines: the first object among this many records names the columns


class _KeyCheck:
    """object_pairs_hook for the JSON decoder: builds each object and remembers, by the object's id,
    the first key it holds twice (json alone keeps the last value without a word)."""

    __slots__ = ("repeated",)

    def __init__(self) -> None:
        self.repeated: dict[int, str] = {}

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            key = next(k for k, _ in pairs if k in seen or seen.add(k))
            self.repeated[id(result)] = key
        return result

    def first_in(self, value: Any) -> str | None:
        """The first key held twice by an object anywhere in value (objects of the last decode)."""
        stack = [value]
        while stack and self.repeated:
            item = stack.pop()
            if isinstance(item, dict):
                if id(item) in self.repeated:
                    return self.repeated[id(item)]
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return None


def _as_record(item: Any, repeated: str | None) -> dict[Any, Any]:
    """A decoded JSON value as a record: an object, or why it is not one."""
    if not isinstance(item, dict):
        return {SHAPE_ERROR: "is not a JSON object", NOT_OBJECT: item}
    if repeated is not None:
        item[SHAPE_ERROR] = f"holds the key {repeated[:80]!r} more than once: which value counts is ambiguous"
        item[SHAPE_CODE] = "duplicate_key"
    return item


def _json_lines(fh, max_chars: int) -> Iterator[str | int]:
    """The non-blank lines of a text file; a line over max_chars characters is skipped in bounded
    chunks (never held whole) and given as its length."""
    readline = fh.readline
    while line := readline(max_chars + 1):
        if len(line) > max_chars:
            chars = len(line)
            while line[-1] != "\n" and (line := readline(1 << 20)):
                chars += len(line)
            yield chars
        elif line.strip():
            yield line


def _is_json_lines(path: Path, encoding: str, head: bytes, max_chars: int) -> bool:
    """JSON Lines, or one JSON array? .jsonl / .ndjson are lines by name. Otherwise a file opening with
    "[" is one array, unless its first line is a whole JSON value with more lines after it (a JSON
    Lines file whose first record is an array: that record is rejected, the others load)."""
    if path.suffix.lower() in JSON_LINES_SUFFIXES:
        return True
    if not head.decode(encoding, errors="replace").lstrip("\ufeff \r\n\t").startswith("["):
        return True
    with open_regular(path, "r", encoding=encoding, errors="replace") as fh:
        lines = _json_lines(fh, max_chars)
        first, second = next(lines, None), next(lines, None)
    if not isinstance(first, str) or second is None:
        return False
    try:
        json.loads(first.lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return False
    return True


def _open_json(path: Path, limits: InputLimits) -> OpenedFile:
    with open_regular(path) as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else _detect_encoding(head)
    _reject_binary(path, head, encoding)
    if encoding == "cp1258":
        raise FileRejected("bad_encoding", f"{path.name}: JSON must be UTF-8 (or UTF-16 with a byte order mark)")
    if _is_json_lines(path, encoding, head, limits.max_cell_chars):
        return _open_json_lines(path, encoding, limits)
    return _open_json_array(path, encoding, limits)


def _read_text(path: Path, encoding: str) -> str:
    with open_regular(path, "r", encoding=encoding) as fh:
        return fh.read()


def _open_json_array(path: Path, encoding: str, limits: InputLimits) -> OpenedFile:
    check = _KeyCheck()
    try:
        data = json.JSONDecoder(object_pairs_hook=check).decode(_read_text(path, encoding))
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
            yield number, _as_record(item, check.first_in(item) if check.repeated else None)

    return OpenedFile("json", headers, records(), "layout=json-array", position=lambda: consumed[0])


def _json_line_parser(max_chars: int) -> Callable[[str | int], dict[Any, Any]]:
    """line (or the length of a line too long to read) -> record, or why it is not one."""
    check = _KeyCheck()
    decode = json.JSONDecoder(object_pairs_hook=check).decode

    def parse(line: str | int) -> dict[Any, Any]:
        if isinstance(line, int):
            return {SHAPE_ERROR: f"is {line:,} characters long, over PARWH_MAX_CELL_CHARS={max_chars:,}",
                    LINE_CHARS: line}
        check.repeated.clear()
        try:
            item = decode(line)
        except json.JSONDecodeError as exc:
            return {SHAPE_ERROR: f"is not valid JSON ({exc.msg} at column {exc.colno})", RAW_LINE: line}
        except (ValueError, RecursionError) as exc:  # e.g. an integer beyond Python's digit limit, deep nesting
            return {SHAPE_ERROR: f"is not valid JSON ({type(exc).__name__}: {str(exc)[:200]})", RAW_LINE: line}
        return _as_record(item, next(iter(check.repeated.values()), None))

    return parse


def _open_json_lines(path: Path, encoding: str, limits: InputLimits) -> OpenedFile:
    max_rows = limits.max_rows
    fh = open_regular(path, "r", encoding=encoding, errors="strict")
    parse = _json_line_parser(limits.max_cell_chars)
    lines = _json_lines(fh, limits.max_cell_chars)
    head: list[dict[Any, Any]] = []    # records read to find the first object, which names the columns
    try:
        for line in lines:
            head.append(parse(line))
            if any(isinstance(key, str) for key in head[-1]) or len(head) >= HEADER_SEARCH_RECORDS:
                break
    except UnicodeDecodeError as exc:
        fh.close()
        raise FileRejected("bad_encoding", f"{path.name}: not valid {encoding} ({exc.reason})") from None
    if not head:
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: no JSON records")
    headers = sorted(k for k in head[-1] if isinstance(k, str))

    def records() -> Iterator[tuple[int, dict[Any, Any]]]:
        number = 0
        try:
            for record in itertools.chain(head, map(parse, lines)):
                number += 1
                if number > max_rows:
                    raise _too_many_rows(path.name, max_rows)
                if not number & 0x3FFF:
                    check_time(f"after record {number}")
                yield number, record
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "bad_encoding", f"{path.name}: after record {number} the bytes are not valid {encoding} "
                f"({exc.reason})"
            ) from None
        finally:
            fh.close()

    return OpenedFile("json", headers, records(), "layout=json-lines", position=file_position(fh),
                      close=fh.close)
