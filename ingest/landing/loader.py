"""Land one file: audit row, stream records through the profile into COPY, reject bad rows.

The 'started' audit row commits first. The raw rows, the events, the rejected rows and the
final status then commit together in one transaction, so a crash leaves nothing partial.
The file is read without any lock other loads wait on: only the final status update and the
commit hold the warehouse ingest lock (audit.lock_for_commit). Before reading, the file must be
a regular file inside its folder and is hashed; after reading it must still hash the same, else
nothing commits (ingest.intake). Reading has a time budget (PARWH_FILE_SECONDS).
Every record read is either loaded or rejected: rows_read = rows_loaded + rows_rejected.
(Spreadsheet rows that are not records at all - totals, signatures, column numbers - are not
read as records; they are counted apart as ignored rows and named in the load's notes.)

CSV rows take a fast path: the mapper's per-file plan turns each row (a list) into output
values, and the loader writes PostgreSQL COPY text itself in large blocks. Other formats map
dict records through the same plan.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ingest import intake
from ingest.errors import FileRejected, RowRejection
from ingest.landing import archives, csv_fast_path, profiles, readers
from ingest.landing.formats import (
    ARCHIVE_SUFFIXES,
    FIELD_SHIFT,
    LINE_CHARS,
    NOT_OBJECT,
    RAW_LINE,
    SHAPE_ERROR,
    UNALIGNED,
    WHERE,
    OpenedFile,
)
from ingest.landing.pii import Hasher, load_key
from ingest.landing.readers import row_as_record
from ingest.landing.records import EVENT_COLUMNS, TARGET_COLUMNS, MappedRecord, PrecomputedHasher, RecordMapper, _text
from ingest.runtime import load_audit
from ingest.text import fold

log = logging.getLogger(__name__)

# progress(rows read so far, bytes of the file read so far, file size in bytes)
ProgressCallback = Callable[[int, int, int], None]
PROGRESS_EVERY_ROWS = 16_384
COPY_BLOCK_ROWS = 4_096
REJECTED_RECORD_MAX_DEPTH = 20
COPY_SQL = "copy {} ({}) from stdin with (null '')"  # text format; an empty field is NULL
# A value a spreadsheet would run as a formula when the data is exported again (CSV injection):
# it starts with = or @, or with + or - unless a space ("- item") or a plain number ("-5", "+1.5") follows.
# Searched in the COPY line, where every value follows a tab.
_FORMULA = re.compile(r"\t(?:[=@]|[+\-](?!\s|[\d.,]+(?:\t|\n|$)))")


GONE = "gone"   # a landing file taken by another ingest while this one read it: no load, no line


@dataclass
class LoadResult:
    file: Path
    load_id: int | None
    profile: str | None
    status: str                  # loaded | rejected | duplicate | failed | dry-run
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None
    seconds: float = 0.0
    rejection_counts: dict[str, int] | None = None
    name: str = ""               # as recorded in audit.loads.file_name (archive.zip!member.csv for members)
    rows_ignored: dict[str, int] = field(default_factory=dict)   # spreadsheet rows that are not records
    target_table: str | None = None   # the raw table the rows went to
    keep_in_landing: bool = False     # read again next run: it changed while read, or another ingest has it

    def __post_init__(self) -> None:
        self.name = self.name or self.file.name

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "duplicate", "dry-run")


def storable(text: str) -> str:
    """Text PostgreSQL can store: no NUL, no lone surrogates (from JSON escapes or odd file names)."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _choose_profile(opened: OpenedFile, name: str | None) -> profiles.Profile:
    if name:
        profile = profiles.get_profile(name)
        if profile.format != opened.format:
            raise FileRejected(
                "profile_format_mismatch", f"profile {name} reads {profile.format} files, this file is {opened.format}"
            )
        return profile
    try:
        return profiles.detect(opened.format, opened.headers)
    except profiles.ProfileError as exc:
        raise FileRejected("unknown_layout", str(exc)) from None


def _signature_for(profile_name: str | None) -> profiles.HeaderSignature | None:
    """A named spreadsheet profile decides the header row on its own; otherwise every one is a candidate."""
    if profile_name and profiles.get_profile(profile_name).format == "xlsx":
        return profiles.signature("xlsx", profile_name)
    return None


# ---- rejected records for the audit trail --------------------------------------------------
NESTED_TOO_DEEP = f"<nested deeper than {REJECTED_RECORD_MAX_DEPTH} levels: not stored>"


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A value jsonb accepts: no NUL, no lone surrogates, no NaN, bounded nesting."""
    if isinstance(value, str):
        return storable(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth >= REJECTED_RECORD_MAX_DEPTH:
        return NESTED_TOO_DEEP
    if isinstance(value, dict):
        return {storable(str(k)): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, depth + 1) for v in value]
    return storable(str(value))


class _Redactor:
    """The original record for audit.rejected_rows, personal data replaced by its hash, field by field.

    Personal data is recognised by column: a key that is one of the profile's personal-data headers
    or nested personal fields (any alias, compared folded), at any depth of a JSON record, has its
    value hashed whatever its type (a number, an object, a list), as the loader hashes it.
    Records that are not records keep no personal data either:
    - a CSV row with missing or extra fields: a personal value may have slid up to that many cells
      sideways, so those neighbours are hashed too; and a cell holding a line break may hold another
      record swallowed by an open quote, so it is hashed;
    - a CSV record the reader split off a quote left open, or could not split (UNALIGNED): no field
      is known to sit under its header, so every value is hashed;
    - a JSON value that is not an object: no key says what is personal, so every value is hashed;
    - a line that is not JSON at all (cut short, another syntax): only its length and its hash are
      kept, since no parser can tell which part of it is personal.
    """

    def __init__(self, profile: profiles.Profile, hasher: Hasher):
        self.hasher = hasher
        nested = {spec["columns"][c] for spec in profile.events.values() if "field" in spec
                  for c in spec.get("personal_data", [])}
        self.personal = {fold(alias) for aliases in profile.personal_data.values() for alias in aliases} \
            | {fold(key) for key in nested}
        self._is_personal: dict[str, bool] = {}   # key -> personal? (a file has few distinct keys)

    def _personal_key(self, key: str) -> bool:
        personal = self._is_personal.get(key)
        if personal is None:
            personal = self._is_personal[key] = fold(key) in self.personal
        return personal

    def _hash(self, value: Any) -> str | None:
        """One value, whatever its JSON type, hashed as the mapper hashes a personal value (its text)."""
        return None if value is None else self.hasher(_text(value))

    def _walk(self, value: Any, depth: int) -> Any:
        """value with the value of every personal key hashed, at any depth."""
        if isinstance(value, dict | list) and depth >= REJECTED_RECORD_MAX_DEPTH:
            return NESTED_TOO_DEEP
        if isinstance(value, dict):
            return {k: self._hash(v) if self._personal_key(k) else self._walk(v, depth + 1)
                    for k, v in value.items() if isinstance(k, str)}
        if isinstance(value, list):
            return [self._walk(v, depth + 1) for v in value]
        return value

    def _hash_leaves(self, value: Any, depth: int) -> Any:
        """value with every number and text in it hashed (keys kept)."""
        if isinstance(value, dict | list) and depth >= REJECTED_RECORD_MAX_DEPTH:
            return NESTED_TOO_DEEP
        if isinstance(value, dict):
            return {k: self._hash_leaves(v, depth + 1) for k, v in value.items() if isinstance(k, str)}
        if isinstance(value, list):
            return [self._hash_leaves(v, depth + 1) for v in value]
        return value if value is None or isinstance(value, bool) else self._hash(value)

    def __call__(self, record: dict[Any, Any]) -> str:
        clean = {k: v for k, v in record.items() if isinstance(k, str)}
        if UNALIGNED in record:
            clean = {k: self._hash(v) for k, v in clean.items()}
        else:
            shift = abs(record.get(FIELD_SHIFT) or 0)
            broken = SHAPE_ERROR in record
            keys = list(clean)
            personal_at = [i for i, key in enumerate(keys) if self._personal_key(key)]
            for i, key in enumerate(keys):
                value = clean[key]
                if self._personal_key(key):
                    clean[key] = self._hash(value)
                elif isinstance(value, str):
                    if (shift and any(abs(i - p) <= shift for p in personal_at)) \
                            or (broken and ("\n" in value or "\r" in value)):
                        clean[key] = self._hash(value)
                elif isinstance(value, dict | list):
                    clean[key] = self._walk(value, 1)
        if NOT_OBJECT in record:
            clean["value"] = self._hash_leaves(record[NOT_OBJECT], 1)
        if isinstance(record.get(RAW_LINE), str):
            clean["line"] = {"characters": len(record[RAW_LINE]), "hash": self.hasher(record[RAW_LINE])}
        elif LINE_CHARS in record:
            clean["line"] = {"characters": record[LINE_CHARS]}
        return json.dumps(_jsonable(clean), ensure_ascii=False)


# ---- COPY text -------------------------------------------------------------------------------
def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_line(values: list[Any]) -> str:
    """One line of COPY text format; None (or "") is NULL, as every COPY here says `null ''` (the
    mapper never produces an empty string). Raises RowRejection for text PostgreSQL cannot hold."""
    texts = ["" if value is None else value if isinstance(value, str) else str(value) for value in values]
    line = "\t".join(texts)
    if line.count("\t") != len(texts) - 1 or "\\" in line or "\n" in line or "\r" in line or "\x00" in line:
        if "\x00" in line:
            raise RowRejection("invalid_character", "a value holds a NUL character, which PostgreSQL text cannot store")
        line = "\t".join(_escape(text) for text in texts)
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            raise RowRejection(
                "invalid_character", "a value holds a lone UTF-16 surrogate (a broken \\u escape)"
            ) from None
    return line + "\n"


class _Spool:
    """COPY text lines for a second COPY, spooled to a temporary file so memory stays flat."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")
        self.count = 0

    def add(self, line: str) -> None:
        self.file.write(line)
        self.count += 1

    def copy_into(self, conn: psycopg.Connection, table: sql.Composable, columns: list[str]) -> None:
        if not self.count:
            return
        self.file.seek(0)
        statement = sql.SQL(COPY_SQL).format(table, sql.SQL(", ").join(map(sql.Identifier, columns)))
        with conn.cursor().copy(statement) as copy:
            while chunk := self.file.read(1 << 20):
                copy.write(chunk)

    def close(self) -> None:
        self.file.close()


def _formula_rejection(line: str, columns: list[str]) -> RowRejection:
    """The rejection for a COPY line (load id, row number, values) holding a formula-like value."""
    values = line.rstrip("\n").split("\t")[2:]
    for column, value in zip(columns, values, strict=False):
        if _FORMULA.match("\t" + value):
            return RowRejection("formula_in_cell", f"column {column}: {value[:80]!r} starts like a spreadsheet "
                                                   "formula (=, @, +, -); the value is not loaded")
    return RowRejection("formula_in_cell", "a value starts like a spreadsheet formula (=, @, +, -)")


# ---- the record loop -----------------------------------------------------------------------
@dataclass
class _Tally:
    rows_read: int = 0
    rows_loaded: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_loaded


class _Sink:
    """Where mapped rows go: COPY blocks, spooled events and rejections (or nowhere in a dry run)."""

    def __init__(self, load_id: int, write: Callable[[str], None] | None):
        self.load_id = load_id
        self.write = write
        self.block: list[str] = []
        self.events = _Spool()
        self.rejections = _Spool()

    def flush(self) -> None:
        if self.block:
            if self.write is not None:
                self.write("".join(self.block))
            self.block.clear()

    def close(self) -> None:
        self.events.close()
        self.rejections.close()


def _stream(opened: OpenedFile, mapper: RecordMapper, redact: _Redactor, sink: _Sink,
            progress: ProgressCallback | None) -> _Tally:
    tally = _Tally()
    load_id = sink.load_id
    block = sink.block
    prefix = f"{load_id}\t"
    columns = len(mapper.columns)
    tabs = columns + 1
    counts = tally.counts

    def reject(number: int, exc: RowRejection, record: dict[Any, Any]) -> None:
        counts[exc.reason_code] = counts.get(exc.reason_code, 0) + 1
        where = f" ({record[WHERE]})" if WHERE in record else ""
        sink.rejections.add(copy_line([load_id, number, exc.reason_code, storable(f"row {number}{where}: {exc.reason}"),
                                       redact(record)]))

    key_index = mapper.columns.index("dossier_code") if "dossier_code" in mapper.columns else None

    def add_events(number: int, mapped: MappedRecord) -> None:
        key = mapped.row[key_index] if key_index is not None else None
        for kind, seq, event in mapped.events:
            sink.events.add(copy_line([load_id, number, kind, seq, key, *(event.get(c) for c in EVENT_COLUMNS)]))

    _formula = _FORMULA.search

    def report() -> None:
        if progress:
            progress(tally.rows_read, opened.position(), opened.size)

    if opened.rows is not None:
        headers = opened.headers
        map_row = csv_fast_path.compile_rows(mapper, headers)
        add_event_lines = sink.events.add
        rows_read = rows_loaded = 0
        for number, row in opened.rows:
            rows_read += 1
            if type(row) is not list:   # a readers.BrokenRow: the reader could not read it as a record
                reject(number, RowRejection(row.reason_code, f"the record {row.problem}"), row_as_record(headers, row))
                continue
            try:
                values, events = map_row(row)
            except RowRejection as exc:
                reject(number, exc, row_as_record(headers, row))
                continue
            # CSV text is decoded strictly, so it holds no lone surrogates; NUL and the COPY
            # specials (backslash, tab, newline) are rare: check the joined line once.
            line = f"{prefix}{number}\t" + "\t".join(values)
            if line.count("\t") != tabs or "\\" in line or "\n" in line or "\r" in line or "\x00" in line:
                try:
                    line = copy_line([load_id, number, *values])
                except RowRejection as exc:
                    reject(number, exc, row_as_record(headers, row))
                    continue
            else:
                line += "\n"
            if _formula(line) is not None:
                reject(number, _formula_rejection(line, mapper.columns), row_as_record(headers, row))
                continue
            block.append(line)
            if events:
                key = values[key_index] if key_index is not None else None
                for kind, seq, event in events:
                    add_event_lines(copy_line([load_id, number, kind, seq, key,
                                               *(event.get(c) for c in EVENT_COLUMNS)]))
            rows_loaded += 1
            if len(block) >= COPY_BLOCK_ROWS:
                sink.flush()
                intake.check_time(f"after row {number}")
                tally.rows_read, tally.rows_loaded = rows_read, rows_loaded
                if rows_read % PROGRESS_EVERY_ROWS < COPY_BLOCK_ROWS:
                    report()
        tally.rows_read, tally.rows_loaded = rows_read, rows_loaded
    else:
        for number, record in opened.records:
            tally.rows_read += 1
            try:
                mapped = mapper.map(record)
                line = copy_line([load_id, number, *mapped.row])
                if _formula(line) is not None:
                    raise _formula_rejection(line, mapper.columns)
                for _, _, event in mapped.events:
                    copy_line(list(event.values()))  # the same checks for event values
            except RowRejection as exc:
                reject(number, exc, record)
                continue
            block.append(line)
            if mapped.events:
                add_events(number, mapped)
            tally.rows_loaded += 1
            if len(block) >= COPY_BLOCK_ROWS:
                sink.flush()
            if not tally.rows_read & 0x3FF:
                intake.check_time(f"after record {number}")
            if tally.rows_read % PROGRESS_EVERY_ROWS == 0:
                report()
    sink.flush()
    report()
    return tally


# ---- landing -------------------------------------------------------------------------------
def land_path(
    warehouse_url: str | None,
    path: Path,
    *,
    profile_name: str | None = None,
    province: str | None = None,
    run_id: str | None = None,
    dry_run: bool = False,
    progress: Callable[[str], ProgressCallback | None] | None = None,
    root: Path | None = None,
    reload: bool = False,
) -> list[LoadResult]:
    """Land a file, or each member of a .zip as its own load (file name 'archive.zip!member.csv').

    progress, when given, is called with each load's display name and returns that load's callback.
    root is the folder the file was found in (links must not lead out of it; default: the file's
    folder). reload=True loads content already loaded with the same arguments again, on purpose.
    """
    path = Path(path)
    common = {"profile_name": profile_name, "province": province, "run_id": run_id, "dry_run": dry_run,
              "reload": reload}
    if path.suffix.lower() not in ARCHIVE_SUFFIXES:
        return [land_file(warehouse_url, path, progress=progress(path.name) if progress else None, root=root,
                          **common)]
    results: list[LoadResult] = []
    try:
        intake.check_location(path, root)
        for member in archives.members(path, archives.ZipLimits.from_env()):
            with member:
                callback = progress(member.display_name) if progress and member.path else None
                results.append(land_file(warehouse_url, member.path or path, display_name=member.display_name,
                                         rejection=member.rejection, sha256=member.sha256, progress=callback,
                                         source_path=f"{path.resolve()}!{member.name}" if member.name else None,
                                         **common))
    except (FileRejected, OSError) as exc:   # the archive itself cannot be read: one rejected load for it
        rejection = exc if isinstance(exc, FileRejected) else intake.unreadable(path.name, exc)
        results.append(land_file(warehouse_url, path, rejection=rejection, sha256=intake.unread_identity(path),
                                 **common))
    return results


def land_file(
    warehouse_url: str | None,
    path: Path,
    *,
    profile_name: str | None = None,
    province: str | None = None,
    run_id: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    display_name: str | None = None,
    rejection: FileRejected | None = None,
    sha256: str | None = None,
    source_path: str | None = None,
    root: Path | None = None,
    reload: bool = False,
) -> LoadResult:
    """Load one file into raw; always returns a result, never raises for a bad file.

    display_name, rejection, sha256 and source_path serve archive members: the name recorded,
    a rejection decided before reading (a member over the archive limits), the content hash
    and where the member came from (a member is a private expanded copy, hashed as it expanded).
    Any other file is checked (ingest.intake: a regular file within root) and hashed before it
    is read, and must hash the same afterwards.
    """
    started = time.monotonic()
    path = Path(path)
    name = storable(display_name or path.name)
    budget = intake.TimeBudget.start(name)
    hasher = PrecomputedHasher(load_key())
    signature = _signature_for(profile_name)
    opened = profile = snapshot = None
    early_rejection = rejection
    if early_rejection is None:
        try:
            with budget.active():
                if sha256 is None:
                    intake.check_location(path, root)
                    if not dry_run:
                        snapshot = intake.take_snapshot(path)
                opened = readers.open_file(path, signature)
                profile = _choose_profile(opened, profile_name)
        except FileRejected as exc:
            early_rejection = exc
        except OSError as exc:  # no permission, removed meanwhile: this file only
            early_rejection = intake.unreadable(name, exc)
        except Exception as exc:  # a reader bug must not stop the other files: record it as failed
            log.exception("reading %s failed", name)
            early_rejection = FileRejected("internal_error", f"{name}: the reader failed: {type(exc).__name__}: {exc}")
        if early_rejection is not None and snapshot is not None:
            if not os.path.lexists(path):
                # Another ingest of the same folder filed it away while this one read it: as if never listed.
                return LoadResult(path, None, None, GONE, name=name, keep_in_landing=True)
            early_rejection = _unless_changed(path, snapshot, early_rejection)
    try:
        if dry_run:
            return _dry_run(path, name, opened, profile, early_rejection, hasher, province, progress, started, budget)
        content_sha = sha256 or (snapshot.sha256 if snapshot else intake.unread_identity(path))
        # A member rejected before expansion has no bytes of its own here (path is the archive).
        file_bytes = snapshot.size if snapshot else None
        key = load_audit.load_key(content_sha, reload=reload, profile=profile.name if profile else profile_name,
                             province=province)
        return _land(warehouse_url, _FileToLand(
            path=path, name=name, source_path=source_path, sha256=content_sha, file_bytes=file_bytes, key=key,
            opened=opened, profile=profile, profile_name=profile_name, early_rejection=early_rejection,
            snapshot=snapshot, budget=budget, started=started,
        ), hasher=hasher, province=province, run_id=run_id, progress=progress)
    finally:
        if opened is not None:
            opened.close()


def _unless_changed(path: Path, snapshot: intake.Snapshot, rejection: FileRejected) -> FileRejected:
    """A file rejected while it was being written is rejected for that, not for what half of it looked like."""
    try:
        intake.verify_snapshot(path, snapshot)
    except FileRejected as changed:
        return changed
    except OSError:
        pass
    return rejection


@dataclass(frozen=True)
class _FileToLand:
    """What reading a file found before anything is written: its identity, the opened reader and
    profile (or why it is rejected whole), and the snapshot it must still match when committed."""

    path: Path
    name: str
    source_path: str | None
    sha256: str
    file_bytes: int | None
    key: str
    opened: OpenedFile | None
    profile: profiles.Profile | None
    profile_name: str | None
    early_rejection: FileRejected | None
    snapshot: intake.Snapshot | None
    budget: intake.TimeBudget
    started: float


def _land(warehouse_url: str, file: _FileToLand, *, hasher: PrecomputedHasher, province: str | None,
          run_id: str | None, progress: ProgressCallback | None) -> LoadResult:
    """The audit row, then the file's rows (or its rejection), committed together."""
    path, name, profile, started = file.path, file.name, file.profile, file.started
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        load_audit.sweep_abandoned_loads(conn)
        load_id, duplicate_of = load_audit.start_load(
            conn,
            source_kind=profile.source_kind if profile else "unknown",
            profile=profile.name if profile else file.profile_name,
            file_name=name,
            file_path=storable(file.source_path or str(path.absolute())),
            file_sha256=file.sha256,
            file_bytes=file.file_bytes,
            province_code=province,
            run_id=run_id,
            key=file.key,
        )
        if duplicate_of is not None:
            # Another ingest still reading the same file files it away itself.
            return LoadResult(path, load_id, profile.name if profile else None, "duplicate", name=name,
                              error=f"same content and arguments as load {duplicate_of}",
                              seconds=time.monotonic() - started,
                              keep_in_landing=load_audit.in_progress(conn, duplicate_of))
        try:
            key_change = load_audit.record_key_fingerprint(conn, load_id, hasher.fingerprint)
            if file.early_rejection is not None:
                return _reject_file(conn, path, name, load_id, profile, file.early_rejection, 0, started)
            result = _copy_records(conn, path, name, load_id, file.opened, profile, hasher, province, progress,
                                   started, file.snapshot, file.budget)
            if key_change and result.status == "loaded":
                _add_note(conn, result, key_change)
            return result
        except psycopg.OperationalError:
            raise
        except Exception as exc:
            log.exception("loading %s failed", name)
            return _fail(conn, path, name, load_id, profile, exc, started)


def _add_note(conn, result: LoadResult, note: str) -> None:
    log.warning("%s: %s", result.name, note)
    result.error = "; ".join(filter(None, [result.error, note]))
    conn.execute("update audit.loads set error = %s where load_id = %s", (result.error, result.load_id))


def _fail(conn, path, name, load_id, profile, exc: Exception, started) -> LoadResult:
    message = storable(f"internal_error: {type(exc).__name__}: {exc}; nothing of this file was loaded")
    with conn.transaction():
        conn.execute("update audit.loads set status = 'failed', finished_at = now(), error = %s where load_id = %s",
                     (message, load_id))
    return LoadResult(path, load_id, profile.name if profile else None, "failed", error=message, name=name,
                      seconds=time.monotonic() - started)


def _reject_file(conn, path, name, load_id, profile, exc: FileRejected, rows_read: int, started) -> LoadResult:
    message = storable(f"{exc.reason_code}: {exc.message}")
    with conn.transaction():
        conn.execute(
            "update audit.loads set status = 'rejected', rows_read = %s, rows_loaded = 0, rows_rejected = %s,"
            " error = %s, finished_at = now() where load_id = %s",
            (rows_read, rows_read, message, load_id),
        )
    log.warning("rejected %s: %s", name, message)
    return LoadResult(path, load_id, profile.name if profile else None, "rejected", rows_read, 0, rows_read,
                      message, time.monotonic() - started, name=name,
                      keep_in_landing=exc.reason_code == "file_changed_while_read")


def _file_check(opened, profile, province, name) -> dict[str, str]:
    header_map = profile.header_map(opened.headers)
    used = {fold(header): canonical for canonical, header in header_map.items()}
    repeated = sorted({h for h in opened.headers if fold(h) in used
                       and sum(fold(other) == fold(h) for other in opened.headers) > 1})
    if repeated:
        raise FileRejected(
            "duplicate_header",
            f"{name}: column(s) {', '.join(repeated)} appear more than once in the header; which one holds "
            f"{', '.join(sorted({used[fold(h)] for h in repeated}))} is ambiguous",
        )
    missing = profile.missing_required(header_map)
    if missing:
        raise FileRejected(
            "missing_required_column",
            f"{name}: required column(s) {', '.join(missing)} not found in the header "
            f"(profile {profile.name}; accepted names: "
            + "; ".join(f"{c}: {' / '.join(profile.columns[c])}" for c in missing) + ")",
        )
    if profile.target_table == "portal_dossiers" and "gso_code" not in header_map and not province:
        raise FileRejected(
            "missing_province",
            f"{name}: the file has no province column; pass --province GSO_CODE "
            "(the province is never guessed from names)",
        )
    return header_map


def _notes(tally: _Tally, ignored: dict[str, int]) -> str | None:
    """The load's notes: rejections by reason, then rows that were not records."""
    parts = []
    if tally.counts:
        parts.append(_summary(tally.counts))
    if ignored:
        parts.append("not records, ignored: " + ", ".join(f"{kind} x{n}" for kind, n in sorted(ignored.items())))
    return "; ".join(parts) or None


def _copy_records(conn, path, name, load_id, opened, profile, hasher, province, progress, started,
                  snapshot: intake.Snapshot | None, budget: intake.TimeBudget) -> LoadResult:
    columns = TARGET_COLUMNS[profile.target_table]
    table = sql.Identifier("raw", profile.target_table)
    sink = None
    tally = _Tally()
    try:
        header_map = _file_check(opened, profile, province, name)
        mapper = RecordMapper(profile, hasher, province, header_map)
        with conn.transaction():
            copy_sql = sql.SQL(COPY_SQL).format(
                table, sql.SQL(", ").join(map(sql.Identifier, ["_load_id", "_row_number", *columns]))
            )
            with conn.cursor().copy(copy_sql) as copy, budget.active():
                sink = _Sink(load_id, copy.write)
                tally = _stream(opened, mapper, _Redactor(profile, hasher), sink, progress)
                if snapshot is not None:
                    intake.verify_snapshot(path, snapshot)
            sink.events.copy_into(conn, sql.Identifier("raw", "portal_dossier_events"),
                                  ["_load_id", "_row_number", "event_kind", "event_seq", "dossier_code",
                                   *EVENT_COLUMNS])
            sink.rejections.copy_into(conn, sql.Identifier("audit", "rejected_rows"),
                                      ["load_id", "row_number", "reason_code", "reason", "record"])
            if tally.rows_read == 0:
                raise FileRejected("empty_file", f"{name}: a header but no data rows")
            notes = _notes(tally, opened.ignored)
            load_audit.lock_for_commit(conn)
            conn.execute(
                "update audit.loads set status = 'loaded', profile = %s, source_kind = %s, rows_read = %s,"
                " rows_loaded = %s, rows_rejected = %s, finished_at = now(), error = %s where load_id = %s",
                (profile.name, profile.source_kind, tally.rows_read, tally.rows_loaded, tally.rows_rejected,
                 notes, load_id),
            )
    except FileRejected as exc:
        return _reject_file(conn, path, name, load_id, profile, exc, tally.rows_read, started)
    finally:
        if sink is not None:
            sink.close()
    return LoadResult(path, load_id, profile.name, "loaded", tally.rows_read, tally.rows_loaded, tally.rows_rejected,
                      notes, time.monotonic() - started, tally.counts, name=name, rows_ignored=dict(opened.ignored),
                      target_table=profile.target_table)


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} x{n}" for code, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _dry_run(path, name, opened, profile, early_rejection, hasher, province, progress, started,
             budget: intake.TimeBudget) -> LoadResult:
    profile_name = profile.name if profile else None
    if early_rejection is not None:
        message = storable(f"{early_rejection.reason_code}: {early_rejection.message}")
        status = "failed" if early_rejection.reason_code == "internal_error" else "rejected"
        return LoadResult(path, None, profile_name, status, error=message, name=name)
    sink = _Sink(0, None)
    tally = _Tally()
    try:
        mapper = RecordMapper(profile, hasher, province, _file_check(opened, profile, province, name))
        with budget.active():
            tally = _stream(opened, mapper, _Redactor(profile, hasher), sink, progress)
        if tally.rows_read == 0:
            raise FileRejected("empty_file", f"{name}: a header but no data rows")
    except FileRejected as exc:
        return LoadResult(path, None, profile_name, "rejected", tally.rows_read, 0, tally.rows_read,
                          error=storable(f"{exc.reason_code}: {exc.message}"), name=name)
    except Exception as exc:
        log.exception("reading %s failed", name)
        return LoadResult(path, None, profile_name, "failed", tally.rows_read,
                          error=storable(f"internal_error: {type(exc).__name__}: {exc}"), name=name)
    finally:
        sink.close()
    return LoadResult(path, None, profile_name, "dry-run", tally.rows_read, tally.rows_loaded, tally.rows_rejected,
                      _notes(tally, opened.ignored), time.monotonic() - started, tally.counts, name=name,
                      rows_ignored=dict(opened.ignored))


# ---- planner statistics after a batch --------------------------------------------------------
# ANALYZE a raw table once a batch has added more rows than autovacuum would wait for (its
# defaults: 50 rows plus 10 % of the table). Without it a server whose autovacuum is off or
# behind plans the next build on the old row counts (485k new dossiers: a 13.5 min build).
ANALYZE_MIN_ROWS = 50
ANALYZE_TABLE_SHARE = 0.1
ANALYZE_LOCK_SECONDS = 10
ANALYZED_WITH = {"portal_dossiers": ("portal_dossiers", "portal_dossier_events")}


def refresh_statistics(warehouse_url: str, results: list[LoadResult]) -> list[str]:
    """ANALYZE the raw tables a batch added many rows to (after its commits, holding no ingest lock);
    returns the tables analyzed. A table another session is vacuuming or analyzing is left to it."""
    added: dict[str, int] = {}
    for result in results:
        if result.status in ("loaded", "quarantined") and result.target_table and result.rows_loaded:
            added[result.target_table] = added.get(result.target_table, 0) + result.rows_loaded
    if not added:
        return []
    analyzed: list[str] = []
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("select set_config('lock_timeout', %s, false)", (f"{ANALYZE_LOCK_SECONDS * 1000}ms",))
        for table, rows in added.items():
            known = conn.execute("select greatest(reltuples, 0) from pg_class where oid = to_regclass(%s)",
                                 (f"raw.{table}",)).fetchone()
            if known is None or rows <= ANALYZE_MIN_ROWS + ANALYZE_TABLE_SHARE * known[0]:
                continue
            for name in ANALYZED_WITH.get(table, (table,)):
                try:
                    conn.execute(sql.SQL("analyze {}").format(sql.Identifier("raw", name)))
                    analyzed.append(f"raw.{name}")
                except psycopg.errors.LockNotAvailable:
                    log.info("raw.%s is being vacuumed or analyzed by another session; not analyzed now", name)
    return analyzed
