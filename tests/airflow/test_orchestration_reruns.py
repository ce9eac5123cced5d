"""Every run derives its window from its own date and is idempotent for it: re-running three days,
the second time in reverse order, gives identical marts for each day (md5 of every marts table's
ordered rows), whatever ran before. The days go through rebuild_marts.rebuild_day, what the
warehouse_backfill task runs for each day of its range; the last check runs the backfill DAG itself.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date

import psycopg
import pytest

from ingest.pipeline import rebuild_marts
from ingest.pipeline.ingest_batch import ingest_files
from ingest.runtime import airflow_env, marts_lease, migrate, warehouse
from ingest.synthetic import sample
from tests.conftest import create_database, drop_database
from tests.warehouse.test_marts_lease import dead_cli_holder

pytestmark = [pytest.mark.warehouse]

DOSSIERS = 150
SEED = 23
DAYS = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]


@pytest.fixture(scope="module")
def loaded_warehouse(admin_url, dbt_manifest, tmp_path_factory):
    name = create_database(admin_url, "parwh_reruns")
    url = warehouse.with_database(admin_url, name)
    with psycopg.connect(url) as conn:
        migrate.migrate(conn)
    delivery = tmp_path_factory.mktemp("delivery")  # outside landing/: the files stay where they are
    files = sample.generate(delivery, DOSSIERS, seed=SEED, until=DAYS[-1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARWH_PII_KEY", "reruns-test-key")
        results = ingest_files(url, files, profile=None, province=None, dry_run=False, run_id="reruns")
    assert {r.status for r in results} == {"loaded"}
    yield url
    drop_database(admin_url, name)


@pytest.fixture(scope="module")
def fingerprints(loaded_warehouse):
    """{day: [fingerprint after each run of that day]} over D1, D2, D3, then D3, D2, D1."""
    seen: dict[date, list[dict[str, str]]] = {day: [] for day in DAYS}
    for n, day in enumerate([*DAYS, *reversed(DAYS)]):
        rebuild_marts.rebuild_day(loaded_warehouse, day, run_id=f"rerun_{n}_{day}")
        seen[day].append(rebuild_marts.marts_fingerprint(loaded_warehouse))
    return seen


def test_each_day_gives_the_same_marts_whatever_ran_before(fingerprints):
    for day, runs in fingerprints.items():
        assert len(runs) == 2
        first, second = runs
        differing = sorted(table for table in first if first[table] != second.get(table))
        assert not differing and first.keys() == second.keys(), f"marts as of {day} differ on re-run: {differing}"


def test_the_days_really_differ(fingerprints):
    """Guards the test above: were the window ignored, every day would give the same marts."""
    first_runs = [runs[0]["fct_dossiers"] for runs in fingerprints.values()]
    assert len(set(first_runs)) == len(DAYS), "fct_dossiers does not change with the as-of date"


def test_the_marts_hold_the_sample(loaded_warehouse, fingerprints):
    with psycopg.connect(loaded_warehouse) as conn:
        count, as_of = conn.execute("select count(*), min(as_of_date) from marts.fct_dossiers").fetchone()
    assert count == DOSSIERS and as_of == DAYS[0]  # the last run was D1


@pytest.mark.airflow
def test_the_backfill_dag_leaves_the_marts_of_its_last_day(loaded_warehouse, fingerprints, airflow_metadata,
                                                          tmp_path):
    env = airflow_env.airflow_environment(loaded_warehouse, airflow_home=tmp_path / "airflow")
    env.update({"PARWH_SITE_DIR": str(tmp_path / "site"), "PARWH_LOCAL_DIR": str(tmp_path / "local"),
                "PARWH_LANDING_DIR": str(tmp_path / "landing"), "PARWH_TASK_RETRIES": "0"})
    airflow_metadata(env)
    # A `parwh build` that died holding the marts: the backfill must take the lease over, not wait.
    with psycopg.connect(loaded_warehouse, autocommit=True) as conn:
        assert marts_lease.try_acquire(conn, dead_cli_holder(), purpose="parwh build")[0]
    conf = {"start": DAYS[1].isoformat(), "end": DAYS[2].isoformat(), "full_refresh": True}
    proc = subprocess.run(
        [*airflow_env.airflow_command(), "dags", "test", "warehouse_backfill", "2026-11-21T00:00:00+00:00",
         "--conf", json.dumps(conf)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    assert rebuild_marts.marts_fingerprint(loaded_warehouse) == fingerprints[DAYS[2]][0]
    with psycopg.connect(loaded_warehouse) as conn:
        assert marts_lease.current(conn).holder is None, "the backfill did not give the marts lease back"
    assert "marts lease taken: airflow:warehouse_backfill/" in proc.stdout + proc.stderr
