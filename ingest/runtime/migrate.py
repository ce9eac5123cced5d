"""Versioned, idempotent DDL: applies ingest/runtime/ddl/NNN_*.sql once each, in order.

Every command migrates first, so when nothing is pending no lock is taken at all: an advisory
lock is open to every role, and a read-only one holding it must not stall the loader. Migrators
serialise on the lock only while something is to be applied, and wait for it at most
MIGRATION_LOCK_WAIT_SECONDS.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

DDL_DIR = Path(__file__).with_name("ddl")
# Any constant works; it serialises concurrent migrators on the same database.
MIGRATION_LOCK_KEY = 0x7061727768  # "parwh"
MIGRATION_LOCK_WAIT_SECONDS = 600


def _applied(conn: psycopg.Connection) -> set[str] | None:
    """The migrations applied so far; None before the first one."""
    if conn.execute("select to_regclass('audit.schema_migrations')").fetchone()[0] is None:
        return None
    return {row[0] for row in conn.execute("select version from audit.schema_migrations")}


def migration_files() -> list[Path]:
    return sorted(DDL_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied now."""
    applied_now: list[str] = []
    with conn.transaction():
        done = _applied(conn)
        if done is not None and all(path.stem in done for path in migration_files()):
            return applied_now
    with conn.transaction():
        conn.execute("select set_config('lock_timeout', %s, true)", (f"{MIGRATION_LOCK_WAIT_SECONDS * 1000}ms",))
        conn.execute("select pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        conn.execute("select set_config('lock_timeout', '0', true)")
        conn.execute("create schema if not exists audit")
        conn.execute(
            "create table if not exists audit.schema_migrations ("
            " version text primary key, applied_at timestamptz not null default now())"
        )
        done = {row[0] for row in conn.execute("select version from audit.schema_migrations")}
        for path in migration_files():
            if path.stem in done:
                continue
            log.info("applying warehouse migration %s", path.name)
            conn.execute(path.read_text(encoding="utf-8"))
            conn.execute("insert into audit.schema_migrations (version) values (%s)", (path.stem,))
            applied_now.append(path.stem)
    return applied_now
