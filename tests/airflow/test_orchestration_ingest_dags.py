"""portal_ingest and index_publications with `airflow dags test`: each takes only its own files from
landing/ (portal exports; index publications in landing/indices/), one load per file, and announces
new data with its asset, which is what triggers warehouse_nightly."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingest.pipeline import ingest_batch, schedule
from ingest.runtime import airflow_env, migrate, warehouse
from ingest.synthetic import sample
from tests.conftest import create_database, drop_database
from tests.support.paths import REAL_FIXTURES

pytestmark = [pytest.mark.warehouse, pytest.mark.airflow]

PCI = REAL_FIXTURES / "PCI_2016.xlsx"


def asset_events(home: Path) -> list[str]:
    with sqlite3.connect(home / "airflow" / "airflow.db") as conn:
        return [uri for (uri,) in conn.execute(
            "select asset.uri from asset_event join asset on asset.id = asset_event.asset_id order by asset_event.id")]


@pytest.fixture(scope="module")
def ingested(admin_url, airflow_metadata, tmp_path_factory):
    name = create_database(admin_url, "parwh_ingest_dags")
    url = warehouse.with_database(admin_url, name)
    with psycopg.connect(url) as conn:
        migrate.migrate(conn)
    home = tmp_path_factory.mktemp("ingest_dags")
    landing = home / "landing"
    portal = sample.generate(landing, 40, seed=5, until=date(2026, 11, 20))
    (landing / ingest_batch.INDEX_SUBFOLDER).mkdir()
    shutil.copy(PCI, landing / ingest_batch.INDEX_SUBFOLDER / PCI.name)
    (landing / ingest_batch.INDEX_SUBFOLDER / "notes.txt").write_text("not an index publication\n")
    env = airflow_env.airflow_environment(url, airflow_home=home / "airflow")
    env.update({
        "PARWH_LANDING_DIR": str(landing), "PARWH_ARCHIVE_DIR": str(home / "archive"),
        "PARWH_QUARANTINE_DIR": str(home / "quarantine"), "PARWH_SITE_DIR": str(home / "site"),
        "PARWH_LOCAL_DIR": str(home / "local"), "PARWH_PII_KEY": "ingest-dags-test-key", "PARWH_TASK_RETRIES": "0",
    })
    airflow_metadata(env)
    runs, snapshots = {}, {}
    for dag_id in ("portal_ingest", "index_publications"):
        runs[dag_id] = subprocess.run(
            [*airflow_env.airflow_command(), "dags", "test", dag_id, "2026-11-21T03:00:00+00:00"],
            env=env, capture_output=True, text=True, timeout=600)
        assert runs[dag_id].returncode == 0, runs[dag_id].stdout[-5000:] + runs[dag_id].stderr[-5000:]
        with psycopg.connect(url) as conn:
            snapshots[dag_id] = conn.execute(
                "select source_kind, file_name, status from audit.loads order by load_id").fetchall()
        snapshots[dag_id + ":assets"] = asset_events(home)
    yield {"home": home, "portal": portal, "snapshots": snapshots, "runs": runs}
    drop_database(admin_url, name)


def test_portal_ingest_loads_each_export_once_and_leaves_the_index_files(ingested):
    loads = ingested["snapshots"]["portal_ingest"]
    assert sorted(row[1] for row in loads) == sorted(p.name for p in ingested["portal"])
    assert {row[0] for row in loads} <= {"portal_export", "procedure_catalogue"} and {row[2] for row in loads} == {
        "loaded"}
    assert ingested["snapshots"]["portal_ingest:assets"] == [schedule.PORTAL_ASSET_URI]


def test_index_publications_takes_the_index_folder(ingested):
    loads = ingested["snapshots"]["index_publications"][len(ingested["portal"]):]
    # The notes are no publication: their rejection is recorded like any bad file's.
    assert sorted((kind, name, status) for kind, name, status in loads) == [
        ("index_publication", PCI.name, "loaded"), ("index_publication", "notes.txt", "rejected")]
    assert ingested["snapshots"]["index_publications:assets"] == [
        schedule.PORTAL_ASSET_URI, schedule.INDEX_ASSET_URI]


def test_every_file_is_filed_away_and_an_unknown_one_says_why(ingested):
    home = ingested["home"]
    assert not [p for p in (home / "landing").rglob("*") if p.is_file()]
    archived = {p.name for p in (home / "archive").rglob("*") if p.is_file()}
    assert archived == {p.name for p in ingested["portal"]} | {PCI.name}
    why = (home / "quarantine" / "notes.txt.why.txt").read_text(encoding="utf-8")
    assert "status: rejected" in why and "notes.txt" in why and "unrecognised_publication" in why


def test_only_a_run_that_loaded_something_announces_it(ingested):
    assert ingest_batch.anything_loaded([{"status": "duplicate"}, None]) is False
    assert ingest_batch.anything_loaded([{"status": "loaded"}]) is True
    assert ingested["snapshots"]["index_publications:assets"].count(schedule.PORTAL_ASSET_URI) == 1
