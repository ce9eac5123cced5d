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

import pendulum
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from dag_defaults import DEFAULT_ARGS, retry_only_transient_errors

from ingest.settings import paths
from ingest.warehouse import dbt_env_for_airflow

LOCAL_TZ = pendulum.timezone("Asia/Ho_Chi_Minh")
DBT_PROJECT = paths().dbt_project
AS_OF_DATE = "{{ logical_date.in_timezone('Asia/Ho_Chi_Minh').subtract(days=1).to_date_string() }}"



@dag(
    dag_id="warehouse_nightly",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["par-warehouse", "nightly"],
    doc_md=__doc__,
)
def warehouse_nightly():
    @task
    def prepare_warehouse() -> None:
        """Start (embedded) or reach the warehouse, apply pending DDL, fail abandoned loads."""
        from ingest import audit, migrate, warehouse

        with retry_only_transient_errors(), warehouse.connect(warehouse.url(), autocommit=True) as conn:
            migrate.migrate(conn)
            audit.sweep_abandoned_loads(conn)

    @task
    def ingest_landing_files(run_id: str | None = None) -> list[dict]:
        """One load per file in landing/, each followed by its raw gate; files move to archive/ or
        quarantine/. A rejected or quarantined file does not stop the run: it is recorded, and the
        good loads go on to the marts."""
        import logging

        from ingest import landing, warehouse
        from ingest.cli import ingest_files

        log = logging.getLogger("airflow.task")
        with retry_only_transient_errors():
            files = landing.pending_files()
            log.info("%d file(s) waiting in %s", len(files), paths().landing)
            results = ingest_files(warehouse.url(), files, profile=None, province=None, dry_run=False,
                                   run_id=run_id)
        for r in results:
            log.info("%s: %s (read %d, loaded %d, rejected %d)%s", r.name, r.status, r.rows_read,
                     r.rows_loaded, r.rows_rejected, f": {r.error}" if r.error and r.status != "loaded" else "")
        return [{"file": r.name, "load_id": r.load_id, "status": r.status, "rows_read": r.rows_read,
                 "rows_loaded": r.rows_loaded, "rows_rejected": r.rows_rejected} for r in results]

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
        from airflow.sdk.exceptions import AirflowFailException

        from expectations.gate import run_mart_gate
        from ingest import warehouse

        with retry_only_transient_errors():
            result = run_mart_gate(warehouse.url(), run_id)
        if result.outcome == "fail":
            raise AirflowFailException(result.message())
        return result.outcome

    @task(trigger_rule="all_done")
    def publish_site(run_id: str | None = None) -> str:
        """Rebuild the report site whatever happened upstream, so failures are visible there too."""
        from ingest import dbt_docs, report_site, warehouse

        with retry_only_transient_errors():
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

