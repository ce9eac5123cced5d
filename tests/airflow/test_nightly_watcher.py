"""The nightly's dbt task group runs in cosmos' WATCHER mode, experimental upstream: one `dbt build`
(the producer task) whose per-node results sensor tasks report. Its known failure modes, on real
`airflow dags test` runs of warehouse_nightly against a small warehouse:

- a failing dbt test must fail its own task and the run, never end green (in cosmos 1.14.0 a
  retried producer lost the statuses and failed nodes were marked successful);
- a retried node must run that node again itself (its retry is a dbt run of its own, recorded in
  audit.dbt_node_runs beside the build's result), not echo the build's status;
- a cleared task (cleared after the run is over, then run again) must run its node itself, not
  read the build's old status: the failing test runs again and fails again. (`airflow tasks test`
  runs it at its recorded try number, where the scheduler would add one; cosmos takes either try
  above the first as "run the node itself".)
- a test with two parents (a relationships test, its own task) reports its result; cosmos 1.15
  publishes none for it (dags/watcher_glue.py), and without one the run would never end.

(A model whose dbt statement is cut by a warehouse restart, retried until the run succeeds, is
tests/reliability/test_dag_restart.py.)
"""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, date, datetime

import psycopg
import pytest

from ingest.pipeline.ingest_batch import ingest_files
from ingest.runtime import airflow_env, migrate, warehouse
from ingest.synthetic import sample
from tests.conftest import create_database, drop_database

pytestmark = [pytest.mark.warehouse, pytest.mark.airflow]

DOSSIERS = 120
UNTIL = date(2026, 11, 20)
LOGICAL_DATE = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
# A relationships test (two parents: the staging model and the status-code seed, so its own task)
# that a dossier with a status code no seed row knows fails.
FAILING_TEST = "relationships_stg_portal__dossiers_status_code__status_code__ref_portal_status_codes_"
FAILING_TEST_TASK = f"dbt.{FAILING_TEST}_test"
MODEL_TASK = "dbt.stg_portal__dossiers.run"   # one of the test's parents

# A record the loader would have rejected (unknown status), written into raw behind its back: the
# dbt test is the last line of defence and must stop the run.
BAD_RECORD = """
create temporary table bad_record as select * from raw.portal_dossiers order by _load_id, _row_number limit 1;
update bad_record set dossier_code = 'WATCHER-BAD-STATUS', status_code = '99', _row_number = 999999;
insert into raw.portal_dossiers select * from bad_record;
"""


@pytest.fixture(scope="module")
def failing_nightly(admin_url, dbt_manifest, tmp_path_factory):
    """A loaded warehouse with one record that fails a relationships test, one nightly run, then the
    failing test's task cleared and run again (`airflow tasks clear`, `airflow tasks test`)."""
    name = create_database(admin_url, "parwh_watcher")
    url = warehouse.with_database(admin_url, name)
    with psycopg.connect(url) as conn:
        migrate.migrate(conn)
    home = tmp_path_factory.mktemp("watcher")
    files = sample.generate(home / "delivery", DOSSIERS, seed=11, until=UNTIL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARWH_PII_KEY", "watcher-test-key")
        assert {r.status for r in ingest_files(url, files, profile=None, province=None, dry_run=False,
                                               run_id="watcher")} == {"loaded"}
    with psycopg.connect(url) as conn:
        conn.execute(BAD_RECORD)
    env = airflow_env.airflow_environment(url, airflow_home=home / "airflow")
    env.update({"PARWH_HOME": str(home), "PARWH_PII_KEY": "watcher-test-key", "PARWH_TASK_RETRIES": "1",
                "PARWH_RETRY_DELAY_SECONDS": "1"})
    airflow_env.migrate_metadata(env)
    metadata = home / "airflow" / "airflow.db"
    airflow = airflow_env.airflow_command()
    proc = subprocess.run([*airflow, "dags", "test", "warehouse_nightly", LOGICAL_DATE.isoformat()],
                          env=env, capture_output=True, text=True, timeout=1200)
    nightly = _run_outcome(url, metadata, proc)
    with sqlite3.connect(metadata) as meta:
        run_id = meta.execute("select run_id from dag_run where dag_id = 'warehouse_nightly'").fetchone()[0]
    subprocess.run([*airflow, "tasks", "clear", "warehouse_nightly", "--task-regex", f"^{FAILING_TEST_TASK}$",
                    "--yes", "--start-date", LOGICAL_DATE.isoformat(), "--end-date", LOGICAL_DATE.isoformat()],
                   env=env, capture_output=True, text=True, timeout=300, check=True)
    again = subprocess.run([*airflow, "tasks", "test", "warehouse_nightly", FAILING_TEST_TASK, run_id],
                           env=env, capture_output=True, text=True, timeout=600)
    yield {"nightly": nightly, "cleared": _run_outcome(url, metadata, again)}
    drop_database(admin_url, name)


def _node_results(conn: psycopg.Connection, unique_id_prefix: str) -> list[tuple[str, str]]:
    """(invocation, status) of every dbt run of the node, oldest first."""
    return conn.execute("select invocation_id, status from audit.dbt_node_runs where unique_id like %s"
                        " order by recorded_at", (f"{unique_id_prefix}%",)).fetchall()


def _run_outcome(url: str, metadata: object, proc: subprocess.CompletedProcess) -> dict:
    with sqlite3.connect(metadata) as meta:
        run_state = meta.execute("select state from dag_run where dag_id = 'warehouse_nightly'").fetchone()[0]
        tasks = {task: (state, tries) for task, state, tries in meta.execute(
            "select task_id, state, try_number from task_instance where dag_id = 'warehouse_nightly'")}
    with psycopg.connect(url) as conn:
        test_results = _node_results(conn, f"test.par_warehouse.{FAILING_TEST}")
        lease_holder = conn.execute("select holder from audit.marts_lease").fetchone()[0]
    return {"proc": proc, "run_state": run_state, "tasks": tasks, "test_results": test_results,
            "lease_holder": lease_holder, "log": proc.stdout + proc.stderr}


def test_a_failing_test_fails_its_own_task_and_the_run(failing_nightly):
    run = failing_nightly["nightly"]
    assert run["run_state"] == "failed", run["log"][-4000:]
    assert run["tasks"][FAILING_TEST_TASK][0] == "failed", run["tasks"][FAILING_TEST_TASK]
    assert run["tasks"][MODEL_TASK][0] == "success", "the model built; only its test fails"
    assert run["tasks"]["mart_gate"][0] == "upstream_failed", "the marts are not gated as if all were well"
    assert run["tasks"]["run_verdict"][0] in ("failed", "upstream_failed")
    assert run["lease_holder"] is None, "a failed run must still give the marts lease back"
    failed = {task for task, (state, _) in run["tasks"].items() if state == "failed"}
    assert failed <= {FAILING_TEST_TASK, "dbt.relationships_fct_dossiers_status_code__status_code__"
                      "ref_portal_status_codes__test"}, f"tasks that failed besides the broken test: {failed}"


def test_the_retried_test_ran_the_test_again_itself(failing_nightly):
    run = failing_nightly["nightly"]
    state, tries = run["tasks"][FAILING_TEST_TASK]
    assert tries >= 2, f"the failing test's task was not retried: {state}, try {tries}"
    invocations = {invocation for invocation, _ in run["test_results"]}
    assert len(invocations) >= 2, f"the retry did not run dbt for the test: {run['test_results']}"
    assert {status for _, status in run["test_results"]} == {"fail"}


def test_a_cleared_failing_test_runs_the_test_again_and_fails(failing_nightly):
    before, after = failing_nightly["nightly"], failing_nightly["cleared"]
    assert after["tasks"][FAILING_TEST_TASK][0] == "failed", after["log"][-4000:]
    new = after["test_results"][len(before["test_results"]):]
    assert new and {status for _, status in new} == {"fail"}, "the cleared test task did not run the test itself"
