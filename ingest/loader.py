"""Land one file: audit row, stream records through the profile into COPY, reject bad rows.

The 'started' audit row commits first. The raw rows, the events, the rejected rows and the
final status then commit together in one transaction, so a crash leaves nothing partial.
Every record read is either loaded or rejected: rows_read = rows_loaded + rows_rejected.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ingest import audit, profiles, readers
from ingest.pii import Hasher, load_key
from ingest.records import EVENT_COLUMNS, TARGET_COLUMNS, RecordMapper, RowRejection
from ingest.text import fold

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (bytes read so far, file size)


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

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "duplicate", "dry-run")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _choose_profile(opened: readers.OpenedFile, name: str | None) -> profiles.Profile:
    if name:
        profile = profiles.get_profile(name)
        if profile.format != opened.format:
            raise readers.FileRejected(
                "profile_format_mismatch", f"profile {name} reads {profile.format} files, this file is {opened.format}"
            )
        return profile
    try:
        return profiles.detect(opened.format, opened.headers)
    except profiles.ProfileError as exc:
        raise readers.FileRejected("unknown_layout", str(exc)) from None


def _redacted(record: dict[str, Any], profile: profiles.Profile, hasher: Hasher) -> dict[str, Any]:
    """The original record for audit.rejected_rows, personal data replaced by its hash."""
    clean = {k: v for k, v in record.items() if not k.startswith("__")}
    for aliases in profile.personal_data.values():
        for alias in aliases:
            for key in list(clean):
                if fold(key) == fold(alias) and isinstance(clean[key], str):
                    clean[key] = hasher(clean[key])
    for spec in profile.events.values():
        items = clean.get(spec.get("field", ""))
        if isinstance(items, list):
            sources = {spec["columns"][c] for c in spec.get("personal_data", [])}
            clean[spec["field"]] = [
                {k: (hasher(v) if k in sources and isinstance(v, str) else v) for k, v in item.items()}
                if isinstance(item, dict) else item
                for item in items
            ]
    if "__line__" in record:
        clean["line"] = record["__line__"][:2000]
    return clean


class _Spool:
    """Rows for a second COPY, spooled to a temporary CSV file so memory stays flat."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file)
        self.count = 0

    def add(self, row: list[Any]) -> None:
        self.writer.writerow(["" if v is None else v for v in row])
        self.count += 1

    def copy_into(self, conn: psycopg.Connection, table: sql.Composable, columns: list[str]) -> None:
        if not self.count:
            return
        self.file.seek(0)
        statement = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
            table, sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with conn.cursor().copy(statement) as copy:
            while chunk := self.file.read(1 << 20):
                copy.write(chunk)

    def close(self) -> None:
        self.file.close()


def land_file(
    warehouse_url: str,
    path: Path,
    *,
    profile_name: str | None = None,
    province: str | None = None,
    run_id: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> LoadResult:
    """Load one file into raw; always returns a result, never raises for a bad file."""
    started = time.monotonic()
    path = Path(path)
    hasher = Hasher(load_key())
    try:
        opened = readers.open_file(path)
        profile = _choose_profile(opened, profile_name)
    except readers.FileRejected as exc:
        opened, profile, early_rejection = None, None, exc
    else:
        early_rejection = None
    if dry_run:
        return _dry_run(path, opened, profile, early_rejection, hasher, province, started)

    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        audit.sweep_abandoned_loads(conn)
        load_id, duplicate_of = audit.start_load(
            conn,
            source_kind=profile.source_kind if profile else "unknown",
            profile=profile.name if profile else profile_name,
            file_name=path.name,
            file_path=str(path.resolve()),
            file_sha256=sha256_of(path),
            file_bytes=path.stat().st_size,
            province_code=province,
            run_id=run_id,
        )
        if duplicate_of is not None:
            return LoadResult(path, load_id, profile.name if profile else None, "duplicate",
                              error=f"same content as load {duplicate_of}", seconds=time.monotonic() - started)
        try:
            if early_rejection is not None:
                return _reject_file(conn, path, load_id, profile, early_rejection, 0, started)
            return _copy_records(conn, path, load_id, opened, profile, hasher, province, progress, started)
        finally:
            audit.release(conn, load_id)


def _reject_file(conn, path, load_id, profile, exc: readers.FileRejected, rows_read: int, started) -> LoadResult:
    message = f"{exc.reason_code}: {exc.message}"
    with conn.transaction():
        conn.execute(
            "update audit.loads set status = 'rejected', rows_read = %s, rows_loaded = 0, rows_rejected = %s,"
            " error = %s, finished_at = now() where load_id = %s",
            (rows_read, rows_read, message, load_id),
        )
    log.warning("rejected %s: %s", path.name, message)
    return LoadResult(path, load_id, profile.name if profile else None, "rejected", rows_read, 0, rows_read,
                      message, time.monotonic() - started)


def _file_check(opened, profile, province, path) -> RecordMapper:
    header_map = profile.header_map(opened.headers)
    missing = profile.missing_required(header_map)
    if missing:
        raise readers.FileRejected(
            "missing_required_column",
            f"{path.name}: required column(s) {', '.join(missing)} not found in the header "
            f"(profile {profile.name}; accepted names: "
            + "; ".join(f"{c}: {' / '.join(profile.columns[c])}" for c in missing) + ")",
        )
    if profile.target_table == "portal_dossiers" and "gso_code" not in header_map and not province:
        raise readers.FileRejected(
            "missing_province",
            f"{path.name}: the file has no province column; pass --province GSO_CODE "
            "(the province is never guessed from names)",
        )
    return header_map


def _copy_records(conn, path, load_id, opened, profile, hasher, province, progress, started) -> LoadResult:
    columns = TARGET_COLUMNS[profile.target_table]
    table = sql.Identifier("raw", profile.target_table)
    events, rejections = _Spool(), _Spool()
    counts: dict[str, int] = {}
    rows_read = rows_loaded = 0
    try:
        header_map = _file_check(opened, profile, province, path)
        mapper = RecordMapper(profile, hasher, province, header_map)
        with conn.transaction():
            copy_sql = sql.SQL("copy {} ({}) from stdin").format(
                table, sql.SQL(", ").join(map(sql.Identifier, ["_load_id", "_row_number", *columns]))
            )
            size = path.stat().st_size
            with conn.cursor().copy(copy_sql) as copy:
                for number, record in opened.records:
                    rows_read += 1
                    try:
                        mapped = mapper.map(record)
                    except RowRejection as exc:
                        counts[exc.reason_code] = counts.get(exc.reason_code, 0) + 1
                        rejections.add([load_id, number, exc.reason_code, f"row {number}: {exc.reason}",
                                        json.dumps(_redacted(record, profile, hasher), ensure_ascii=False)])
                        continue
                    copy.write_row([load_id, number, *(mapped.values[c] for c in columns)])
                    rows_loaded += 1
                    for kind, seq, event in mapped.events:
                        events.add([load_id, number, kind, seq, mapped.values.get("dossier_code"),
                                    *(event.get(c) for c in EVENT_COLUMNS)])
                    if progress and rows_read % 50_000 == 0:
                        progress(rows_read, size)
            events.copy_into(conn, sql.Identifier("raw", "portal_dossier_events"),
                             ["_load_id", "_row_number", "event_kind", "event_seq", "dossier_code", *EVENT_COLUMNS])
            rejections.copy_into(conn, sql.Identifier("audit", "rejected_rows"),
                                 ["load_id", "row_number", "reason_code", "reason", "record"])
            if rows_read == 0:
                raise readers.FileRejected("empty_file", f"{path.name}: a header but no data rows")
            conn.execute(
                "update audit.loads set status = 'loaded', profile = %s, source_kind = %s, rows_read = %s,"
                " rows_loaded = %s, rows_rejected = %s, finished_at = now(), error = %s where load_id = %s",
                (profile.name, profile.source_kind, rows_read, rows_loaded, rows_read - rows_loaded,
                 _summary(counts) or None, load_id),
            )
    except readers.FileRejected as exc:
        return _reject_file(conn, path, load_id, profile, exc, rows_read, started)
    finally:
        events.close()
        rejections.close()
    return LoadResult(path, load_id, profile.name, "loaded", rows_read, rows_loaded, rows_read - rows_loaded,
                      _summary(counts) or None, time.monotonic() - started, counts)


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} x{n}" for code, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _dry_run(path, opened, profile, early_rejection, hasher, province, started) -> LoadResult:
    name = profile.name if profile else None
    if early_rejection is not None:
        message = f"{early_rejection.reason_code}: {early_rejection.message}"
        return LoadResult(path, None, name, "rejected", error=message)
    counts: dict[str, int] = {}
    rows_read = rows_loaded = 0
    try:
        mapper = RecordMapper(profile, hasher, province, _file_check(opened, profile, province, path))
        for _, record in opened.records:
            rows_read += 1
            try:
                mapper.map(record)
                rows_loaded += 1
            except RowRejection as exc:
                counts[exc.reason_code] = counts.get(exc.reason_code, 0) + 1
    except readers.FileRejected as exc:
        return LoadResult(path, None, name, "rejected", rows_read, error=f"{exc.reason_code}: {exc.message}")
    return LoadResult(path, None, name, "dry-run", rows_read, rows_loaded, rows_read - rows_loaded,
                      _summary(counts) or None, time.monotonic() - started, counts)
