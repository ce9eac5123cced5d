"""Rebuild the marts: dbt build judged at one day, node results into audit, then the mart gate.

`parwh build`, warehouse_backfill (one call per day of its range) and the reruns tests come
through `rebuild`. Each run judges the marts at one day, derived from the run's date alone, so
re-running a day gives the same marts whatever ran before.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date

import psycopg
from psycopg import sql

from expectations import GateResult, run_mart_gate
from ingest.runtime import dbt_node_runs, dbt_runner

log = logging.getLogger(__name__)

def rebuild(warehouse_url: str, *, run_id: str, as_of: date | None = None, full_refresh: bool = False) -> GateResult:
    """Seeds and every model and test (judged at `as_of`, default today in Vietnam), the node
    results into audit.dbt_node_runs, a vacuum of the marts for BI, then the mart gate's result.

    Raises dbt_runner.DbtBuildError when a node fails; the gate's outcome is the caller's to act on."""
    log.info("rebuilding the marts%s%s", f" as of {as_of}" if as_of else "", " (full refresh)" if full_refresh else "")
    dbt_vars = {"as_of_date": as_of.isoformat()} if as_of else None
    try:
        dbt_runner.build(warehouse_url, full_refresh=full_refresh, vars=dbt_vars)
    finally:
        dbt_node_runs.record_run_results(warehouse_url, run_id)
    return gate(warehouse_url, run_id)


def gate(warehouse_url: str, run_id: str) -> GateResult:
    """After a build: vacuum the marts (a fresh visibility map for BI's index-only scans), then the
    mart gate. The nightly DAG calls this after its dbt tasks; `rebuild` after its own build."""
    dbt_runner.vacuum_marts(warehouse_url)
    return run_mart_gate(warehouse_url, run_id)


def rebuild_day(warehouse_url: str, day: date, *, run_id: str, full_refresh: bool = False) -> str:
    """`rebuild` judged at `day`; returns the gate outcome. Raises ValueError when the mart gate
    fails (a validation failure: retrying changes nothing)."""
    gate = rebuild(warehouse_url, run_id=run_id, as_of=day, full_refresh=full_refresh)
    if gate.outcome == "fail":
        raise ValueError(f"mart gate failed for {day}: {gate.message()}")
    return gate.outcome


def marts_fingerprint(warehouse_url: str) -> dict[str, str]:
    """md5 of the rows of every marts table and view, in a fixed order: equal fingerprints, equal marts."""
    out = {}
    with psycopg.connect(warehouse_url) as conn:
        tables = [row[0] for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " and table_type in ('BASE TABLE', 'VIEW') order by 1")]
        for table in tables:
            query = sql.SQL("select t::text from marts.{} as t order by 1").format(sql.Identifier(table))
            digest = hashlib.md5()
            for (row,) in conn.execute(query):
                digest.update(row.encode("utf-8") + b"\n")
            out[table] = digest.hexdigest()
    return out
