"""audit.loads bookkeeping: start a load, detect duplicates, finish it, sweep abandoned loads.

Connections passed here are in autocommit mode; each step commits in its own transaction block.
A load's 'started' row commits on its own, before any data, so a crash leaves a visible trace.
The row names the server session that loads it (loader_pid, loader_backend_start); a 'started'
load whose session is gone was abandoned, and the next run marks it 'failed'.

Duplicates are decided by the load key: the content hash plus what else decides the result
(load_key below). Loads commit one at a time under a lock on audit.ingest_lock, which only etl
and the owner can take (ingest/ddl/010_load_keys_and_ingest_lock.sql): files are read before,
outside it, so a slow file never holds up the others, and no read-only role can stall a load.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime

import psycopg

log = logging.getLogger(__name__)

LIVE_STATUSES = ("started", "loaded", "quarantined")
INGEST_LOCK_WAIT_SECONDS = 3600.0
_LOCK_INGEST = "lock table audit.ingest_lock in exclusive mode"
_LOCK_INGEST_NOWAIT = "lock table audit.ingest_lock in exclusive mode nowait"


def load_key(file_sha256: str, *, reload: bool = False, **arguments: str | None) -> str:
    """What makes two loads the same: the content and the arguments that change the result.

    Portal exports pass profile= and province=; index publications reader=, index= and
    edition=. reload=True makes the key unique, so the same content loads again on purpose."""
    key = file_sha256 + "".join(f"|{name}={value or ''}" for name, value in arguments.items())
    if reload:
        key += f"|reload={datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}"
    return key


def start_load(
    conn: psycopg.Connection,
    *,
    source_kind: str,
    profile: str | None,
    file_name: str,
    file_path: str,
    file_sha256: str,
    file_bytes: int | None,
    province_code: str | None,
    run_id: str | None,
    key: str | None = None,
) -> tuple[int, int | None]:
    """Insert the 'started' row. Returns (load_id, duplicate_of); duplicate_of is set when a live
    load has the same key (then the row is recorded as 'duplicate' and finished at once).

    key defaults to load_key(file_sha256, profile=profile, province=province_code)."""
    key = key or load_key(file_sha256, profile=profile, province=province_code)
    columns = (source_kind, profile, file_name, file_path, file_sha256, file_bytes, province_code, run_id, key)
    with conn.transaction():
        previous = _live_load(conn, key)
        if previous is None:
            try:
                with conn.transaction():
                    return conn.execute(
                        "insert into audit.loads (source_kind, profile, file_name, file_path, file_sha256, file_bytes,"
                        " province_code, run_id, load_key, status, loader_pid, loader_backend_start)"
                        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'started', pg_backend_pid(),"
                        " (select backend_start from pg_stat_activity where pid = pg_backend_pid()))"
                        " returning load_id",
                        columns,
                    ).fetchone()[0], None
            except psycopg.errors.UniqueViolation:
                # Another process started the same file between our check and insert.
                previous = _live_load(conn, key)
        load_id = conn.execute(
            "insert into audit.loads (source_kind, profile, file_name, file_path, file_sha256, file_bytes,"
            " province_code, run_id, load_key, status, duplicate_of, rows_read, rows_loaded, rows_rejected,"
            " finished_at, error)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'duplicate', %s, 0, 0, 0, now(), %s) returning load_id",
            (*columns, previous, f"same file content and arguments as load {previous}; skipped"),
        ).fetchone()[0]
        return load_id, previous


def _live_load(conn: psycopg.Connection, key: str) -> int | None:
    row = conn.execute("select load_id from audit.loads where load_key = %s and status = any(%s)"
                       " order by load_id limit 1", (key, list(LIVE_STATUSES))).fetchone()
    return row[0] if row else None


def in_progress(conn: psycopg.Connection, load_id: int) -> bool:
    """Whether a load is still being read by a live session (another ingest of the same file)."""
    return conn.execute("select status = 'started' from audit.loads where load_id = %s",
                        (load_id,)).fetchone() == (True,)


_SWEEP = (
    "update audit.loads as l set status = 'failed', finished_at = now(),"
    " error = 'abandoned: the loading process stopped before committing (nothing of it is in raw)'"
    " where l.status = 'started' and not exists ("
    "   select 1 from pg_stat_activity as a where a.pid = l.loader_pid"
    "   and (a.backend_start is null or l.loader_backend_start is null"
    "        or a.backend_start = l.loader_backend_start))"
    " returning l.load_id"
)
# A session that has just closed may still be listed for a moment while its server process exits.
SWEEP_RECHECK_SECONDS = 0.3


def sweep_abandoned_loads(conn: psycopg.Connection) -> list[int]:
    """Mark 'started' loads whose loading session is gone as 'failed'; returns their ids.

    A session is recognised by its pid and start time (the start time of another role's session
    is hidden: then the pid alone keeps the load alive)."""
    failed = [row[0] for row in conn.execute(_SWEEP)]
    if conn.execute("select exists (select 1 from audit.loads where status = 'started')").fetchone()[0]:
        time.sleep(SWEEP_RECHECK_SECONDS)
        failed += [row[0] for row in conn.execute(_SWEEP)]
    for load_id in failed:
        log.warning("load %s was abandoned by a crashed process; marked failed", load_id)
    return failed


def lock_for_commit(conn: psycopg.Connection, wait_seconds: float = INGEST_LOCK_WAIT_SECONDS) -> None:
    """Inside the committing transaction: wait (at most wait_seconds) for the warehouse ingest lock,
    held until that transaction ends."""
    conn.execute("select set_config('lock_timeout', %s, true)", (f"{int(wait_seconds * 1000)}ms",))
    try:
        conn.execute(_LOCK_INGEST)
    except psycopg.errors.LockNotAvailable:
        raise TimeoutError(
            f"another ingest kept the warehouse ingest lock for over {wait_seconds:.0f}s; "
            "see `parwh status` for the running load"
        ) from None
    conn.execute("select set_config('lock_timeout', '0', true)")


@contextlib.contextmanager
def exclusive_ingest(warehouse_url: str, wait_seconds: float = INGEST_LOCK_WAIT_SECONDS):
    """Hold the warehouse-wide ingest lock for the block: no load commits meanwhile.

    Waits for a committing ingest to finish; gives up with a clear error after wait_seconds."""
    with psycopg.connect(warehouse_url) as conn:
        # The lock lives as long as this transaction; a server-wide idle timeout must not end it.
        conn.execute("set idle_in_transaction_session_timeout = 0")
        try:
            conn.execute(_LOCK_INGEST_NOWAIT)
        except psycopg.errors.LockNotAvailable:
            conn.rollback()
            log.warning("another ingest holds the warehouse ingest lock; waiting up to %.0fs", wait_seconds)
            conn.execute("set idle_in_transaction_session_timeout = 0")
            lock_for_commit(conn, wait_seconds)
        try:
            yield
        finally:
            conn.rollback()


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
