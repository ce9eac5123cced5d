"""The nightly DAG end to end with `airflow dags test`, against a fresh warehouse database:
synthetic exports in landing/ -> raw (gated) -> dbt via cosmos -> mart gate -> report site."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

import psycopg
import pytest

from ingest.runtime import airflow_env
from ingest.synthetic import sample
from tests.support.outcome_oracle import outcome_counts

pytestmark = [pytest.mark.warehouse, pytest.mark.airflow]

DOSSIERS = 300
SEED = 7
UNTIL = date(2026, 11, 20)
LOGICAL_DATE = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)   # 07:30 in Vietnam: as_of_date = 2026-11-20


@pytest.fixture(scope="module")
def nightly(admin_url, dbt_manifest, airflow_metadata, tmp_path_factory):
    """Run the DAG twice over the same delivery (the second run must change nothing)."""
    from ingest.runtime import migrate, warehouse
    from tests.conftest import create_database, drop_database

    name = create_database(admin_url, "parwh_e2e")
    url = warehouse.with_database(admin_url, name)
    with psycopg.connect(url) as conn:
        migrate.migrate(conn)
    home = tmp_path_factory.mktemp("e2e")
    env = airflow_env.airflow_environment(url, airflow_home=home / "airflow")
    env.update({
        "PARWH_LANDING_DIR": str(home / "landing"), "PARWH_ARCHIVE_DIR": str(home / "archive"),
        "PARWH_QUARANTINE_DIR": str(home / "quarantine"), "PARWH_SITE_DIR": str(home / "site"),
        "PARWH_LOCAL_DIR": str(home / "local"), "PARWH_PII_KEY": "e2e-test-key", "PARWH_TASK_RETRIES": "0",
    })
    airflow_metadata(env)
    runs = []
    for attempt in range(2):
        files = sample.generate(home / "landing", DOSSIERS, seed=SEED, until=UNTIL)
        logical = LOGICAL_DATE.replace(minute=30 + attempt)
        proc = subprocess.run(
            [*airflow_env.airflow_command(), "dags", "test", "warehouse_nightly", logical.isoformat()],
            env=env, capture_output=True, text=True, timeout=1500,
        )
        runs.append(proc)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-6000:]
        with psycopg.connect(url) as conn:
            counts = conn.execute(
                "select (select count(*) from raw.portal_dossiers), (select count(*) from marts.fct_dossiers)"
            ).fetchone()
            runs[-1].lease_holder = conn.execute("select holder from audit.marts_lease").fetchone()[0]
        runs[-1].counts = counts
    yield {"url": url, "home": home, "files": files, "runs": runs}
    drop_database(admin_url, name)


def test_each_run_took_the_marts_lease_and_gave_it_back(nightly):
    for proc in nightly["runs"]:
        assert "marts lease taken: airflow:warehouse_nightly/" in proc.stdout + proc.stderr
        assert proc.lease_holder is None, f"the nightly run left the marts lease with {proc.lease_holder}"


def test_every_file_is_one_load_and_every_row_accounted_for(nightly):
    with psycopg.connect(nightly["url"]) as conn:
        loads = conn.execute(
            "select file_name, status, rows_read, rows_loaded, rows_rejected, gate_outcome from audit.loads"
            " order by load_id").fetchall()
    names = sorted(p.name for p in nightly["files"])
    first_run = loads[: len(names)]
    assert sorted(row[0] for row in first_run) == names
    assert all(row[1] == "loaded" and row[2] == row[3] + row[4] for row in first_run)
    assert all(row[5] in ("pass", "warn") for row in first_run)
    assert sum(row[4] for row in first_run) == 0, "the synthetic sample is valid: nothing should be rejected"
    second_run = loads[len(names):]
    assert sorted(row[0] for row in second_run) == names and {row[1] for row in second_run} == {"duplicate"}


def test_one_fact_row_per_sample_dossier_and_a_second_run_changes_nothing(nightly):
    first, second = (run.counts for run in nightly["runs"])
    assert first == (DOSSIERS, DOSSIERS)
    assert second == first


def test_outcome_counts_match_the_rules_computed_independently(nightly):
    expected = outcome_counts(sample.build_dossiers(DOSSIERS, seed=SEED, until=UNTIL), as_of=UNTIL)
    with psycopg.connect(nightly["url"]) as conn:
        actual = dict(conn.execute("select outcome, count(*) from marts.fct_dossiers group by 1").fetchall())
    assert actual == dict(expected)
    assert {"early", "on_time", "late", "in_progress", "overdue"} <= set(actual)


def test_gates_recorded_for_every_load_and_the_marts(nightly):
    with psycopg.connect(nightly["url"]) as conn:
        gates = conn.execute(
            "select gate, outcome, count(*) from audit.validation_runs group by 1, 2 order by 1, 2").fetchall()
        results = conn.execute("select count(*), count(*) filter (where not success and severity = 'critical')"
                               " from audit.validation_results").fetchone()
        dbt_nodes = conn.execute("select count(*), count(*) filter (where status in ('error', 'fail'))"
                                 " from audit.dbt_node_runs").fetchone()
    by_gate = {(gate, outcome): n for gate, outcome, n in gates}
    assert {outcome for gate, outcome in by_gate if gate == "raw"} <= {"pass", "warn"}
    with psycopg.connect(nightly["url"]) as conn:
        gated_loads = conn.execute(
            "select count(distinct load_id) from audit.validation_runs where gate = 'raw'").fetchone()[0]
    assert gated_loads == len(nightly["files"])  # one raw gate (its suites) per load of the first run
    with psycopg.connect(nightly["url"]) as conn:
        mart_gates = conn.execute(
            "select count(distinct run_id), count(*) filter (where outcome not in ('pass', 'warn'))"
            " from audit.validation_runs where gate = 'mart'").fetchone()
    assert mart_gates == (2, 0)  # one mart gate (all its suites) per nightly run, none failed
    assert results[0] > 0 and results[1] == 0
    assert dbt_nodes[0] > 0 and dbt_nodes[1] == 0


def test_files_are_archived_and_the_report_site_is_published(nightly):
    home = nightly["home"]
    assert not any((home / "landing").iterdir())
    archived = sorted(p.name for p in (home / "archive").rglob("*") if p.is_file())
    assert len(archived) == 2 * len(nightly["files"])
    index = (home / "site" / "index.html").read_text(encoding="utf-8")
    assert "Run history" in index and "synthetic_" in index and "data_docs/index.html" in index
    assert (home / "site" / "data_docs" / "index.html").exists()
    assert (home / "site" / "dbt_docs.html").exists()
