"""
### warehouse_nightly

The nightly run, 02:00 Asia/Ho_Chi_Minh: land every file waiting in `landing/` (one load per
file, each gated by the raw Great Expectations suite; a load that fails its gate is quarantined
and never reaches the marts), build the dbt project through astronomer-cosmos (every model,
seed and test is its own task), validate the marts (mart gate), and publish the report site.

Open dossiers are judged at the end of the day before the run (`as_of_date` = the logical
date in Vietnam time, minus one day), so re-running a day gives the same marts.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from ingest.settings import paths
from ingest.warehouse import dbt_env_for_airflow

LOCAL_TZ = pendulum.timezone("Asia/Ho_Chi_Minh")
DBT_PROJECT = paths().dbt_project
AS_OF_DATE = "{{ logical_date.in_timezone('Asia/Ho_Chi_Minh').subtract(days=1).to_date_string() }}"

default_args = {
    "owner": "par-warehouse",
    "retries": int(os.environ.get("PARWH_TASK_RETRIES", "2")),
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=2),
}


@dag(
    dag_id="warehouse_nightly",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["par-warehouse", "nightly"],
    doc_md=__doc__,
)
def warehouse_nightly():
    @task
    def prepare_warehouse() -> None:
        """Start (embedded) or reach the warehouse, apply pending DDL, fail abandoned loads."""
        import psycopg

        from ingest import audit, migrate, warehouse

        with psycopg.connect(warehouse.url(), autocommit=True) as conn:
            migrate.migrate(conn)
            audit.sweep_abandoned_loads(conn)

    @task
    def ingest_landing_files(run_id: str | None = None) -> list[dict]:
        """One load per file in landing/, each followed by its raw gate; files move to archive/ or quarantine/."""
        import logging

        from expectations.gate import run_raw_gate
        from ingest import landing, loader, warehouse

        log = logging.getLogger("airflow.task")
        url = warehouse.url()
        files = landing.pending_files()
        log.info("%d file(s) waiting in %s", len(files), paths().landing)
        summary = []
        for path in files:
            result = loader.land_file(url, path, run_id=run_id)
            if result.status == "loaded":
                gate = run_raw_gate(url, result.load_id, run_id)
                if gate.outcome == "fail":
                    result.status, result.error = "quarantined", gate.message()
            landing.file_away(path, result.status, result.error)
            log.info("%s: %s (read %d, loaded %d, rejected %d)%s", path.name, result.status, result.rows_read,
                     result.rows_loaded, result.rows_rejected, f": {result.error}" if result.error else "")
            summary.append({"file": path.name, "load_id": result.load_id, "status": result.status,
                            "rows_read": result.rows_read, "rows_loaded": result.rows_loaded,
                            "rows_rejected": result.rows_rejected})
        return summary

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
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
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
            "callback": "ingest.dbt_audit.cosmos_callback",
        },
    )

    @task
    def mart_gate(run_id: str | None = None) -> str:
        """Validate the marts; a critical failure fails the run at once (no retry: the data is wrong)."""
        from airflow.exceptions import AirflowFailException

        from expectations.gate import run_mart_gate
        from ingest import warehouse

        result = run_mart_gate(warehouse.url(), run_id)
        if result.outcome == "fail":
            raise AirflowFailException(result.message())
        return result.outcome

    @task(trigger_rule="all_done")
    def publish_site(run_id: str | None = None) -> str:
        """Rebuild the report site whatever happened upstream, so failures are visible there too."""
        from ingest import dbt_docs, report_site, warehouse

        url = warehouse.url()
        dbt_docs.publish(url)
        return str(report_site.build(url, run_id=run_id))

    @task
    def run_verdict() -> None:
        """Fails the run when anything upstream failed (publish_site runs regardless, so it cannot)."""

    loads = ingest_landing_files()
    gate = mart_gate()
    site = publish_site()
    verdict = run_verdict()
    prepare_warehouse() >> loads >> dbt >> gate >> site
    [gate, site] >> verdict


warehouse_nightly()

