"""
### portal_ingest

Takes portal exports as they arrive in `landing/` (anything outside `landing/indices/`, which
is `index_publications`' folder): every 10 minutes a sensor waits up to 9 minutes for files,
then each file is its own load (a mapped task: one task instance per file), gated by the raw
Great Expectations suite, and moved to `archive/` or `quarantine/` (with a `.why.txt`).

Loads run one at a time, under the warehouse ingest lock, so they never interleave with another
ingest (a CLI `parwh ingest`, the nightly sweep). When at least one file loaded, the run emits
the asset `parwh://raw/portal_dossiers`, which triggers `warehouse_nightly`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, PokeReturnValue, dag, task
from dag_defaults import DEFAULT_ARGS, LOCAL_TZ, PORTAL_DOSSIERS, retry_only_transient_errors
from warehouse_tasks import count_new_loads, run_verdict


@dag(
    dag_id="portal_ingest",
    schedule=CronTriggerTimetable("*/10 * * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2025, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["par-warehouse", "ingest"],
    doc_md=__doc__,
)
def portal_ingest():
    @task.sensor(poke_interval=30, timeout=timedelta(minutes=9), mode="reschedule", soft_fail=True)
    def wait_for_portal_files() -> PokeReturnValue:
        """Done when landing/ holds a portal export; skipped (not failed) when none came."""
        from ingest.pipeline import ingest_batch

        files = [str(p) for p in ingest_batch.portal_files()]
        return PokeReturnValue(is_done=bool(files), xcom_value=files)

    @task(max_active_tis_per_dagrun=1, execution_timeout=timedelta(hours=1))
    def load_portal_file(path: str, run_id: str | None = None) -> list[dict]:
        """One file = one load (a .zip: one per member), gated, then archived or quarantined."""
        from ingest.pipeline import ingest_batch
        from ingest.runtime import warehouse

        with retry_only_transient_errors():
            return [load.as_dict() for load in ingest_batch.load_portal_file(warehouse.url(), path, run_id)]

    @task(outlets=[PORTAL_DOSSIERS], trigger_rule="all_done")
    def announce_new_dossiers(loads: list[list[dict]]) -> int:
        """Emits parwh://raw/portal_dossiers when something loaded (a skipped task emits nothing)."""
        return count_new_loads(loads)

    loads = load_portal_file.expand(path=wait_for_portal_files())
    announce = announce_new_dossiers(loads)
    [loads, announce] >> run_verdict()


portal_ingest()
