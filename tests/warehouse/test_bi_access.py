"""BI access (warehouse contract): bi_reader reads marts only, auditor reads marts and audit,
neither writes anywhere, and `parwh warehouse url --role` prints a URL that logs in as the role.

Runs on a fresh migrated database (no dbt build: marts tables are created here the way dbt
creates them, by the migrating user or by etl), on the embedded server or WAREHOUSE_URL's.
"""

from __future__ import annotations

import psycopg
import pytest

from ingest.cli import main
from ingest.runtime import migrate, warehouse

# Columns that hold personal data, even hashed (ingest/landing/pii.py; raw DDL and profiles).
PERSONAL_DATA_COLUMNS = {"applicant_name_hash", "applicant_id_hash", "handler_hash"}


def readable_columns(url: str, role: str) -> set[tuple[str, str, str]]:
    """(schema, table, column) of every column the role may select, outside the system catalogs."""
    with psycopg.connect(url) as conn:
        return set(conn.execute(
            "select n.nspname, c.relname, a.attname from pg_attribute as a"
            " inner join pg_class as c on c.oid = a.attrelid"
            " inner join pg_namespace as n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'v', 'm', 'p', 'f') and a.attnum > 0 and not a.attisdropped"
            " and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%%'"
            " and has_schema_privilege(%s, n.oid, 'usage')"
            " and has_column_privilege(%s, c.oid, a.attnum, 'select')", (role, role)).fetchall())


# ---- URLs -------------------------------------------------------------------------------------
def test_role_url_of_the_embedded_server_uses_its_socket():
    url = warehouse.role_url("postgresql://postgres:@/parwh?host=/srv/pgdata", "bi_reader", environ={})
    assert url == "postgresql://bi_reader@/parwh?host=/srv/pgdata"


def test_role_url_never_carries_another_roles_password():
    configured = "postgresql://etl:etl-secret@db.example:5433/parwh?sslmode=require"
    assert warehouse.role_url(configured, "auditor", environ={}) == "postgresql://auditor@db.example:5433/parwh?sslmode=require"
    own = warehouse.role_url(configured, "bi_reader", environ={"PARWH_BI_READER_PASSWORD": "reader pw",
                                                                "PARWH_AUDITOR_PASSWORD": "other"})
    assert own == "postgresql://bi_reader:reader%20pw@db.example:5433/parwh?sslmode=require"
    assert "etl-secret" not in own


def test_unknown_role_is_a_clear_error():
    with pytest.raises(warehouse.WarehouseError, match="unknown role 'admin'.*bi_reader"):
        warehouse.role_url("postgresql://u@h/db", "admin", environ={})


def test_role_goes_with_url_only(capsys):
    assert main(["warehouse", "start", "--role", "bi_reader"]) == 2
    assert "--role goes with `parwh warehouse url`" in capsys.readouterr().err


# ---- privileges -------------------------------------------------------------------------------
@pytest.mark.warehouse
def test_warehouse_url_role_logs_in_as_that_role(fresh_database, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database)
    monkeypatch.delenv("PARWH_BI_READER_PASSWORD", raising=False)
    for role in ("bi_reader", "auditor", "etl"):
        assert main(["warehouse", "url", "--role", role]) == 0
        printed = capsys.readouterr().out.strip()
        with psycopg.connect(printed) as conn:
            assert conn.execute("select current_user").fetchone()[0] == role


@pytest.mark.warehouse
def test_migrations_apply_again_when_the_roles_already_exist(fresh_database, admin_url):
    # The roles are cluster-wide and exist already (created by this database's migration or an
    # earlier one): a second database on the same server migrates cleanly.
    from tests.conftest import create_database, drop_database

    name = create_database(admin_url)
    try:
        with psycopg.connect(warehouse.with_database(admin_url, name)) as conn:
            assert "005_bi_access" in migrate.migrate(conn)
            assert migrate.migrate(conn) == []
    finally:
        drop_database(admin_url, name)
    with psycopg.connect(fresh_database) as conn:
        logins = dict(conn.execute("select rolname, rolcanlogin from pg_roles where rolname in"
                                   " ('etl', 'bi_reader', 'auditor')").fetchall())
    assert logins == {"etl": True, "bi_reader": True, "auditor": True}


@pytest.fixture
def marts_created_later(fresh_database) -> str:
    """Two marts made after the migrations, as dbt makes them: one by the migrating user, one by etl."""
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create table marts.made_by_owner (province_key text, on_time_rate numeric)")
        conn.execute("insert into marts.made_by_owner values ('79-2025', 91.5)")
        conn.execute("set role etl")
        conn.execute("create table marts.made_by_etl (province_key text)")
        conn.execute("insert into marts.made_by_etl values ('01-2025')")
    return fresh_database


@pytest.mark.warehouse
def test_new_marts_are_readable_by_bi_reader_and_auditor(marts_created_later):
    for role in ("bi_reader", "auditor"):
        with psycopg.connect(warehouse.role_url(marts_created_later, role, environ={})) as conn:
            assert conn.execute("select province_key from marts.made_by_owner").fetchall() == [("79-2025",)]
            assert conn.execute("select province_key from marts.made_by_etl").fetchall() == [("01-2025",)]


@pytest.mark.warehouse
def test_bi_reader_reads_marts_only_and_never_personal_data(marts_created_later):
    columns = readable_columns(marts_created_later, "bi_reader")
    assert {schema for schema, _, _ in columns} == {"marts"}
    assert {table for _, table, _ in columns} == {"made_by_owner", "made_by_etl"}
    assert not {column for _, _, column in columns} & PERSONAL_DATA_COLUMNS
    # The raw tables do hold the hashed personal data that bi_reader must not reach.
    assert PERSONAL_DATA_COLUMNS & {column for _, _, column in readable_columns(marts_created_later, "etl")}
    with psycopg.connect(warehouse.role_url(marts_created_later, "bi_reader", environ={}), autocommit=True) as conn:
        for query in ("select applicant_name_hash from raw.portal_dossiers", "select * from raw.index_scores",
                      "select * from audit.loads", "select * from audit.rejected_rows"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(query)


@pytest.mark.warehouse
@pytest.mark.parametrize("statement", [
    "insert into marts.made_by_owner values ('01-2025', 1)",
    "update marts.made_by_etl set province_key = 'x'",
    "delete from marts.made_by_owner",
    "truncate marts.made_by_etl",
    "create table marts.mine (x int)",
    "create table public.mine (x int)",
    "create table raw.mine (x int)",
    "create temporary table mine (x int)",
    "insert into audit.loads (source_kind, file_name, status) values ('x', 'x', 'started')",
    "create schema mine",
])
def test_bi_reader_and_auditor_cannot_write_anywhere(marts_created_later, statement):
    for role in ("bi_reader", "auditor"):
        with psycopg.connect(warehouse.role_url(marts_created_later, role, environ={}), autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


@pytest.mark.warehouse
def test_auditor_reads_marts_and_audit_but_not_raw(marts_created_later):
    columns = readable_columns(marts_created_later, "auditor")
    assert {schema for schema, _, _ in columns} == {"marts", "audit"}
    with psycopg.connect(warehouse.role_url(marts_created_later, "auditor", environ={})) as conn:
        assert conn.execute("select count(*) from audit.loads").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from raw.portal_dossiers")
