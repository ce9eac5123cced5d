"""DAG integrity: every DAG file imports without errors, parses fast, and is documented and owned."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from ingest.settings import paths

DAG_FOLDER = paths().root / "dags"
MAX_PARSE_SECONDS = 2.0       # CPU seconds of the file's own work
IMPORT_TIMEOUT_SECONDS = 30.0  # wall seconds: Airflow's default dagbag_import_timeout


@pytest.fixture(scope="module")
def dagbag(dbt_manifest):
    # The dag-processor pre-imports the modules a DAG file imports (parsing_pre_import_modules),
    # so parse time is the file's own work; do the same here.
    import cosmos  # noqa: F401
    import pendulum  # noqa: F401
    from airflow import sdk  # noqa: F401
    from airflow.dag_processing.dagbag import BundleDagBag

    # As the dag-processor parses a bundle: the bundle folder is importable (dag_defaults.py).
    bag = BundleDagBag(dag_folder=str(DAG_FOLDER), bundle_path=DAG_FOLDER, bundle_name="dags-folder",
                       collect_dags=False)
    # CPU time of each file's parse, next to the wall time Airflow records: the wall time also counts
    # whatever else the machine runs, the CPU time is the file's own work.
    bag.parse_cpu_seconds = {}
    parse = bag.process_file

    def timed_parse(filepath, *args, **kwargs):
        start = time.process_time()
        try:
            return parse(filepath, *args, **kwargs)
        finally:
            bag.parse_cpu_seconds[Path(filepath).relative_to(DAG_FOLDER).as_posix()] = time.process_time() - start

    bag.process_file = timed_parse
    bag.collect_dags(dag_folder=str(DAG_FOLDER))
    return bag


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_every_dag_file_parses_quickly(dagbag):
    assert set(dagbag.parse_cpu_seconds) == {stat.file for stat in dagbag.dagbag_stats} != set()
    slow = {file: seconds for file, seconds in dagbag.parse_cpu_seconds.items() if seconds > MAX_PARSE_SECONDS}
    assert slow == {}, f"DAG files taking more than {MAX_PARSE_SECONDS} CPU seconds to parse: {slow}"
    stuck = {stat.file: stat.duration.total_seconds() for stat in dagbag.dagbag_stats
             if stat.duration.total_seconds() > IMPORT_TIMEOUT_SECONDS}
    assert stuck == {}, f"DAG files slower than the dag-processor's {IMPORT_TIMEOUT_SECONDS}s import timeout: {stuck}"


def test_no_dag_file_is_named_like_dbt():
    assert not list(DAG_FOLDER.glob("dbt_*.py"))


def test_dags_are_owned_documented_tagged_and_retried(dagbag):
    assert dagbag.dags, "no DAG was found"
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and len(dag.doc_md) > 80, f"{dag_id} has no doc_md"
        assert dag.tags, f"{dag_id} has no tags"
        for task in dag.tasks:
            assert task.owner == "par-warehouse", f"{dag_id}.{task.task_id} owner is {task.owner}"
            assert task.retries >= 1 or task.task_id == "mart_gate", f"{dag_id}.{task.task_id} never retries"
            assert task.execution_timeout is not None, f"{dag_id}.{task.task_id} has no timeout"


def test_every_operational_dag_is_there(dagbag):
    assert set(dagbag.dags) == {"portal_ingest", "index_publications", "warehouse_nightly", "warehouse_backfill"}
    assert all(dag.max_active_runs == 1 for dag in dagbag.dags.values())


def test_nightly_runs_at_two_in_vietnam_and_after_every_ingest(dagbag):
    from airflow.sdk import Asset

    dag = dagbag.dags["warehouse_nightly"]
    cron = dag.timetable.timetable
    assert cron.expression == "0 2 * * *" and str(cron.timezone) == "Asia/Ho_Chi_Minh"
    listened = {asset.uri for asset in dag.timetable.asset_condition.objects}
    assert listened == {"parwh://raw/portal_dossiers", "parwh://raw/index_scores"}
    emitters = (("portal_ingest", "parwh://raw/portal_dossiers"), ("index_publications", "parwh://raw/index_scores"))
    for dag_id, uri in emitters:
        outlets = [o for t in dagbag.dags[dag_id].tasks for o in t.outlets]
        assert outlets == [Asset(uri)], f"{dag_id} emits {outlets}"


def test_nightly_dag_shape(dagbag):
    dag = dagbag.dags["warehouse_nightly"]
    ids = set(dag.task_ids)
    assert {"prepare_warehouse", "ingest_landing_files", "source_freshness", "mart_gate", "publish_site"} <= ids
    assert any(t.startswith("dbt.fct_dossiers") for t in ids), "fct_dossiers is not a visible cosmos task"
    assert any(t.startswith("dbt.fct_dossiers") and "test" in t for t in ids), "fct_dossiers tests are not visible"
    freshness = dag.get_task("source_freshness")
    assert dag.get_task("ingest_landing_files") in freshness.upstream_list
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt.")]
    # every dbt task runs after the ingest, the freshness check and the claim on the marts lease
    claim = dag.get_task("claim_marts")
    assert freshness in claim.upstream_list and claim.mode == "reschedule"
    roots = [t for t in dbt_tasks if not any(u.task_id.startswith("dbt.") for u in t.upstream_list)]
    assert roots and all(claim in t.upstream_list for t in roots)
    assert dag.get_task("publish_site").trigger_rule == "all_done"
    release = dag.get_task("release_marts")
    assert release.trigger_rule == "all_done" and dag.get_task("publish_site") in release.upstream_list
    assert release in dag.get_task("run_verdict").upstream_list
    assert dag.get_task("mart_gate").retries >= 1  # retried on connection errors only (see dag_defaults)


def test_ingest_dags_take_one_file_per_task_one_at_a_time(dagbag):
    for dag_id, loader in (("portal_ingest", "load_portal_file"), ("index_publications", "publish_index_file")):
        dag = dagbag.dags[dag_id]
        sensor = next(t for t in dag.tasks if t.task_id.startswith("wait_for_"))
        assert sensor.mode == "reschedule" and sensor.soft_fail, f"{dag_id}: the sensor would hold a worker slot"
        load = dag.get_task(loader)
        assert sensor in load.upstream_list and load.max_active_tis_per_dagrun == 1
        assert type(load).__name__.endswith("MappedOperator"), f"{dag_id}.{loader} is not one task per file"


def test_backfill_takes_a_date_range_and_a_full_refresh_option(dagbag):
    dag = dagbag.dags["warehouse_backfill"]
    assert type(dag.timetable).__name__ == "NullTimetable"
    assert set(dag.params) == {"start", "end", "full_refresh"}
    assert dag.params["full_refresh"] is False
    claim, release = dag.get_task("claim_marts"), dag.get_task("release_marts")
    assert claim in dag.get_task("rebuild_days").upstream_list and claim.mode == "reschedule"
    assert release.trigger_rule == "all_done" and dag.get_task("publish_site") in release.upstream_list


def test_as_of_date_is_the_vietnam_day_before_the_run():
    from datetime import UTC, date, datetime

    from ingest.pipeline.schedule import as_of_date

    assert as_of_date(datetime(2026, 11, 20, 19, 0, tzinfo=UTC)) == date(2026, 11, 20)  # 02:00 on the 21st in Hanoi
    assert as_of_date(datetime(2026, 11, 20, 16, 59, tzinfo=UTC)) == date(2026, 11, 19)  # 23:59 on the 20th
    with pytest.raises(ValueError, match="time zone"):
        as_of_date(datetime(2026, 11, 20, 19, 0))


def test_ruff_airflow_rules_are_clean():
    import subprocess
    import sys
    from pathlib import Path

    ruff = Path(sys.executable).with_name("ruff")
    proc = subprocess.run([str(ruff), "check", "--select", "AIR", str(DAG_FOLDER)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dag_files_keep_heavy_imports_inside_tasks():
    heavy = ("great_expectations", "pandas", "psycopg", "expectations", "dbt")
    for path in DAG_FOLDER.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = set()
        for node in tree.body:  # module level only: imports inside tasks run at execution time
            if isinstance(node, ast.Import):
                top_level.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                top_level.add(node.module.split(".")[0])
        assert not top_level & set(heavy), f"{path.name} imports {top_level & set(heavy)} at module level"
