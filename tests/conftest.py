"""Shared fixtures. Database tests create their own database on the warehouse server
(WAREHOUSE_URL's server when set, else the embedded PostgreSQL) and drop it afterwards,
so they never depend on leftovers and can run against PostgreSQL 15 and the embedded 18."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from ingest import migrate, warehouse


def _server_admin_url() -> str:
    return os.environ.get("WAREHOUSE_URL") or warehouse.start_embedded()


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _server_admin_url()


def create_database(admin_url: str, prefix: str = "parwh_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return name


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def fresh_database(admin_url: str) -> Iterator[str]:
    """URL of a new, migrated, empty warehouse database; dropped after the test."""
    name = create_database(admin_url)
    url = warehouse.with_database(admin_url, name)
    with psycopg.connect(url) as conn:
        migrate.migrate(conn)
    try:
        yield url
    finally:
        drop_database(admin_url, name)
