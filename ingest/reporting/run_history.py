"""What the audit tables say about runs: the recent runs with their tallies, each load's gate
runs, and what failed in a run (critical expectations, gates that could not run, files not
loaded, dbt nodes). The report site and `parwh status` both read them from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

RUNS_SHOWN = 30             # runs in the history and in "loads by run"


FAILURES_SHOWN = 200


DBT_FAILED = ("error", "fail", "runtime error")


# ---- what the database says -------------------------------------------------------------------
@dataclass
class Run:
    run_id: str
    started: datetime
    files: dict[str, int]
    rows: tuple[int, int, int]
    raw_gates: int
    mart_outcome: str | None
    mart_docs: str | None
    dbt: tuple[int, int, int]        # ok, failed, warned
    critical: int
    warnings: int

    @property
    def has_failures(self) -> bool:
        bad_files = sum(self.files.get(s, 0) for s in ("quarantined", "rejected", "failed"))
        return bool(bad_files or self.critical or self.dbt[1] or self.mart_outcome in ("fail", "error"))


def recent_runs(conn: psycopg.Connection, limit: int = RUNS_SHOWN) -> list[Run]:
    """The newest runs first: every run id seen in loads, gate runs or dbt node runs."""
    ids = conn.execute(
        "select run_id, min(at) from ("
        " select run_id, started_at as at from audit.loads where run_id is not null"
        " union all select run_id, started_at from audit.validation_runs"
        " union all select run_id, recorded_at from audit.dbt_node_runs) as seen"
        " group by run_id order by min(at) desc, run_id desc limit %s",
        (limit,),
    ).fetchall()
    runs = []
    for run_id, started in ids:
        files = dict(conn.execute(
            "select status, count(*) from audit.loads where run_id = %s group by 1", (run_id,)).fetchall())
        rows = conn.execute(
            "select coalesce(sum(rows_read), 0)::bigint, coalesce(sum(rows_loaded), 0)::bigint,"
            " coalesce(sum(rows_rejected), 0)::bigint from audit.loads where run_id = %s", (run_id,)).fetchone()
        gates = conn.execute(
            "select count(distinct load_id) filter (where gate = 'raw'),"
            " coalesce(sum(critical_failures), 0)::int, coalesce(sum(warnings), 0)::int"
            " from audit.validation_runs where run_id = %s", (run_id,)).fetchone()
        mart = conn.execute(
            "select outcome, data_docs_path from audit.validation_runs where run_id = %s and gate = 'mart'"
            " order by validation_run_id desc limit 1", (run_id,)).fetchone()
        dbt = conn.execute(
            "select count(*) filter (where status in ('success', 'pass')),"
            " count(*) filter (where status in ('error', 'fail', 'runtime error')),"
            " count(*) filter (where status = 'warn') from audit.dbt_node_runs where run_id = %s", (run_id,)).fetchone()
        runs.append(Run(run_id, started, files, tuple(rows), gates[0], mart[0] if mart else None,
                        mart[1] if mart else None, tuple(dbt), gates[1], gates[2]))
    return runs


@dataclass
class SuiteRun:
    suite_name: str
    outcome: str
    data_docs_path: str | None
    failed: list[str]                # "expectation on column: keys" of failed critical expectations


def gate_runs(conn: psycopg.Connection, load_ids: list[int]) -> dict[int, list[SuiteRun]]:
    """load id -> its latest raw gate run of each suite, in the order the gate ran them."""
    latest = conn.execute(
        "select * from (select distinct on (load_id, suite_name) validation_run_id, load_id, suite_name, outcome,"
        " data_docs_path from audit.validation_runs where gate = 'raw' and load_id = any(%s)"
        " order by load_id, suite_name, validation_run_id desc) as latest order by validation_run_id",
        (load_ids,),
    ).fetchall()
    failed: dict[int, list[str]] = {}
    for run_id, name, column, keys in conn.execute(
        "select validation_run_id, expectation_name, column_name, sample_keys from audit.validation_results"
        " where validation_run_id = any(%s) and not success and severity = 'critical'"
        " order by expectation_name",
        ([row[0] for row in latest],),
    ):
        failed.setdefault(run_id, []).append(
            f"{name} on {column or '-'}" + (f": {', '.join(keys[:3])}" if keys else ""))
    runs: dict[int, list[SuiteRun]] = {}
    for run_id, load_id, suite, outcome, page in latest:
        runs.setdefault(load_id, []).append(SuiteRun(suite, outcome, page, failed.get(run_id, [])))
    return runs


# ---- sections ---------------------------------------------------------------------------------
@dataclass
class FailedCheck:
    gate: str
    load_id: int | None
    file_name: str | None
    suite_name: str
    expectation_name: str
    expectation_type: str
    column: str | None
    unexpected_count: int | None
    sample_keys: list[str]
    why: str | None
    data_docs_path: str | None
    error: str | None

    @property
    def where(self) -> str:
        return f"load {self.load_id} · {self.file_name}" if self.load_id is not None else "marts"


def failed_checks(conn: psycopg.Connection, run_id: str, limit: int = FAILURES_SHOWN) -> list[FailedCheck]:
    """The run's failed critical expectations, mart gate first, then load by load."""
    return [
        FailedCheck(*row, sample_keys=list(keys or []), why=why, data_docs_path=page, error=error)
        for *row, keys, why, page, error in conn.execute(
            "select v.gate, r.load_id, l.file_name, r.suite_name, r.expectation_name, r.expectation_type,"
            " r.column_name, r.unexpected_count, r.sample_keys, r.details ->> 'why', v.data_docs_path,"
            " r.details ->> 'error'"
            " from audit.validation_results r join audit.validation_runs v using (validation_run_id)"
            " left join audit.loads l on l.load_id = r.load_id"
            " where r.run_id = %s and not r.success and r.severity = 'critical'"
            " order by v.gate desc, r.load_id, r.suite_name, r.expectation_name limit %s",
            (run_id, limit),
        )
    ]


def gate_errors(conn: psycopg.Connection, run_id: str) -> list[tuple]:
    """(gate, load id, suite, message) of the run's gates that could not reach a verdict."""
    return conn.execute(
        "select gate, load_id, suite_name, message from audit.validation_runs"
        " where run_id = %s and outcome = 'error' order by validation_run_id", (run_id,)).fetchall()


def files_not_loaded(conn: psycopg.Connection, run_id: str) -> list[tuple]:
    """(load id, file, status, error) of the run's files rejected whole or failed while loading."""
    return conn.execute(
        "select load_id, file_name, status, error from audit.loads"
        " where run_id = %s and status in ('rejected', 'failed') order by load_id", (run_id,)).fetchall()


def failed_dbt_nodes(conn: psycopg.Connection, run_id: str) -> list[tuple]:
    """(unique id, status, message) of the run's dbt models and tests that failed."""
    return conn.execute(
        "select unique_id, status, message from audit.dbt_node_runs"
        " where run_id = %s and status = any(%s) order by recorded_at, unique_id",
        (run_id, list(DBT_FAILED)),
    ).fetchall()
