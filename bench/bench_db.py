"""Scratch databases for the benchmarks: created on the warehouse server (WAREHOUSE_URL's, else
the embedded one) and dropped afterwards, as the tests do with theirs."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.runtime import migrate, warehouse  # noqa: E402


def admin_url() -> str:
    return os.environ.get("WAREHOUSE_URL") or warehouse.start_embedded()


def scratch_database(admin: str, prefix: str, *, migrated: bool = True) -> tuple[str, str]:
    """(name, url) of a new database `<prefix>_<random>`, with the warehouse DDL applied when migrated."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = warehouse.with_database(admin, name)
    if migrated:
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)
    return name, url


def drop_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
