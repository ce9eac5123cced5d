"""Gate results into audit.validation_runs / audit.validation_results, and the raw verdict into
audit.loads. All writes of one verdict commit together."""

from __future__ import annotations

import math

import psycopg
from psycopg.types.json import Jsonb

from expectations.errors import GateError
from expectations.result import GateResult, SuiteResult

# Written when the gate starts, so a gate that dies half-way leaves a visible trace.
UNFINISHED = "gate started but did not finish (process killed or crashed)"


def json_safe(value):
    """jsonb takes no NaN/Infinity and no datetimes: map them to null / text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def load_status(conn: psycopg.Connection, load_id: int) -> tuple[str, str]:
    """(status, source_kind) of a load."""
    row = conn.execute("select status, source_kind from audit.loads where load_id = %s", (load_id,)).fetchone()
    if row is None:
        raise GateError(f"load {load_id} does not exist in audit.loads; nothing to gate")
    return row[0], row[1]


def start_run(
    conn: psycopg.Connection, *, run_id: str, gate: str, load_id: int | None, suite_name: str
) -> int:
    with conn.transaction():
        row = conn.execute(
            "insert into audit.validation_runs (run_id, gate, load_id, suite_name, outcome, message)"
            " values (%s, %s, %s, %s, 'error', %s) returning validation_run_id",
            (run_id, gate, load_id, suite_name, UNFINISHED),
        ).fetchone()
    return row[0]


def record_error(conn: psycopg.Connection, validation_run_id: int, message: str) -> None:
    with conn.transaction():
        conn.execute(
            "update audit.validation_runs set outcome = 'error', finished_at = now(), message = %s"
            " where validation_run_id = %s",
            (message, validation_run_id),
        )


def _insert_results(conn: psycopg.Connection, result: GateResult, suite: SuiteResult) -> None:
    rows = [
        (
            suite.validation_run_id,
            result.run_id,
            result.load_id,
            suite.suite_name,
            o.expectation_type,
            o.expectation_name,
            o.column,
            o.severity,
            o.success,
            o.observed_value,
            o.unexpected_count,
            Jsonb(list(o.sample_keys)),
            Jsonb(json_safe({**o.details, "why": o.why, "error": o.error})),
        )
        for o in suite.outcomes
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into audit.validation_results (validation_run_id, run_id, load_id, suite_name,"
            " expectation_type, expectation_name, column_name, severity, success, observed_value,"
            " unexpected_count, sample_keys, details)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def record_result(conn: psycopg.Connection, result: GateResult) -> None:
    """Every suite's results and run row and (raw gate) the load's verdict, in one transaction.

    Each suite keeps its own validation_runs row (its outcome, counts, Data Docs page); the
    load's verdict is the gate's: quarantined when any suite failed critically.
    """
    with conn.transaction():
        for suite in result.suites:
            if suite.validation_run_id is None:
                raise GateError(f"suite {suite.suite_name} has no validation_runs row to record into")
            _insert_results(conn, result, suite)
            conn.execute(
                "update audit.validation_runs set outcome = %s, expectations = %s, critical_failures = %s,"
                " warnings = %s, data_docs_path = %s, finished_at = now(), message = %s"
                " where validation_run_id = %s",
                (
                    suite.outcome,
                    suite.expectations,
                    suite.critical_failures,
                    suite.warnings,
                    str(suite.data_docs_path) if suite.data_docs_path else None,
                    result.only(suite).message(),
                    suite.validation_run_id,
                ),
            )
        if result.gate == "raw":
            _record_load_verdict(conn, result)


def _record_load_verdict(conn: psycopg.Connection, result: GateResult) -> None:
    if result.outcome == "fail":
        conn.execute(
            "update audit.loads set status = 'quarantined', gate_outcome = 'fail', error = %s"
            " where load_id = %s",
            (result.message(), result.load_id),
        )
    else:
        # Status stays as it is ('loaded'); the load becomes visible downstream.
        conn.execute(
            "update audit.loads set gate_outcome = %s where load_id = %s",
            (result.outcome, result.load_id),
        )
