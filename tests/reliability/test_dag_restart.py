"""The warehouse restarted in the middle of a real DAG run (`airflow dags test portal_ingest`): the
load task loses its connection mid-COPY, fails, is retried by Airflow (PARWH_TASK_RETRIES,
PARWH_RETRY_DELAY_SECONDS) and the run completes with the file loaded exactly once.

The warehouse here is a PostgreSQL server of the test's own, so restarting it disturbs nobody.
(The nightly DAG's dbt tasks take minutes; the ingest DAG has the same retry policy and the task
where a restart can hurt most: the one writing raw data.)"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from ingest import airflow_env, migrate

from .helpers import loads_by_file, raw_counts, write_export
from .scratch_server import ScratchServer

pytestmark = [pytest.mark.warehouse, pytest.mark.airflow]

ROWS = 150_000   # a few seconds of COPY: the restart lands inside it


@pytest.fixture
def scratch_warehouse():
    server = ScratchServer()
    try:
        url = server.database("parwh_restart")
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)
        yield server, url
    finally:
        server.remove()


def _wait_for_copy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 150.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError("the DAG run ended before its COPY was seen:\n" + log.read_text()[-5000:])
            if conn.execute("select 1 from pg_stat_activity where state = 'active'"
                            " and query ilike 'copy %%raw%%portal_dossiers%%from stdin%%'").fetchone():
                return
            time.sleep(0.05)
    raise AssertionError("the DAG's COPY never showed in pg_stat_activity")


def test_warehouse_restart_during_a_dag_run_is_retried_and_the_run_completes(scratch_warehouse, tmp_path,
                                                                              reliability):
    server, url = scratch_warehouse
    with reliability.fault("warehouse restarted during a DAG run"):
        home = tmp_path
        (home / "landing").mkdir()
        write_export(home / "landing" / "export.csv", ROWS, "DAG")
        env = airflow_env.airflow_environment(url, airflow_home=home / "airflow")
        env.update({"PARWH_HOME": str(home), "PARWH_PII_KEY": "restart-test-key", "PARWH_TASK_RETRIES": "3",
                    "PARWH_RETRY_DELAY_SECONDS": "1"})
        airflow_env.migrate_metadata(env)
        logical = datetime(2026, 11, 21, 3, 0, tzinfo=UTC).isoformat()
        log = home / "dags_test.log"    # a file, not a pipe: a full pipe would stall the run being watched
        with log.open("w") as sink:
            proc = subprocess.Popen([*airflow_env.airflow_command(), "dags", "test", "portal_ingest", logical],
                                    env=env, stdout=sink, stderr=subprocess.STDOUT)
            try:
                _wait_for_copy(url, proc, log)
                server.restart()
                proc.wait(timeout=300)
            finally:
                if proc.poll() is None:
                    proc.kill()
        output = log.read_text(encoding="utf-8", errors="replace")
        assert proc.returncode == 0, output[-8000:]

        with sqlite3.connect(home / "airflow" / "airflow.db") as meta:
            run_state = meta.execute("select state from dag_run where dag_id = 'portal_ingest'").fetchall()
            tries = meta.execute("select task_id, state, try_number from task_instance"
                                 " where dag_id = 'portal_ingest' and task_id = 'load_portal_file'").fetchall()
        assert run_state == [("success",)]
        assert [(task, state) for task, state, _ in tries] == [("load_portal_file", "success")]
        assert tries[0][2] >= 2, f"the load task succeeded on a retry, not at once: {tries}"

        statuses = [status for status, _ in loads_by_file(url)["export.csv"]]
        assert statuses == ["failed", "loaded"], "the interrupted load is marked failed, the retry loads the file"
        total, distinct = raw_counts(url)
        assert total == distinct == ROWS, "exactly once"
        assert [p.name for p in (home / "archive").rglob("*.csv")] == ["export.csv"]
        reliability.rows_lost(ROWS - total)
