"""The loader needs no more than the `etl` role: a real ingest logged in as etl works, and etl cannot
drop what it writes into, create roles or read past its schemas' grants. (What bi_reader and auditor
may read is tests/warehouse/test_bi_access.py.)"""

from __future__ import annotations

import psycopg
import pytest

from ingest.landing import loader
from ingest.runtime import warehouse

from .helpers import write_export

pytestmark = pytest.mark.warehouse


def test_an_ingest_runs_as_etl_and_etl_cannot_do_more(fresh_database, tmp_path, monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "etl-role-test")
    as_etl = warehouse.with_credentials(fresh_database, "etl", None)
    with psycopg.connect(as_etl) as conn:
        assert conn.execute("select current_user, rolsuper from pg_roles where rolname = current_user"
                            ).fetchone() == ("etl", False)
    result = loader.land_file(as_etl, write_export(tmp_path / "etl.csv", 100, "ETL"))
    assert (result.status, result.rows_loaded) == ("loaded", 100), result.error
    for statement in ["drop table raw.portal_dossiers", "truncate audit.loads", "create role intruder",
                      "alter table audit.loads disable trigger all", "create database intruder"]:
        with psycopg.connect(as_etl, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
