"""The warehouse restarted in the middle of a real DAG run (`airflow dags test`), retried by Airflow
(PARWH_TASK_RETRIES, PARWH_RETRY_DELAY_SECONDS):
- portal_ingest: the load task loses its connection mid-COPY, fails, is retried, and the run
  completes with the file loaded exactly once;
- warehouse_nightly: a cosmos dbt task loses its connection mid-statement on marts, fails, is
  retried, and the run completes with every dossier in the marts and the marts lease given back.

The warehouse here is a PostgreSQL server of the test's own, so restarting it disturbs nobody."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from ingest.runtime import airflow_env, migrate

from .helpers import loads_by_file, mart_dossiers, raw_counts, write_export
from .scratch_server import ScratchServer

pytestmark = [pytest.mark.warehouse, pytest.mark.airflow, pytest.mark.fault]

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


def _run_dag_restarting_the_warehouse(server: ScratchServer, url: str, env: dict[str, str], dag_id: str, log: Path,
                                      wait_for, timeout: float):
    """`airflow dags test dag_id`, the warehouse restarted once `wait_for(url, proc, log)` returns;
    asserts the run exits 0 and returns what wait_for saw. The log is a file, not a pipe: a full
    pipe would stall the run being watched."""
    logical = datetime(2026, 11, 21, 3, 0, tzinfo=UTC).isoformat()
    with log.open("w") as sink:
        proc = subprocess.Popen([*airflow_env.airflow_command(), "dags", "test", dag_id, logical],
                                env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            seen = wait_for(url, proc, log)
            server.restart()
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, log.read_text(encoding="utf-8", errors="replace")[-8000:]
    return seen


def test_warehouse_restart_during_a_dag_run_is_retried_and_the_run_completes(scratch_warehouse, airflow_metadata,
                                                                              tmp_path, reliability):
    server, url = scratch_warehouse
    with reliability.fault("warehouse restarted during a DAG run") as case:
        case.count_lost_rows(lambda: ROWS - raw_counts(url)[1])
        home = tmp_path
        (home / "landing").mkdir()
        write_export(home / "landing" / "export.csv", ROWS, "DAG")
        env = airflow_env.airflow_environment(url, airflow_home=home / "airflow")
        env.update({"PARWH_HOME": str(home), "PARWH_PII_KEY": "restart-test-key", "PARWH_TASK_RETRIES": "3",
                    "PARWH_RETRY_DELAY_SECONDS": "1"})
        airflow_metadata(env)
        _run_dag_restarting_the_warehouse(server, url, env, "portal_ingest", home / "dags_test.log",
                                          _wait_for_copy, timeout=300)

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


NIGHTLY_DOSSIERS = 1_500


def _wait_for_dbt_on_marts(url: str, proc: subprocess.Popen, log: Path, timeout: float = 400.0) -> str:
    """The first statement a dbt task runs against marts (dbt connects as application 'parwh-dbt',
    or 'parwh-dbt-<pid>' from `parwh build`: dbt_project/profiles.yml)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError("the nightly run ended before dbt was seen on marts:\n" + log.read_text()[-5000:])
            row = conn.execute("select left(query, 200) from pg_stat_activity where state = 'active'"
                               " and application_name like 'parwh-dbt%%' and query ilike '%%\"marts\".%%'"
                               " limit 1").fetchone()
            if row:
                return row[0]
            time.sleep(0.02)
    raise AssertionError("no dbt statement on marts showed in pg_stat_activity")


def test_warehouse_restart_during_the_nightly_dbt_build_is_retried_and_the_marts_complete(
        scratch_warehouse, dbt_manifest, airflow_metadata, tmp_path, reliability):
    """The nightly's cosmos task whose dbt statement the restart cuts fails, is retried, and the run
    ends with every dossier in the marts and the marts lease given back."""
    from ingest.pipeline.ingest_batch import ingest_files
    from ingest.synthetic import sample

    server, url = scratch_warehouse
    with reliability.fault("warehouse restarted during the nightly dbt build") as case:
        case.count_lost_rows(lambda: NIGHTLY_DOSSIERS - mart_dossiers(url))
        files = sample.generate(tmp_path / "delivery", NIGHTLY_DOSSIERS, seed=5, until=datetime(2026, 11, 20).date())
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PARWH_PII_KEY", "restart-test-key")
            assert {r.status for r in ingest_files(url, files, profile=None, province=None, dry_run=False,
                                                   run_id="restart_nightly")} == {"loaded"}
        env = airflow_env.airflow_environment(url, airflow_home=tmp_path / "airflow")
        env.update({"PARWH_HOME": str(tmp_path), "PARWH_PII_KEY": "restart-test-key", "PARWH_TASK_RETRIES": "3",
                    "PARWH_RETRY_DELAY_SECONDS": "1"})
        airflow_metadata(env)
        cut = _run_dag_restarting_the_warehouse(server, url, env, "warehouse_nightly", tmp_path / "dags_test.log",
                                                _wait_for_dbt_on_marts, timeout=900)

        with sqlite3.connect(tmp_path / "airflow" / "airflow.db") as meta:
            run_state = meta.execute("select state from dag_run where dag_id = 'warehouse_nightly'").fetchall()
            retried = meta.execute("select task_id from task_instance where dag_id = 'warehouse_nightly'"
                                   " and try_number >= 2 and state = 'success'").fetchall()
            not_ok = meta.execute("select task_id, state from task_instance where dag_id = 'warehouse_nightly'"
                                  " and state not in ('success', 'skipped')").fetchall()
        assert run_state == [("success",)] and not not_ok, not_ok
        assert any(task.startswith("dbt.") for (task,) in retried), \
            f"no dbt task was retried after the restart cut {cut!r}: {retried}"
        with psycopg.connect(url) as conn:
            delivered = conn.execute("select count(distinct dossier_code) from raw.portal_dossiers").fetchone()[0]
            built = conn.execute("select count(*) from marts.fct_dossiers").fetchone()[0]
            holder = conn.execute("select holder from audit.marts_lease").fetchone()[0]
        assert built == delivered == NIGHTLY_DOSSIERS
        assert holder is None, f"the marts lease was left with {holder}"
