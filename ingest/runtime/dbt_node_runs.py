"""dbt node results (target/run_results.json) into audit.dbt_node_runs, one row per node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from ingest.settings import paths

# Statuses of a test whose failing rows an auditor will want to see.
UNSUCCESSFUL = frozenset({"fail", "warn", "error"})


def _message(result: dict[str, Any]) -> str | None:
    """dbt's message, plus where a failing test's rows are kept when the test stores failures."""
    message = (result.get("message") or "").strip()
    relation = result.get("relation_name")
    if relation and result.get("unique_id", "").startswith("test.") and result.get("status") in UNSUCCESSFUL:
        message = f"{message} (failing rows kept in {relation})".strip()
    return message[:2000] or None


def node_rows(run_results: dict[str, Any], run_id: str) -> list[tuple]:
    invocation = run_results.get("metadata", {}).get("invocation_id")
    rows = []
    for result in run_results.get("results", []):
        unique_id = result.get("unique_id", "")
        adapter = result.get("adapter_response") or {}
        rows.append((
            run_id,
            invocation,
            unique_id,
            unique_id.split(".", 1)[0],
            result.get("status"),
            result.get("execution_time"),
            adapter.get("rows_affected"),
            result.get("failures"),
            _message(result),
        ))
    return rows


def run_results_file(project_dir: Path | None = None, target_path: Path | None = None) -> Path:
    """Where the last invocation left run_results.json: target_path (as given to dbt_runner) or
    <project>/target."""
    if target_path is not None:
        return Path(target_path) / "run_results.json"
    return (project_dir or paths().dbt_project) / "target" / "run_results.json"


def record_run_results(
    warehouse_url: str, run_id: str, project_dir: Path | None = None, *, target_path: Path | None = None
) -> int:
    """Insert the nodes of the last dbt invocation; returns how many were recorded.

    Reads <project_dir>/target/run_results.json, or <target_path>/run_results.json when the
    invocation ran with ingest.runtime.dbt_runner's target_path.
    """
    results_file = run_results_file(project_dir, target_path)
    if not results_file.exists():
        return 0
    rows = node_rows(json.loads(results_file.read_text(encoding="utf-8")), run_id)
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        invocation = rows[0][1] if rows else None
        # A callback may fire twice for the same invocation (task retry): keep one copy.
        cur.execute("delete from audit.dbt_node_runs where run_id = %s and invocation_id = %s", (run_id, invocation))
        cur.executemany(
            "insert into audit.dbt_node_runs (run_id, invocation_id, unique_id, resource_type, status,"
            " execution_time, rows_affected, failures, message) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return len(rows)


def cosmos_callback(project_dir: str, context: dict[str, Any] | None = None, **_: Any) -> None:
    """astronomer-cosmos callback: called after each dbt task with its temporary project dir."""
    from ingest.runtime import warehouse

    run_id = context["run_id"] if context else "unknown"
    record_run_results(warehouse.url(), run_id, Path(project_dir))
