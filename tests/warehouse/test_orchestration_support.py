"""What the DAGs lean on: failure records in audit, the ingest lock, the retry policy."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import psycopg
import pytest

from ingest.runtime import load_audit, task_failures
from ingest.settings import paths


def context_for(exception: Exception) -> dict:
    ti = SimpleNamespace(dag_id="warehouse_nightly", task_id="mart_gate", try_number=2, run_id="scheduled__x")
    return {"ti": ti, "run_id": "scheduled__x", "exception": exception}


def test_a_failure_is_described_in_one_line():
    failure = task_failures.describe(context_for(ValueError("mart gate FAILED\nsecond line")))
    assert failure == {
        "run_id": "scheduled__x", "dag_id": "warehouse_nightly", "task_id": "mart_gate", "try_number": 2,
        "exception_type": "ValueError", "message": "mart gate FAILED", "detail": "mart gate FAILED\nsecond line",
    }


@pytest.mark.warehouse
def test_a_failure_is_recorded_in_audit(fresh_database, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database)
    task_failures.on_retry(context_for(ConnectionError("server closed the connection")))
    with psycopg.connect(fresh_database) as conn:
        row = conn.execute("select dag_id, task_id, try_number, will_retry, exception_type, message"
                           " from audit.task_failures").fetchone()
    assert row == ("warehouse_nightly", "mart_gate", 2, True, "ConnectionError", "server closed the connection")


def test_recording_survives_an_unreachable_warehouse(monkeypatch, caplog):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/none")
    failure = task_failures.record(context_for(RuntimeError("boom")))
    assert failure["exception_type"] == "RuntimeError"
    assert any("could not record the failure" in r.message for r in caplog.records)


@pytest.mark.warehouse
def test_two_ingests_never_interleave(fresh_database):
    with load_audit.exclusive_ingest(fresh_database):
        with pytest.raises(TimeoutError) as err:
            with load_audit.exclusive_ingest(fresh_database, wait_seconds=0.5):
                pass
        assert "ingest lock" in str(err.value)
    with load_audit.exclusive_ingest(fresh_database, wait_seconds=0.5):
        pass  # released: the next one gets it


def test_retry_policy_fails_fast_on_everything_but_connection_errors():
    sys.path.insert(0, str(paths().root / "dags"))
    try:
        from airflow.sdk.exceptions import AirflowFailException
        from dag_defaults import retry_only_transient_errors
    finally:
        sys.path.pop(0)
    with pytest.raises(psycopg.OperationalError):
        with retry_only_transient_errors():
            raise psycopg.OperationalError("the server restarted")
    with pytest.raises(AirflowFailException) as err:
        with retry_only_transient_errors():
            raise ValueError("row 3: bad date")
    assert "ValueError: row 3: bad date" in str(err.value)
