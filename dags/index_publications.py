"""
### index_publications

Takes index publications (PCI, PAPI, the 766 index, the long template for PAR INDEX / SIPAS /
ICT) as they arrive in `landing/indices/`: every 10 minutes a sensor waits up to 9 minutes for
files, then each file is its own load (a mapped task), checked like `parwh publish` does, and
moved to `archive/` or `quarantine/` (with a `.why.txt`). The index and edition come from the
file name (`PCI_2016.xlsx`, `dvc766_2025-Q3.json`, `par_index_2023.csv`); a file whose name
names no index is quarantined.

Loads run one at a time under the warehouse ingest lock. When at least one file loaded, the
run emits the asset `parwh://raw/index_scores`, which triggers `warehouse_nightly`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, PokeReturnValue, dag, task
from dag_defaults import DEFAULT_ARGS, INDEX_SCORES, LOCAL_TZ, retry_only_transient_errors
from warehouse_tasks import count_new_loads, run_verdict


@dag(
    dag_id="index_publications",
    schedule=CronTriggerTimetable("5-55/10 * * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2025, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["par-warehouse", "ingest", "indices"],
    doc_md=__doc__,
)
def index_publications():
    @task.sensor(poke_interval=30, timeout=timedelta(minutes=9), mode="reschedule", soft_fail=True)
    def wait_for_index_files() -> PokeReturnValue:
        """Done when landing/indices/ holds a file; skipped (not failed) when none came."""
        from ingest.pipeline import ingest_batch

        files = [str(p) for p in ingest_batch.index_files()]
        return PokeReturnValue(is_done=bool(files), xcom_value=files)

    @task(max_active_tis_per_dagrun=1, execution_timeout=timedelta(hours=1))
    def publish_index_file(path: str, run_id: str | None = None) -> list[dict]:
        """One file = one load, checked, then archived or quarantined."""
        from ingest.pipeline import ingest_batch
        from ingest.runtime import warehouse

        with retry_only_transient_errors():
            load = ingest_batch.publish_index_file(warehouse.url(), path, run_id)
        return [load.as_dict()] if load else []

    @task(outlets=[INDEX_SCORES], trigger_rule="all_done")
    def announce_new_scores(loads: list[list[dict]]) -> int:
        """Emits parwh://raw/index_scores when something loaded (a skipped task emits nothing)."""
        return count_new_loads(loads)

    loads = publish_index_file.expand(path=wait_for_index_files())
    announce = announce_new_scores(loads)
    [loads, announce] >> run_verdict()


index_publications()
