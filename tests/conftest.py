"""Shared fixtures. Database tests create their own database on the warehouse server
(WAREHOUSE_URL's server when set, else the embedded PostgreSQL) and drop it afterwards,
so they never depend on leftovers and can run against PostgreSQL 15 and the embedded 18."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ingest.runtime import migrate, warehouse

pytest_plugins = ["tests.reliability.summary", "pytester"]

# Airflow reads its configuration at import: give the test session its own home and SQLite
# metadata so tests never touch a developer's .local/airflow.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="parwh-test-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(warehouse.paths().root / "dags")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files that run real Airflow DAGs first, then the other warehouse files, then the rest, each
    file's tests kept together and in order. `make test` hands whole files to its workers in this
    order (--dist loadfile --no-loadscope-reorder): the longest files start first instead of being
    left to the end, when the other worker has nothing left to run beside them.

    A test that uses the warehouse server must say so (`warehouse` marker): the PostgreSQL 15 pass
    of CI selects tests by it."""
    unmarked = [item.nodeid for item in items
                if "admin_url" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("warehouse")]
    if unmarked:
        raise pytest.UsageError("tests using the warehouse server without the `warehouse` marker: "
                                + ", ".join(unmarked))

    def rank(item: pytest.Item) -> int:
        return 0 if item.get_closest_marker("airflow") else 1 if item.get_closest_marker("warehouse") else 2

    file_rank: dict[Path, int] = {}
    for item in items:
        file_rank[item.path] = min(file_rank.get(item.path, 2), rank(item))
    items.sort(key=lambda item: file_rank[item.path])


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


def insert_row(conn: psycopg.Connection, table: str, row: dict[str, Any]) -> None:
    """Insert one row given as {column: value} into schema.table (names quoted as identifiers)."""
    schema, name = table.split(".")
    conn.execute(
        sql.SQL("insert into {} ({}) values ({})").format(
            sql.Identifier(schema, name),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        ),
        list(row.values()),
    )


@contextlib.contextmanager
def new_database(admin_url: str) -> Iterator[str]:
    """URL of a new, migrated, empty warehouse database; dropped afterwards."""
    name = create_database(admin_url)
    try:
        url = warehouse.with_database(admin_url, name)
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)
        yield url
    finally:
        drop_database(admin_url, name)


@pytest.fixture
def fresh_database(admin_url: str) -> Iterator[str]:
    """URL of a new, migrated, empty warehouse database; dropped after the test."""
    with new_database(admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def dbt_manifest() -> str:
    """dbt_project/target/manifest.json, which the cosmos task group renders the DAG from."""
    from ingest.runtime import dbt_runner

    project = warehouse.paths().dbt_project
    manifest = project / "target" / "manifest.json"
    # Parallel test workers (pytest -n) share dbt_project/target: one parses at a time, and a
    # manifest newer than every project file is not rewritten under a DAG another worker runs.
    with open(Path(tempfile.gettempdir()) / "parwh-dbt-parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sources = [p for folder in ("models", "macros", "seeds", "tests") for p in (project / folder).rglob("*")]
        newest = max(p.stat().st_mtime for p in [*sources, project / "dbt_project.yml"] if p.is_file())
        if not manifest.exists() or manifest.stat().st_mtime <= newest:
            dbt_runner.run_dbt(["parse"], warehouse.embedded_url_without_starting())
    return str(manifest)


def _shared_session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this test session sees (pytest-xdist workers have their own basetemp
    inside the session's), and no other session does."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def airflow_metadata(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, str]], None]:
    """install(env): a migrated Airflow metadata database at env's AIRFLOW_HOME/airflow.db.

    `airflow db migrate` of an empty SQLite file takes ~10 s; it runs once per session, into a
    template that each DAG test copies (the migrated file holds no path, name or URL of its own)."""
    from ingest.runtime import airflow_env

    shared = _shared_session_dir(tmp_path_factory)
    template = shared / "airflow-metadata-template.db"
    with open(shared / "airflow-metadata-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            home = Path(tempfile.mkdtemp(prefix="airflow-template-", dir=shared))
            env = airflow_env.airflow_environment("postgresql://template.invalid/unused", airflow_home=home)
            airflow_env.migrate_metadata(env)
            (home / "airflow.db").rename(template)
            shutil.rmtree(home)

    def install(env: dict[str, str]) -> None:
        home = Path(env["AIRFLOW_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, home / "airflow.db")

    return install
