"""Tasks shared by warehouse_nightly and warehouse_backfill (not a DAG file: it defines no DAG).

Each task body imports what it needs, so parsing stays fast; the work is in ingest/.
"""

from __future__ import annotations

from airflow.sdk import task
from dag_defaults import retry_only_transient_errors


@task
def prepare_warehouse() -> None:
    """Start (embedded) or reach the warehouse, apply pending DDL, fail abandoned loads."""
    from ingest.runtime import load_audit, migrate, warehouse

    with retry_only_transient_errors(), warehouse.connect(warehouse.url(), autocommit=True) as conn:
        migrate.migrate(conn)
        load_audit.sweep_abandoned_loads(conn)


def _marts_holder_alive(holder: str, my_dag_id: str) -> bool:
    """Whether a lease holder may still be building: an Airflow run of this deployment that is no
    longer queued or running is not; nor is another run of my own DAG, which max_active_runs=1
    forbids (only a killed `airflow dags test` leaves one marked running); a holder this deployment
    cannot look up is left to its expiry."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    from ingest.runtime import marts_lease

    if not holder.startswith(marts_lease.AIRFLOW_PREFIX):
        return marts_lease.cli_holder_alive(holder)
    dag_id, _, run_id = holder.removeprefix(marts_lease.AIRFLOW_PREFIX).partition("/")
    if dag_id == my_dag_id:
        return False
    try:
        state = RuntimeTaskInstance.get_dagrun_state(dag_id, run_id)
    except Exception:  # unknown run (another deployment) or the API is unreachable: cannot tell
        return True
    return getattr(state, "value", state) in ("queued", "running")


@task.sensor(poke_interval=60, timeout=12 * 3600, mode="reschedule")
def claim_marts(dag_run=None, run_id: str | None = None):
    """Take the marts lease before building: one builder of the marts at a time (nightly, backfill,
    `parwh build`). While another holds it this waits, rescheduled every minute, saying who it is."""
    import logging

    from airflow.sdk import PokeReturnValue

    from ingest.runtime import marts_lease, warehouse

    holder = marts_lease.airflow_holder(dag_run.dag_id, run_id)
    with retry_only_transient_errors(), warehouse.connect(warehouse.url(), autocommit=True) as conn:
        taken, lease = marts_lease.try_acquire(conn, holder, purpose=f"{dag_run.dag_id} run",
                                               is_alive=lambda held_by: _marts_holder_alive(held_by, dag_run.dag_id))
    log = logging.getLogger("airflow.task")
    if taken:
        log.info("marts lease taken: %s", lease.describe())
    else:
        log.info("the marts are being rebuilt by %s; waiting (if that run was killed and will never end: "
                 "`parwh lease --release`)", lease.describe())
    return PokeReturnValue(is_done=taken, xcom_value=holder if taken else None)


@task(trigger_rule="all_done")
def release_marts(dag_run=None, run_id: str | None = None) -> bool:
    """Give the marts lease back whatever happened upstream (a no-op when this run never got it)."""
    from ingest.runtime import marts_lease, warehouse

    with retry_only_transient_errors(), warehouse.connect(warehouse.url(), autocommit=True) as conn:
        return marts_lease.release(conn, marts_lease.airflow_holder(dag_run.dag_id, run_id))


@task
def ingest_landing_files(run_id: str | None = None) -> list[dict]:
    """Sweep landing/: every portal export and every index publication (landing/indices/) still
    waiting, one load per file, each gated; files move to archive/ or quarantine/. A rejected or
    quarantined file does not stop the run: it is recorded, and the good loads go on to the marts.
    (portal_ingest and index_publications normally take files as they arrive; this catches the rest.)"""
    import logging

    from ingest.pipeline import ingest_batch
    from ingest.runtime import warehouse

    log = logging.getLogger("airflow.task")
    with retry_only_transient_errors():
        url = warehouse.url()
        portal, indices = ingest_batch.portal_files(), ingest_batch.index_files()
        log.info("%d portal export(s) and %d index publication(s) waiting", len(portal), len(indices))
        loads = [load for path in portal for load in ingest_batch.load_portal_file(url, path, run_id)]
        loads += [load for path in indices if (load := ingest_batch.publish_index_file(url, path, run_id))]
    return [load.as_dict() for load in loads]


@task
def source_freshness() -> str:
    """`dbt source freshness`: warns in the log when no load finished lately (the marts are still
    built from what is there); its artifacts go to .local/dbt_freshness, away from the manifest."""
    import logging

    from ingest.runtime import dbt_runner, warehouse
    from ingest.settings import paths

    log = logging.getLogger("airflow.task")
    with retry_only_transient_errors():
        url = warehouse.url()
        try:
            result = dbt_runner.run_dbt(["source", "freshness"], url, target_path=paths().local / "dbt_freshness")
        except dbt_runner.DbtBuildError as exc:
            log.warning("source freshness could not be judged: %s", exc)
            return "error"
    statuses = {str(r.node.unique_id): str(r.status) for r in result.result.results}
    stale = sorted(node for node, status in statuses.items() if status != "pass")
    if stale:
        log.warning("sources not fresh: %s", ", ".join(f"{n} ({statuses[n]})" for n in stale))
    return "warn" if stale else "pass"


@task
def mart_gate(run_id: str | None = None) -> str:
    """Validate the marts; a critical failure fails the run at once (no retry: the data is wrong)."""
    from airflow.sdk.exceptions import AirflowFailException

    from ingest.pipeline import rebuild_marts
    from ingest.runtime import warehouse

    with retry_only_transient_errors():
        result = rebuild_marts.gate(warehouse.url(), run_id)
    if result.outcome == "fail":
        raise AirflowFailException(result.message())
    return result.outcome


@task(trigger_rule="all_done")
def publish_site(run_id: str | None = None) -> str:
    """Rebuild the report site whatever happened upstream, so failures are visible there too."""
    from ingest.reporting import dbt_docs, report_site
    from ingest.runtime import warehouse

    with retry_only_transient_errors():
        url = warehouse.url()
        dbt_docs.publish(url)
        return str(report_site.build(url, run_id=run_id))


def count_new_loads(loads: list[list[dict]] | None) -> int:
    """The loads of a mapped ingest task that loaded rows; skips the calling task (so its asset
    emits no event) when none did."""
    from airflow.sdk.exceptions import AirflowSkipException

    from ingest.pipeline import ingest_batch

    loaded = [load for file_loads in loads or [] for load in file_loads or []]
    if not ingest_batch.anything_loaded(loaded):
        raise AirflowSkipException("nothing new loaded: no asset event")
    return sum(1 for load in loaded if load["status"] == "loaded")


@task
def run_verdict() -> None:
    """Fails the run when anything upstream failed (the tasks before it that run regardless -
    publishing the site, announcing new data - cannot)."""
