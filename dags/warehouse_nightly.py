"""
### warehouse_nightly

The nightly run, 02:00 Asia/Ho_Chi_Minh, and also whenever `portal_ingest` or
`index_publications` has loaded something (their assets `parwh://raw/portal_dossiers`,
`parwh://raw/index_scores`):

1. `prepare_warehouse`: apply pending DDL, fail abandoned loads;
2. `ingest_landing_files`: sweep whatever still waits in `landing/` (portal exports) and
   `landing/indices/` (index publications), one gated load per file;
3. `source_freshness`: `dbt source freshness`, a warning in the log when no load finished lately;
4. `claim_marts`: the marts lease (`audit.marts_lease`): one builder of the marts at a time, so a
   backfill or a `parwh build` in progress is waited for (the task says who holds it);
5. `dbt`: the dbt project through astronomer-cosmos in its WATCHER mode: one `dbt build`
   (`dbt.dbt_producer_watcher`), and every model, seed and its tests a task of its own that
   reports that node's outcome (a failed node fails its task; its retry runs that node alone);
6. `mart_gate`: the mart expectations; a critical failure fails the run at once;
7. `publish_site`: the report site and Data Docs, whatever happened upstream;
8. `release_marts`: gives the lease back, whatever happened upstream.

Audit rows: every load, gate result, dbt node and failed task is recorded in `audit.*`.

Open dossiers are judged at the end of the day before the run (`as_of_date` = the logical
date in Vietnam time, minus one day; asset-triggered runs, which have no logical date, use
their trigger time), so re-running a day gives the same marts.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from dag_defaults import AS_OF_DATE, DEFAULT_ARGS, INDEX_SCORES, LOCAL_TZ, PORTAL_DOSSIERS, WINDOW_MACROS
from warehouse_tasks import (
    claim_marts,
    ingest_landing_files,
    mart_gate,
    prepare_warehouse,
    publish_site,
    release_marts,
    run_verdict,
    source_freshness,
)

from ingest.runtime.warehouse import dbt_env_for_airflow
from ingest.settings import paths

DBT_PROJECT = paths().dbt_project
# The dbt installed beside the Python that runs Airflow (the project's venv, or the image's).
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
# audit.dbt_node_runs from each dbt invocation's results
AUDIT_CALLBACK = "ingest.runtime.dbt_node_runs.cosmos_callback"
SENSOR_POKE_SECONDS = 5


@dag(
    dag_id="warehouse_nightly",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone=LOCAL_TZ),
        assets=PORTAL_DOSSIERS | INDEX_SCORES,
    ),
    start_date=pendulum.datetime(2025, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=WINDOW_MACROS,
    tags=["par-warehouse", "nightly"],
    doc_md=__doc__,
)
def warehouse_nightly():
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT,
            manifest_path=DBT_PROJECT / "target" / "manifest.json",
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="par_warehouse",
            target_name="warehouse",
            profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
        ),
        # One `dbt build` (the producer task, dbt's own threads) and one sensor task per model and
        # per model's tests that reports that node's result: a failed node fails its own task, whose
        # retry runs that node alone (bench/README.md: LOCAL ran one dbt per node, 4.7x `parwh build`).
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            # A retried or cleared node runs its own dbt inside its task (no process start-up each).
            invocation_mode=InvocationMode.DBT_RUNNER,
            setup_operator_args={
                "callback": [AUDIT_CALLBACK, "watcher_glue.publish_detached_test_results"],
                # The build runs dbt in a process of its own: the producer then parses only the lines
                # dbt prints (in-process, cosmos serialises every debug event of dbt's as well) while
                # dbt's threads have the other core (bench/README.md).
                "invocation_mode": InvocationMode.SUBPROCESS,
                "dbt_executable_path": str(DBT_EXECUTABLE),
                # A failed build is retried at once: cosmos' producer skips its retry (it never runs a
                # second build), and only then, the producer over, does a node's retry run that node
                # itself. With the DAG's back-off a node could retry first, still see the producer
                # "up for retry", and fail on the build's old result (tests/airflow/test_nightly_watcher.py).
                "retry_delay": timedelta(0),
                "retry_exponential_backoff": False,
            },
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # A test with two parents (relationships) runs once both exist, as its own task.
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={
            "install_deps": False,
            "vars": {"as_of_date": AS_OF_DATE},
            "env": dbt_env_for_airflow(),
            "callback": AUDIT_CALLBACK,
            # Our assets are the raw tables the ingest DAGs announce; one asset per model is noise.
            "emit_datasets": False,
            # The sensors poke in reschedule mode: no triggerer needed, no worker slot held while
            # the build runs, and `airflow dags test` (one task at a time) runs the producer
            # between two pokes instead of waiting on a deferred sensor forever.
            "deferrable": False,
            "mode": "reschedule",
            "poke_interval": SENSOR_POKE_SECONDS,
        },
    )

    loads = ingest_landing_files()
    freshness = source_freshness()
    gate = mart_gate()
    site = publish_site()
    verdict = run_verdict()
    claim, release = claim_marts(), release_marts()
    prepare_warehouse() >> loads >> freshness >> claim >> dbt >> gate >> site >> release
    [gate, site, release] >> verdict


warehouse_nightly()
