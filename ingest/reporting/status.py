"""`parwh status`: the last runs and loads, and what failed in the latest run, as a data engineer
reads them in the morning. Same queries as the report site (ingest.reporting.report_site), as plain text."""

from __future__ import annotations

import psycopg

from ingest.reporting.run_history import (
    Run,
    failed_checks,
    failed_dbt_nodes,
    files_not_loaded,
    gate_errors,
    recent_runs,
)
from ingest.reporting.style import VIETNAM


def _when(run_or_time) -> str:
    moment = run_or_time.started if isinstance(run_or_time, Run) else run_or_time
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def _print_runs(runs: list[Run]) -> None:
    print("Runs (newest first, Vietnam time)")
    print(f"  {'run id':<44} {'started':<19} {'files':>5} {'loaded':>6} {'quar.':>5} {'rej.':>4} "
          f"{'rows read':>10} {'rejected':>9}  {'dbt ok/failed':<13} {'mart gate':<9} {'critical':>8} {'warn':>4}")
    for run in runs:
        files = run.files
        print(f"  {run.run_id[:44]:<44} {_when(run)} {sum(files.values()):>5} {files.get('loaded', 0):>6} "
              f"{files.get('quarantined', 0):>5} {files.get('rejected', 0) + files.get('failed', 0):>4} "
              f"{run.rows[0]:>10,} {run.rows[2]:>9,}  {f'{run.dbt[0]}/{run.dbt[1]}':<13} "
              f"{run.mart_outcome or '-':<9} {run.critical:>8} {run.warnings:>4}")
    if not runs:
        print("  (no runs yet)")


def _print_loads(conn: psycopg.Connection, limit: int) -> None:
    loads = conn.execute(
        "select load_id, started_at, file_name, coalesce(profile, '-'), rows_read, rows_loaded, rows_rejected,"
        " status, coalesce(gate_outcome, '-'), coalesce(error, '') from audit.loads"
        " order by load_id desc limit %s",
        (limit,),
    ).fetchall()
    print("\nLoads (newest first)")
    print(f"  {'id':>5} {'started':<19} {'file':<40} {'profile':<16} {'read':>8} {'loaded':>8} {'rejected':>8}"
          "  status / gate")
    for load_id, started, name, profile, read, loaded, rejected, status, gate, error in loads:
        print(f"  {load_id:>5} {_when(started)} {name[:40]:<40} {profile[:16]:<16} {read or 0:>8,} "
              f"{loaded or 0:>8,} {rejected or 0:>8,}  {status} / {gate}")
        if error and status not in ("loaded", "duplicate"):
            print(f"        {error.splitlines()[0][:160]}")
    if not loads:
        print("  (no loads yet)")


def _print_key_fingerprints(conn: psycopg.Connection) -> None:
    """Which personal-data keys the loads hashed with: more than one means the same person has
    unrelated hashes in the warehouse."""
    keys = conn.execute(
        "select pii_key_fingerprint, min(load_id), max(load_id), count(*) from audit.loads"
        " where pii_key_fingerprint is not null and status in ('loaded', 'quarantined')"
        " group by 1 order by max(load_id) desc"
    ).fetchall()
    if len(keys) == 1:
        print(f"\nPersonal-data key: fingerprint {keys[0][0]} for every load")
    elif keys:
        print(f"\nWARNING: loads hashed personal data with {len(keys)} different keys; the same person has "
              "unrelated hashes across them:")
        for fingerprint, first, last, count in keys:
            print(f"  key {fingerprint}: {count:,} load(s), load {first} to {last}")


def _print_latest_failures(conn: psycopg.Connection, run: Run) -> None:
    """Every failure of the run on one line: where, which expectation, which column, which keys."""
    checks = failed_checks(conn, run.run_id)
    errors = gate_errors(conn, run.run_id)
    files = files_not_loaded(conn, run.run_id)
    nodes = failed_dbt_nodes(conn, run.run_id)
    print(f"\nLatest run {run.run_id}: ", end="")
    if not (checks or errors or files or nodes or run.has_failures):
        print(f"nothing failed ({run.warnings} warning(s) recorded).")
        return
    print("what failed")
    for check in checks:
        keys = ", ".join(check.sample_keys) or (check.error or "-")
        count = f"{check.unexpected_count:,}" if check.unexpected_count is not None else "?"
        print(f"  - {check.where}: {check.gate} gate, suite {check.suite_name}: {check.expectation_name}"
              f" on column {check.column or '-'}: {count} unexpected; sample keys: {keys}")
    for gate, load_id, suite, message in errors:
        where = f"load {load_id}" if load_id is not None else "marts"
        print(f"  - {where}: {gate} gate (suite {suite}) could not run: {(message or '').splitlines()[0][:200]}")
    for load_id, name, status, error in files:
        print(f"  - load {load_id} · {name}: {status}: {(error or '').splitlines()[0][:200] if error else '-'}")
    for unique_id, status, message in nodes:
        print(f"  - dbt {unique_id}: {status}: {(message or '').splitlines()[0][:200] if message else '-'}")
    if run.warnings:
        print(f"  ({run.warnings} warning(s) recorded; see the report site or audit.validation_results)")


def print_status(warehouse_url: str, limit: int = 15) -> None:
    from ingest.runtime import marts_lease

    with psycopg.connect(warehouse_url) as conn:
        print(f"Marts being rebuilt by: {marts_lease.current(conn).describe()}\n")
        runs = recent_runs(conn, limit)
        _print_runs(runs)
        _print_loads(conn, limit)
        _print_key_fingerprints(conn)
        if runs:
            _print_latest_failures(conn, runs[0])
