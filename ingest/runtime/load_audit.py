"""audit.loads bookkeeping: start a load, detect duplicates, finish it, sweep abandoned loads.

Connections passed here are in autocommit mode; each step commits in its own transaction block.
A load's 'started' row commits on its own, before any data, so a crash leaves a visible trace.
The loading session holds an advisory lock on the load id for its whole life; a 'started'
load whose lock nobody holds was abandoned, and the next run marks it 'failed'.
"""

from __future__ import annotations

import contextlib
import logging

import psycopg

log = logging.getLogger(__name__)

LOAD_LOCK_CLASS = 7301  # advisory-lock namespace for load ids


def start_load(
    conn: psycopg.Connection,
    *,
    source_kind: str,
    profile: str | None,
    file_name: str,
    file_path: str,
    file_sha256: str,
    file_bytes: int,
    province_code: str | None,
    run_id: str | None,
) -> tuple[int, int | None]:
    """Insert the 'started' row. Returns (load_id, duplicate_of); duplicate_of is set when the same
    bytes are already loaded (then the row is recorded as 'duplicate' and finished at once)."""
    with conn.transaction():
        previous = conn.execute(
            "select load_id from audit.loads where file_sha256 = %s and status in ('started', 'loaded', 'quarantined')"
            " order by load_id limit 1",
            (file_sha256,),
        ).fetchone()
        columns = (source_kind, profile, file_name, file_path, file_sha256, file_bytes, province_code, run_id)
        if previous is None:
            try:
                with conn.transaction():
                    load_id = conn.execute(
                        "insert into audit.loads (source_kind, profile, file_name, file_path, file_sha256, file_bytes,"
                        " province_code, run_id, status) values (%s, %s, %s, %s, %s, %s, %s, %s, 'started')"
                        " returning load_id",
                        columns,
                    ).fetchone()[0]
                conn.execute("select pg_advisory_lock(%s, %s)", (LOAD_LOCK_CLASS, load_id))
                return load_id, None
            except psycopg.errors.UniqueViolation:
                # Another process started the same file between our check and insert.
                previous = conn.execute(
                    "select load_id from audit.loads where file_sha256 = %s"
                    " and status in ('started', 'loaded', 'quarantined') order by load_id limit 1",
                    (file_sha256,),
                ).fetchone()
        load_id = conn.execute(
            "insert into audit.loads (source_kind, profile, file_name, file_path, file_sha256, file_bytes,"
            " province_code, run_id, status, duplicate_of, rows_read, rows_loaded, rows_rejected, finished_at, error)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, 'duplicate', %s, 0, 0, 0, now(), %s) returning load_id",
            (*columns, previous[0], f"same file content as load {previous[0]}; skipped"),
        ).fetchone()[0]
        return load_id, previous[0]


def release(conn: psycopg.Connection, load_id: int) -> None:
    conn.execute("select pg_advisory_unlock(%s, %s)", (LOAD_LOCK_CLASS, load_id))


def sweep_abandoned_loads(conn: psycopg.Connection) -> list[int]:
    """Mark 'started' loads whose owner is gone as 'failed'; returns their ids."""
    failed: list[int] = []
    started = conn.execute("select load_id from audit.loads where status = 'started'").fetchall()
    for (load_id,) in started:
        got_lock = conn.execute("select pg_try_advisory_lock(%s, %s)", (LOAD_LOCK_CLASS, load_id)).fetchone()[0]
        if not got_lock:
            continue  # a live session is still loading it
        try:
            with conn.transaction():
                updated = conn.execute(
                    "update audit.loads set status = 'failed', finished_at = now(),"
                    " error = 'abandoned: the loading process stopped before committing (nothing of it is in raw)'"
                    " where load_id = %s and status = 'started'",
                    (load_id,),
                ).rowcount
            if updated:
                failed.append(load_id)
                log.warning("load %s was abandoned by a crashed process; marked failed", load_id)
        finally:
            release(conn, load_id)
    return failed


INGEST_LOCK_KEY = 7302  # one ingest at a time per warehouse


@contextlib.contextmanager
def exclusive_ingest(warehouse_url: str, wait_seconds: float = 3600.0):
    """Hold the warehouse-wide ingest lock, so two ingests (DAG and CLI, or two runs) never interleave.

    Waits for a running ingest to finish; gives up with a clear error after wait_seconds.
    """
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        if not conn.execute("select pg_try_advisory_lock(%s)", (INGEST_LOCK_KEY,)).fetchone()[0]:
            log.warning("another ingest holds the warehouse ingest lock; waiting up to %.0fs", wait_seconds)
            conn.execute("select set_config('lock_timeout', %s, false)", (f"{int(wait_seconds * 1000)}ms",))
            try:
                conn.execute("select pg_advisory_lock(%s)", (INGEST_LOCK_KEY,))
            except psycopg.errors.LockNotAvailable:
                raise TimeoutError(
                    f"another ingest kept the warehouse ingest lock for over {wait_seconds:.0f}s; "
                    "see `parwh status` for the running load"
                ) from None
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (INGEST_LOCK_KEY,))


def record_key_fingerprint(conn: psycopg.Connection, load_id: int, fingerprint: str) -> str | None:
    """Store the fingerprint of the personal-data key a load hashes with. When the previous load with
    rows used another key, returns a note saying so: the same person now hashes differently."""
    previous = conn.execute(
        "select load_id, pii_key_fingerprint from audit.loads where load_id < %s and pii_key_fingerprint is not null"
        " and status in ('loaded', 'quarantined') order by load_id desc limit 1",
        (load_id,),
    ).fetchone()
    conn.execute("update audit.loads set pii_key_fingerprint = %s where load_id = %s", (fingerprint, load_id))
    if previous is None or previous[1] == fingerprint:
        return None
    return (f"pii_key_changed: personal data hashed with key {fingerprint}, load {previous[0]} with key "
            f"{previous[1]}: the same person has other hashes now (restore the previous PARWH_PII_KEY, or "
            "reload the earlier files with this one)")
